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

"""The lab fixture: ``selfheal lab up`` once per test session.

Tests marked ``lab`` need an installed lab (``selfheal lab install``). They
skip when it is not installed, unless SELFHEAL_LAB_REQUIRED=1 (CI), where
they fail instead. Tests marked ``lab_teardown`` run last: they stop it.
"""

import json
import os
import subprocess
import sys

import pytest

from selfheal.lab import install
from selfheal.lab import layout

REQUIRED = 'SELFHEAL_LAB_REQUIRED'


def pytest_configure(config):
    # 'lab' itself is declared in setup.cfg.
    config.addinivalue_line(
        'markers', 'lab_teardown: stops the lab; runs after every other test')


def pytest_collection_modifyitems(config, items):
    last = [i for i in items if i.get_closest_marker('lab_teardown')]
    items[:] = [i for i in items if i not in last] + last


def clean_env(**extra):
    """The caller's environment without OS_* variables that would win."""
    env = {k: v for k, v in os.environ.items() if not k.startswith('OS_')}
    env.update(extra)
    return env


def selfheal_lab(*args, env=None, timeout=600):
    """``selfheal lab ARGS`` in a subprocess, as an operator runs it."""
    return subprocess.run(
        [sys.executable, '-m', 'selfheal.cli', 'lab', *args],
        capture_output=True, text=True, timeout=timeout,
        env=env or clean_env())


class Openstack:
    """``openstack --os-cloud ...`` from the lab's own venv."""

    def __init__(self, lab):
        self.program = str(lab.services_venv / 'bin' / 'openstack')

    def run(self, *args, cloud=layout.CLOUD, check=True):
        proc = subprocess.run([self.program, '--os-cloud', cloud, *args],
                              capture_output=True, text=True, timeout=300,
                              env=clean_env())
        if check and proc.returncode:
            raise AssertionError('openstack --os-cloud %s %s failed (%d):\n%s'
                                 % (cloud, ' '.join(args), proc.returncode,
                                    proc.stderr[-3000:]))
        return proc

    def json(self, *args, cloud=layout.CLOUD):
        out = self.run(*args, '-f', 'json', cloud=cloud).stdout
        # `stack create --wait` prints its event lines before the JSON.
        lines = out.splitlines()
        start = next((i for i, line in enumerate(lines)
                      if line[:1] in '{['), 0)
        return json.loads('\n'.join(lines[start:]))


@pytest.fixture(scope='session')
def lab():
    lab = layout.Lab.from_env()
    missing = install.problems(lab)
    if missing:
        message = ('the lab is not installed (missing %s); run `selfheal lab '
                   'install`' % '; '.join(missing))
        if os.environ.get(REQUIRED):
            pytest.fail(message)
        pytest.skip(message)
    up = selfheal_lab('up')
    assert up.returncode == 0, 'selfheal lab up failed:\n%s\n%s' % (
        up.stdout[-4000:], up.stderr[-4000:])
    return lab


@pytest.fixture(scope='session')
def openstack(lab):
    return Openstack(lab)


@pytest.fixture(scope='session')
def admin_session(lab):
    from selfheal.lab import cloud
    return cloud.admin_session(lab)


@pytest.fixture(scope='session')
def vitrage(lab, admin_session):
    from vitrageclient import client
    return client.Client('1', session=admin_session, interface='public')


@pytest.fixture(scope='session')
def mistral(lab, admin_session):
    from mistralclient.api import client
    return client.client(session=admin_session,
                         mistral_url=lab.url('mistral', '/v2'))
