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

import pytest

from tests.unit import heat_harness
from tests.unit import mistral_boundary
from tests.unit import vitrage_double


@pytest.fixture(scope='session')
def heat_engine(tmp_path_factory):
    heat_harness.configure(tmp_path_factory.mktemp('heat'))
    return heat_harness


@pytest.fixture
def heat(heat_engine):
    heat_engine.reset_database()
    return heat_engine


@pytest.fixture
def vitrage(heat, monkeypatch):
    """Heat's vitrage client, replaced at the python-vitrageclient boundary."""
    from heat_plugins import vitrage_client
    client = vitrage_double.FakeVitrageClient()
    monkeypatch.setattr(vitrage_client.VitrageClientPlugin, '_create',
                        lambda plugin, version=None: client)
    return client.template


@pytest.fixture
def mistral(heat, mistral_client, monkeypatch):
    from heat.engine.clients.os import mistral as mistral_plugin
    faulty = mistral_boundary.FaultyWorkflows(mistral_client.workflows)

    class Client(object):
        workflows = faulty

    monkeypatch.setattr(mistral_plugin.MistralClientPlugin, '_create',
                        lambda plugin, version=None: Client())
    yield faulty
    namespace = mistral_boundary.NAMESPACE
    for wf in mistral_client.workflows.list(namespace=namespace):
        mistral_client.workflows.delete(wf.id, namespace=namespace)


@pytest.fixture(params=['legacy', 'convergence'],
                ids=['legacy', 'convergence'])
def lifecycle(request, heat):
    """Create/update/delete/check stacks with Heat's legacy or convergence
    engine (one test per mode); see heat_harness.LegacyLifecycle and
    ConvergenceLifecycle. Always use the stack each method returns.
    """
    driver = heat.start_lifecycle(request.param)
    yield driver
    driver.stop()
