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

"""``selfheal validate``: exact messages for bad input, and the library.

Each invalid fixture is checked together with tests/fixtures/support (a
valid workflow, Vitrage template and stack the fixtures refer to), as an
operator would check a change with the files it depends on.
"""

import json
import os
import subprocess
import sys

import pytest

from selfheal import cli
from selfheal_checks import mistral

REPO = os.path.dirname(os.path.dirname(os.path.dirname(
    os.path.abspath(__file__))))
INVALID = os.path.join('tests', 'fixtures', 'invalid')
SUPPORT = os.path.join('tests', 'fixtures', 'support')

# Per fixture, the exact report lines; {f} is the fixture, {s} the support
# directory.
EXPECTED = {
    'binary_garbage.bin': [
        '{f}: The file is not UTF-8 text',
    ],
    'comments_only.yaml': [
        '{f}: The file is empty',
    ],
    'control_characters.bin': [
        '{f}:1: The file is not valid YAML: unacceptable character #x0000: '
        'special characters are not allowed',
    ],
    'empty.yaml': [
        '{f}: The file is empty',
    ],
    'env_missing_provider_template.yaml': [
        '{f}:2: resource_registry maps Fixture::Server to '
        "'provider/server.yaml', which does not exist (looked for "
        'tests/fixtures/invalid/provider/server.yaml)',
    ],
    'env_unknown_type.yaml': [
        '{f}:2: resource_registry maps Fixture::Nothing to '
        'OS::Heat::Nothing: The Resource Type (OS::Heat::Nothing) could '
        'not be found.',
    ],
    'env_wrong_section.yaml': [
        '{f}:3: environment has wrong section "paramters"',
    ],
    'hot_definition_of_wrong_kind.yaml': [
        '{f}:6: {s}host_down.yaml is a Vitrage template, not a Mistral '
        'definition',
    ],
    'hot_get_attr_of_unknown_resource.yaml': [
        '{f}:9: outputs.names.value.get_attr: The specified reference '
        '"workflow" (in unknown) is incorrect.',
    ],
    'hot_inline_mistral_definition_invalid.yaml': [
        "{f}:6: resources.workflows.properties.definition: Task 'wait' of "
        "workflow 'fixture.inline' uses action 'std.slep', which neither "
        'Mistral nor mistral-extra provides',
    ],
    'hot_missing_get_file.yaml': [
        "{f}:6: get_file target '../support/host-down.yaml' does not exist "
        '(looked for {s}host-down.yaml)',
    ],
    'hot_missing_required_property.yaml': [
        '{f}:5: Property error: resources.workflows.properties: Property '
        'definition not assigned',
    ],
    'hot_misspelt_intrinsic_function.yaml': [
        "{f}:8: 'get_parm' is not an intrinsic function of this "
        "heat_template_version; did you mean 'get_param'?",
    ],
    'hot_unknown_property.yaml': [
        '{f}:5: Property error: resources.workflows.properties: Unknown '
        'Property namespaces',
    ],
    'hot_unknown_resource_type.yaml': [
        '{f}:4: The Resource Type (SelfHealing::Mistral::Workflows) could '
        'not be found.',
    ],
    'hot_unsupported_version.yaml': [
        '{f}:1: The template version is invalid: "heat_template_version: '
        '2099-01-01". "heat_template_version" should be one of: '
        '2013-05-23, 2014-10-16, 2015-04-30, 2015-10-15, 2016-04-08, '
        '2016-10-14, 2017-02-24, 2017-09-01, 2018-03-02, 2018-08-31, '
        '2021-04-16, newton, ocata, pike, queens, rocky, wallaby',
    ],
    'hot_value_not_allowed.yaml': [
        '{f}:7: Property error: resources.workflows.properties.scope: '
        '"everyone" is not an allowed value ["private", "public"]',
    ],
    'hot_vitrage_parameter_missing.yaml': [
        "{f}:6: parameters for {s}host_down.yaml: Parameter 'stack_id' has "
        'no default and is given no value',
    ],
    'hot_vitrage_parameter_not_declared.yaml': [
        "{f}:6: parameters for {s}host_down.yaml: Parameter 'retries' is "
        'given a value but the template does not declare it',
    ],
    'hot_wrong_property_type.yaml': [
        '{f}:7: Property error: resources.workflows.properties.scope: '
        "Value must be a string; got ['public']",
    ],
    'mistral_bad_workflow_type.yaml': [
        '{f}: Failed to find a specification class to instantiate: check '
        "the 'type' of each workflow",
    ],
    'mistral_bad_yaql.yaml': [
        '{f}:19: Parse error: unexpected end of statement',
    ],
    'mistral_duplicate_workflow.yaml': [
        "{f}:4: Workflow 'fixture.heal_member' is also defined in "
        '{s}heal.yaml',
    ],
    'mistral_misspelt_section.yaml': [
        "{f}:6: Invalid DSL: 'tasks' is a required property",
    ],
    'mistral_misspelt_transition.yaml': [
        '{f}:17: Invalid DSL: Additional properties are not allowed '
        "('on-sucess' was unexpected)",
    ],
    'mistral_transition_to_missing_task.yaml': [
        "{f}:17: Task 'update_stak' not found.",
    ],
    'mistral_unknown_action.yaml': [
        "{f}:19: Task 'update_stack' of workflow "
        "'fixture.mistral_unknown_action' uses action 'heat.stack_update', "
        'which neither Mistral nor mistral-extra provides',
    ],
    'not_a_mapping.yaml': [
        '{f}:1: The file is not a YAML mapping',
    ],
    'unknown_kind.yaml': [
        '{f}:1: Cannot tell what this file is: expected a HOT template '
        '(heat_template_version), a Heat environment (resource_registry, '
        'parameter_defaults), a Vitrage template (metadata, scenarios) or '
        "a Mistral definition (version '2.0' and workflows)",
    ],
    'vitrage_execute_mistral_missing_workflow.yaml': [
        "{f}:21: execute_mistral names workflow 'fixture.heal_membr', "
        'which none of the checked Mistral definitions defines',
    ],
    'vitrage_execute_mistral_without_workflow.yaml': [
        "{f}:20: execute_mistral action must contain 'workflow' property @ "
        "data['scenarios'][0]['actions'][0]['execute_mistral']['workflow'] "
        '(Vitrage code 10105)',
    ],
    'vitrage_get_attr_unknown_entity.yaml': [
        "{f}:24: 'get_attr(vm, id)' must be get_attr(entity, attribute) "
        'with an entity of this template',
    ],
    'vitrage_missing_required_input.yaml': [
        "{f}:22: execute_mistral of workflow 'fixture.heal_member' does "
        "not pass its required input 'stack_id'",
    ],
    'vitrage_misspelt_function.yaml': [
        "{f}:24: Unknown function 'get_atr' in 'get_atr(instance, id)'; "
        'Vitrage knows get_attr, get_param',
    ],
    'vitrage_not_on_entity.yaml': [
        '{f}:18: Not operator can be used only on relationships. - '
        'host,host_down_alarm [on] host AND NOT host (Vitrage code 86)',
    ],
    'vitrage_undeclared_input.yaml': [
        "{f}:25: execute_mistral passes input 'force', which workflow "
        "'fixture.heal_member' does not declare",
    ],
    'vitrage_undeclared_parameter.yaml': [
        '{f}:23: get_param called for a parameter that is not defined in '
        "the 'parameters' block - stack (Vitrage code 161)",
    ],
    'vitrage_unknown_action.yaml': [
        '{f}:20: Syntax error: - extra keys not allowed @ '
        "data['scenarios'][0]['actions'][0]['execute_mistrl'] (Vitrage "
        'code 4)',
    ],
    'vitrage_unknown_entity.yaml': [
        '{f}:18: Condition contains an unknown entity id - host_down_alarm '
        '[on] host AND host [contains] instanse, instanse (Vitrage code '
        '10200)',
    ],
    'vitrage_unknown_template_type.yaml': [
        '{f}:4: Vitrage rejected the template: Unknown template type '
        'regular',
    ],
    'vitrage_unsupported_version.yaml': [
        '{f}:2: Unsupported version. Version must be one of: 1, 2, 3 '
        '(Vitrage code 63)',
    ],
    'yaml_syntax_error.yaml': [
        '{f}:5: The file is not valid YAML: while parsing a flow sequence, '
        "expected ',' or ']', but got '}'",
    ],
    'yaml_tab_indentation.yaml': [
        '{f}:3: The file is not valid YAML: while scanning for the next '
        "token, found character '\\t' that cannot start any token",
    ],
}


@pytest.fixture(autouse=True)
def in_repo(monkeypatch):
    monkeypatch.chdir(REPO)
    # What the console script does; pytest runs tests in one thread.
    mistral.import_mistral_in_process()


def _run(capsys, *argv):
    code = cli.main(['validate'] + list(argv))
    out, err = capsys.readouterr()
    assert 'Traceback' not in out + err
    return code, out.splitlines(), err


def _expected(name):
    fixture = os.path.join(INVALID, name)
    return [line.replace('{f}', fixture).replace('{s}', SUPPORT + os.sep)
            for line in EXPECTED[name]]


def test_every_fixture_has_its_expected_messages():
    assert sorted(EXPECTED) == sorted(os.listdir(INVALID))
    assert len(EXPECTED) >= 25


@pytest.mark.parametrize('name', sorted(EXPECTED))
def test_invalid_fixture(capsys, name):
    code, lines, err = _run(capsys, SUPPORT, os.path.join(INVALID, name))
    errors = len(EXPECTED[name])
    assert code == 1
    assert lines[:-1] == _expected(name)
    assert lines[-1] == 'checked 4 files: %d error%s' % (
        errors, '' if errors == 1 else 's')
    assert err == ''


def test_support_files_are_valid(capsys):
    code, lines, err = _run(capsys, SUPPORT)
    assert (code, lines) == (0, ['checked 3 files: 0 errors'])


def test_shipped_library_is_valid(capsys):
    code, lines, err = _run(capsys)
    assert lines[-1].endswith(': 0 errors'), '\n'.join(lines)
    assert code == 0


def test_notes_say_what_was_not_checked(capsys, tmp_path):
    stack = tmp_path / 'server.yaml'
    stack.write_text(
        'heat_template_version: 2021-04-16\n'
        'parameters:\n'
        '  image: {type: string}\n'
        'resources:\n'
        '  server:\n'
        '    type: OS::Nova::Server\n'
        '    properties:\n'
        '      image: {get_param: image}\n'
        '      flavor: m1.tiny\n'
        '      networks: [{allocate_network: none}]\n')
    code, lines, err = _run(capsys, str(stack))
    assert (code, lines) == (0, ['checked 1 file: 0 errors'])
    code, lines, err = _run(capsys, '-v', str(stack))
    assert lines == [
        '%s: note: Constraints that ask a service were not checked: '
        'glance.image, nova.flavor' % stack,
        "%s:3: note: Parameter 'image' has no value here; checked with "
        "'placeholder'" % stack,
        'checked 1 file: 0 errors']


def test_data_files_in_directories_are_skipped_with_a_note(capsys,
                                                           tmp_path):
    (tmp_path / 'roles.yaml').write_text('roles: [a, b]\n')
    code, lines, err = _run(capsys, '-v', str(tmp_path))
    assert (code, lines) == (0, [
        '%s: note: Not a HOT template, environment, Vitrage template or '
        'Mistral definition; skipped' % (tmp_path / 'roles.yaml'),
        'checked 1 file: 0 errors'])


def test_json_format(capsys):
    path = os.path.join(INVALID, 'vitrage_unknown_entity.yaml')
    code, lines, err = _run(capsys, '--format', 'json', SUPPORT, path)
    report = json.loads('\n'.join(lines))
    assert code == 1
    assert report['files'] == 4
    assert report['errors'] == 1
    assert [p for p in report['problems'] if p['severity'] == 'error'] == [
        {'path': path, 'line': 18, 'severity': 'error',
         'message': 'Condition contains an unknown entity id - '
                    'host_down_alarm [on] host AND host [contains] '
                    'instanse, instanse (Vitrage code 10200)'}]


def test_environment_option_applies_to_templates(capsys, tmp_path):
    (tmp_path / 'env.yaml').write_text(
        'resource_registry:\n  Fixture::Thing: OS::Heat::None\n')
    (tmp_path / 'stack.yaml').write_text(
        'heat_template_version: 2021-04-16\n'
        'resources:\n  thing:\n    type: Fixture::Thing\n')
    stack = str(tmp_path / 'stack.yaml')
    code, lines, err = _run(capsys, stack)
    assert code == 1
    assert lines[0].endswith(
        ':4: The Resource Type (Fixture::Thing) could not be found.')
    os.rename(tmp_path / 'env.yaml', tmp_path / 'elsewhere.yaml')
    (tmp_path / 'sub').mkdir()
    os.rename(tmp_path / 'elsewhere.yaml', tmp_path / 'sub' / 'env.yaml')
    code, lines, err = _run(capsys, '-e', str(tmp_path / 'sub' / 'env.yaml'),
                            stack)
    assert (code, lines) == (0, ['checked 2 files: 0 errors'])


def test_missing_path_is_a_usage_error(capsys):
    code, lines, err = _run(capsys, 'no/such/file.yaml')
    assert code == 2
    assert err == ('selfheal validate: error: no such file or directory: '
                   'no/such/file.yaml\n')


def test_console_script_in_a_subprocess():
    """All fixtures at once, as CI runs it: errors, no traceback."""
    done = subprocess.run(
        [sys.executable, '-m', 'selfheal.cli', 'validate', '--format',
         'json', SUPPORT] + [os.path.join(INVALID, name)
                             for name in sorted(EXPECTED)],
        cwd=REPO, capture_output=True, text=True, timeout=600)
    assert 'Traceback' not in done.stdout + done.stderr
    assert done.returncode == 1
    report = json.loads(done.stdout)
    flagged = {p['path'] for p in report['problems']
               if p['severity'] == 'error'}
    for name in EXPECTED:
        assert os.path.join(INVALID, name) in flagged, name
