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

"""Scenario 4: planned maintenance of a host suppresses healing on it.

The host is compute1, or compute2 when the scenarios' servers all run
there (after a host failure everything runs on the spare host).

The lab has no Aodh, so the operator marks the host the other documented
way (marker external): a Doctor event of type selfheal.host.maintenance.
"""

import time
import uuid

import pytest

from selfheal.lab import faults
from selfheal import measure
from tests.scenarios import helpers

pytestmark = pytest.mark.lab

HOSTS = ('compute1', 'compute2')
MARKER = 'selfheal.host.maintenance'
HOST_ATTR = 'OS-EXT-SRV-ATTR:host'
# Healing starts within seconds of a host alarm; watch this long for none.
WATCH_SECONDS = 30


def _host_alarms(cloud, host, name):
    return [a for a in cloud.alarms()
            if a.get('name') == name and a.get('hostname') == host]


def _deduced_on_host(cloud, host, name):
    graph_id = set(cloud.graph_ids([host]).values())
    return [a for a in cloud.alarms() if a.get('name') == name and
            a.get('vitrage_resource_id') in graph_id]


def test_maintenance_drains_suppresses_healing_and_ends(
        lab, cloud, stacks, deployed):
    """The host is drained, a fault on it heals nothing, the end enables it."""
    stack_ids = (deployed.group.id, deployed.seed.id)
    helpers.wait_settled(cloud, *stack_ids)
    ours = {s for sid in stack_ids
            for s in helpers.members(cloud, sid).values()}
    hosts = {h: [s['id'] for s in cloud.servers(host=h)
                 if s['status'] == 'ACTIVE'] for h in HOSTS}
    host = max(HOSTS, key=lambda h: len(ours.intersection(hosts[h])))
    other = [h for h in HOSTS if h != host][0]
    on_host = set(hosts[host])
    assert ours.intersection(on_host), 'nothing of ours runs on %s' % host
    name = 'scn-maint-' + uuid.uuid4().hex[:6]
    started = measure.now()
    marked = False
    try:
        faults.post_doctor_event(lab, MARKER, host, 'down',
                                 'planned maintenance')
        marked = True
        stacks.launch(name, 'planned_maintenance.yaml', host=host,
                      marker='external', reason='scenario 4')
        stacks.wait_created(name)

        # Drained: nothing runs on host; ours live-migrated, same ids.
        assert [s['id'] for s in cloud.servers(host=host)
                if s['status'] == 'ACTIVE'] == []
        for server_id in ours.intersection(on_host):
            server = cloud.server(server_id)
            assert (server['status'], server[HOST_ATTR]) == (
                'ACTIVE', other), server
            assert measure.instance_action_time(
                cloud, server_id, 'live-migration', started), server_id
        service = cloud.compute_service(host)
        assert service['status'] == 'disabled', service
        assert _deduced_on_host(cloud, host, helpers.IN_MAINTENANCE)

        # A fault during maintenance: the monitor reports compute1 down.
        fault_at = measure.now()
        faults.post_doctor_event(lab, faults.HOST_DOWN, host, 'down',
                                 'fault during maintenance')
        try:
            # Vitrage got it (so silence below means suppression)...
            measure.wait_until('Vitrage to hold %s on %s' % (
                faults.HOST_DOWN, host),
                lambda: _host_alarms(cloud, host, faults.HOST_DOWN), 60, 2)
            time.sleep(WATCH_SECONDS)
            # ...and nothing healed: no evacuation, no fencing.
            assert cloud.executions({helpers.EVACUATE_WORKFLOW},
                                    fault_at) == []
            assert cloud.compute_service(host)['forced_down'] is False
            assert _deduced_on_host(cloud, host, helpers.INSTANCE_DOWN) == []
        finally:
            faults.post_doctor_event(lab, faults.HOST_DOWN, host, 'up',
                                     'fault cleared')

        # Ending the maintenance (stack delete) re-enables the service.
        ended = stacks.delete(name)
        assert ended.returncode == 0, ended.stderr
        service = cloud.compute_service(host)
        assert (service['status'], service['state']) == (
            'enabled', 'up'), service
    finally:
        stacks.delete(name)
        if marked:
            faults.post_doctor_event(lab, MARKER, host, 'up',
                                     'maintenance over')
    measure.wait_until(
        '"%s" lifted from %s' % (helpers.IN_MAINTENANCE, host),
        lambda: not _deduced_on_host(cloud, host, helpers.IN_MAINTENANCE),
        60, 2)
