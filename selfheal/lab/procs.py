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

"""Detached service processes, tracked by PID files.

Each service starts as the leader of its own session. Its PID file holds the
PID and the kernel's start time of that leader, so a PID reused by an unrelated
process is never mistaken for ours. Stopping signals every process still in
that session (uwsgi workers, forked Mistral and Vitrage children, Erlang
helpers), and nothing else.
"""

import os
import pathlib
import signal
import subprocess
import time

PROC = pathlib.Path('/proc')


def _stat(pid):
    """(session id, start time) of a live process, or None."""
    try:
        raw = (PROC / str(pid) / 'stat').read_text()
    except OSError:
        return None
    # The command name (field 2) may hold spaces: split after its ')'.
    fields = raw[raw.rindex(')') + 2:].split()
    if fields[0] == 'Z':
        return None
    return int(fields[3]), int(fields[19])


def read_pidfile(path):
    try:
        pid, started = path.read_text().split()
        return int(pid), int(started)
    except (OSError, ValueError):
        return None


def session_members(record):
    """PIDs of the live processes of the session a PID file records."""
    if record is None:
        return []
    leader, started = record
    info = _stat(leader)
    if info and info[1] != started:
        # The PID was reused. The kernel never reuses a PID that is still a
        # live session's id, so nothing of the recorded session is left.
        return []
    members = []
    for entry in PROC.iterdir():
        if not entry.name.isdigit():
            continue
        info = _stat(entry.name)
        # A member started no earlier than the leader: rules out PID reuse.
        if info and info[0] == leader and info[1] >= started:
            members.append(int(entry.name))
    return members


def leader_alive(record):
    if record is None:
        return False
    info = _stat(record[0])
    return bool(info) and info[1] == record[1]


def start(argv, pidfile, logfile, env=None, cwd=None):
    """Start ``argv`` detached; returns the Popen (poll() tells if it died)."""
    with open(logfile, 'ab') as log:
        log.write(('\n==== %s start: %s\n' % (
            time.strftime('%Y-%m-%d %H:%M:%S'), ' '.join(map(str, argv))
        )).encode())
        log.flush()
        proc = subprocess.Popen(
            [str(a) for a in argv], stdin=subprocess.DEVNULL, stdout=log,
            stderr=subprocess.STDOUT, start_new_session=True, env=env,
            cwd=cwd, close_fds=True)
    info = _stat(proc.pid)
    started = info[1] if info else 0
    tmp = pidfile.with_suffix('.tmp')
    tmp.write_text('%d %d\n' % (proc.pid, started))
    tmp.replace(pidfile)
    return proc


def _signal_all(pids, sig):
    for pid in pids:
        try:
            os.kill(pid, sig)
        except ProcessLookupError:
            pass


def signal_session(pidfile, sig):
    pids = session_members(read_pidfile(pidfile))
    _signal_all(pids, sig)
    return pids


def stop(pidfile, sig=signal.SIGTERM, timeout=10.0):
    """Stop the session a PID file records; SIGKILL what outlives timeout.

    Returns 'stopped', 'killed' or 'not running'.
    """
    record = read_pidfile(pidfile)
    pids = session_members(record)
    if not pids:
        pidfile.unlink(missing_ok=True)
        return 'not running'
    _signal_all(pids, sig)
    outcome = 'stopped' if sig != signal.SIGKILL else 'killed'
    deadline = time.monotonic() + timeout
    while True:
        left = session_members(record)
        if not left:
            break
        if time.monotonic() > deadline:
            if outcome == 'killed' and sig == signal.SIGKILL:
                return 'stuck: %s' % ' '.join(map(str, left))
            _signal_all(left, signal.SIGKILL)
            outcome, sig = 'killed', signal.SIGKILL
            deadline = time.monotonic() + 10
        time.sleep(0.1)
    pidfile.unlink(missing_ok=True)
    return outcome


def tail(path, lines=25):
    try:
        with open(path, 'rb') as f:
            f.seek(0, os.SEEK_END)
            f.seek(max(0, f.tell() - 16384))
            text = f.read().decode('utf-8', 'replace')
    except OSError:
        return '(no log at %s)' % path
    return '\n'.join(text.splitlines()[-lines:])


def rss_bytes(pids):
    total = 0
    for pid in pids:
        try:
            for line in (PROC / str(pid) / 'status').read_text().splitlines():
                if line.startswith('VmRSS:'):
                    total += int(line.split()[1]) * 1024
        except OSError:
            pass
    return total
