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

"""selfheal_checks against the real Vitrage and Mistral code."""

import json
import os
import subprocess
import sys
import textwrap
import unittest

from heat_plugins import definition_checks
from selfheal_checks import mistral
from selfheal_checks import mistral_actions
from selfheal_checks import vitrage
from selfheal_checks import yaml_lines

# The test process holds Heat's options (conftest loads Heat); pytest runs
# these tests in one thread, so Mistral may share the process.
mistral.import_mistral_in_process()


def _dedent(text):
    return textwrap.dedent(text).lstrip('\n')


VITRAGE = _dedent('''
    metadata:
      version: 3
      name: heal_instances_on_host_down
      type: standard
      description: Doctor's compute.host.down alarm heals each instance.
    parameters:
      workflow:
        default: selfheal.heal_stack_member
      stack_id:
        description: the stack to heal
    entities:
      host_down_alarm:
        type: doctor
        name: compute.host.down
      host:
        type: nova.host
      instance:
        type: nova.instance
    scenarios:
      - condition: host_down_alarm [on] host AND host [contains] instance
        actions:
          - execute_mistral:
              workflow: get_param(workflow)
              input:
                stack_id: get_param(stack_id)
                server_id: get_attr(instance, id)
''')

MISTRAL = _dedent('''
    version: '2.0'
    selfheal.mark_and_update:
      input:
        - stack_id
        - resource_name
        - reason: host down
      tasks:
        mark_unhealthy:
          action: heat.resources_mark_unhealthy stack_id=<% $.stack_id %>
            resource_name=<% $.resource_name %> mark_unhealthy=true
            resource_status_reason=<% $.reason %>
          on-success: update_stack
        update_stack:
          action: heat.stacks_update stack_id=<% $.stack_id %> existing=true
''')


class LoadVitrageTemplateTest(unittest.TestCase):

    def test_values_stay_strings_like_vitrageclient(self):
        template = vitrage.load_vitrage_template(VITRAGE)
        self.assertEqual('3', template['metadata']['version'])

    def test_yaml_error_names_the_line(self):
        with self.assertRaises(yaml_lines.DefinitionError) as ctx:
            vitrage.load_vitrage_template('metadata:\n  name: [a\n')
        self.assertEqual(
            yaml_lines.Problem("The Vitrage template is not valid YAML: while "
                               "parsing a flow sequence, expected ',' or ']', "
                               "but got '<stream end>'", 3),
            ctx.exception.problem)

    def test_empty(self):
        for text in ('', '\n# nothing\n', '{}'):
            with self.assertRaises(yaml_lines.DefinitionError) as ctx:
                vitrage.load_vitrage_template(text)
            self.assertEqual('The Vitrage template is empty',
                             ctx.exception.problem.message)

    def test_not_a_mapping(self):
        with self.assertRaises(yaml_lines.DefinitionError) as ctx:
            vitrage.load_vitrage_template('- a\n- b\n')
        self.assertEqual(
            yaml_lines.Problem('The Vitrage template is not a YAML mapping',
                               1),
            ctx.exception.problem)

    def test_binary(self):
        with self.assertRaises(yaml_lines.DefinitionError) as ctx:
            vitrage.load_vitrage_template(b'\x89PNG\r\n\x1a\n\xff\xfe')
        self.assertEqual('The Vitrage template is not UTF-8 text',
                         ctx.exception.problem.message)

    def test_control_characters(self):
        with self.assertRaises(yaml_lines.DefinitionError) as ctx:
            vitrage.load_vitrage_template('metadata:\n  name: a\x00b\n')
        self.assertEqual(
            yaml_lines.Problem('The Vitrage template is not valid YAML: '
                               'unacceptable character #x0000: special '
                               'characters are not allowed', 2),
            ctx.exception.problem)


class CheckVitrageTemplateTest(unittest.TestCase):

    params = {'stack_id': 'abc'}

    def test_valid(self):
        self.assertEqual([], vitrage.check_vitrage_template(VITRAGE,
                                                            self.params))

    def test_unknown_entity_in_condition(self):
        text = VITRAGE.replace('[contains] instance', '[contains] instanc')
        self.assertEqual(
            [yaml_lines.Problem(
                'Condition contains an unknown entity id - host_down_alarm '
                '[on] host AND host [contains] instanc, instanc '
                '(Vitrage code 10200)', 20, 10200)],
            vitrage.check_vitrage_template(text, self.params))

    def test_unknown_key_is_located(self):
        text = VITRAGE.replace('workflow: get_param', 'wrkflow: get_param')
        [problem] = vitrage.check_vitrage_template(text, self.params)
        self.assertEqual(4, problem.code)
        self.assertEqual(23, problem.line)
        self.assertIn("extra keys not allowed @ data['scenarios'][0]"
                      "['actions'][0]['execute_mistral']['wrkflow']",
                      problem.message)

    def test_misspelt_function_that_vitrage_accepts(self):
        text = VITRAGE.replace('get_attr(', 'get_atr(')
        self.assertEqual(
            [yaml_lines.Problem("Unknown function 'get_atr' in 'get_atr("
                                "instance, id)'; Vitrage knows get_attr, "
                                "get_param", 26)],
            vitrage.check_vitrage_template(text, self.params))

    def test_get_attr_of_an_unknown_entity(self):
        text = VITRAGE.replace('get_attr(instance', 'get_attr(server')
        self.assertEqual(
            [yaml_lines.Problem("'get_attr(server, id)' must be get_attr("
                                "entity, attribute) with an entity of this "
                                "template", 26)],
            vitrage.check_vitrage_template(text, self.params))

    def test_parameter_without_value(self):
        self.assertEqual(
            [yaml_lines.Problem("Parameter 'stack_id' has no default and is "
                                "given no value", 9)],
            vitrage.check_vitrage_template(VITRAGE, {}))

    def test_parameter_not_declared(self):
        params = dict(self.params, retries='3')
        self.assertEqual(
            [yaml_lines.Problem("Parameter 'retries' is given a value but the "
                                "template does not declare it", 6)],
            vitrage.check_vitrage_template(VITRAGE, params))

    def test_parameters_not_checked_on_request(self):
        self.assertEqual([], vitrage.check_vitrage_template(
            VITRAGE, {}, check_params=False))

    def test_unknown_value_from_heat_is_not_missing(self):
        # A value Heat cannot resolve yet (get_attr) arrives as None.
        self.assertEqual([], vitrage.check_vitrage_template(
            VITRAGE, {'stack_id': None}))

    def test_get_param_of_undeclared_parameter(self):
        text = VITRAGE.replace('get_param(stack_id)', 'get_param(stack)')
        self.assertEqual(
            [yaml_lines.Problem("get_param called for a parameter that is not "
                                "defined in the 'parameters' block - stack "
                                "(Vitrage code 161)", 25, 161)],
            vitrage.check_vitrage_template(text, self.params))

    def test_unsupported_version(self):
        text = VITRAGE.replace('version: 3', 'version: 7')
        problems = vitrage.check_vitrage_template(text, self.params)
        self.assertEqual(
            yaml_lines.Problem('Unsupported version. Version must be one of: '
                               '1, 2, 3 (Vitrage code 63)', 2, 63),
            problems[0])

    def test_unknown_template_type(self):
        text = VITRAGE.replace('type: standard', 'type: regular')
        self.assertEqual(
            yaml_lines.Problem('Vitrage rejected the template: Unknown '
                               'template type regular', 4),
            vitrage.check_vitrage_template(text, self.params)[0])

    def test_crash_of_vitrage_becomes_a_problem(self):
        # Vitrage's validator raises TypeError on a list where it wants a
        # string; the operator gets a problem, not a traceback.
        text = VITRAGE.replace('server_id: get_attr(instance, id)',
                               'server_id: [a, b]')
        [problem] = vitrage.check_vitrage_template(text, self.params)
        self.assertIn("Vitrage's validator could not read the template "
                      "(TypeError", problem.message)

    def test_metadata_not_a_mapping(self):
        self.assertEqual(
            [yaml_lines.Problem('The metadata section must be a mapping', 1)],
            vitrage.check_vitrage_template('metadata: [a]\n'))

    def test_yaml_error_is_a_problem(self):
        self.assertEqual(
            [yaml_lines.Problem('The Vitrage template is empty')],
            vitrage.check_vitrage_template(''))

    def test_validator_available(self):
        self.assertTrue(vitrage.vitrage_validator_available())

    def test_heat_engines_client_gives_the_same_problems(self):
        self.addCleanup(definition_checks._POOL.close)
        text = VITRAGE.replace('get_attr(instance', 'get_attr(server')
        for params in ({}, self.params, None):
            self.assertEqual(
                vitrage.check_vitrage_template(text, params),
                definition_checks.check_vitrage_template(text, params))


class CheckMistralDefinitionTest(unittest.TestCase):

    def test_valid(self):
        self.assertEqual([], mistral.check_mistral_definition(MISTRAL))

    def test_unknown_action(self):
        text = MISTRAL.replace('heat.stacks_update', 'heat.stack_update')
        self.assertEqual(
            [yaml_lines.Problem("Task 'update_stack' of workflow "
                                "'selfheal.mark_and_update' uses action "
                                "'heat.stack_update', which neither Mistral "
                                "nor mistral-extra provides", 14)],
            mistral.check_mistral_definition(text))

    def test_misspelt_transition(self):
        text = MISTRAL.replace('on-success:', 'on-sucess:')
        self.assertEqual(
            [yaml_lines.Problem("Invalid DSL: Additional properties are not "
                                "allowed ('on-sucess' was unexpected)", 12)],
            mistral.check_mistral_definition(text))

    def test_transition_to_missing_task(self):
        text = MISTRAL.replace('on-success: update_stack',
                               'on-success: update')
        self.assertEqual(
            [yaml_lines.Problem("Task 'update' not found.", 12)],
            mistral.check_mistral_definition(text))

    def test_bad_yaql_is_located(self):
        text = MISTRAL.replace('existing=true', 'existing=<% $. %>')
        self.assertEqual(
            [yaml_lines.Problem('Parse error: unexpected end of statement',
                                14)],
            mistral.check_mistral_definition(text))

    def test_missing_version(self):
        text = MISTRAL.replace("version: '2.0'\n", '')
        self.assertEqual(
            [yaml_lines.Problem("Invalid DSL: 'version' is a required "
                                "property", 1)],
            mistral.check_mistral_definition(text))

    def test_workbook_with_ad_hoc_action(self):
        text = _dedent('''
            version: '2.0'
            name: selfheal
            actions:
              say:
                base: std.echo
                input: [text]
                base-input:
                  output: <% $.text %>
            workflows:
              hello:
                tasks:
                  greet:
                    action: say text=hi
                  local:
                    action: selfheal.say text=hi
                  missing:
                    action: shout text=hi
        ''')
        self.assertEqual(
            [yaml_lines.Problem("Task 'missing' of workflow 'hello' uses "
                                "action 'shout', which neither Mistral nor "
                                "mistral-extra provides", 17)],
            mistral.check_mistral_definition(text))
        self.assertEqual({'selfheal.hello': []},
                         mistral.mistral_workflow_inputs(text))

    def test_extra_actions(self):
        text = MISTRAL.replace('heat.stacks_update', 'site.update')
        self.assertEqual([], mistral.check_mistral_definition(
            text, extra_actions=['site.update']))

    def test_bad_input(self):
        cases = [
            ('', 'The Mistral definition is empty', None),
            (b'\xff\xfe\x00', 'The Mistral definition is not UTF-8 text',
             None),
            ('version: 2.0\n  x: [', "The Mistral definition is not valid "
             "YAML: mapping values are not allowed here", 2),
            ('just a string', 'The Mistral definition is not a YAML '
             'mapping', 1),
        ]
        self.addCleanup(definition_checks._POOL.close)
        for text, message, line in cases:
            self.assertEqual([yaml_lines.Problem(message, line)],
                             mistral.check_mistral_definition(text), text)
            self.assertEqual(
                [yaml_lines.Problem(message, line)],
                definition_checks.check_mistral_definition(text), text)

    def test_heat_engines_client_gives_the_same_problems(self):
        self.addCleanup(definition_checks._POOL.close)
        text = MISTRAL.replace('heat.stacks_update', 'heat.stack_update')
        self.assertEqual(mistral.check_mistral_definition(text),
                         definition_checks.check_mistral_definition(text))
        self.assertEqual(
            mistral.check_mistral_definition(text, ['heat.stack_update']),
            definition_checks.check_mistral_definition(
                text, ['heat.stack_update']))

    def test_without_mistral_here_the_client_checks(self):
        text = MISTRAL.replace('heat.stacks_update', 'heat.stack_update')
        self.addCleanup(definition_checks._POOL.close)
        self.assertEqual(mistral.check_mistral_definition(text),
                         mistral._check_mistral_in_child(text, ()))


class MistralWorkflowInputsTest(unittest.TestCase):

    def test_inputs_as_written(self):
        self.assertEqual(
            {'selfheal.mark_and_update': [
                'stack_id', 'resource_name', {'reason': 'host down'}]},
            mistral.mistral_workflow_inputs(MISTRAL))

    def test_yaml_error(self):
        with self.assertRaises(yaml_lines.DefinitionError) as ctx:
            mistral.mistral_workflow_inputs('version: [')
        self.assertEqual(1, ctx.exception.problem.line)


class KnownMistralActionsTest(unittest.TestCase):

    def test_generated_openstack_actions_and_std(self):
        actions = mistral_actions.known_mistral_actions()
        for name in ('std.echo', 'std.noop', 'heat.resources_mark_unhealthy',
                     'heat.stacks_update', 'nova.servers_evacuate',
                     'nova.services_force_down'):
            self.assertIn(name, actions)
        self.assertFalse([a for a in actions if a.startswith('vitrage.')])

    def test_generated_in_a_child_process_and_cached_on_disk(self):
        names = json.loads(mistral_actions._run_child('list-mistral-actions'))
        self.assertEqual(mistral_actions.known_mistral_actions(),
                         frozenset(names))
        with open(mistral_actions._actions_cache_path()) as cached:
            self.assertEqual(sorted(names), json.load(cached))


class ImportCostTest(unittest.TestCase):

    def test_the_owners_code_is_imported_when_a_check_runs(self):
        code = ('import sys\n'
                'import selfheal_checks.server\n'
                'print(sorted(m for m in sys.modules if m.split(".")[0] in '
                '("vitrage", "mistral", "mistral_extra")))')
        out = subprocess.run([sys.executable, '-c', code],
                             capture_output=True, text=True, check=True,
                             env=dict(os.environ, PYTHONWARNINGS='ignore'))
        self.assertEqual('[]', out.stdout.strip())
