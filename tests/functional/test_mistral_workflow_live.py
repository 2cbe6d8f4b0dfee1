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

"""SelfHealing::Mistral::Workflow through real Heat and real Mistral.

Stacks go through the real Heat API (python-heatclient); the engine's
catalog points at a real Mistral, which the tests then read directly with
python-mistralclient.
"""

import time
import uuid

import pytest
import yaml

from heatclient import exc as heat_exc

from tests.functional import servers

pytestmark = pytest.mark.functional

STACK_TIMEOUT = 120

TEMPLATE = '''
heat_template_version: 2021-04-16
parameters:
  namespace: {type: string, default: ''}
resources:
  workflows:
    type: SelfHealing::Mistral::Workflow
    properties:
      definition: {get_file: workflows.yaml}
      namespace: {get_param: namespace}
outputs:
  workflow_names: {value: {get_attr: [workflows, workflow_names]}}
  workflow_ids: {value: {get_attr: [workflows, workflow_ids]}}
  workflow_inputs: {value: {get_attr: [workflows, workflow_inputs]}}
'''


def workflow(inputs=(), message='done'):
    """A small direct workflow: echo a message."""
    body = {'input': list(inputs)} if inputs else {}
    body['tasks'] = {'report': {'action': 'std.echo output="%s"' % message}}
    return body


def workflow_file(**workflows):
    document = {'version': '2.0'}
    document.update(workflows)
    return yaml.safe_dump(document, default_flow_style=False,
                          sort_keys=False)


@pytest.fixture(scope='module')
def heat(heat_server):
    return servers.heat_client(heat_server)


@pytest.fixture(scope='module')
def mistral(mistral_server):
    return servers.mistral_client(mistral_server)


@pytest.fixture
def prefix():
    """Workflow names unique to the test: Mistral is shared by the run."""
    return 'sh_%s_' % uuid.uuid4().hex[:8]


def wait_for_stack(heat, stack_id):
    deadline = time.monotonic() + STACK_TIMEOUT
    while True:
        try:
            stack = heat.stacks.get(stack_id)
        except heat_exc.HTTPNotFound:
            return None
        if not stack.stack_status.endswith('IN_PROGRESS'):
            return stack
        if time.monotonic() > deadline:
            pytest.fail('stack %s still %s after %s s' % (
                stack_id, stack.stack_status, STACK_TIMEOUT))
        time.sleep(0.2)


class Stacks(object):
    """The stacks a test makes through Heat's API; deleted at its end."""

    def __init__(self, heat):
        self.heat = heat
        self.ids = []

    def create(self, definition, **parameters):
        """Create a stack of TEMPLATE; return it once it has finished."""
        response = self.heat.stacks.create(
            stack_name='selfheal-%s' % uuid.uuid4().hex[:8],
            template=TEMPLATE, files={'workflows.yaml': definition},
            parameters=parameters)
        return self.finished(response['stack']['id'])

    def finished(self, stack_id):
        self.ids.append(stack_id)
        return wait_for_stack(self.heat, stack_id)

    def delete_all(self):
        for stack_id in self.ids:
            try:
                self.heat.stacks.delete(stack_id)
                wait_for_stack(self.heat, stack_id)
            except heat_exc.HTTPNotFound:
                pass


@pytest.fixture
def stacks(heat):
    made = Stacks(heat)
    yield made
    made.delete_all()


def update(heat, stack, definition, **parameters):
    heat.stacks.update(stack.id, template=TEMPLATE,
                       files={'workflows.yaml': definition},
                       parameters=parameters)
    return wait_for_stack(heat, stack.id)


def delete(heat, stack):
    heat.stacks.delete(stack.id)
    gone = wait_for_stack(heat, stack.id)
    if gone is not None:
        assert_status(gone, 'DELETE_COMPLETE')


def outputs(stack):
    return {o['output_key']: o['output_value'] for o in stack.outputs}


def in_mistral(mistral, prefix, namespace=''):
    """{name: workflow} Mistral holds in the namespace under the prefix."""
    # The client only filters on a non-empty namespace.
    return {wf.name: wf for wf in mistral.workflows.list(namespace=namespace)
            if wf.name.startswith(prefix) and wf.namespace == namespace}


def assert_status(stack, status):
    assert stack is not None, 'stack disappeared, expected %s' % status
    assert stack.stack_status == status, stack.stack_status_reason


def test_create_makes_every_workflow_of_the_definition(
        mistral, stacks, prefix):
    """A definition holding two workflows gives two workflows in Mistral."""
    notify, recover = prefix + 'notify', prefix + 'recover'
    definition = workflow_file(**{
        notify: workflow(['message']),
        recover: workflow(['server_id', {'attempts': 3}])})

    stack = stacks.create(definition)

    assert_status(stack, 'CREATE_COMPLETE')
    held = in_mistral(mistral, prefix)
    assert set(held) == {notify, recover}
    out = outputs(stack)
    assert out['workflow_names'] == [notify, recover]
    assert out['workflow_ids'] == {name: wf.id for name, wf in held.items()}
    assert out['workflow_inputs'] == {
        notify: ['message'], recover: ['server_id', {'attempts': 3}]}
    for wf in held.values():
        assert wf.scope == 'private'
        assert wf.namespace == ''


def test_update_changes_the_definition_in_place(
        heat, mistral, stacks, prefix):
    """A changed definition updates the same Mistral workflows."""
    notify, recover = prefix + 'notify', prefix + 'recover'
    stack = stacks.create(workflow_file(**{notify: workflow(),
                                           recover: workflow()}))
    assert_status(stack, 'CREATE_COMPLETE')
    ids_before = {n: wf.id for n, wf in in_mistral(mistral, prefix).items()}

    stack = update(heat, stack, workflow_file(**{
        notify: workflow(message='notified'),
        recover: workflow(['server_id'], message='recovered')}))

    assert_status(stack, 'UPDATE_COMPLETE')
    held = in_mistral(mistral, prefix)
    assert {n: wf.id for n, wf in held.items()} == ids_before
    assert 'notified' in mistral.workflows.get(held[notify].id).definition
    assert 'recovered' in mistral.workflows.get(held[recover].id).definition
    assert outputs(stack)['workflow_inputs'][recover] == ['server_id']


def test_update_adds_and_drops_workflows(heat, mistral, stacks, prefix):
    """Workflows added to the definition appear, dropped ones go away."""
    kept, dropped, added = (prefix + 'kept', prefix + 'dropped',
                            prefix + 'added')
    stack = stacks.create(workflow_file(**{kept: workflow(),
                                           dropped: workflow()}))
    assert_status(stack, 'CREATE_COMPLETE')
    kept_id = in_mistral(mistral, prefix)[kept].id

    stack = update(heat, stack, workflow_file(**{
        kept: workflow(message='still here'), added: workflow()}))

    assert_status(stack, 'UPDATE_COMPLETE')
    held = in_mistral(mistral, prefix)
    assert set(held) == {kept, added}
    assert held[kept].id == kept_id
    assert outputs(stack)['workflow_ids'] == {
        name: wf.id for name, wf in held.items()}


def test_namespace_reaches_mistral(heat, mistral, stacks, prefix):
    """The workflows live in the stack's namespace, and go with the stack.

    (scope: public is left out: Mistral lets only admins publish, and with
    its auth disabled here nobody is admin.)
    """
    name = prefix + 'spaced'
    stack = stacks.create(workflow_file(**{name: workflow()}),
                          namespace='selfheal-functional')
    assert_status(stack, 'CREATE_COMPLETE')

    held = in_mistral(mistral, prefix, namespace='selfheal-functional')
    assert set(held) == {name}
    assert held[name].namespace == 'selfheal-functional'
    assert in_mistral(mistral, prefix) == {}

    delete(heat, stack)
    assert in_mistral(mistral, prefix, namespace='selfheal-functional') == {}


def test_delete_removes_the_workflows(heat, mistral, stacks, prefix):
    """Deleting the stack deletes every workflow it created."""
    stack = stacks.create(workflow_file(**{prefix + 'a': workflow(),
                                           prefix + 'b': workflow()}))
    assert_status(stack, 'CREATE_COMPLETE')
    assert len(in_mistral(mistral, prefix)) == 2

    delete(heat, stack)

    assert in_mistral(mistral, prefix) == {}


def test_definition_mistral_refuses_fails_the_stack(mistral, stacks, prefix):
    """Mistral's refusal fails the stack with its message; nothing is left.

    The definition is valid, but one of its workflow names is taken, so
    only Mistral itself can refuse it (HTTP 409, "Duplicate entry").
    """
    taken, fresh = prefix + 'taken', prefix + 'fresh'
    mistral.workflows.create(workflow_file(**{taken: workflow()}))
    try:
        stack = stacks.create(workflow_file(**{fresh: workflow(),
                                               taken: workflow()}))

        assert_status(stack, 'CREATE_FAILED')
        assert 'Duplicate entry for WorkflowDefinition' in (
            stack.stack_status_reason)
        assert set(in_mistral(mistral, prefix)) == {taken}
    finally:
        mistral.workflows.delete(taken)


def test_invalid_definition_is_refused_before_anything_is_made(
        mistral, stacks, prefix):
    """Mistral's DSL parser rejects a misspelt key; no stack, no workflow."""
    definition = workflow_file(**{prefix + 'typo': {
        'tasks': {'a': {'action': 'std.noop', 'on-sucess': 'b'},
                  'b': {'action': 'std.noop'}}}})

    with pytest.raises(heat_exc.HTTPBadRequest) as refused:
        stacks.create(definition)

    message = str(refused.value)
    assert "'on-sucess' was unexpected" in message
    assert 'workflows' in message  # names the resource
    assert in_mistral(mistral, prefix) == {}


def test_definition_is_never_read_from_the_engine_host(
        heat, mistral, stacks, prefix, tmp_path):
    """A definition that looks like a path or URL is not fetched.

    python-mistralclient reads a file or URL given in place of a definition
    (utils.get_contents_if_file). Heat's engine must never do that for a
    tenant: the text reaches Mistral as written, or the stack fails.
    """
    on_engine_disk = tmp_path / 'engine_local.yaml'
    on_engine_disk.write_text(
        workflow_file(**{prefix + 'from_disk': workflow()}))
    template = yaml.safe_load(TEMPLATE)
    template['resources']['source'] = {
        'type': 'OS::Heat::Value',
        'properties': {'value': on_engine_disk.as_uri()}}
    template['resources']['workflows']['properties']['definition'] = {
        'get_attr': ['source', 'value']}

    try:
        response = heat.stacks.create(stack_name='selfheal-' + prefix[:-1],
                                      template=yaml.safe_dump(template))
    except heat_exc.HTTPBadRequest:
        pass  # refused up front: fine
    else:
        stacks.finished(response['stack']['id'])

    assert in_mistral(mistral, prefix) == {}
