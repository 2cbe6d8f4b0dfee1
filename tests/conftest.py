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

"""Fixtures shared by the unit and functional tests."""

import pytest

from tests.functional.servers import heat_server  # noqa: F401
from tests.functional.servers import mistral_server  # noqa: F401


@pytest.fixture(scope='session')
def mistral_client(mistral_server):  # noqa: F811
    from tests.functional import servers
    return servers.mistral_client(mistral_server)
