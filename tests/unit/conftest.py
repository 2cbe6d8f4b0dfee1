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
