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

"""Every shipped Vitrage template and workflow, checked by its owner's code.

Vitrage's validator and Mistral's parser (through selfheal_checks, with
mistral-extra's real action list), then the chain between them: each
execute_mistral names a shipped workflow and passes the inputs it requires
and no others, each sub-workflow exists, and each execute_mistral runs once
per host or per instance, never once per stack.
"""

import glob
import os

import pytest
import yaml

from selfheal_checks import mistral
from selfheal_checks import vitrage

REPO = os.path.dirname(os.path.dirname(os.path.dirname(
    os.path.abspath(__file__))))
VITRAGE_TEMPLATES = sorted(glob.glob(os.path.join(REPO, 'vitrage_templates',
                                                  '*.yaml')))
WORKFLOW_FILES = sorted(glob.glob(os.path.join(REPO, 'workflows', '*.yaml')))
# Values for templates whose parameters have no default (Heat passes them).
PARAMS = {'stack_member_heal.yaml': {
    'template_name': 'selfheal-members-1234',
    'stack_id': '5c0ffee0-0000-4000-8000-00000000aaaa',
    'member_alarm_name': 'Heat Member Down 1234'}}


def _read(path):
    with open(path) as f:
        return f.read()


def _params(path):
    return PARAMS.get(os.path.basename(path))


def _workflows():
    """{name: {'inputs': declarations, 'body': definition}} of the library."""
    found = {}
    for path in WORKFLOW_FILES:
        text = _read(path)
        inputs = mistral.mistral_workflow_inputs(text)
        bodies = yaml.safe_load(text)
        for name, declared in inputs.items():
            found[name] = {'inputs': declared, 'body': bodies[name],
                           'file': os.path.basename(path)}
    return found


def _required(declarations):
    return {d for d in declarations if isinstance(d, str)}


def _declared(declarations):
    return {d if isinstance(d, str) else next(iter(d)) for d in declarations}


def _execute_mistral(template):
    for scenario in template['scenarios']:
        for action in scenario['actions']:
            if 'execute_mistral' in action:
                yield scenario, action['execute_mistral']


def test_library_is_complete():
    assert len(VITRAGE_TEMPLATES) >= 4
    assert len(WORKFLOW_FILES) >= 5


@pytest.mark.parametrize('path', VITRAGE_TEMPLATES, ids=os.path.basename)
def test_vitrage_accepts_template(path):
    assert vitrage.check_vitrage_template(
        _read(path), _params(path)) == []


@pytest.mark.parametrize('path', VITRAGE_TEMPLATES, ids=os.path.basename)
def test_template_states_its_datasources(path):
    description = yaml.safe_load(_read(path))['metadata']['description']
    assert 'Datasource' in description


@pytest.mark.parametrize('path', WORKFLOW_FILES, ids=os.path.basename)
def test_mistral_accepts_workflows(path):
    assert mistral.check_mistral_definition(_read(path)) == []


@pytest.mark.parametrize('path', VITRAGE_TEMPLATES, ids=os.path.basename)
def test_execute_mistral_matches_workflow_inputs(path):
    workflows = _workflows()
    template = vitrage.load_vitrage_template(_read(path))
    for _scenario, action in _execute_mistral(template):
        assert action['workflow'] in workflows, action
        declared = workflows[action['workflow']]['inputs']
        given = set(action.get('input', {}))
        assert _required(declared) <= given, action
        assert given <= _declared(declared), action


def test_sub_workflows_exist_with_their_inputs():
    workflows = _workflows()
    calls = 0
    for name, workflow in workflows.items():
        for task in workflow['body']['tasks'].values():
            if 'workflow' not in task:
                continue
            calls += 1
            called = workflows.get(task['workflow'])
            assert called, '%s calls unknown %s' % (name, task['workflow'])
            given = set(task.get('input', {}))
            assert _required(called['inputs']) <= given, (name, task)
            assert given <= _declared(called['inputs']), (name, task)
    assert calls >= 4


def test_no_shell_like_actions():
    for name, workflow in _workflows().items():
        for task_name, task in workflow['body']['tasks'].items():
            action = str(task.get('action', '')).split(' ')[0]
            assert action not in ('std.ssh', 'std.ssh_proxied', 'std.http',
                                  'std.mistral_http', 'std.javascript',
                                  'std.js'), (name, task_name)


def _action_targets(template, scenario):
    """The entities Vitrage may pick as the target of an external action.

    Vitrage takes one of the entities common to every OR clause of the
    condition, picked from a set, so the pick changes with the hash seed.
    """
    from vitrage.evaluator.condition import get_condition_common_targets
    from vitrage.evaluator.condition import parse_condition
    from vitrage.evaluator.template_loading import scenario_loader
    from vitrage.evaluator.template_loading import template_loader_v3 as v3

    single = dict(template, scenarios=[dict(scenario)])
    entities = v3._build_entities(single)
    relationships = v3._build_condition_relationships(single, entities)
    index = dict(entities)
    index.update(relationships)
    return get_condition_common_targets(
        parse_condition(single['scenarios'][0]['condition']), index,
        scenario_loader.TemplateDataSymbolResolver())


@pytest.mark.parametrize('path', VITRAGE_TEMPLATES, ids=os.path.basename)
def test_execute_mistral_runs_once_per_host_or_instance(path):
    """Vitrage performs one execute_mistral per target vertex at a time.

    A target shared by several matches (a stack, or the host of several
    instances) would start one workflow for all of them, and the others
    only after the first alarm clears: heals would be lost or serialised.
    """
    template = vitrage.load_vitrage_template(_read(path))
    entities = template['entities']
    for scenario, action in _execute_mistral(template):
        kinds = {entities[t].get('type', entities[t].get('category'))
                 for t in _action_targets(template, scenario)}
        if 'instance_id' in action['input']:
            assert kinds <= {'nova.instance', 'ALARM', 'vitrage',
                             'get_param(instance_alarm_type)'}, (
                scenario['condition'], kinds)
        else:
            assert kinds == {'nova.host'}, (scenario['condition'], kinds)


def _input_default(workflow, name):
    for declaration in _workflows()[workflow]['inputs']:
        if isinstance(declaration, dict) and name in declaration:
            return declaration[name]
    raise AssertionError('%s declares no default for %s' % (workflow, name))


def _hot(*path):
    with open(os.path.join(REPO, 'templates', *path)) as f:
        return yaml.safe_load(f)


def test_metadata_keys_agree_across_the_chain():
    """The keys the stacks write are the keys the workflows read."""
    from selfheal import render

    server = _hot('providers', 'healable_server.yaml')
    merged = server['resources']['server']['properties']['metadata']
    hint_key, = merged['map_merge'][1]
    assert hint_key == _input_default('selfheal.heal_stack_member',
                                      'stack_hint_key')
    assert hint_key == _input_default('selfheal.evacuate_host',
                                      'heat_member_key')
    ha_key, = render.POLICIES['evacuate']
    assert ha_key == _input_default('selfheal.heal_stack_member',
                                    'ha_metadata_key')
    assert ha_key == _input_default('selfheal.evacuate_host',
                                    'ha_metadata_key')
    opt_out, = render.POLICIES['none']
    assert opt_out == _input_default('selfheal.heal_stack_member',
                                     'opt_out_key')


def test_maintenance_marker_agrees_across_the_chain():
    template = yaml.safe_load(_read(os.path.join(
        REPO, 'vitrage_templates', 'host_maintenance.yaml')))
    marker = template['parameters']['marker_name']['default']
    assert marker == _input_default('selfheal.host_maintenance',
                                    'marker_name')
    assert marker == _input_default('selfheal.end_host_maintenance',
                                    'marker_name')
    assert marker == _hot('planned_maintenance.yaml')['parameters'][
        'marker_name']['default']
    assert marker == _hot('host_evacuation_policy.yaml')['parameters'][
        'maintenance_marker_name']['default']
    # Every healing template stands down for the alarm it deduces.
    raised = template['scenarios'][0]['actions'][0]['raise_alarm'][
        'alarm_name']
    for name in ('host_down_evacuate.yaml', 'instance_heal.yaml',
                 'stack_member_heal.yaml', 'nic_failure_migrate.yaml'):
        healing = yaml.safe_load(_read(os.path.join(
            REPO, 'vitrage_templates', name)))
        assert healing['entities']['in_maintenance']['name'] == raised
        assert all('NOT in_maintenance [ on ]' in s['condition']
                   for s in healing['scenarios']
                   if 'in_maintenance' in s['condition']), name
