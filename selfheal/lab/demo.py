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
from selfheal.lab import cloud
from selfheal.lab import faults
from selfheal.lab import layout

LabError = bootstrap.LabError
# The cloud-wide host failure policy (fencing, evacuation), then the group
# whose members heal through Heat.
POLICY_STACK = os.path.join('templates', 'host_evacuation_policy.yaml')
REFERENCE_STACK = os.path.join('templates', 'autohealing_group.yaml')
REFERENCE_ENV = os.path.join('templates', 'environment.yaml')
POLICY_TEMPLATE = os.path.join('vitrage_templates', 'host_down_evacuate.yaml')
HEAL_WORKFLOW = 'selfheal.heal_stack_member'
REFERENCE_PARAMETERS = ('image=' + bootstrap.IMAGE, 'flavor=m1.tiny',
                        'count=2')
ORCHESTRATION = {'service_type': 'orchestration', 'interface': 'public'}
POLL = 0.5


def _openstack(lab, *args):
    env = {k: v for k, v in os.environ.items() if not k.startswith('OS_')}
    argv = [str(lab.services_venv / 'bin' / 'openstack'), '--os-cloud',
            layout.CLOUD, *args]
    proc = subprocess.run(argv, capture_output=True, text=True, env=env)
    if proc.returncode:
        raise LabError('%s failed:\n%s' % (' '.join(argv[1:]),
                                           proc.stderr[-3000:]))
    return proc.stdout


def stack_servers(lab, stack):
    """{server id: server} of every OS::Nova::Server in the stack."""
    sess = cloud.admin_session(lab)
    resources = sess.get('/stacks/%s/resources?nested_depth=5' % stack,
                         endpoint_filter=ORCHESTRATION).json()['resources']
    servers = {}
    for res in resources:
        if res['resource_type'] == 'OS::Nova::Server' and \
                res.get('physical_resource_id'):
            servers[res['physical_resource_id']] = _server(
                lab, res['physical_resource_id'])
    return {k: v for k, v in servers.items() if v}


def _server(lab, ident):
    resp = cloud.admin_session(lab).get(
        '/servers/%s' % ident, endpoint_filter=faults.COMPUTE,
        headers=faults.MICROVERSION, raise_exc=False)
    return resp.json()['server'] if resp.status_code == 200 else None


def _stack_status(lab, stack):
    return cloud.admin_session(lab).get(
        '/stacks/%s' % stack, endpoint_filter=ORCHESTRATION
    ).json()['stack']['stack_status']


class Timeline:
    def __init__(self, out):
        self.out = out
        self.t0 = None
        self.events = []

    def mark(self, what):
        now = time.monotonic()
        if self.t0 is None:
            self.t0 = now
        self.events.append((now - self.t0, what))
        self.out('  +%6.1fs  %s' % (now - self.t0, what))


def _clients(lab):
    from mistralclient.api import client as mistral_client
    from vitrageclient import client as vitrage_client
    sess = cloud.admin_session(lab)
    return (vitrage_client.Client('1', session=sess, interface='public'),
            mistral_client.client(session=sess,
                                  mistral_url=lab.url('mistral', '/v2')))


def _executions(mistral):
    return mistral.executions.list(all_projects=True)


def _follow(lab, stack, host, before, timeline, timeout):
    """Poll until every server is ACTIVE off the failed host."""
    vitrage, mistral = _clients(lab)
    seen = set()
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if 'vitrage' not in seen:
            alarms = vitrage.alarm.list(vitrage_id='all', all_tenants=True)
            deduced = [a for a in alarms if a.get('vitrage_type') == 'vitrage']
            if deduced:
                seen.add('vitrage')
                timeline.mark('Vitrage deduced %d alarm(s): %s' % (
                    len(deduced), ', '.join(sorted({a['name']
                                                    for a in deduced}))))
        if 'mistral' not in seen:
            new = [e for e in _executions(mistral) if e.id not in before]
            # Top-level executions, not the sub-workflows they start.
            top = [e for e in new if not getattr(
                e, 'task_execution_id', None)] or new
            if new:
                seen.add('mistral')
                timeline.mark('Mistral started %s' % ', '.join(
                    sorted({e.workflow_name for e in top})))
        current = stack_servers(lab, stack)
        healed = [s for s in current.values() if s['status'] == 'ACTIVE' and
                  s.get('OS-EXT-SRV-ATTR:host') != host]
        if 'active' not in seen and current and len(healed) == len(current):
            seen.add('active')
            timeline.mark('%d instance(s) ACTIVE again on %s' % (
                len(healed), ', '.join(sorted({
                    s['OS-EXT-SRV-ATTR:host'] for s in healed}))))
        if 'active' in seen:
            status = _stack_status(lab, stack)
            if status.endswith('_COMPLETE'):
                timeline.mark('stack %s' % status)
                return True
        time.sleep(POLL)
    return False


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


def _already_deployed(lab, out):
    """(policy present, heal workflows present): both are cloud-wide."""
    vitrage, mistral = _clients(lab)
    policy = _default_template_name(_in_repo(POLICY_TEMPLATE))
    has_policy = any(t.get('name') == policy
                     for t in vitrage.template.list())
    if has_policy:
        out('   Vitrage already has the host evacuation policy (template %s):'
            ' using it' % policy)
    has_workflows = any(w.name == HEAL_WORKFLOW
                        for w in mistral.workflows.list())
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
    if policy:
        has_policy, has_workflows = _already_deployed(lab, out)
        if has_workflows:
            parameters.append('install_workflows=false')
        if not has_policy:
            stacks.insert(0, 'selfheal-demo-policy-%s' % suffix)
            _create(lab, out, stacks[0], policy, environment, ())
    elapsed = _create(lab, out, stack, template, environment, parameters)
    servers = stack_servers(lab, stack)
    if not servers:
        raise LabError('stack %s has no OS::Nova::Server to heal' % stack)
    hosts = [s.get('OS-EXT-SRV-ATTR:host') for s in servers.values()]
    host = args.host or max(layout.COMPUTE_HOSTS, key=hosts.count)
    out('   CREATE_COMPLETE in %.0f s: %d server(s) on %s' % (
        elapsed, len(servers), ', '.join(
            '%s x%d' % (h, hosts.count(h)) for h in sorted(set(hosts)))))
    out('== fault host-down %s, then following the heal' % host)
    timeline = Timeline(out)
    before = {e.id for e in _executions(_clients(lab)[1])}
    faults.host_down(lab, host, out=lambda line: None)
    timeline.mark('fault injected: nova-compute on %s stopped, Doctor '
                  'compute.host.down posted' % host)
    healed = _follow(lab, stack, host, before, timeline, args.timeout)
    if not args.keep:
        out('== cleaning up: host-up %s, stack delete' % host)
        faults.host_up(lab, host, out=lambda line: None)
        for name in reversed(stacks):
            _openstack(lab, 'stack', 'delete', '--yes', '--wait', name)
    if not healed:
        raise LabError('the stack did not heal within %.0f s; see `selfheal '
                       'lab logs vitrage-graph`, `... mistral`' % args.timeout)
    out('== healed in %.1f s after the fault' % timeline.events[-1][0])
    return 0
