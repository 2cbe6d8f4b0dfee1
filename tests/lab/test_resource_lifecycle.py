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

"""The resource types' lifecycle faults, produced for real on the lab.

Each fault comes from the real service: Vitrage's own API answering 404
while its database refuses the delete, Vitrage storing a template in ERROR
when a parameter makes it invalid once resolved, Mistral refusing to
delete a workflow a cron trigger uses.
"""

import contextlib
import subprocess
import uuid

import pytest

from tests.lab.helpers import vitrage_templates
from tests.lab.helpers import wait_for

pytestmark = pytest.mark.lab

# A host alarm named by a regular expression: valid as the API validates
# it (parameters unresolved), invalid once add resolves BAD_REGEX.
POLICY = '''
metadata:
  version: 3
  name: get_param(template_name)
  type: standard
  description: lab test of the template lifecycle; never fires
parameters:
  template_name:
  alarm_regex:
entities:
  host_alarm:
    category: ALARM
    name.regex: get_param(alarm_regex)
  host:
    type: nova.host
scenarios:
  - condition: host_alarm [on] host
    actions:
      - set_state:
          state: SUBOPTIMAL
          target: host
'''
BAD_REGEX = 'selfheal.lab.(never'

UNNAMED_STACK = '''
heat_template_version: 2021-04-16
parameters:
  alarm_regex: {type: string}
resources:
  policy:
    type: SelfHealing::Vitrage::Template
    properties:
      template: {get_file: policy.yaml}
      parameters:
        alarm_regex: {get_param: alarm_regex}
'''

FIXED_STACK = '''
heat_template_version: 2021-04-16
parameters:
  alarm_regex: {type: string}
  fixed_name: {type: string}
resources:
  policy:
    type: SelfHealing::Vitrage::Template
    properties:
      name: {get_param: fixed_name}
      template: {get_file: policy.yaml}
      parameters:
        alarm_regex: {get_param: alarm_regex}
'''

HEAT_26_STACK = '''
heat_template_version: rocky
resources:
  policy:
    type: OS::Vitrage::Template
    properties:
      template_file: {get_file: policy.yaml}
      template_params:
        alarm_regex: selfheal.lab.heat26
'''

WORKFLOWS = '''
version: '2.0'
%(prefix)s_kept:
  tasks:
    noop: {action: std.noop}
%(prefix)s_%(second)s:
  input: [who]
  tasks:
    noop: {action: std.noop}
'''

WORKFLOW_STACK = '''
heat_template_version: 2021-04-16
parameters:
  definition: {type: string}
resources:
  workflows:
    type: SelfHealing::Mistral::Workflow
    properties:
      definition: {get_param: definition}
'''


@pytest.fixture(scope='module')
def heat(lab, admin_session):
    from heatclient import client
    return client.Client('1', session=admin_session)


class Stacks:
    """Stacks of one test, deleted at the end whatever happened."""

    def __init__(self, heat):
        self.heat = heat
        self.ids = []

    def settled(self, stack_id):
        def probe():
            stack = self.heat.stacks.get(stack_id)
            if not stack.stack_status.endswith('IN_PROGRESS'):
                return stack
        return wait_for('stack %s to settle' % stack_id, probe, timeout=300)

    def create(self, template, files=None, **parameters):
        stack_id = self.heat.stacks.create(
            stack_name='lab-lifecycle-%s' % uuid.uuid4().hex[:6],
            template=template, files=files or {}, parameters=parameters,
            disable_rollback=True)['stack']['id']
        self.ids.append(stack_id)
        return self.settled(stack_id)

    def update(self, stack, **parameters):
        self.heat.stacks.update(stack.id, existing=True,
                                parameters=parameters)
        wait_for('the update to start', lambda: self.heat.stacks.get(
            stack.id).stack_status.startswith('UPDATE'))
        return self.settled(stack.id)

    def delete(self, stack):
        self.heat.stacks.delete(stack.id)
        return self.settled(stack.id)

    def reason(self, stack, resource):
        return self.heat.resources.get(stack.id,
                                       resource).resource_status_reason

    def cleanup(self):
        for stack_id in self.ids:
            with contextlib.suppress(Exception):
                self.heat.stacks.delete(stack_id)
                self.settled(stack_id)


@pytest.fixture
def stacks(heat):
    created = Stacks(heat)
    yield created
    created.cleanup()


@contextlib.contextmanager
def vitrage_database_refusing_updates(lab):
    """Vitrage's table refuses every UPDATE, as a failing database would:
    vitrage-graph's delete_template then raises and the API answers 404.
    """
    def sql(statement):
        subprocess.run(['mysql', '--socket', str(lab.mysql_socket),
                        'vitrage', '-e', statement], check=True,
                       capture_output=True, text=True, timeout=60)
    sql("CREATE TRIGGER selfheal_lab_refuse BEFORE UPDATE ON templates "
        "FOR EACH ROW SIGNAL SQLSTATE '45000' SET MESSAGE_TEXT = "
        "'refused by the lab test'")
    try:
        yield
    finally:
        sql('DROP TRIGGER IF EXISTS selfheal_lab_refuse')


def _active(vitrage, name):
    return wait_for('%s ACTIVE in Vitrage' % name, lambda: [
        t for t in vitrage_templates(vitrage, name)
        if t['status'] == 'ACTIVE'])[0]


def test_a_delete_vitrage_refuses_is_not_taken_for_done(lab, vitrage,
                                                        stacks):
    """Vitrage answers 404 and keeps the template: the stack says so."""
    name = 'selfheal-lab-refused-%s' % uuid.uuid4().hex[:6]
    stack = stacks.create(FIXED_STACK, {'policy.yaml': POLICY},
                          alarm_regex='selfheal.lab.never', fixed_name=name)
    assert stack.stack_status == 'CREATE_COMPLETE', stack.stack_status_reason
    template = _active(vitrage, name)

    with vitrage_database_refusing_updates(lab):
        stack = stacks.delete(stack)
        assert stack.stack_status == 'DELETE_FAILED'
        reason = stacks.reason(stack, 'policy')
        assert ('Vitrage still holds %s (ACTIVE) after 3 delete requests; '
                'last answer: Vitrage failed while deleting the definition: '
                'Failed to delete template. (HTTP 404)' % template['uuid']
                in reason), reason
        assert [t['status'] for t in vitrage_templates(vitrage, name)] == [
            'ACTIVE']

    stack = stacks.delete(stack)
    assert stack.stack_status == 'DELETE_COMPLETE', stack.stack_status_reason
    assert vitrage_templates(vitrage, name) == []


def test_a_replacement_in_error_never_leaves_the_cloud_without_policy(
        vitrage, stacks):
    """Vitrage stores the new template in ERROR: the old ones stay."""
    files = {'policy.yaml': POLICY}
    name = 'selfheal-lab-swap-%s' % uuid.uuid4().hex[:6]
    unnamed_stack = stacks.create(UNNAMED_STACK, files,
                                  alarm_regex='selfheal.lab.never')
    fixed_stack = stacks.create(FIXED_STACK, files,
                                alarm_regex='selfheal.lab.never',
                                fixed_name=name)
    for stack in (unnamed_stack, fixed_stack):
        assert stack.stack_status == 'CREATE_COMPLETE', \
            stack.stack_status_reason
    unnamed = stacks.heat.resources.get(unnamed_stack.id, 'policy')
    fixed = _active(vitrage, name)

    unnamed_stack = stacks.update(unnamed_stack, alarm_regex=BAD_REGEX)
    fixed_stack = stacks.update(fixed_stack, alarm_regex=BAD_REGEX)

    # Named after its resource: the old template was never touched.
    assert unnamed_stack.stack_status == 'UPDATE_FAILED'
    assert 'Invalid regular expression' in unnamed_stack.stack_status_reason
    held = {t['uuid']: t for t in vitrage.template.list()}
    assert held[unnamed.physical_resource_id]['status'] == 'ACTIVE'
    # A fixed name: swapped, refused, and the old template added back.
    assert fixed_stack.stack_status == 'UPDATE_FAILED'
    [restored] = vitrage_templates(vitrage, name)
    assert restored['status'] == 'ACTIVE'
    reason = stacks.reason(fixed_stack, 'policy')
    assert restored['uuid'] != fixed['uuid'], reason
    assert 'Invalid regular expression' in reason, reason
    assert ('the previous template was restored as %s' % restored['uuid']
            in reason), reason
    content = vitrage.template.show(restored['uuid'])
    assert content['entities']['host_alarm']['name.regex'] == (
        'selfheal.lab.never')

    for stack in (unnamed_stack, fixed_stack):
        stack = stacks.delete(stack)
        assert stack.stack_status == 'DELETE_COMPLETE', \
            stack.stack_status_reason
    held = {t['uuid']: t for t in vitrage.template.list()}
    assert unnamed.physical_resource_id not in held
    assert vitrage_templates(vitrage, name) == []
    # The templates stored in ERROR were removed too.
    assert not [t for t in held.values() if t['status'] == 'ERROR' and
                t['name'].startswith(unnamed_stack.stack_name)]


def test_a_template_written_for_heat_26_creates_unchanged(vitrage, stacks):
    """Vitrage's documented get_param(template_name), no default."""
    stack = stacks.create(HEAT_26_STACK, {'policy.yaml': POLICY})
    assert stack.stack_status == 'CREATE_COMPLETE', stack.stack_status_reason
    policy = stacks.heat.resources.get(stack.id, 'policy')
    held = {t['uuid']: t for t in vitrage.template.list()}
    # The name Heat 26 gave it: <stack>-<resource>-<short id>.
    assert held[policy.physical_resource_id]['name'].startswith(
        '%s-policy-' % stack.stack_name)

    stack = stacks.delete(stack)
    assert stack.stack_status == 'DELETE_COMPLETE', stack.stack_status_reason
    assert policy.physical_resource_id not in {
        t['uuid'] for t in vitrage.template.list()}


def test_a_half_failed_workflow_update_leaks_nothing(mistral, stacks):
    """Mistral refuses to drop a workflow a cron trigger uses."""
    prefix = 'selfheal_lab_%s' % uuid.uuid4().hex[:6]
    first = WORKFLOWS % {'prefix': prefix, 'second': 'dropped'}
    stack = stacks.create(WORKFLOW_STACK, definition=first)
    assert stack.stack_status == 'CREATE_COMPLETE', stack.stack_status_reason
    dropped = mistral.workflows.get('%s_dropped' % prefix)
    trigger = mistral.cron_triggers.create(
        prefix, dropped.id, workflow_input={'who': 'cron'},
        pattern='0 0 1 1 *')
    try:
        stack = stacks.update(stack, definition=WORKFLOWS % {
            'prefix': prefix, 'second': 'added'})
        assert stack.stack_status == 'UPDATE_FAILED'
        assert "Can't delete workflow that has cron triggers" in (
            stacks.reason(stack, 'workflows'))
        assert {w.name for w in mistral.workflows.list()
                if w.name.startswith(prefix)} == {
            prefix + '_kept', prefix + '_dropped', prefix + '_added'}

        stack = stacks.delete(stack)
        assert stack.stack_status == 'DELETE_FAILED'
        assert 'after 3 delete requests' in stacks.reason(stack, 'workflows')
    finally:
        mistral.cron_triggers.delete(trigger.name)

    stack = stacks.delete(stack)
    assert stack.stack_status == 'DELETE_COMPLETE', stack.stack_status_reason
    assert [w.name for w in mistral.workflows.list()
            if w.name.startswith(prefix)] == []
