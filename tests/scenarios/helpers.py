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

"""What the scenarios deploy and read back from the services.

Every fact a scenario asserts is read here from Nova, Heat, Mistral or
Vitrage; nothing counts on its own.
"""

import concurrent.futures
import datetime
import json
import pathlib

import yaml

from selfheal.lab import bootstrap
from selfheal import measure

REPO = pathlib.Path(__file__).resolve().parents[2]
TEMPLATES = REPO / 'templates'
ENVIRONMENT = TEMPLATES / 'environment.yaml'
IMAGE = bootstrap.IMAGE
FLAVOR = 'm1.tiny'

HEAL_WORKFLOW = 'selfheal.heal_stack_member'
EVACUATE_WORKFLOW = 'selfheal.evacuate_host'
HOST_POLICY_TEMPLATE = 'selfheal-host-down-evacuate'
# Reason prefix of the marks selfheal.heal_stack_member sets.
MARK_PREFIX = 'selfheal:'
INSTANCE_DOWN = 'Instance Down'
IN_MAINTENANCE = 'Host In Maintenance'

CREATE_TIMEOUT = 900
HEAL_TIMEOUT = 420
FINISHED = ('SUCCESS', 'ERROR', 'CANCELLED')


class Stacks:
    """Stacks of this session: `openstack stack create`, deleted at the end."""

    def __init__(self, openstack, cloud):
        self.openstack = openstack
        self.cloud = cloud
        self.names = []

    def launch(self, name, template, environment=ENVIRONMENT, **parameters):
        """Start `openstack stack create` of templates/<template>; no wait."""
        path = pathlib.Path(template)
        if not path.is_absolute():
            path = TEMPLATES / path
        argv = ['stack', 'create', '-t', str(path)]
        if environment:
            argv += ['-e', str(environment)]
        for key, value in parameters.items():
            if isinstance(value, bool):
                value = str(value).lower()
            argv += ['--parameter', '%s=%s' % (key, value)]
        self.names.append(name)
        self.openstack.run(*argv, name)
        return name

    def wait_created(self, name, timeout=CREATE_TIMEOUT):
        stack = measure.wait_until(
            'stack %s to finish creating' % name,
            lambda: _finished(self.cloud.stack(name)), timeout, interval=3)
        assert stack.stack_status == 'CREATE_COMPLETE', (
            'stack %s: %s: %s' % (name, stack.stack_status,
                                  stack.stack_status_reason))
        return stack

    def delete(self, name):
        """`openstack stack delete --wait`; returns the finished process."""
        if name not in self.names:
            return None
        self.names.remove(name)
        return self.openstack.run('stack', 'delete', '--yes', '--wait', name,
                                  check=False)

    def delete_all(self):
        with concurrent.futures.ThreadPoolExecutor(4) as pool:
            list(pool.map(self.delete, list(reversed(self.names))))


def _finished(stack):
    return stack if not stack.stack_status.endswith('IN_PROGRESS') else None


def workflow_exists(cloud, name):
    return any(w.name == name for w in cloud.mistral.workflows.list())


def refuse_foreign_policy(cloud, timeout=120):
    """Wait a little for another holder of the host policy to go.

    The policy is once per cloud; fail saying what is held.
    """
    def held():
        template = any(t['name'] == HOST_POLICY_TEMPLATE
                       for t in cloud.vitrage.template.list())
        workflow = workflow_exists(cloud, EVACUATE_WORKFLOW)
        if template or workflow:
            return measure.NotYet(
                'Vitrage template %s held: %s, workflow %s held: %s' % (
                    HOST_POLICY_TEMPLATE, template, EVACUATE_WORKFLOW,
                    workflow))
        return True
    try:
        measure.wait_until('the cloud-wide host policy to be free', held,
                           timeout, 10)
    except TimeoutError as e:
        raise AssertionError('another stack holds the cloud-wide host '
                             'policy; delete it first (%s)' % e) from None


# -- Reading a stack back ---------------------------------------------------

def members(cloud, stack_id):
    """{member key: server id}; the key survives a replacement."""
    return cloud.servers_of_stack(stack_id)


def unsettled(cloud, stack_ids):
    """What keeps the stacks from being settled; empty when settled.

    A stack not COMPLETE, a member not ACTIVE, a selfheal execution running.
    """
    problems = []
    for stack_id in stack_ids:
        stack = cloud.stack(stack_id)
        if not stack.stack_status.endswith('_COMPLETE'):
            problems.append('%s is %s' % (stack.stack_name,
                                          stack.stack_status))
            continue
        for server_id in members(cloud, stack_id).values():
            server = cloud.server(server_id)
            if not server or server['status'] != 'ACTIVE':
                problems.append('%s member %s is %s' % (
                    stack.stack_name, server_id,
                    server and server['status']))
    running = [e.id for e in cloud.mistral.executions.list(
        state='RUNNING', all_projects=True, limit=100)
        if e.workflow_name.startswith('selfheal.')]
    if running:
        problems.append('selfheal executions running: %s' % running)
    return problems


def wait_settled(cloud, *stack_ids, timeout=HEAL_TIMEOUT):
    last = []

    def probe():
        last[:] = unsettled(cloud, stack_ids)
        return not last
    try:
        measure.wait_until('the stacks to settle', probe, timeout, 3)
    except TimeoutError as e:
        raise AssertionError('%s: %s' % (e, '; '.join(last))) from None


def heal_marks(cloud, member_key, since=None):
    """Heat's CHECK_FAILED events selfheal put on one member resource."""
    stack_id, name = member_key.split('/')
    events = cloud.heat.events.list(stack_id, filters={
        'resource_name': name, 'resource_action': 'CHECK',
        'resource_status': 'FAILED'})
    return [e for e in events
            if (e.resource_status_reason or '').startswith(MARK_PREFIX) and
            (since is None or measure.parse_time(e.event_time) >=
             since.replace(microsecond=0))]


def heal_budget(cloud):
    """(max_heals, window) as the heal workflow in Mistral declares them."""
    definition = yaml.safe_load(cloud.mistral.workflows.get(
        HEAL_WORKFLOW).definition)
    inputs = {}
    for item in definition[HEAL_WORKFLOW]['input']:
        if isinstance(item, dict):
            inputs.update(item)
    return int(inputs['max_heals']), int(inputs['heal_window_seconds'])


def has_heal_budget(cloud, member_key):
    """False when selfheal would refuse to heal the member again now."""
    max_heals, window = heal_budget(cloud)
    since = measure.now() - datetime.timedelta(seconds=window)
    return len(heal_marks(cloud, member_key, since)) < max_heals


def reset_errors(cloud, server_ids):
    """Give back servers left in ERROR (reset-state to active)."""
    for server_id in server_ids:
        if (cloud.server(server_id) or {}).get('status') == 'ERROR':
            cloud.nova('/servers/%s/action' % server_id, method='POST',
                       json={'os-resetState': {'state': 'active'}})


def pick_members(cloud, members, count, exclude=()):
    """count members with the most heal budget left, in a stable order."""
    candidates = sorted(k for k in members if k not in exclude)
    candidates.sort(key=lambda k: len(heal_marks(cloud, k)))
    return candidates[:count]


def replacements(cloud, member_key, since):
    """Servers Heat created for one member resource since a moment."""
    stack_id, name = member_key.split('/')
    return [e for e in cloud.heat.events.list(stack_id, filters={
        'resource_name': name, 'resource_action': 'CREATE',
        'resource_status': 'COMPLETE'})
        if measure.parse_time(e.event_time) >= since.replace(microsecond=0)]


def heal_executions(cloud, server_id, since):
    """Executions of the heal workflow Vitrage started for a server."""
    return [e for e in cloud.executions({HEAL_WORKFLOW}, since)
            if json.loads(e.input).get('instance_id') == server_id]


def result_of(cloud, execution):
    """The workflow's output result (heal) or report (evacuation)."""
    done = cloud.mistral.executions.get(execution.id)
    output = json.loads(done.output or '{}')
    return done, output.get('result') or output.get('report') or {}


def wait_finished(cloud, executions, timeout=HEAL_TIMEOUT):
    ids = [e.id for e in executions]

    def probe():
        got = [cloud.mistral.executions.get(i) for i in ids]
        return got if all(e.state in FINISHED for e in got) else None
    return measure.wait_until('executions %s to finish' % ids, probe,
                              timeout, 2)


def causes(rca, alarm_id):
    """Names of the alarms Vitrage's RCA shows causing alarm_id."""
    nodes = rca['nodes']

    def node(ref):  # node-link data names nodes by id or by index
        if isinstance(ref, int):
            return nodes[ref]
        return next(n for n in nodes if ref in (n.get('id'),
                                                n.get('vitrage_id')))
    return sorted(node(ln['source'])['name'] for ln in rca['links']
                  if node(ln['target'])['vitrage_id'] == alarm_id and
                  ln.get('relationship_type') == 'causes')


def deduced_alarms(cloud, name_prefix):
    return [a for a in cloud.alarms()
            if a.get('vitrage_type') == 'vitrage' and
            a.get('name', '').startswith(name_prefix)]


def inject_together(func, lab, targets):
    """Inject the same fault on several targets at once, as a storm does."""
    with concurrent.futures.ThreadPoolExecutor(len(targets)) as pool:
        list(pool.map(lambda t: func(lab, t, out=lambda line: None),
                      targets))
