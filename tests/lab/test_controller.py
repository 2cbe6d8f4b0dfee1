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

"""The lab's machinery on small real processes: no OpenStack needed."""

import os
import signal
import socket
import subprocess
import sys
import textwrap
import time

import pytest

from selfheal.lab import bootstrap
from selfheal.lab import control
from selfheal.lab import health
from selfheal.lab import layout
from selfheal.lab import procs
from selfheal.lab import render
from selfheal.lab import services
from tests.lab.conftest import clean_env
from tests.lab.conftest import selfheal_lab


def _free_port():
    with socket.socket() as s:
        s.bind((layout.HOST, 0))
        return s.getsockname()[1]


def _python(code):
    return (sys.executable, '-c', textwrap.dedent(code))


@pytest.fixture
def lab(tmp_path):
    lab = layout.Lab(tmp_path / 'lab')
    lab.make_dirs()
    return lab


def _alive(pid):
    try:
        stat = open('/proc/%d/stat' % pid).read()
    except OSError:
        return False
    return stat[stat.rindex(')') + 2] != 'Z'


def test_missing_install_tells_the_user_to_run_install(tmp_path):
    up = selfheal_lab('up', env=clean_env(SELFHEAL_LAB_HOME=str(tmp_path)))
    assert up.returncode == 1
    assert 'Run `selfheal lab install`' in up.stderr
    assert 'Traceback' not in up.stderr


def test_a_service_dying_during_up_fails_naming_it_with_its_log(lab):
    port = _free_port()
    items = [
        services.Service('steady', _python('import time; time.sleep(60)'),
                         health.alive),
        services.Service('crasher', _python('''
            import sys
            print('crasher: cannot open its database')
            sys.exit(3)'''), health.Tcp(port), after=('steady',)),
    ]
    controller = control.Controller(lab, out=lambda line: None, items=items)
    with pytest.raises(bootstrap.LabError) as failure:
        controller.start_all()
    message = str(failure.value)
    assert message.startswith('crasher died during start (exit 3)')
    assert 'crasher: cannot open its database' in message
    steady = procs.read_pidfile(lab.pidfile('steady'))[0]
    assert _alive(steady)
    controller.down()
    assert not _alive(steady)
    controller.down()  # twice is harmless


def test_a_start_race_is_retried_within_start_attempts(lab, tmp_path):
    port = _free_port()
    marker = tmp_path / 'first-start-done'
    racy = _python('''
        import os, socket, sys, time
        if not os.path.exists(%r):
            open(%r, 'w').close()
            print('2026 1 ERROR racy RuntimeError: dictionary changed size')
            sys.exit(1)
        s = socket.socket()
        s.bind(('127.0.0.1', %d))
        s.listen()
        time.sleep(60)''' % (str(marker), str(marker), port))
    lines = []
    items = [services.Service('racy', racy, health.Tcp(port),
                              start_attempts=2)]
    controller = control.Controller(lab, out=lines.append, items=items)
    try:
        controller.start_all()
        assert any('racy' in line and 'exited 1 during start' in line
                   and 'dictionary changed size' in line for line in lines)
        assert any('healthy in' in line for line in lines)
    finally:
        controller.down()


def test_a_service_running_but_never_healthy_is_started_again(lab,
                                                              tmp_path):
    """As a Mistral whose API worker was forked holding its DB lock."""
    port = _free_port()
    marker = tmp_path / 'first-start-done'
    stuck_once = _python('''
        import os, socket, time
        if not os.path.exists(%r):
            open(%r, 'w').close()
            time.sleep(60)
        s = socket.socket()
        s.bind(('127.0.0.1', %d))
        s.listen()
        time.sleep(60)''' % (str(marker), str(marker), port))
    lines = []
    items = [services.Service('stuck', stuck_once, health.Tcp(port),
                              start_timeout=3.0, start_attempts=2)]
    controller = control.Controller(lab, out=lines.append, items=items)
    try:
        controller.start_all()
        assert any('stuck' in line and 'running but not healthy in 3 s'
                   in line for line in lines), lines
        assert any('healthy in' in line and 'not healthy' not in line
                   for line in lines), lines
    finally:
        controller.down()


def test_a_restart_waits_until_the_old_process_released_its_port(lab):
    port = _free_port()
    holder = subprocess.Popen(_python('''
        import socket, time
        s = socket.socket()
        s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        s.bind(('127.0.0.1', %d))
        s.listen()
        time.sleep(1.5)''' % port))
    server = _python('''
        import socket, time
        s = socket.socket()
        s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        s.bind(('127.0.0.1', %d))
        s.listen()
        time.sleep(60)''' % port)
    deadline = time.monotonic() + 10
    while not health.port_open(port) and time.monotonic() < deadline:
        time.sleep(0.05)
    assert not health.port_bindable(port)
    items = [services.Service('server', server, health.Tcp(port), port=port)]
    controller = control.Controller(lab, out=lambda line: None, items=items)
    try:
        controller.start_all()
        assert holder.poll() == 0
    finally:
        controller.down()
        holder.wait()


def test_a_config_written_after_the_start_marks_the_service_stale(lab):
    items = [services.Service('steady', _python('import time; time.sleep(60)'),
                              health.alive)]
    controller = control.Controller(lab, out=lambda line: None, items=items)
    config = lab.etc / 'steady.conf'
    config.write_text('old\n')
    try:
        controller.start_all()
        svc = items[0]
        assert not controller._written_since_start(svc, config)
        os.utime(config, (time.time() + 5, time.time() + 5))
        assert controller._written_since_start(svc, config)
    finally:
        controller.down()


def test_before_start_runs_at_every_start(lab):
    starts = []
    items = [services.Service(
        'steady', _python('import time; time.sleep(60)'), health.alive,
        before_start=lambda lab: starts.append(lab))]
    controller = control.Controller(lab, out=lambda line: None, items=items)
    try:
        controller.start_all()
        controller._stale = {'steady'}
        controller.start_service(items[0])
        assert starts == [lab, lab]
    finally:
        controller.down()


def test_a_service_failing_every_attempt_still_fails_up(lab):
    items = [services.Service('broken', _python('''
        import sys
        print('broken: bad config')
        sys.exit(2)'''), health.Tcp(_free_port()), start_attempts=2)]
    lines = []
    controller = control.Controller(lab, out=lines.append, items=items)
    with pytest.raises(bootstrap.LabError) as failure:
        controller.start_all()
    assert str(failure.value).startswith('broken died during start (exit 2)')
    assert sum('started (pid' in line for line in lines) == 2


def test_up_leaves_a_healthy_service_alone_and_repairs_a_dead_one(lab):
    port = _free_port()
    server = services.Service(
        'server', _python('''
            import socket, sys, time
            s = socket.socket()
            s.bind(('127.0.0.1', %d)); s.listen()
            time.sleep(60)''' % port), health.Tcp(port))
    controller = control.Controller(lab, out=lambda line: None,
                                    items=[server])
    controller.start_all()
    first = procs.read_pidfile(lab.pidfile('server'))
    controller.start_all()
    assert procs.read_pidfile(lab.pidfile('server')) == first
    os.kill(first[0], signal.SIGKILL)
    while _alive(first[0]):
        time.sleep(0.05)
    controller.start_all()
    second = procs.read_pidfile(lab.pidfile('server'))
    assert second[0] != first[0] and _alive(second[0])
    controller.down()
    assert not _alive(second[0])


def test_stop_kills_what_ignores_sigterm_with_its_children(lab):
    pidfile = lab.pidfile('stubborn')
    proc = procs.start(_python('''
        import signal, subprocess, time
        signal.signal(signal.SIGTERM, signal.SIG_IGN)
        subprocess.Popen(['sleep', '60'])
        time.sleep(60)'''), pidfile, lab.log('stubborn'))
    deadline = time.monotonic() + 10
    while len(procs.session_members(procs.read_pidfile(pidfile))) < 2:
        assert time.monotonic() < deadline
        time.sleep(0.05)
    members = procs.session_members(procs.read_pidfile(pidfile))
    assert procs.stop(pidfile, signal.SIGTERM, timeout=1) == 'killed'
    proc.wait()
    assert [pid for pid in members if _alive(pid)] == []
    assert not pidfile.exists()


def test_stop_never_signals_a_process_that_reused_the_pid(lab):
    """A PID file whose start time does not match is not ours."""
    pidfile = lab.pidfile('stale')
    sleeper = subprocess.Popen(['sleep', '60'], start_new_session=True)
    try:
        pidfile.write_text('%d 1\n' % sleeper.pid)  # wrong start time
        assert procs.stop(pidfile, signal.SIGKILL) == 'not running'
        assert sleeper.poll() is None
    finally:
        sleeper.kill()
        sleeper.wait()


def test_the_table_is_consistent():
    lab = layout.Lab.from_env()
    items = services.table(lab)
    names = [i.name for i in items]
    assert len(names) == len(set(names))
    seen = set()
    for item in items:  # the table is in a valid start order
        assert set(item.after) <= seen, item.name
        seen.add(item.name)
    ports = list(layout.PORTS.values())
    assert len(ports) == len(set(ports))
    assert all(18100 <= p <= 18299 for p in ports)


def test_configs_render_without_undefined_values(lab):
    import configparser
    render.render_all(lab, '/plugins')
    heat = configparser.RawConfigParser(strict=False)
    heat.read(lab.etc / 'heat' / 'heat.conf')
    assert heat['DEFAULT']['plugin_dirs'] == '/plugins'
    vitrage = configparser.RawConfigParser(strict=False)
    vitrage.read(lab.etc / 'vitrage' / 'vitrage.conf')
    assert vitrage['DEFAULT']['notifiers'] == 'mistral'
    persistor = configparser.RawConfigParser(strict=False)
    persistor.read(lab.etc / 'vitrage' / 'persistor.conf')
    assert persistor['DEFAULT']['executor_thread_pool_size'] == '1'
    # Read after nova.conf or vitrage.conf, these name no address.
    overlays = {h + '.conf' for h in layout.COMPUTE_HOSTS} | {
        'persistor.conf'}
    for conf in lab.etc.rglob('*.conf'):
        text = conf.read_text()
        assert '127.0.0.1' in text or conf.name in overlays, conf
        assert '0.0.0.0' not in text


def test_vitrage_notifier_shim_targets_the_given_mistral():
    """Without the shim, Vitrage's client would post to localhost:8989."""
    from keystoneauth1 import session
    from mistralclient.api.v2 import client
    from selfheal.lab import vitrage_notifier
    default = client._DEFAULT_MISTRAL_URL
    try:
        before = client.Client(session=session.Session(), region_name='R')
        assert before.executions.http_client.base_url == default
        vitrage_notifier.target_mistral('http://127.0.0.1:18116/v2')
        after = client.Client(session=session.Session(), region_name='R')
        assert after.executions.http_client.base_url == \
            'http://127.0.0.1:18116/v2'
    finally:
        client._DEFAULT_MISTRAL_URL = default


def test_a_changed_config_restarts_only_the_services_that_read_it():
    lab = layout.Lab.from_env()
    table = services.by_name(lab)
    readers = {name for name, item in table.items()
               if isinstance(item, services.Service) and
               control._uses(item, lab.etc / 'nova' / 'nova.conf')}
    assert readers == {'nova-api', 'nova-conductor', 'nova-scheduler',
                       'nova-compute-compute1', 'nova-compute-compute2'}
    assert {name for name, item in table.items()
            if isinstance(item, services.Service) and
            control._uses(item, lab.etc / 'my.cnf')} == {'mariadb'}
    assert control._uses(table['vitrage-api'],
                         lab.etc / 'vitrage' / 'vitrage.conf')
