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

"""``up``, ``down`` and ``status``: walk the service table."""

import concurrent.futures
import os
import threading
import time

from selfheal.lab import bootstrap
from selfheal.lab import health
from selfheal.lab import install
from selfheal.lab import layout
from selfheal.lab import procs
from selfheal.lab import render
from selfheal.lab import services

LabError = bootstrap.LabError

# A service whose only check is "the process runs" must survive this long.
SETTLE = 2.0
POLL = 0.5
# First-start setup (database migrations) is CPU-bound: one per core, in
# table order, so Keystone's, which everything waits for, goes first.
PREPARE_SLOTS = max(1, min(2, os.cpu_count() or 1))


class Controller:
    def __init__(self, lab, out=print, items=None):
        self.lab = lab
        self._out = out
        self._lock = threading.Lock()
        self._t0 = time.monotonic()
        self.items = services.table(lab) if items is None else items
        self.by_name = {i.name: i for i in self.items}
        self._prepare_slots = threading.Semaphore(PREPARE_SLOTS)
        self._stale = set()  # running services whose config changed

    def say(self, name, msg):
        with self._lock:
            self._out('[%6.1fs] %-20s %s' % (
                time.monotonic() - self._t0, name, msg))

    # -- helpers ----------------------------------------------------------

    def services(self):
        return [i for i in self.items if isinstance(i, services.Service)]

    def record(self, svc):
        return procs.read_pidfile(self.lab.pidfile(svc.name))

    def running(self, svc):
        return procs.leader_alive(self.record(svc))

    def env(self, svc):
        env = dict(os.environ)
        env.pop('OS_CLOUD', None)
        env['PATH'] = os.pathsep.join([
            str(self.lab.services_venv / 'bin'), '/usr/sbin', '/sbin',
            env.get('PATH', '/usr/bin:/bin')])
        for key, value in svc.env:
            env[key] = str(value)
        return env

    # -- up ------------------------------------------------------------------

    def preflight(self):
        missing = install.problems(self.lab)
        missing += ['program ' + m for m in services.missing_programs(
            self.lab)]
        if missing:
            raise LabError('the lab is not installed: missing %s.\n'
                           'Run `selfheal lab install`.' % '; '.join(missing))
        taken = []
        owners = {svc.name: svc for svc in self.services()}
        for port_name, port in layout.PORTS.items():
            owner = owners.get(port_name) or owners.get(
                port_name.rsplit('-', 1)[0])
            if owner and not self.running(owner) and health.port_open(port):
                taken.append('port %d (%s) for %s' % (port, port_name,
                                                      owner.name))
        if taken:
            raise LabError(
                'ports the lab needs are already in use by processes that '
                'are not this lab\'s: %s. Stop them, or the other lab using '
                'them (SELFHEAL_LAB_HOME=...), first.' % '; '.join(taken))

    def up(self):
        self.preflight()
        stamp = install.read_stamp(self.lab)
        render.render_all(self.lab, stamp['plugin_dir'])
        configs = [self.lab.etc / dest
                   for _, dest, _ in services.configs(self.lab)]
        configs.append(self.lab.etc / 'nova' / 'api-paste.ini')
        # Newer than the process, even when an earlier `up` wrote it and
        # then failed before restarting the service.
        self._stale = {svc.name for svc in self.services()
                       if any(_uses(svc, path) and
                              self._written_since_start(svc, path)
                              for path in configs)}
        self.start_all()

    def _written_since_start(self, svc, path):
        try:
            return (path.stat().st_mtime >
                    self.lab.pidfile(svc.name).stat().st_mtime)
        except OSError:
            return False

    def start_all(self):
        self.lab.make_dirs()
        self._walk(self.items, self._start_item, deps=lambda i: i.after)
        dead = [svc for svc in self.services() if not self.running(svc)]
        if dead:
            raise self._died(dead[0])
        self.say('lab', 'up: %d services healthy' % len(self.services()))

    def _start_item(self, item):
        if isinstance(item, services.Task):
            return self._run_task(item)
        return self.start_service(item)

    def _run_task(self, task):
        stamp = self.lab.stamp(task.name)
        if task.once and stamp.exists():
            return
        started = time.monotonic()
        try:
            task.run(self.lab)
        except LabError:
            raise
        except Exception as e:
            raise LabError('%s: %s: %s' % (task.name, type(e).__name__, e))
        if task.once:
            stamp.touch()
        self.say(task.name, 'done in %.1fs' % (time.monotonic() - started))

    def start_service(self, svc, wait=True):
        if self.running(svc) and svc.name in self._stale:
            self.say(svc.name, 'config changed: restarting')
        elif self.running(svc):
            ok, detail = self._wait_healthy(svc, None, timeout=30)
            if ok:
                self.say(svc.name, 'already running (pid %d)'
                         % self.record(svc)[0])
                return
            self.say(svc.name, 'running but unhealthy (%s): restarting'
                     % detail)
        # Leftovers of a half-started lab: members of a dead leader's session.
        self._stop_service(svc, quiet=True)
        self._wait_port_released(svc)
        prepared = self.lab.stamp(svc.name)
        if svc.prepare and not prepared.exists():
            with self._prepare_slots:
                self.say(svc.name, 'preparing (first start)')
                started = time.monotonic()
                svc.prepare(self.lab)
                prepared.touch()
                self.say(svc.name, 'prepared in %.1fs'
                         % (time.monotonic() - started))
        if svc.before_start:
            svc.before_start(self.lab)
        for attempt in range(1, svc.start_attempts + 1):
            started = time.monotonic()
            proc = procs.start(svc.argv, self.lab.pidfile(svc.name),
                               self.lab.log(svc.name), env=self.env(svc),
                               cwd=self.lab.state)
            self.say(svc.name, 'started (pid %d)' % proc.pid)
            if not wait:
                return
            ok, detail = self._wait_healthy(svc, proc, svc.start_timeout)
            if (ok and proc.poll() is None) or attempt == svc.start_attempts:
                break
            if proc.poll() is None:
                self.say(svc.name, 'running but not healthy in %.0f s (%s): '
                         'starting again' % (svc.start_timeout, detail))
            else:
                self.say(svc.name, 'exited %d during start (%s): starting '
                         'again' % (proc.returncode,
                                    _last_error(self.lab.log(svc.name))))
            self._stop_service(svc, quiet=True)
        if proc.poll() is not None:
            raise self._died(svc, proc.returncode)
        if not ok:
            raise LabError('%s did not become healthy in %.0f s (%s). Last '
                           'lines of %s:\n%s' % (
                               svc.name, svc.start_timeout, detail,
                               self.lab.log(svc.name),
                               procs.tail(self.lab.log(svc.name))))
        self.say(svc.name, 'healthy in %.1fs (%s)' % (
            time.monotonic() - started, detail))

    def _wait_port_released(self, svc, timeout=60):
        """Wait out the dead process's sockets that still hold its port."""
        if svc.port is None:
            return
        deadline = time.monotonic() + timeout
        while not health.port_bindable(svc.port):
            if time.monotonic() > deadline:
                raise LabError('%s: port %d is still in use %d s after its '
                               'process stopped' % (svc.name, svc.port,
                                                    timeout))
            time.sleep(POLL)

    def _wait_healthy(self, svc, proc, timeout):
        deadline = time.monotonic() + timeout
        detail = 'not checked'
        while time.monotonic() < deadline:
            if proc is not None and proc.poll() is not None:
                return False, 'exited'
            if proc is None and not self.running(svc):
                return False, 'exited'
            ok, detail = svc.health(self.lab)
            if ok:
                if svc.health is health.alive and proc is not None:
                    time.sleep(SETTLE)
                    if proc.poll() is not None:
                        return False, 'exited'
                return True, detail
            time.sleep(POLL)
        return False, detail

    def _died(self, svc, code=None):
        return LabError('%s died during start%s. Last lines of %s:\n%s' % (
            svc.name, ' (exit %d)' % code if code is not None else '',
            self.lab.log(svc.name), procs.tail(self.lab.log(svc.name))))

    # -- down ----------------------------------------------------------------

    def down(self):
        dependents = {i.name: [] for i in self.items}
        for item in self.items:
            for dep in item.after:
                dependents[dep].append(item.name)
        self._walk(self.items, self._stop_item,
                   deps=lambda i: dependents[i.name])
        # PID files of services no longer in the table.
        known = {svc.name for svc in self.services()}
        for pidfile in sorted(self.lab.run.glob('*.pid')):
            if pidfile.stem not in known:
                outcome = procs.stop(pidfile)
                self.say(pidfile.stem, outcome)

    def _stop_item(self, item):
        if isinstance(item, services.Service):
            self._stop_service(item)

    def _stop_service(self, svc, quiet=False):
        pidfile = self.lab.pidfile(svc.name)
        if not pidfile.exists():
            if not quiet:
                self.say(svc.name, 'not running')
            return
        outcome = procs.stop(pidfile, svc.stop_signal, svc.stop_timeout)
        if not quiet or outcome != 'not running':
            self.say(svc.name, outcome)

    # -- status --------------------------------------------------------------

    def status(self):
        """[(name, state, detail)]; state is healthy|unhealthy|stopped."""
        def check(svc):
            record = self.record(svc)
            if not procs.leader_alive(record):
                left = procs.session_members(record)
                if left:
                    return svc.name, 'unhealthy', (
                        'leader dead, %d processes left' % len(left))
                return svc.name, 'stopped', ''
            ok, detail = svc.health(self.lab)
            pids = procs.session_members(record)
            detail = 'pid %d, %d MiB; %s' % (
                record[0], procs.rss_bytes(pids) >> 20, detail)
            return svc.name, 'healthy' if ok else 'unhealthy', detail
        with concurrent.futures.ThreadPoolExecutor(8) as pool:
            return list(pool.map(check, self.services()))

    def lab_pids(self):
        pids = []
        for svc in self.services():
            pids += procs.session_members(self.record(svc))
        return pids

    # -- the walk ------------------------------------------------------------

    def _walk(self, items, action, deps):
        """Run action on each item once all its deps are done, in parallel.

        The first failure stops new starts; running ones finish; it is
        then raised.
        """
        pending = {i.name: i for i in items}
        done, failure = set(), None
        with concurrent.futures.ThreadPoolExecutor(8) as pool:
            running = {}
            while pending or running:
                if failure is None:
                    for name, item in list(pending.items()):
                        if all(d in done for d in deps(item)):
                            running[pool.submit(action, item)] = name
                            del pending[name]
                if not running:
                    break
                finished, _ = concurrent.futures.wait(
                    running, return_when=concurrent.futures.FIRST_COMPLETED)
                for future in finished:
                    name = running.pop(future)
                    try:
                        future.result()
                        done.add(name)
                    except Exception as e:
                        if failure is None:
                            failure = e if isinstance(e, LabError) else \
                                LabError('%s: %s: %s' % (
                                    name, type(e).__name__, e))
        if failure is not None:
            raise failure
        if pending:
            raise LabError('unresolvable order for: %s' % ', '.join(pending))


def _last_error(log):
    errors = [line for line in procs.tail(log, 200).splitlines()
              if ' ERROR ' in line or 'Error:' in line]
    return errors[-1].strip()[-160:] if errors else 'see its log'


def _uses(svc, path):
    """Whether a service reads this config file.

    By path, or by its directory for the WSGI apps that take
    OS_<PROJECT>_CONFIG_DIR or HOME.
    """
    words = [str(a) for a in svc.argv] + [str(v) for _, v in svc.env]
    return any(str(path) in word or word == str(path.parent)
               for word in words)
