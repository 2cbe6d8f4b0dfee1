#
#    Licensed under the Apache License, Version 2.0 (the "License"); you may
#    not use this file except in compliance with the License. You may obtain
#    a copy of the License at
#
#         http://www.apache.org/licenses/LICENSE-2.0
#
#    Unless required by applicable law or agreed to in writing, software
#    distributed under the License is distributed on an "AS IS" BASIS, WITHOUT
#    WARRANTIES OR CONDITIONS OF ANY KIND, either express or implied. See the
#    License for the specific language governing permissions and limitations
#    under the License.

"""``selfheal lab fault ...``: failures injected into the running lab.

A host failure only stops the process and tells Vitrage, as a monitor
would; fencing (nova services force-down) and evacuation are left to the
workflow Vitrage starts.
"""

import datetime
import time

from selfheal.lab import bootstrap
from selfheal.lab import cloud
from selfheal.lab import health
from selfheal.lab import layout
from selfheal.lab import procs
from selfheal.lab import services

LabError = bootstrap.LabError
MONITOR = 'selfheal-lab'
HOST_DOWN = 'compute.host.down'
NIC_DOWN = 'compute.host.nic.down'

COMPUTE = {'service_type': 'compute', 'interface': 'public'}
RCA = {'service_type': 'rca', 'interface': 'public'}
# os-services force-down needs 2.11+, evacuated servers stay ACTIVE <= 2.94.
MICROVERSION = {'OpenStack-API-Version': 'compute ' +
                cloud.COMPUTE_MICROVERSION}


def _check_host(host):
    if host not in layout.COMPUTE_HOSTS:
        raise LabError('unknown host %r: the lab\'s compute hosts are %s'
                       % (host, ', '.join(layout.COMPUTE_HOSTS)))
    return 'nova-compute-' + host


def post_doctor_event(lab, event_type, host, status, cause):
    """What an external monitor does: a Doctor event through Vitrage's API."""
    now = datetime.datetime.now(datetime.timezone.utc)
    event = {
        # UTC without a zone suffix: Vitrage's Doctor transformer parses
        # '%Y-%m-%dT%H:%M:%S.%f' and drops events with a trailing 'Z'.
        'time': now.strftime('%Y-%m-%dT%H:%M:%S.%f'),
        'type': event_type,
        'details': {
            'hostname': host, 'status': status, 'source': MONITOR,
            'cause': cause, 'severity': 'critical',
            'monitor_id': MONITOR, 'monitor_event_id': '%s-%s-%d' % (
                event_type, host, now.timestamp() * 1000),
        },
    }
    cloud.admin_session(lab).post('/v1/event/', json=event,
                                  endpoint_filter=RCA)
    return event


def stop_compute(lab, host):
    """Stop host's nova-compute; its guests run on, as on a hypervisor."""
    name = _check_host(host)
    svc = services.by_name(lab)[name]
    return '%s: %s' % (name, procs.stop(lab.pidfile(name), svc.stop_signal,
                                        svc.stop_timeout))


def host_down(lab, host, out=print):
    out(stop_compute(lab, host))
    post_doctor_event(lab, HOST_DOWN, host, 'down', 'nova-compute stopped')
    out('posted Doctor %s for %s to Vitrage; fencing and evacuation are '
        'left to the workflow' % (HOST_DOWN, host))


def compute_service(lab, host):
    for svc in cloud.compute_services(lab):
        if svc['host'] == host:
            return svc
    raise LabError('nova has no nova-compute service on %s' % host)


def host_up(lab, host, out=print, timeout=180):
    """nova-compute back, Doctor 'up' event, force-down and disable cleared.

    Nova refuses to clear force-down while finished evacuations of the host
    remain; the restarted nova-compute cleans them up, so retry until then.
    """
    from selfheal.lab import control
    name = _check_host(host)
    controller = control.Controller(lab, out=lambda line: out(line.strip()))
    svc = controller.by_name[name]
    if not controller.running(svc):
        # Its health (state up) needs force-down cleared first: below.
        controller.start_service(svc, wait=False)
    sess = cloud.admin_session(lab)
    deadline = time.monotonic() + timeout
    while True:
        current = compute_service(lab, host)
        body = {}
        if current.get('forced_down'):
            body['forced_down'] = False
        if current['status'] == 'disabled':
            body['status'] = 'enabled'
        if body:
            sess.put('/os-services/%s' % current['id'], json=body,
                     endpoint_filter=COMPUTE, headers=MICROVERSION,
                     raise_exc=False)
        elif health.ComputeUp(host)(lab)[0]:
            break
        if time.monotonic() > deadline:
            raise LabError('%s did not come back up in %d s: %s' % (
                name, timeout, current))
        time.sleep(2)
    for event_type in (HOST_DOWN, NIC_DOWN):
        post_doctor_event(lab, event_type, host, 'up', 'repaired')
    out('%s is up and enabled; posted Doctor %s and %s with status up'
        % (host, HOST_DOWN, NIC_DOWN))


def nic_down(lab, host, out=print):
    _check_host(host)
    post_doctor_event(lab, NIC_DOWN, host, 'down', 'link-down')
    out('posted Doctor %s for %s to Vitrage (as an external monitor)'
        % (NIC_DOWN, host))


def _server(lab, ref):
    sess = cloud.admin_session(lab)
    resp = sess.get('/servers/%s' % ref, endpoint_filter=COMPUTE,
                    raise_exc=False)
    if resp.status_code == 200:
        return resp.json()['server']
    found = sess.get('/servers/detail', params={
        'all_tenants': 1, 'name': '^%s$' % ref}, endpoint_filter=COMPUTE
    ).json()['servers']
    if len(found) != 1:
        raise LabError('%s servers named or with id %r'
                       % ('no' if not found else 'several', ref))
    return found[0]


def instance_error(lab, ref, out=print):
    server = _server(lab, ref)
    cloud.admin_session(lab).post(
        '/servers/%s/action' % server['id'],
        json={'os-resetState': {'state': 'error'}}, endpoint_filter=COMPUTE)
    out('server %s (%s): state reset to error'
        % (server['name'], server['id']))


def instance_delete(lab, ref, out=print):
    server = _server(lab, ref)
    cloud.admin_session(lab).delete('/servers/%s' % server['id'],
                                    endpoint_filter=COMPUTE)
    out('server %s (%s): deleted behind its owner\'s back'
        % (server['name'], server['id']))


ACTIONS = {
    'host-down': (host_down, 'host'),
    'host-up': (host_up, 'host'),
    'nic-down': (nic_down, 'host'),
    'instance-error': (instance_error, 'server'),
    'instance-delete': (instance_delete, 'server'),
}


def run(lab, args):
    func, attr = ACTIONS[args.fault]
    try:
        func(lab, getattr(args, attr))
    except LabError:
        raise
    except Exception as e:  # keystoneauth / HTTP errors: say what failed
        raise LabError('fault %s %s: %s: %s' % (
            args.fault, getattr(args, attr), type(e).__name__, e))
    return 0
