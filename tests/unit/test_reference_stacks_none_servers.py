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

"""The reference stacks, created and deleted by the real Heat engine.

Each stack in templates/ is read the way ``openstack stack create -t ...
-e templates/environment.yaml`` reads it (heatclient's template_utils
resolves get_file and the provider templates), then validated, created and
deleted in-process. The Vitrage templates and Mistral workflows of the
library go through the SelfHealing types for real: Vitrage's own template
code behind the python-vitrageclient boundary, a real Mistral server.

Services this test runs without stand in through a test-only environment
that maps their resource types to OS::Heat::None (hence "none_servers" in
the name): Nova servers, Aodh alarms, Zaqar queues and subscriptions, and
the Mistral external resource (whose workflows would call Nova). The image,
flavor and host constraints, which would ask Glance and Nova, answer at
Heat's client plugin boundary.
"""

import os

import pytest
import yaml

from heatclient.common import template_utils

REPO = os.path.dirname(os.path.dirname(os.path.dirname(
    os.path.abspath(__file__))))
LIBRARY_ENV = os.path.join(REPO, 'templates', 'environment.yaml')

# Resource types of services this test does not run.
NONE_SERVERS_ENV = {'resource_registry': {
    'OS::Nova::Server': 'OS::Heat::None',
    'OS::Aodh::EventAlarm': 'OS::Heat::None',
    'OS::Zaqar::Queue': 'OS::Heat::None',
    'OS::Zaqar::MistralTrigger': 'OS::Heat::None',
    'OS::Mistral::ExternalResource': 'OS::Heat::None',
}}

# The test's Mistral runs without Keystone, as a non-admin project, which
# may not create public workflows.
PRIVATE = {'workflow_scope': 'private'}
PARAMS = {'image': 'cirros', 'flavor': 'm1.tiny'}
STACKS = {
    'autohealing_server.yaml': dict(PARAMS, **PRIVATE),
    'autohealing_group.yaml': dict(PARAMS, count=3, **PRIVATE),
    'autohealing_group_aodh.yaml': dict(PARAMS, count=2),
    'host_evacuation_policy.yaml': dict(PRIVATE,
                                        recovery_method='rh_priority',
                                        reserved_host='spare-1'),
    'planned_maintenance.yaml': {'host': 'compute-1'},
    'composable.yaml': dict(PRIVATE, image='cirros'),
}


def test_every_reference_stack_is_covered():
    shipped = {name for name in os.listdir(os.path.join(REPO, 'templates'))
               if name.endswith('.yaml') and name != 'environment.yaml'}
    assert shipped == set(STACKS)


@pytest.fixture
def services_answer(monkeypatch):
    """Glance and Nova answer the parameter constraints."""
    from heat.engine.clients.os import glance
    from heat.engine.clients.os import nova
    monkeypatch.setattr(glance.GlanceClientPlugin,
                        'find_image_by_name_or_id', lambda self, name: name)
    monkeypatch.setattr(nova.NovaClientPlugin,
                        'find_flavor_by_name_or_id', lambda self, name: name)
    monkeypatch.setattr(nova.NovaClientPlugin, 'get_host',
                        lambda self, name: name)


def _read_like_the_client(name, tmp_path):
    """Template, files and environment as heatclient sends them."""
    none_env = tmp_path / 'none_servers.yaml'
    none_env.write_text(yaml.safe_dump(NONE_SERVERS_ENV))
    files, template = template_utils.get_template_contents(
        template_file=os.path.join(REPO, 'templates', name))
    env_files, env = template_utils.process_multiple_environments_and_files(
        env_paths=[LIBRARY_ENV, str(none_env)])
    files.update(env_files)
    # heatclient reads bytes; its JSON encoder sends them as text.
    files = {url: content.decode('utf-8') if isinstance(content, bytes)
             else content for url, content in files.items()}
    return template, files, env


@pytest.mark.parametrize('name', sorted(STACKS))
def test_reference_stack_creates_and_deletes(name, tmp_path, heat, vitrage,
                                             mistral, services_answer,
                                             engine_service):
    template, files, env = _read_like_the_client(name, tmp_path)
    env.setdefault('parameters', {}).update(STACKS[name])
    ctx = heat.context()
    identity = engine_service.create_stack(
        ctx, name.replace('.yaml', ''), template, env, files,
        {'timeout_mins': 10})
    try:
        stack = engine_service.show_stack(ctx, identity)[0]
        assert (stack['stack_action'], stack['stack_status']) == (
            'CREATE', 'COMPLETE'), stack['stack_status_reason']
        declared = template.get('outputs', {})
        shown = {o['output_key']: o for o in stack['outputs']}
        assert set(shown) == set(declared)
        assert all(o.get('description') for o in declared.values())
        assert not [o for o in shown.values() if o.get('output_error')]
    finally:
        engine_service.delete_stack(ctx, identity)
    deleted = engine_service.list_stacks(ctx, show_deleted=True)
    assert [(s['stack_action'], s['stack_status']) for s in deleted
            if s['stack_identity'] == identity] == [('DELETE', 'COMPLETE')]
    assert vitrage.stored() == {}


class _Finished(object):
    """A thread that already ran."""

    def link(self, callback, *args, **kwargs):
        callback(self, *args, **kwargs)


@pytest.fixture
def engine_service(heat, monkeypatch, request):
    """Heat's EngineService, answering the engine API in the test's thread.

    Stacks go through it as through heat-api, and the nested stacks of
    provider templates and resource groups through it as over RPC. Its
    work runs at once instead of in threads, with the legacy (not
    convergence) engine, so the test's SQLite database has one user.
    """
    from heat.common import service_utils
    from heat.engine import service
    from heat.rpc import api as rpc_api
    from heat.rpc import client as rpc_client

    def run_now(manager, stack_id, func, *args, **kwargs):
        func(*args, **kwargs)
        return _Finished()

    heat_service = service.EngineService('selfheal-test-engine',
                                         rpc_api.ENGINE_TOPIC)
    heat_service.engine_id = service_utils.generate_engine_id()
    heat_service.thread_group_mgr = service.ThreadGroupManager()
    monkeypatch.setattr(service.ThreadGroupManager, 'start', run_now)

    def local_call(client, ctxt, msg, version=None, timeout=None):
        method, kwargs = msg
        return getattr(heat_service, method)(ctxt, **kwargs)

    monkeypatch.setattr(rpc_client.EngineClient, 'call', local_call)
    monkeypatch.setattr(rpc_client.EngineClient, 'cast', local_call)
    service.cfg.CONF.set_override('convergence_engine', False)
    request.addfinalizer(
        lambda: service.cfg.CONF.clear_override('convergence_engine'))
    return heat_service
