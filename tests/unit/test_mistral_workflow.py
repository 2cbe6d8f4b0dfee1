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

"""SelfHealing::Mistral::Workflow in the real Heat engine, on a real Mistral.

The engine runs in-process; Mistral is a real server on 127.0.0.1. The
client is wrapped only to inject what Mistral cannot do on demand: a
server error, or being unreachable.
"""

import textwrap

from keystoneauth1 import exceptions as ks_exceptions
from mistralclient.api import base as mistral_base
import pytest

from heat.common import exception

from heat_plugins import definition_checks
from tests.unit.mistral_boundary import NAMESPACE

WORKFLOWS = textwrap.dedent("""\
    ---
    version: '2.0'

    unit.greet:
      description: Say hello.
      input:
        - who
        - greeting: Hello
      tasks:
        greet:
          action: std.echo output="<% $.greeting %>, <% $.who %>"
          publish:
            text: <% task().result %>
          on-success: done
        done:
          action: std.noop

    unit.farewell:
      input:
        - who
      tasks:
        bye:
          action: std.echo output="Bye, <% $.who %>"
    """)

STACK = textwrap.dedent("""\
    heat_template_version: 2021-04-16
    resources:
      workflows:
        type: SelfHealing::Mistral::Workflow
        properties:
          definition: {get_file: workflows.yaml}
          namespace: unit-tests
    outputs:
      names: {value: {get_attr: [workflows, workflow_names]}}
      ids: {value: {get_attr: [workflows, workflow_ids]}}
      inputs: {value: {get_attr: [workflows, workflow_inputs]}}
    """)


def _in_mistral(mistral):
    return {wf.name: wf for wf in mistral.real.list(namespace=NAMESPACE)}


def _stack(heat, definition=WORKFLOWS, template=STACK, existing=None):
    return heat.build_stack(heat.context(), 'mistral_stack', template,
                            files={'workflows.yaml': definition},
                            existing=existing)


def _create(stack):
    stack.validate()
    stack.store()
    stack.create()
    return stack


def test_create_makes_every_workflow_of_the_file(heat, mistral):
    stack = _create(_stack(heat))

    assert stack.state == (stack.CREATE, stack.COMPLETE), stack.status_reason
    live = _in_mistral(mistral)
    assert set(live) == {'unit.greet', 'unit.farewell'}
    outputs = heat.outputs(stack)
    assert outputs['names'] == ['unit.greet', 'unit.farewell']
    assert outputs['ids'] == {name: wf.id for name, wf in live.items()}
    assert outputs['inputs']['unit.greet'] == ['who', {'greeting': 'Hello'}]


def test_update_changes_the_definition_in_place(heat, mistral, lifecycle):
    stack = lifecycle.create(_stack(heat))
    before = {n: wf.id for n, wf in _in_mistral(mistral).items()}

    changed = WORKFLOWS.replace('greeting: Hello', 'greeting: Bonjour')
    stack = lifecycle.update(stack, _stack(heat, changed, existing=stack))

    assert stack.state == (stack.UPDATE, stack.COMPLETE), stack.status_reason
    live = _in_mistral(mistral)
    assert {n: wf.id for n, wf in live.items()} == before
    assert 'Bonjour' in mistral.real.get(
        'unit.greet', namespace=NAMESPACE).definition


def test_update_adds_and_drops_workflows(heat, mistral, lifecycle):
    stack = lifecycle.create(_stack(heat))
    greet_id = _in_mistral(mistral)['unit.greet'].id

    changed = WORKFLOWS.replace('unit.farewell:', 'unit.goodbye:')
    stack = lifecycle.update(stack, _stack(heat, changed, existing=stack))

    assert stack.state == (stack.UPDATE, stack.COMPLETE), stack.status_reason
    live = _in_mistral(mistral)
    assert set(live) == {'unit.greet', 'unit.goodbye'}
    assert live['unit.greet'].id == greet_id
    assert lifecycle.outputs(stack)['names'] == ['unit.greet',
                                                 'unit.goodbye']


def test_check_and_delete(heat, mistral, lifecycle):
    stack = lifecycle.create(_stack(heat))
    stack = lifecycle.check(stack)
    assert stack.state == (stack.CHECK, stack.COMPLETE), stack.status_reason

    mistral.real.delete('unit.farewell', namespace=NAMESPACE)
    stack = lifecycle.check(stack)
    assert stack.state == (stack.CHECK, stack.FAILED)
    assert 'workflows missing: unit.farewell' in (
        stack['workflows'].status_reason)

    stack = lifecycle.delete(stack)
    assert stack.state == (stack.DELETE, stack.COMPLETE), stack.status_reason
    assert _in_mistral(mistral) == {}


def test_a_workflow_deleted_behind_heats_back_comes_back_on_update(
        heat, mistral, lifecycle):
    stack = lifecycle.create(_stack(heat))
    mistral.real.delete('unit.farewell', namespace=NAMESPACE)
    stack = lifecycle.check(stack)
    assert stack.state == (stack.CHECK, stack.FAILED)

    stack = lifecycle.update(stack, _stack(heat, existing=stack))

    assert stack.state == (stack.UPDATE, stack.COMPLETE), stack.status_reason
    assert set(_in_mistral(mistral)) == {'unit.greet', 'unit.farewell'}
    stack = lifecycle.delete(stack)
    assert _in_mistral(mistral) == {}


def test_delete_tolerates_workflows_already_gone(heat, mistral):
    stack = _create(_stack(heat))
    mistral.real.delete('unit.greet', namespace=NAMESPACE)
    stack.delete()

    assert stack.state == (stack.DELETE, stack.COMPLETE), stack.status_reason


def _cron_trigger(mistral_client, workflow):
    """A real Mistral reason to refuse deleting a workflow."""
    return mistral_client.cron_triggers.create(
        'unit-keeps-%s' % workflow.name, workflow.id,
        workflow_input={'who': 'cron'}, pattern='0 0 1 1 *')


def test_a_refused_delete_fails_with_mistrals_words_and_keeps_the_record(
        heat, mistral, mistral_client, lifecycle):
    stack = lifecycle.create(_stack(heat))
    farewell = _in_mistral(mistral)['unit.farewell']
    trigger = _cron_trigger(mistral_client, farewell)
    try:
        stack = lifecycle.delete(stack)

        assert stack.state == (stack.DELETE, stack.FAILED)
        reason = stack.status_reason
        assert 'Error: resources.workflows: Mistral still holds ' in reason
        assert 'after 3 delete requests; last answer: Mistral failed ' \
            'while deleting the definition: ' in reason
        assert "Can't delete workflow that has cron triggers" in reason
        assert set(_in_mistral(mistral)) == {'unit.farewell'}
    finally:
        mistral_client.cron_triggers.delete(trigger.name)

    stack = lifecycle.delete(stack)
    assert stack.state == (stack.DELETE, stack.COMPLETE), stack.status_reason
    assert _in_mistral(mistral) == {}


def test_a_half_failed_update_leaks_nothing(heat, mistral, mistral_client,
                                            lifecycle):
    stack = lifecycle.create(_stack(heat))
    trigger = _cron_trigger(mistral_client, _in_mistral(mistral)[
        'unit.farewell'])
    changed = WORKFLOWS.replace('unit.farewell:', 'unit.goodbye:')
    try:
        # unit.goodbye is created, then Mistral refuses to drop
        # unit.farewell.
        stack = lifecycle.update(stack, _stack(heat, changed,
                                               existing=stack))
        assert stack.state == (stack.UPDATE, stack.FAILED)
        assert "Can't delete workflow that has cron triggers" in (
            stack.status_reason)
        assert set(_in_mistral(mistral)) == {
            'unit.greet', 'unit.farewell', 'unit.goodbye'}
    finally:
        mistral_client.cron_triggers.delete(trigger.name)

    # Retried, the update finds unit.goodbye its own: no 409.
    stack = lifecycle.update(stack, _stack(heat, changed, existing=stack))
    assert stack.state == (stack.UPDATE, stack.COMPLETE), stack.status_reason
    assert set(_in_mistral(mistral)) == {'unit.greet', 'unit.goodbye'}

    stack = lifecycle.delete(stack)
    assert stack.state == (stack.DELETE, stack.COMPLETE), stack.status_reason
    assert _in_mistral(mistral) == {}


def test_a_half_failed_update_then_delete_leaves_no_workflow(
        heat, mistral, lifecycle):
    stack = lifecycle.create(_stack(heat))
    mistral.fail['delete'] = mistral_base.APIException(
        500, 'Internal Server Error')
    changed = WORKFLOWS.replace('unit.farewell:', 'unit.goodbye:')

    stack = lifecycle.update(stack, _stack(heat, changed, existing=stack))
    assert stack.state == (stack.UPDATE, stack.FAILED)

    stack = lifecycle.delete(stack)
    assert stack.state == (stack.DELETE, stack.COMPLETE), stack.status_reason
    assert _in_mistral(mistral) == {}


def test_reference_is_the_first_workflows_name(heat, mistral, lifecycle):
    template = STACK + textwrap.indent(
        "first: {value: {get_resource: workflows}}\n", '  ')
    stack = lifecycle.create(_stack(heat, template=template))

    assert stack.state == (stack.CREATE, stack.COMPLETE), stack.status_reason
    assert lifecycle.outputs(stack)['first'] == 'unit.greet'


def test_server_error_on_create_fails_clearly_and_leaves_nothing(heat,
                                                                 mistral):
    mistral.fail['create'] = [mistral_base.APIException(
        500, 'Internal Server Error') for _attempt in range(3)]
    stack = _create(_stack(heat))

    assert stack.state == (stack.CREATE, stack.FAILED)
    assert stack['workflows'].status_reason == (
        'Error: resources.workflows: Mistral failed while storing the '
        'definition: HTTP 500: Internal Server Error')
    assert _in_mistral(mistral) == {}


def test_workflows_stored_despite_an_error_answer_are_owned(
        heat, mistral, lifecycle):
    # The error page a WSGI server gives once the commit is done.
    mistral.fail_after['create'] = mistral_base.APIException(500, b'')
    stack = lifecycle.create(_stack(heat))

    assert stack.state == (stack.CREATE, stack.COMPLETE), stack.status_reason
    assert set(_in_mistral(mistral)) == set(
        lifecycle.outputs(stack)['names'])
    stack = lifecycle.delete(stack)
    assert _in_mistral(mistral) == {}


def test_a_create_mistral_did_not_make_is_asked_again(heat, mistral,
                                                      lifecycle):
    # cheroot's empty 408 when a request body comes late.
    mistral.fail['create'] = mistral_base.APIException(408, b'')
    stack = lifecycle.create(_stack(heat))

    assert stack.state == (stack.CREATE, stack.COMPLETE), stack.status_reason
    assert mistral.calls.count('create') == 2
    assert set(_in_mistral(mistral)) == {'unit.greet', 'unit.farewell'}


def test_a_refusal_is_not_asked_again(heat, mistral):
    mistral.fail['create'] = mistral_base.APIException(
        403, 'workflows:publicize is disallowed by policy')
    stack = _create(_stack(heat))

    assert stack['workflows'].status_reason.endswith(
        'HTTP 403: workflows:publicize is disallowed by policy')
    assert mistral.calls.count('create') == 1
    assert _in_mistral(mistral) == {}


def test_an_empty_error_answer_is_described(heat, mistral):
    mistral.fail['create'] = [mistral_base.APIException(502, b'')
                              for _attempt in range(3)]
    stack = _create(_stack(heat))

    assert stack['workflows'].status_reason == (
        'Error: resources.workflows: Mistral failed while storing the '
        'definition: HTTP 502: no error message')
    assert _in_mistral(mistral) == {}


def test_unreachable_mistral_fails_clearly(heat, mistral):
    mistral.fail['validate'] = ks_exceptions.ConnectFailure(
        'Unable to establish connection to http://127.0.0.1:8989/v2')
    stack = _create(_stack(heat))

    assert stack.state == (stack.CREATE, stack.FAILED)
    assert stack['workflows'].status_reason == (
        'Error: resources.workflows: Mistral is unreachable while '
        'validating: Unable to establish connection to '
        'http://127.0.0.1:8989/v2')
    assert _in_mistral(mistral) == {}


def _validation_error(heat, definition):
    with pytest.raises(exception.StackValidationFailed) as err:
        _stack(heat, definition).validate()
    return str(err.value)


def test_dsl_error_is_refused_before_anything_is_created(heat, mistral):
    broken = WORKFLOWS.replace('on-success: done', 'on-sucess: done')
    message = _validation_error(heat, broken)

    assert message == (
        'resources.workflows.properties.definition: Invalid DSL: '
        "Additional properties are not allowed ('on-sucess' was unexpected) "
        '(line 14)')
    assert _in_mistral(mistral) == {}


def test_unknown_action_is_refused(heat, mistral):
    broken = WORKFLOWS.replace('action: std.noop', 'action: nova.servers_fix')
    message = _validation_error(heat, broken)

    assert message == (
        "resources.workflows.properties.definition: Task 'done' of workflow "
        "'unit.greet' uses action 'nova.servers_fix', which neither Mistral "
        'nor mistral-extra provides (line 16)')


def test_without_mistral_installed_the_api_validates(heat, mistral,
                                                     monkeypatch):
    monkeypatch.setattr(definition_checks, 'mistral_parser_available',
                        lambda: False)
    broken = WORKFLOWS.replace('on-success: done', 'on-success: nowhere')
    message = _validation_error(heat, broken)

    assert 'Mistral rejected the definition: ' in message
    assert 'nowhere' in message


def test_unparsable_yaml_is_refused(heat, mistral):
    message = _validation_error(heat, "version: '2.0'\nwf: [tasks\n")
    assert message == (
        'resources.workflows.properties.definition: The Mistral definition '
        "is not valid YAML: while parsing a flow sequence, expected ',' or "
        "']', but got '<stream end>' (line 3)")


# What Mistral 23 answers when concurrent requests corrupt its YAQL parse.
SPURIOUS_PARSE_ERROR = 'Parse error: unexpected end of statement'


def test_a_parse_error_mistral_does_not_repeat_is_not_believed(heat,
                                                               mistral):
    mistral.answers['validate'] = {'valid': False,
                                   'error': SPURIOUS_PARSE_ERROR}
    mistral.fail['create'] = mistral_base.APIException(
        400, SPURIOUS_PARSE_ERROR)
    stack = _create(_stack(heat))

    assert stack.state == (stack.CREATE, stack.COMPLETE), stack.status_reason
    assert set(_in_mistral(mistral)) == {'unit.greet', 'unit.farewell'}
    assert mistral.calls.count('validate') == 2
    assert mistral.calls.count('create') == 2


def test_a_parse_error_on_update_is_asked_again(heat, mistral):
    stack = _create(_stack(heat))
    mistral.fail['update'] = mistral_base.APIException(
        400, SPURIOUS_PARSE_ERROR)

    changed = WORKFLOWS.replace('greeting: Hello', 'greeting: Bonjour')
    stack.update(_stack(heat, changed, existing=stack))

    assert stack.state == (stack.UPDATE, stack.COMPLETE), stack.status_reason
    assert 'Bonjour' in mistral.real.get(
        'unit.greet', namespace=NAMESPACE).definition


def test_a_parse_error_mistral_repeats_is_reported(heat, mistral,
                                                   monkeypatch):
    monkeypatch.setattr(definition_checks, 'mistral_parser_available',
                        lambda: False)
    broken = WORKFLOWS.replace('<% $.who %>"', '<% $.who + %>"')
    message = _validation_error(heat, broken)

    assert message.startswith(
        'resources.workflows.properties.definition: Mistral rejected the '
        'definition: ')
    assert 'Parse error' in message
    assert mistral.calls.count('validate') == 3
    assert _in_mistral(mistral) == {}


FROM_VALUE = textwrap.dedent("""\
    heat_template_version: 2021-04-16
    parameters:
      text:
        type: string
    resources:
      source:
        type: OS::Heat::Value
        properties:
          value: {get_param: text}
      workflows:
        type: SelfHealing::Mistral::Workflow
        properties:
          definition: {get_attr: [source, value]}
          namespace: unit-tests
    """)


def _from_value(heat, text):
    return heat.build_stack(heat.context(), 'from_value', FROM_VALUE,
                            params={'text': text})


def test_definition_from_another_resource_is_checked_once_resolved(
        heat, mistral):
    stack = _create(_from_value(heat, WORKFLOWS))
    assert stack.state == (stack.CREATE, stack.COMPLETE), stack.status_reason
    assert set(_in_mistral(mistral)) == {'unit.greet', 'unit.farewell'}


def test_a_path_or_url_never_reaches_the_mistral_client(heat, mistral):
    calls = []
    mistral.fail = {}
    real_getattr = type(mistral).__getattr__

    def recording(self, name):
        calls.append(name)
        return real_getattr(self, name)

    type(mistral).__getattr__ = recording
    try:
        stack = _create(_from_value(heat, 'file:///etc/hostname'))
    finally:
        type(mistral).__getattr__ = real_getattr

    assert stack.state == (stack.CREATE, stack.FAILED)
    assert stack['workflows'].status_reason == (
        'Error: resources.workflows: Property definition: The Mistral '
        'definition is not a YAML mapping (line 1)')
    assert calls == []
    assert _in_mistral(mistral) == {}
