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

"""heat_plugins.definition_checks: checks in long-lived child processes.

The children are real (``python -m selfheal_checks.server``); the tests
stop (SIGSTOP) or kill them to make them hang or die. A check answers, or
raises CheckerUnavailable within the pool's wait, never hangs.
"""

import array
import fcntl
import json
import os
import signal
import subprocess
import sys
import termios
import textwrap
import threading
import time

import pytest

from heat_plugins import definition_checks as checks

WORKFLOW = textwrap.dedent('''\
    version: '2.0'
    unit.hello:
      tasks:
        greet:
          action: std.echo output=hello
    ''')
BROKEN = WORKFLOW.replace('std.echo', 'std.shout')
WHAT = checks.MISTRAL_DEFINITION


@pytest.fixture
def pool(monkeypatch):
    """A pool of its own for check_mistral_definition, closed after."""
    pool = checks.CheckerPool(size=2, wait=60)
    monkeypatch.setattr(checks, '_POOL', pool)
    yield pool
    pool.close()


def _queued(child):
    """Bytes sent to the child that it has not read yet."""
    count = array.array('i', [0])
    fcntl.ioctl(child.process.stdin.fileno(), termios.FIONREAD, count)
    return count[0]


def _wait_for(condition):
    deadline = time.monotonic() + 60
    while not condition():
        assert time.monotonic() < deadline
        time.sleep(0.02)


class _InThread(threading.Thread):
    """call(*args) in a thread; its result or the exception it raised."""

    def __init__(self, call, *args):
        super(_InThread, self).__init__(daemon=True)
        self._call, self._args = call, args
        self.result = self.error = None
        self.start()

    def run(self):
        try:
            self.result = self._call(*self._args)
        except Exception as ex:
            self.error = ex


def _stop(child):
    """SIGSTOP the child; return once it is stopped, not reading."""
    os.kill(child.process.pid, signal.SIGSTOP)

    def state():
        with open('/proc/%d/stat' % child.process.pid) as stat:
            return stat.read().rsplit(')', 1)[1].split()[0]
    _wait_for(lambda: state() == 'T')


def _stopped_child(pool):
    """The pool's one child, after one check, stopped."""
    assert checks.check_mistral_definition(WORKFLOW) == []
    [child] = pool.children
    _stop(child)
    return child


def test_a_child_killed_during_a_check_gives_one_clear_error(pool):
    child = _stopped_child(pool)
    asking = _InThread(checks.check_mistral_definition, BROKEN)
    _wait_for(lambda: _queued(child))
    child.process.kill()
    asking.join(60)

    assert isinstance(asking.error, checks.CheckerUnavailable)
    assert str(asking.error).startswith(
        'The Mistral definition checks failed: the checking process was '
        'killed by signal 9')
    assert child not in pool.children
    assert [p.line for p in checks.check_mistral_definition(BROKEN)] == [5]


def test_a_hung_child_gives_one_clear_error_after_the_wait(pool):
    child = _stopped_child(pool)
    pool.wait = 2
    with pytest.raises(checks.CheckerUnavailable) as raised:
        checks.check_mistral_definition(BROKEN)

    assert str(raised.value) == (
        'The Mistral definition checks did not answer within 2 s; the '
        'checking process was replaced')
    assert child.process.returncode == -signal.SIGKILL
    pool.wait = 60
    assert [p.line for p in checks.check_mistral_definition(BROKEN)] == [5]


def test_two_checks_at_once_are_answered_by_two_children(pool):
    child = _stopped_child(pool)
    first = _InThread(pool.ask, WHAT, {'kind': 'mistral', 'text': WORKFLOW})
    _wait_for(lambda: _queued(child))
    second = pool.ask(WHAT, {'kind': 'mistral', 'text': BROKEN})
    os.kill(child.process.pid, signal.SIGCONT)
    first.join(60)

    assert first.error is None
    assert first.result['pid'] == child.process.pid
    assert second['pid'] != child.process.pid
    assert sorted(c.process.pid for c in pool.children) == sorted(
        [first.result['pid'], second['pid']])


def test_a_check_waits_for_a_free_child_only_as_long_as_the_wait(pool):
    stuck = [_stopped_child(pool)]
    busy = [_InThread(checks.check_mistral_definition, WORKFLOW)]
    _wait_for(lambda: _queued(stuck[0]))
    assert checks.check_mistral_definition(WORKFLOW) == []
    stuck += [c for c in pool.children if c not in stuck]
    _stop(stuck[1])
    busy.append(_InThread(checks.check_mistral_definition, WORKFLOW))
    _wait_for(lambda: _queued(stuck[1]))
    pool.wait = 2
    with pytest.raises(checks.CheckerUnavailable) as raised:
        checks.check_mistral_definition(BROKEN)

    assert str(raised.value) == (
        'The Mistral definition checks did not answer within 2 s: every '
        'checking process stayed busy')
    pool.close()
    for thread in busy:
        thread.join(60)
        assert isinstance(thread.error, checks.CheckerUnavailable)


# heat-engine's way: parse the options, load Heat's resources and every
# module of plugin_dirs; watch cfg.CONF for any replacement meanwhile.
ENGINE_IMPORTS = textwrap.dedent("""\
    import json, os, sys, types
    from oslo_config import cfg
    swaps = []

    class Watched(types.ModuleType):
        def __setattr__(self, name, value):
            if name == 'CONF':
                swaps.append(repr(value))
            super().__setattr__(name, value)

    cfg.__class__ = Watched
    import heat_plugins
    from heat.common import config
    cfg.CONF([], project='heat', default_config_files=[])
    cfg.CONF.set_override('plugin_dirs', heat_plugins.__path__)
    from heat.engine import resources
    resources.initialise()
    loaded = vars(sys.modules['heat.engine.plugins'])
    plugins = sorted(name for name, value in loaded.items()
                     if isinstance(value, types.ModuleType))
    for name in plugins:    # as the plugins import each other, too
        __import__('heat_plugins.' + name)
    print(json.dumps({
        'plugins': plugins,
        'leaked': sorted(m for m in sys.modules if m.split('.')[0] in (
            'vitrage', 'mistral', 'mistral_extra', 'selfheal',
            'selfheal_checks')),
        'swaps': swaps}))
    """)


def test_heat_engine_imports_no_checking_code_and_keeps_its_conf():
    done = subprocess.run([sys.executable, '-c', ENGINE_IMPORTS],
                          capture_output=True, text=True, timeout=300,
                          env=dict(os.environ, PYTHONWARNINGS='ignore'))
    assert done.returncode == 0, done.stderr[-2000:]
    report = json.loads(done.stdout.strip().splitlines()[-1])
    print('heat_plugins modules heat-engine imported:', report['plugins'])

    modules = sorted(
        name[:-3] for name in os.listdir(os.path.dirname(checks.__file__))
        if name.endswith('.py') and name != '__init__.py')
    assert report['plugins'] == modules
    assert report['leaked'] == []
    assert report['swaps'] == []
