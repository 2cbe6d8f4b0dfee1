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

"""The composable stack: committed output, its jinja2 source and the roles."""

import os

import pytest
import yaml

from selfheal import cli
from selfheal import render


ROLES = os.path.join(render.REPO_DIR, render.ROLES)
TEMPLATE = os.path.join(render.REPO_DIR, render.TEMPLATE)
OUTPUT = os.path.join(render.REPO_DIR, render.OUTPUT)


def test_committed_composable_stack_matches_its_source():
    with open(OUTPUT) as f:
        committed = f.read()
    assert committed == render.render(ROLES, TEMPLATE), \
        'templates/composable.yaml is stale: run selfheal render'


def test_check_command_agrees():
    assert cli.main(['render', '--check']) == 0


def test_each_role_gets_its_group_and_policy():
    rendered = yaml.safe_load(render.render(ROLES, TEMPLATE))
    roles = render.load_roles(ROLES)
    for role in roles:
        group = rendered['resources']['%sServers' % role['name']]
        assert group['type'] == 'SelfHealing::AutoHealing::Group'
        assert group['properties']['metadata'] == \
            render.POLICIES[role['healing']]
        assert rendered['parameters']['%sCount' % role['name']][
            'default'] == role['count']
    assert rendered['outputs']['healing_policies']['value'] == {
        role['name']: role['healing'] for role in roles}


def _roles_file(tmp_path, roles):
    path = tmp_path / 'roles_data.yaml'
    path.write_text(yaml.safe_dump({'roles': roles}))
    return str(path)


GOOD = {'name': 'Web', 'description': 'web', 'count': 1,
        'flavor': 'm1.tiny', 'healing': 'replace'}


@pytest.mark.parametrize('change, words', [
    ({'healing': 'reboot'}, "role 1 (Web): healing must be one of"),
    ({'count': 'three'}, 'role 1 (Web): count must be a whole number'),
    ({'name': 'web server'}, 'name must be CamelCase'),
    ({'colour': 'blue'}, 'unknown key colour'),
])
def test_bad_role_is_named(tmp_path, change, words):
    path = _roles_file(tmp_path, [dict(GOOD, **change)])
    with pytest.raises(render.RenderError) as raised:
        render.render(path, TEMPLATE)
    assert words in str(raised.value)
    assert path in str(raised.value)


def test_duplicate_role_is_refused(tmp_path):
    path = _roles_file(tmp_path, [GOOD, GOOD])
    with pytest.raises(render.RenderError) as raised:
        render.load_roles(path)
    assert 'role 2 (Web): name is used by another role' in str(raised.value)


def test_cli_reports_bad_roles_without_traceback(tmp_path, capsys):
    path = _roles_file(tmp_path, [dict(GOOD, healing='reboot')])
    assert cli.main(['render', '--roles', path, '--output', '-']) == 1
    err = capsys.readouterr().err
    assert err.startswith('selfheal render: %s: role 1 (Web)' % path)
    assert 'Traceback' not in err
