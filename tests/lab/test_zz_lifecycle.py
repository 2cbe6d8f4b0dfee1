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

"""up twice, status, env, logs; then down (twice) leaves nothing behind.

Marked lab_teardown: these run after every other test of the session.
"""

import os
import pathlib
import socket

import pytest

from selfheal.lab import health
from selfheal.lab import layout
from selfheal.lab import procs
from selfheal.lab import services
from tests.lab.conftest import selfheal_lab

pytestmark = pytest.mark.lab


def test_up_twice_is_harmless(lab):
    again = selfheal_lab('up')
    assert again.returncode == 0, again.stderr
    for name in services.service_names(lab):
        assert '%s' % name in again.stdout
    assert ' started (pid' not in again.stdout
    assert 'already running' in again.stdout


def test_status_reports_every_service_healthy(lab):
    status = selfheal_lab('status')
    assert status.returncode == 0, status.stdout
    rows = {line.split()[0]: line.split()[1]
            for line in status.stdout.splitlines()}
    assert rows == {name: 'healthy' for name in services.service_names(lab)}


def test_env_prints_cloud_and_endpoints(lab):
    env = selfheal_lab('env')
    assert env.returncode == 0
    assert layout.CLOUD in env.stdout and layout.DEMO_CLOUD in env.stdout
    for service_type in ('identity', 'compute', 'orchestration',
                         'workflowv2', 'rca'):
        assert service_type in env.stdout


def test_logs_shows_a_service_log_and_rejects_unknown_names(lab):
    logs = selfheal_lab('logs', 'keystone', '-n', '5')
    assert logs.returncode == 0 and logs.stdout.strip()
    unknown = selfheal_lab('logs', 'no-such-service')
    assert unknown.returncode == 2
    assert 'keystone' in unknown.stderr


def _lab_processes(lab):
    """Every process whose command line or working dir is in the lab home."""
    home = str(lab.home)
    found = []
    for entry in pathlib.Path('/proc').iterdir():
        if not entry.name.isdigit() or int(entry.name) == os.getpid():
            continue
        try:
            cmdline = (entry / 'cmdline').read_bytes().replace(b'\0', b' ')
            cwd = os.readlink(entry / 'cwd')
        except OSError:
            continue
        if home.encode() in cmdline or cwd.startswith(home):
            found.append((int(entry.name), cmdline.decode()[:120]))
    return found


@pytest.mark.lab_teardown
def test_down_leaves_no_process_behind_and_twice_is_harmless(lab):
    pids = []
    for name in services.service_names(lab):
        pids += procs.session_members(procs.read_pidfile(lab.pidfile(name)))
    assert len(pids) >= len(services.service_names(lab))

    down = selfheal_lab('down')
    assert down.returncode == 0, down.stderr
    assert [pid for pid in pids if not _gone(pid)] == []
    assert _lab_processes(lab) == []
    assert [p for p in layout.PORTS.values() if health.port_open(p)] == []
    assert list(lab.run.glob('*.pid')) == []

    again = selfheal_lab('down')
    assert again.returncode == 0
    assert again.stdout.count('not running') == len(
        services.service_names(lab))


@pytest.mark.lab_teardown
def test_up_names_the_service_whose_port_is_taken(lab):
    port = layout.PORTS['keystone']
    with socket.socket() as blocker:
        blocker.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        blocker.bind((layout.HOST, port))
        blocker.listen()
        up = selfheal_lab('up')
    assert up.returncode == 1
    assert 'port %d' % port in up.stderr and 'keystone' in up.stderr
    assert 'Traceback' not in up.stderr
    assert _lab_processes(lab) == []  # refused before starting anything


def _gone(pid):
    try:
        stat = pathlib.Path('/proc/%d/stat' % pid).read_text()
    except OSError:
        return True
    return stat[stat.rindex(')') + 2] == 'Z'  # exited, not yet reaped
