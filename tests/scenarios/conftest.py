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

"""The scenarios' stacks, deployed the way README tells an operator.

Each stack is ``openstack stack create -t templates/<file> -e
templates/environment.yaml`` against the lab. The session deploys them in
parallel once, the scenarios share them, and the session deletes them at
the end. Every scenario starts by waiting until its stack is settled, so
the order the scenarios run in changes nothing they assert.
"""

import concurrent.futures
import types
import uuid

import pytest

from selfheal import measure
from tests.lab.conftest import admin_session  # noqa: F401 (fixture)
from tests.lab.conftest import lab  # noqa: F401 (fixture)
from tests.lab.conftest import mistral  # noqa: F401 (fixture)
from tests.lab.conftest import openstack  # noqa: F401 (fixture)
from tests.lab.conftest import vitrage  # noqa: F401 (fixture)
from tests.scenarios import helpers


@pytest.fixture(scope='session')
def cloud(lab):  # noqa: F811
    return measure.Cloud.for_lab(lab)


@pytest.fixture(scope='session')
def stacks(openstack, cloud):  # noqa: F811
    made = helpers.Stacks(openstack, cloud)
    yield made
    made.delete_all()


@pytest.fixture(scope='session')
def deployed(stacks, cloud):
    """The cloud-wide policy, an 8-member group and the 4-server seed stack.

    The group (templates/autohealing_group.yaml) serves the instance
    scenarios; the seed stack (templates/composable.yaml: 1 Frontend that
    is replaced, 2 Database evacuated with their host, 1 Scratch that
    opted out) serves the host scenarios. Workflow and Vitrage template
    names are global, so the heal workflows are installed by one stack
    only, and the policy stack refuses to load twice in one cloud.
    """
    helpers.refuse_foreign_policy(cloud)
    install = not helpers.workflow_exists(cloud, helpers.HEAL_WORKFLOW)
    suffix = uuid.uuid4().hex[:6]
    policy = stacks.launch('scn-policy-' + suffix,
                           'host_evacuation_policy.yaml')
    group = stacks.launch('scn-group-' + suffix, 'autohealing_group.yaml',
                          image=helpers.IMAGE, flavor=helpers.FLAVOR,
                          count=8, install_workflows=install)
    seed = stacks.launch('scn-seed-' + suffix, 'composable.yaml',
                         image=helpers.IMAGE, FrontendCount=1,
                         DatabaseCount=2, ScratchCount=1,
                         install_workflows=False)
    with concurrent.futures.ThreadPoolExecutor(3) as pool:
        done = dict(zip(('policy', 'group', 'seed'), pool.map(
            stacks.wait_created, (policy, group, seed))))
    return types.SimpleNamespace(**done)


@pytest.fixture
def give_back(cloud):
    """Servers a scenario failed on purpose; any left in ERROR is reset.

    An unhealed member would hold up every later scenario's wait for
    settled stacks.
    """
    servers = []
    yield servers
    helpers.reset_errors(cloud, servers)
