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

"""``selfheal lab demo``: the whole self-healing chain on the lab, timed.

up -> ``openstack stack create`` of the reference autohealing stack -> a
host failure (nova-compute stopped, Doctor event) -> Vitrage deduces ->
Mistral fences and evacuates -> servers ACTIVE elsewhere -> stack COMPLETE.
"""

import os
import subprocess
import time
import uuid

from selfheal.lab import bootstrap
from selfheal.lab import faults
from selfheal.lab import layout
from selfheal import measure

LabError = bootstrap.LabError
# The cloud-wide host failure policy (fencing, evacuation), then the group
# whose members heal through Heat.
POLICY_STACK = os.path.join('templates', 'host_evacuation_policy.yaml')
REFERENCE_STACK = os.path.join('templates', 'autohealing_group.yaml')
REFERENCE_ENV = os.path.join('templates', 'environment.yaml')
POLICY_TEMPLATE = os.path.join('vitrage_templates', 'host_down_evacuate.yaml')
HEAL_WORKFLOW = 'selfheal.heal_stack_member'
HEALING_WORKFLOWS = {HEAL_WORKFLOW, 'selfheal.evacuate_host'}
REFERENCE_PARAMETERS = ('image=' + bootstrap.IMAGE, 'flavor=m1.tiny',
                        'count=2')
POLL = 2.0


def _openstack(lab, *args):
    env = {k: v for k, v in os.environ.items() if not k.startswith('OS_')}
    argv = [str(lab.services_venv / 'bin' / 'openstack'), '--os-cloud',
            layout.CLOUD, *args]
    proc = subprocess.run(argv, capture_output=True, text=True, env=env)
    if proc.returncode:
        raise LabError('%s failed:\n%s' % (' '.join(argv[1:]),
                                           proc.stderr[-3000:]))
    return proc.stdout


class Progress:
    """What the demo sees while it waits, each thing once, as it happens."""

    def __init__(self, out, failed):
        self.out = out
        self.failed = failed  # ids of the servers on the failed host
        self.fault = measure.now()
        self.t0 = time.monotonic()
        self.seen = set()

    def once(self, key, what):
        if key not in self.seen:
            self.seen.add(key)
            self.out('  +%6.1fs  %s' % (time.monotonic() - self.t0, what))


def _healed(heal, stack, count, host, progress):
    """The probe: every server of the stack ACTIVE off host, stack done."""
    members = heal.servers_of_stack(stack)
    servers = [heal.server(s) for s in members.values()]
    if 'vitrage' not in progress.seen and measure.deduced_time(
            heal, progress.failed, progress.fault):
        progress.once('vitrage', 'Vitrage deduced alarms on the servers')
    if 'mistral' not in progress.seen and heal.executions(
            HEALING_WORKFLOWS, progress.fault):
        progress.once('mistral', 'Mistral started healing')
    running = [s for s in servers if s and s['status'] == 'ACTIVE' and
               s.get('OS-EXT-SRV-ATTR:host') != host]
    if len(running) < count:
        return measure.NotYet('%d of %d servers ACTIVE off %s' % (
            len(running), count, host))
    progress.once('active', '%d server(s) ACTIVE off %s' % (count, host))
    status = heal.stack(stack).stack_status
    if not status.endswith('_COMPLETE'):
        return measure.NotYet('stack %s' % status)
    return [s['id'] for s in running]


def _create(lab, out, name, template, environment, parameters):
    argv = ['stack', 'create', '--wait', '-t', template]
    if environment and os.path.exists(environment):
        argv += ['-e', environment]
    for parameter in parameters:
        argv += ['--parameter', parameter]
    out('== openstack stack create %s' % ' '.join(argv[2:] + [name]))
    started = time.monotonic()
    _openstack(lab, *argv, name)
    return time.monotonic() - started


def _default_template_name(path):
    import yaml
    with open(path) as f:
        return yaml.safe_load(f)['parameters']['template_name']['default']


def _already_deployed(heal, out):
    """(policy present, heal workflows present): both are cloud-wide."""
    policy = _default_template_name(_in_repo(POLICY_TEMPLATE))
    has_policy = any(t.get('name') == policy
                     for t in heal.vitrage.template.list())
    if has_policy:
        out('   Vitrage already has the host evacuation policy (template %s):'
            ' using it' % policy)
    has_workflows = any(w.name == HEAL_WORKFLOW
                        for w in heal.mistral.workflows.list())
    if has_workflows:
        out('   Mistral already has %s: using it (install_workflows=false)'
            % HEAL_WORKFLOW)
    return has_policy, has_workflows


def _in_repo(path):
    repo = layout.repo_root()
    return os.path.join(repo, path) if repo else path


def run(lab, args, out=print):
    from selfheal.lab import control
    template = args.template or _in_repo(REFERENCE_STACK)
    policy = None if args.template else _in_repo(POLICY_STACK)
    for path in filter(None, (template, policy)):
        if not os.path.exists(path):
            raise LabError('%s is not in this checkout; pass --template FILE'
                           % path)
    environment = args.environment or _in_repo(REFERENCE_ENV)
    parameters = args.parameter or (
        [] if args.template else list(REFERENCE_PARAMETERS))
    out('== selfheal lab up')
    control.Controller(lab, out=out).up()
    suffix = uuid.uuid4().hex[:6]
    stack = 'selfheal-demo-%s' % suffix
    stacks = [stack]
    heal = measure.Cloud.for_lab(lab)
    if policy:
        has_policy, has_workflows = _already_deployed(heal, out)
        if has_workflows:
            parameters.append('install_workflows=false')
        if not has_policy:
            stacks.insert(0, 'selfheal-demo-policy-%s' % suffix)
            _create(lab, out, stacks[0], policy, environment, ())
    elapsed = _create(lab, out, stack, template, environment, parameters)
    servers = [heal.server(i) for i in heal.servers_of_stack(stack).values()]
    if not servers:
        raise LabError('stack %s has no OS::Nova::Server to heal' % stack)
    hosts = [s.get('OS-EXT-SRV-ATTR:host') for s in servers]
    host = args.host or max(layout.COMPUTE_HOSTS, key=hosts.count)
    out('   CREATE_COMPLETE in %.0f s: %d server(s) on %s' % (
        elapsed, len(servers), ', '.join(
            '%s x%d' % (h, hosts.count(h)) for h in sorted(set(hosts)))))
    out('== fault host-down %s, then following the heal' % host)
    failed = [s['id'] for s in servers
              if s.get('OS-EXT-SRV-ATTR:host') == host]
    heal.graph_ids(failed)  # before Heat deletes them
    progress = Progress(out, failed)
    faults.host_down(lab, host, out=lambda line: None)
    progress.once('fault', 'fault injected: nova-compute on %s stopped, '
                  'Doctor compute.host.down posted' % host)
    try:
        running = measure.wait_until(
            'the stack to heal', lambda: _healed(
                heal, stack, len(servers), host, progress),
            args.timeout, POLL)
    except TimeoutError as e:
        running = None
        out('   %s' % e)
    if running:
        timeline = measure.heal_timeline(
            heal, measure.doctor_alarm_time(
                heal, host, faults.HOST_DOWN) or progress.fault,
            stack_id=stack, affected=progress.failed,
            workflows=HEALING_WORKFLOWS,
            running=running)
        out('== the heal, as Nova, Vitrage, Mistral and Heat recorded it')
        for line in timeline.lines():
            out(line)
    if not args.keep:
        out('== cleaning up: host-up %s, stack delete' % host)
        faults.host_up(lab, host, out=lambda line: None)
        for name in reversed(stacks):
            _openstack(lab, 'stack', 'delete', '--yes', '--wait', name)
    if not running:
        raise LabError('the stack did not heal within %.0f s; see `selfheal '
                       'lab logs vitrage-graph`, `... mistral`' % args.timeout)
    out('== healed in %.0f s after the fault' % timeline.total)
    return 0
