"""Fixtures shared by the unit and functional tests."""

import pytest

from tests.functional.servers import heat_server  # noqa: F401
from tests.functional.servers import mistral_server  # noqa: F401


@pytest.fixture(scope='session')
def mistral_client(mistral_server):  # noqa: F811
    from tests.functional import servers
    return servers.mistral_client(mistral_server)
