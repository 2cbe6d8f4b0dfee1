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

"""Real Heat and Mistral servers for the functional tests.

Each server is the owner's own code (Heat's WSGI API and EngineService,
Mistral's API and engine) run by a small launcher in ``launchers/`` as a
subprocess of the test run: one process per service, the ``fake:/`` RPC
transport, SQLite and logs in a temporary state directory. The launcher
binds 127.0.0.1 port 0 and reports the port it got; the server is stopped
by PID (SIGTERM, then SIGKILL after a timeout).

The pytest fixtures are session-scoped: one Mistral and one Heat per run.
Heat's noauth catalog points ``workflowv2`` at that Mistral, so Heat's
Mistral client plugin talks to the real service.
"""

import json
import os
import signal
import socket
import subprocess
import sys
import time
import urllib.error
import urllib.request

import pytest

HOST = '127.0.0.1'
LAUNCHERS = os.path.join(os.path.dirname(os.path.abspath(__file__)),
                         'launchers')
# Heat and Mistral come from the environment running the tests.
PYTHON = sys.executable
BIN_DIR = os.path.dirname(PYTHON)

# Local servers are never reached through a proxy.
_NO_PROXY = urllib.request.build_opener(urllib.request.ProxyHandler({}))

START_TIMEOUT = 180
STOP_TIMEOUT = 15


class ServerStartError(RuntimeError):
    pass


class ServerProcess(object):
    """A launcher subprocess serving HTTP on 127.0.0.1."""

    def __init__(self, name, launcher, config_file, state_dir,
                 health_path, extra_args=()):
        self.name = name
        self.state_dir = str(state_dir)
        self.health_path = health_path
        self.port_file = os.path.join(self.state_dir, name + '.port')
        self.log_file = os.path.join(self.state_dir, name + '.log')
        self.argv = [PYTHON, os.path.join(LAUNCHERS, launcher),
                     '--config-file', str(config_file),
                     '--port-file', self.port_file,
                     '--parent-pid', str(os.getpid())] + list(extra_args)
        self.process = None
        self.port = None
        self.start_seconds = None

    @property
    def url(self):
        return 'http://%s:%d' % (HOST, self.port)

    def start(self, timeout=START_TIMEOUT):
        started = time.monotonic()
        deadline = started + timeout
        with open(self.log_file, 'ab') as log:
            self.process = subprocess.Popen(
                self.argv, stdin=subprocess.DEVNULL, stdout=log,
                stderr=subprocess.STDOUT, cwd=self.state_dir,
                env=local_env(), start_new_session=True)
        try:
            self.port = self._wait_for_port(deadline)
            self._wait_healthy(deadline)
        except BaseException:
            self.stop()
            raise
        self.start_seconds = time.monotonic() - started
        return self

    def _fail(self, reason):
        raise ServerStartError('%s %s (%s); last lines of %s:\n%s' % (
            self.name, reason, ' '.join(self.argv), self.log_file,
            self.log_tail()))

    def _check_alive(self):
        code = self.process.poll()
        if code is not None:
            self._fail('exited with status %s while starting' % code)

    def _wait_for_port(self, deadline):
        while time.monotonic() < deadline:
            self._check_alive()
            try:
                with open(self.port_file) as f:
                    return int(f.read())
            except (FileNotFoundError, ValueError):
                time.sleep(0.2)
        self._fail('did not bind a port in time')

    def _wait_healthy(self, deadline):
        last_error = None
        while time.monotonic() < deadline:
            self._check_alive()
            try:
                with _NO_PROXY.open(self.url + self.health_path,
                                    timeout=10) as response:
                    if response.status == 200:
                        return
                    last_error = 'HTTP %s' % response.status
            except (urllib.error.URLError, OSError) as ex:
                last_error = ex
            time.sleep(0.2)
        self._fail('did not answer %s in time (last: %s)' % (
            self.health_path, last_error))

    def stop(self, timeout=STOP_TIMEOUT):
        """SIGTERM, then SIGKILL if still running after ``timeout``."""
        if self.process is None or self.process.poll() is not None:
            return
        os.kill(self.process.pid, signal.SIGTERM)
        try:
            self.process.wait(timeout=timeout)
        except subprocess.TimeoutExpired:
            os.kill(self.process.pid, signal.SIGKILL)
            self.process.wait()

    def log_tail(self, lines=40):
        try:
            with open(self.log_file, errors='replace') as f:
                return ''.join(f.readlines()[-lines:])
        except OSError as ex:
            return '(no log: %s)' % ex

    def __enter__(self):
        return self

    def __exit__(self, *exc_info):
        self.stop()


def write_config(path, sections):
    with open(path, 'w') as f:
        for section, options in sections.items():
            f.write('[%s]\n' % section)
            for key, value in options.items():
                f.write('%s = %s\n' % (key, value))
            f.write('\n')
    return path


def start_mistral(state_dir):
    """Mistral 23 API + engine; executor and notifier run in the engine."""
    state_dir = str(state_dir)
    config = write_config(os.path.join(state_dir, 'mistral.conf'), {
        'DEFAULT': {'transport_url': 'fake:/'},
        'api': {'host': HOST, 'port': 0},
        'pecan': {'auth_enable': False},
        'database': {'connection': 'sqlite:///' + os.path.join(
            state_dir, 'mistral.sqlite')},
        'executor': {'type': 'local'},
        'notifier': {'type': 'local'},
        # The default 1 s scheduler delay dominates short workflows.
        'scheduler': {'fixed_delay': 0.1},
        # Otherwise a non-daemon 300 s timer holds the process open.
        'action_heartbeat': {'check_interval': 0},
        'cron_trigger': {'enabled': False},
    })
    return ServerProcess('mistral', 'mistral_threads.py', config, state_dir,
                         health_path='/v2/workflows').start()


def heat_plugin_dir():
    from selfheal import plugin_dir
    return plugin_dir.plugin_dir()


def start_heat(state_dir, endpoints, plugin_dirs=None):
    """Heat 27 API + engine with noauth, serving heat_plugins/.

    ``endpoints`` maps service types to URLs for the noauth catalog (the
    launcher adds Heat's own ``orchestration`` entry).
    """
    state_dir = str(state_dir)
    venv_etc = os.path.join(sys.prefix, 'etc', 'heat')
    config = write_config(os.path.join(state_dir, 'heat.conf'), {
        'DEFAULT': {
            'transport_url': 'fake:/',
            'rpc_response_timeout': 120,
            'num_engine_workers': 1,
            'convergence_engine': True,
            'host': 'heat-functional',
            # No Keystone: fake keystone backend, stored creds, no trusts.
            'deferred_auth_method': 'password',
            'keystone_backend': 'heat.engine.clients.os.keystone.'
                                'fake_keystoneclient.FakeKeystoneClient',
            'plugin_dirs': plugin_dirs or heat_plugin_dir(),
            'environment_dir': os.path.join(venv_etc, 'environment.d'),
            'template_dir': os.path.join(venv_etc, 'templates'),
            'periodic_interval': 60,
        },
        'paste_deploy': {
            'flavor': 'noauth',
            'api_paste_config': os.path.join(venv_etc, 'api-paste.ini'),
        },
        'database': {'connection': 'sqlite:///' + os.path.join(
            state_dir, 'heat.sqlite')},
        'oslo_messaging_notifications': {'driver': 'noop'},
        # noauth only grants the legacy "admin" role.
        'oslo_policy': {'enforce_new_defaults': False,
                        'enforce_scope': False},
    })
    extra_args = []
    for service_type, url in sorted(endpoints.items()):
        extra_args += ['--endpoint', '%s=%s' % (service_type, url)]
    # Resource types come from the engine: this proves both are up.
    return ServerProcess('heat', 'heat_threads.py', config, state_dir,
                         health_path='/v1/admin/resource_types',
                         extra_args=extra_args).start()


class ClosedPort(object):
    """A 127.0.0.1 port held but never listened on: connections are refused.

    Used as the catalog URL of a service the tests do not run, so nothing
    else can answer on it while the session lasts.
    """

    def __init__(self):
        self._socket = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
        self._socket.bind((HOST, 0))
        self.port = self._socket.getsockname()[1]

    def url(self, path=''):
        return 'http://%s:%d%s' % (HOST, self.port, path)

    def close(self):
        self._socket.close()


def local_env():
    """Environment for servers and CLIs: no caller's OS_*, no proxy here."""
    env = {k: v for k, v in os.environ.items() if not k.startswith('OS_')}
    for name in ('no_proxy', 'NO_PROXY'):
        env[name] = ','.join(filter(None, [env.get(name), HOST]))
    return env


class OpenStackCommand(object):
    """The real ``openstack`` CLI run against ``heat`` with noauth.

    Started on creation, so several commands can run side by side (each
    CLI start costs seconds); result() waits and returns the parsed
    ``-f json`` output, or fails the test with the CLI's stderr.
    """

    def __init__(self, heat, *args):
        self.argv = [os.path.join(BIN_DIR, 'openstack'),
                     '--os-auth-type', 'none',
                     '--os-endpoint', heat.url + '/v1/admin'] + list(
                         args) + ['-f', 'json']
        self._process = subprocess.Popen(
            self.argv, stdin=subprocess.DEVNULL, stdout=subprocess.PIPE,
            stderr=subprocess.PIPE, text=True, env=local_env())

    def close(self):
        """Stop the command if nobody asked for its result."""
        if self._process.returncode is None:
            self._process.kill()
            self._process.communicate()

    def result(self, timeout=120):
        try:
            out, err = self._process.communicate(timeout=timeout)
        except subprocess.TimeoutExpired:
            self._process.kill()
            out, err = self._process.communicate()
        assert self._process.returncode == 0, '%s failed (%s):\n%s' % (
            ' '.join(self.argv), self._process.returncode, err)
        return json.loads(out)


def openstack(heat, *args):
    """Run one ``openstack`` CLI command; return its parsed JSON output."""
    return OpenStackCommand(heat, *args).result()


def heat_client(heat):
    from heatclient import client
    return client.Client('1', endpoint=heat.url + '/v1/admin',
                         token='functional-noauth')


def mistral_client(mistral):
    from mistralclient.api import client
    return client.client(mistral_url=mistral.url + '/v2')


# Fixtures: import them into a conftest.py to use them.

@pytest.fixture(scope='session')
def mistral_server(tmp_path_factory):
    with start_mistral(tmp_path_factory.mktemp('mistral')) as server:
        yield server


@pytest.fixture(scope='session')
def heat_server(tmp_path_factory, mistral_server):
    """Heat with the real Mistral as workflowv2.

    Vitrage (``rca``) is in the catalog, so Heat lists the Vitrage types,
    but at a closed port: these tests run no Vitrage.
    """
    no_vitrage = ClosedPort()
    endpoints = {'workflowv2': mistral_server.url + '/v2',
                 'rca': no_vitrage.url()}
    try:
        with start_heat(tmp_path_factory.mktemp('heat'),
                        endpoints) as server:
            yield server
    finally:
        no_vitrage.close()
