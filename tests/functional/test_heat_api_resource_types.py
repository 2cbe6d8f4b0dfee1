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

"""A real Heat API serves the heat-selfhealing resource types.

Heat 27 (API and engine) loads heat_plugins/ through ``plugin_dirs``; the
real ``openstack orchestration resource type`` commands read the schemas
back as an operator would.
"""

import pytest

from tests.functional import servers

pytestmark = pytest.mark.functional

OUR_TYPES = ('SelfHealing::Vitrage::Template',
             'SelfHealing::Mistral::Workflow',
             'OS::Vitrage::Template')


@pytest.fixture(scope='module')
def cli(heat_server):
    """Every command of this module, started side by side."""
    def resource_type(*args):
        return servers.OpenStackCommand(
            heat_server, 'orchestration', 'resource', 'type', *args)

    commands = {name: resource_type('show', name) for name in OUR_TYPES}
    commands['list'] = resource_type('list')
    yield commands
    for command in commands.values():
        command.close()


def test_list_includes_our_types_next_to_heats(cli):
    """`resource type list` offers our types beside Heat's Mistral ones."""
    listed = {row['Resource Type'] for row in cli['list'].result()}
    for type_name in OUR_TYPES + ('OS::Mistral::Workflow',
                                  'OS::Heat::None'):
        assert type_name in listed


def test_vitrage_template_schema(cli):
    """The Vitrage type shows the template, its parameters and status."""
    schema = cli['SelfHealing::Vitrage::Template'].result()
    props = schema['properties']
    assert set(props) == {'template', 'parameters', 'name', 'description'}
    assert props['template']['type'] == 'string'
    assert props['template']['required'] is True
    assert props['parameters']['type'] == 'map'
    assert props['parameters']['default'] == {}
    assert props['name']['required'] is False
    assert props['description']['required'] is False
    assert {'uuid', 'name', 'status', 'status_details'} <= set(
        schema['attributes'])
    assert schema['support_status']['status'] == 'SUPPORTED'


def test_mistral_workflow_schema(cli):
    """The Mistral type shows an updatable definition, namespace, scope."""
    schema = cli['SelfHealing::Mistral::Workflow'].result()
    props = schema['properties']
    assert set(props) == {'definition', 'namespace', 'scope'}
    assert props['definition']['type'] == 'string'
    assert props['definition']['required'] is True
    assert props['definition']['update_allowed'] is True
    assert props['namespace']['default'] == ''
    assert props['scope']['default'] == 'private'
    assert [c['allowed_values'] for c in props['scope']['constraints']
            if 'allowed_values' in c] == [['private', 'public']]
    attributes = schema['attributes']
    assert attributes['workflow_names']['type'] == 'list'
    assert attributes['workflow_ids']['type'] == 'map'
    assert attributes['workflow_inputs']['type'] == 'map'


def test_os_vitrage_template_is_our_compat_type(cli):
    """OS::Vitrage::Template has its Heat 16-26 properties again.

    Stock Heat 27 maps it to a hidden NoneResource, which `resource type
    show` refuses ("OS::Vitrage::Template is not supported").
    """
    schema = cli['OS::Vitrage::Template'].result()
    props = schema['properties']
    assert set(props) == {'template_file', 'template_params'}
    assert props['template_file']['required'] is True
    assert props['template_params']['type'] == 'map'
    assert {'uuid', 'status'} <= set(schema['attributes'])
    assert schema['support_status']['status'] == 'SUPPORTED'
