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

"""One stack with all three types: create, update, check, delete.

Real Heat engine in-process, real Mistral server; Vitrage answers through
its own TemplateApis code behind the client boundary (see vitrage_double).
"""

import textwrap

from tests.unit import test_mistral_workflow as mistral_case
from tests.unit import test_vitrage_template as vitrage_case

STACK = textwrap.dedent("""\
    heat_template_version: 2021-04-16
    parameters:
      alarm_name:
        type: string
        default: compute.host.down
    resources:
      heal_workflows:
        type: SelfHealing::Mistral::Workflow
        properties:
          definition: {get_file: workflows.yaml}
          namespace: unit-tests
      policy:
        type: SelfHealing::Vitrage::Template
        properties:
          template: {get_file: host_down.yaml}
          parameters:
            alarm_name: {get_param: alarm_name}
      legacy_policy:
        type: OS::Vitrage::Template
        properties:
          template_file: {get_file: host_down.yaml}
          template_params:
            alarm_name: legacy.alarm
    """)

LEGACY_RENAMED = vitrage_case.HOST_DOWN.replace(
    'name: host_down_policy', 'name: get_param(template_name)').replace(
    'parameters:\n', 'parameters:\n  template_name:\n'
    '    default: legacy_host_down\n', 1)


def _stack(heat, definition, alarm_name, existing=None):
    files = {'workflows.yaml': definition,
             'host_down.yaml': vitrage_case.HOST_DOWN}
    text = STACK.replace('template_file: {get_file: host_down.yaml}',
                         'template_file: {get_file: legacy.yaml}')
    files['legacy.yaml'] = LEGACY_RENAMED
    return heat.build_stack(heat.context(), 'all_types', text, files=files,
                            params={'alarm_name': alarm_name},
                            existing=existing)


def _names(stack, *resources):
    return {stack[name].physical_resource_name() for name in resources}


def test_create_update_check_delete(heat, vitrage, mistral, lifecycle):
    stack = lifecycle.create(_stack(heat, mistral_case.WORKFLOWS,
                                    'compute.host.down'))
    assert stack.state == (stack.CREATE, stack.COMPLETE), stack.status_reason
    # Both named after their resource, as Heat 16 to 26 named the legacy
    # type's template_name.
    assert set(vitrage.stored()) == _names(stack, 'policy', 'legacy_policy')
    assert set(mistral_case._in_mistral(mistral)) == {'unit.greet',
                                                      'unit.farewell'}
    greet_id = mistral_case._in_mistral(mistral)['unit.greet'].id
    policy_uuid = stack['policy'].resource_id
    legacy_uuid = stack['legacy_policy'].resource_id

    changed = mistral_case.WORKFLOWS.replace('Hello', 'Hi')
    stack = lifecycle.update(stack, _stack(heat, changed, 'doctor.host.gone',
                                           existing=stack))
    assert stack.state == (stack.UPDATE, stack.COMPLETE), stack.status_reason
    # Workflows are updated in place; the changed policy is replaced; the
    # unchanged legacy policy is left alone.
    assert mistral_case._in_mistral(mistral)['unit.greet'].id == greet_id
    assert stack['policy'].resource_id != policy_uuid
    assert stack['legacy_policy'].resource_id == legacy_uuid
    assert set(vitrage.stored()) == _names(stack, 'policy', 'legacy_policy')
    policy = stack['policy'].physical_resource_name()
    assert vitrage.stored()[policy].file_content[
        'entities']['host_down_alarm']['name.regex'] == 'doctor.host.gone'

    stack = lifecycle.check(stack)
    assert stack.state == (stack.CHECK, stack.COMPLETE), stack.status_reason

    stack = lifecycle.delete(stack)
    assert stack.state == (stack.DELETE, stack.COMPLETE), stack.status_reason
    assert vitrage.stored() == {}
    assert mistral_case._in_mistral(mistral) == {}
