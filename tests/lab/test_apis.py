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

"""Every API of the lab answers through ``openstack --os-cloud``."""

import concurrent.futures
import subprocess

import pytest

from selfheal.lab import layout
from tests.lab.conftest import clean_env
from tests.lab.conftest import selfheal_lab

pytestmark = pytest.mark.lab

# (what it proves, the openstack command)
ADMIN_COMMANDS = (
    ('identity', ('token', 'issue')),
    ('catalog', ('catalog', 'list')),
    ('placement', ('versions', 'show', '--service', 'placement')),
    ('image', ('image', 'list')),
    ('network', ('network', 'list')),
    ('compute', ('compute', 'service', 'list')),
    ('compute flavors', ('flavor', 'list')),
    ('orchestration', ('orchestration', 'service', 'list')),
    ('orchestration stacks', ('stack', 'list')),
    ('workflow', ('workflow', 'list')),
    ('rca', ('rca', 'template', 'list')),
    ('rca alarms', ('rca', 'alarm', 'list', '--all-tenants')),
)


def test_every_api_answers_for_admin(openstack):
    """Each service answers an admin through the clouds.yaml entry."""
    with concurrent.futures.ThreadPoolExecutor(4) as pool:
        results = dict(zip(
            (name for name, _ in ADMIN_COMMANDS),
            pool.map(lambda c: openstack.json(*c[1]), ADMIN_COMMANDS)))
    names = {row['Name'] for row in results['catalog']}
    assert {'keystone', 'nova', 'placement', 'glance', 'neutron', 'heat',
            'mistral', 'vitrage'} <= names
    hosts = {row['Host'] for row in results['compute']
             if row['Binary'] == 'nova-compute'}
    assert hosts == set(layout.COMPUTE_HOSTS)
    assert [r for r in results['orchestration'] if r['Status'] == 'up']
    assert {r['Name'] for r in results['image']} >= {'selfheal-tiny'}
    assert {r['Name'] for r in results['compute flavors']} >= {'m1.tiny'}


def test_the_client_loads_every_plugin_quietly(openstack):
    # python-blazarclient 4.6.0 names a class it lacks in its entry points.
    listed = openstack.run('server', 'list')
    assert 'Could not load' not in listed.stderr, listed.stderr


def test_up_prints_a_hint_that_works_as_typed(lab):
    up = selfheal_lab('up')
    hint = up.stdout.rsplit('try: ', 1)[-1].split()
    assert hint[0] == str(lab.services_venv / 'bin' / 'openstack')
    listed = subprocess.run(hint, capture_output=True, text=True,
                            timeout=300, env=clean_env())
    assert listed.returncode == 0, listed.stderr


def test_demo_user_works_and_is_not_admin(openstack):
    """The demo cloud entry is a plain member of project demo."""
    assert openstack.json('server', 'list',
                          cloud=layout.DEMO_CLOUD) is not None
    assert openstack.json('stack', 'list', cloud=layout.DEMO_CLOUD) == []
    denied = openstack.run('compute', 'service', 'list',
                           cloud=layout.DEMO_CLOUD, check=False)
    assert denied.returncode != 0
    assert 'HTTP 403' in denied.stderr or 'Policy' in denied.stderr


def test_mistral_extra_openstack_action_authenticates_with_keystone(openstack):
    """mistral-extra's nova actions act with the caller's token."""
    result = openstack.json('action', 'execution', 'run',
                            'nova.services_list', '{"binary": "nova-compute"}')
    services = result['result']
    assert {s['host'] for s in services} == set(layout.COMPUTE_HOSTS)
