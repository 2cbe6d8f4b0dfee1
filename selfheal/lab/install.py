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

"""``selfheal lab install``: Debian packages and the lab's two venvs.

Each step records what it installed in ``<home>/install.json``; a second run
compares and skips, so it takes seconds.
"""

import concurrent.futures
import contextlib
import hashlib
import json
import os
import pathlib
import shutil
import subprocess
import sys
import tarfile
import threading
import time

from selfheal.lab import bootstrap
from selfheal.lab import layout

APT_PACKAGES = ('mariadb-server', 'mariadb-client', 'rabbitmq-server')

# Verified together on Python 3.11 (pip check clean). The constraints files
# beside this module pin every transitive version of the verified venvs.
SERVICES_REQUIREMENTS = (
    'keystone==30.0.0',
    'openstack-placement==16.0.0',
    'glance==33.0.0',
    'neutron==29.0.0',
    'nova==34.0.0',
    'openstack-heat==27.0.1',
    'mistral==23.0.0',
    'mistral-extra==17.0.0',
    'PyMySQL==1.2.4',
    'uWSGI==2.0.31',
    'python-openstackclient==10.5.0',
    'python-heatclient==5.3.0',
    'python-mistralclient==6.3.0',
    'python-vitrageclient==5.4.0',
)
VITRAGE_VERSION = '15.0.1'
VITRAGE_REQUIREMENTS = (
    'vitrage==' + VITRAGE_VERSION,
    # The notifier calls executions.create(workflow_identifier=...); 4.2.0
    # renamed it wf_identifier ("Execution is missing field
    # workflow_identifier"). 4.0.0 is the last release with the old name.
    'python-mistralclient==4.0.0',
    # 3.6 node_link_data writes 'edges': topology and RCA raise KeyError.
    'networkx==3.5',
    # Not dependencies of vitrage, yet its nova.* and heat.stack
    # datasources import them.
    'python-novaclient==18.13.1',
    'python-heatclient==5.3.0',
    'PyMySQL==1.2.4',
    'uWSGI==2.0.31',
)
HERE = pathlib.Path(__file__).resolve().parent


# A long step says it still runs this often.
PROGRESS_SECONDS = 30


def _say(out, msg):
    out('install: ' + msg)


@contextlib.contextmanager
def _step(out, what):
    """Say what starts, that it still runs, and how long it took."""
    started = time.monotonic()
    _say(out, what)
    finished = threading.Event()

    def remind():
        while not finished.wait(PROGRESS_SECONDS):
            _say(out, '%s: still running, %.0f s' % (
                what, time.monotonic() - started))
    reminder = threading.Thread(target=remind, daemon=True)
    reminder.start()
    try:
        yield
    finally:
        finished.set()
        reminder.join()
    _say(out, '%s: done in %.0f s' % (what, time.monotonic() - started))


def _digest(*parts):
    h = hashlib.sha256()
    for part in parts:
        h.update(repr(part).encode())
    return h.hexdigest()[:16]


def _stamp_path(lab):
    return lab.home / 'install.json'


def read_stamp(lab):
    try:
        return json.loads(_stamp_path(lab).read_text())
    except (OSError, ValueError):
        return {}


def _write_stamp(lab, stamp):
    lab.home.mkdir(parents=True, exist_ok=True)
    _stamp_path(lab).write_text(json.dumps(stamp, indent=1, sort_keys=True))


def _check(argv, what):
    proc = subprocess.run([str(a) for a in argv], stdout=subprocess.PIPE,
                          stderr=subprocess.STDOUT, stdin=subprocess.DEVNULL)
    if proc.returncode:
        raise bootstrap.LabError('%s failed (exit %d):\n%s' % (
            what, proc.returncode, proc.stdout.decode()[-3000:]))
    return proc.stdout.decode()


def missing_apt_packages():
    missing = []
    for pkg in APT_PACKAGES:
        proc = subprocess.run(['dpkg-query', '-W', '-f=${Status}', pkg],
                              stdout=subprocess.PIPE,
                              stderr=subprocess.DEVNULL)
        if b'install ok installed' not in proc.stdout:
            missing.append(pkg)
    return missing


def install_apt(out):
    missing = missing_apt_packages()
    if not missing:
        _say(out, 'apt packages present: %s' % ' '.join(APT_PACKAGES))
        return
    sudo = [] if os.geteuid() == 0 else ['sudo']
    env = dict(os.environ, DEBIAN_FRONTEND='noninteractive')
    with _step(out, 'apt-get install %s' % ' '.join(missing)):
        for argv in (sudo + ['apt-get', 'update', '-qq'],
                     sudo + ['apt-get', 'install', '-y', '-qq',
                             '--no-install-recommends', *missing]):
            proc = subprocess.run(argv, env=env, stdout=subprocess.PIPE,
                                  stderr=subprocess.STDOUT)
            if proc.returncode:
                raise bootstrap.LabError('%s failed:\n%s' % (
                    ' '.join(argv), proc.stdout.decode()[-3000:]))


def _venv_digest(requirements, constraints):
    return _digest(requirements, constraints.read_text()
                   if constraints.exists() else '')


VENVS = {
    # stamp key -> (venv attribute, requirements, constraints file)
    'services': ('services_venv', SERVICES_REQUIREMENTS,
                 HERE / 'constraints-services.txt'),
    'vitrage': ('vitrage_venv', VITRAGE_REQUIREMENTS,
                HERE / 'constraints-vitrage.txt'),
}


def _venv(out, lab, stamp, key):
    attr, requirements, constraints = VENVS[key]
    path = getattr(lab, attr)
    want = _venv_digest(requirements, constraints)
    python = path / 'bin' / 'python'
    if stamp.get(key) == want and python.exists():
        _say(out, '%s venv up to date' % path.name)
        return
    if not python.exists():
        _check([sys.executable, '-m', 'venv', path], 'python -m venv')
    argv = [python, '-m', 'pip', 'install', '-q',
            '--disable-pip-version-check', *requirements]
    if constraints.exists():
        argv += ['-c', constraints]
    with _step(out, 'pip install into %s (a few minutes on a fresh '
                    'machine)' % path):
        _check(argv, 'pip install into %s' % path)
        _check([python, '-m', 'pip', 'check'], 'pip check in %s' % path)
    stamp[key] = want
    if key == 'services':
        stamp.pop('repo', None)  # a rebuilt venv needs the checkout again


def _install_repo(out, lab, repo, stamp):
    """Editable, so the lab's Heat loads the checkout's heat_plugins/."""
    want = {'path': str(repo),
            'setup.cfg': _digest((repo / 'setup.cfg').read_text())}
    if stamp.get('repo') == want:
        _say(out, 'repository already installed in the lab venv')
        return
    with _step(out, 'pip install -e %s' % repo):
        _check([lab.services_venv / 'bin' / 'python', '-m', 'pip',
                'install', '-q', '--disable-pip-version-check', '--no-deps',
                '-e', repo], 'pip install -e %s' % repo)
    stamp['plugin_dir'] = _check(
        [lab.services_venv / 'bin' / 'selfheal', 'plugin-dir'],
        'selfheal plugin-dir').strip()
    stamp['repo'] = want


def _vitrage_etc(out, lab, stamp):
    """api-paste.ini and datasources_values: in Vitrage's sdist only."""
    if stamp.get('vitrage_etc') == VITRAGE_VERSION and (
            lab.vitrage_etc / 'api-paste.ini').exists():
        return
    cache = lab.home / 'cache'
    cache.mkdir(parents=True, exist_ok=True)
    sdist = cache / ('vitrage-%s.tar.gz' % VITRAGE_VERSION)
    if not sdist.exists():
        with _step(out, 'pip download vitrage==%s (sdist, for '
                        'etc/vitrage)' % VITRAGE_VERSION):
            _check([lab.vitrage_venv / 'bin' / 'python', '-m', 'pip',
                    'download', '-q', '--disable-pip-version-check',
                    '--no-deps', '--no-binary', ':all:', '-d', cache,
                    'vitrage==' + VITRAGE_VERSION], 'pip download vitrage')
    prefix = 'vitrage-%s/etc/vitrage/' % VITRAGE_VERSION
    tmp = lab.vitrage_etc.with_name('vitrage-etc.tmp')
    shutil.rmtree(tmp, ignore_errors=True)
    with tarfile.open(sdist) as tar:
        for member in tar.getmembers():
            name = member.name
            if not member.isfile() or not name.startswith(prefix):
                continue
            rel = name[len(prefix):]
            if rel == 'api-paste.ini' or rel.startswith('datasources_values/'):
                dest = tmp / rel
                dest.parent.mkdir(parents=True, exist_ok=True)
                dest.write_bytes(tar.extractfile(member).read())
    shutil.rmtree(lab.vitrage_etc, ignore_errors=True)
    tmp.rename(lab.vitrage_etc)
    stamp['vitrage_etc'] = VITRAGE_VERSION


def install(lab, out=print):
    repo = layout.repo_root()
    if repo is None:
        raise bootstrap.LabError(
            'selfheal lab needs a source checkout of heat-selfhealing (the '
            "lab's Heat loads its heat_plugins/); this selfheal is installed "
            'from a package')
    started = time.monotonic()
    stamp = read_stamp(lab)
    # Independent and mostly waiting on downloads and compilers: in parallel.
    with concurrent.futures.ThreadPoolExecutor(3) as pool:
        steps = [pool.submit(install_apt, out),
                 pool.submit(_venv, out, lab, stamp, 'services'),
                 pool.submit(_venv, out, lab, stamp, 'vitrage')]
        try:
            for step in steps:
                step.result()
        finally:
            _write_stamp(lab, stamp)
    _install_repo(out, lab, repo, stamp)
    _write_stamp(lab, stamp)
    _vitrage_etc(out, lab, stamp)
    _write_stamp(lab, stamp)
    _say(out, 'done in %.0f s' % (time.monotonic() - started))


def problems(lab):
    """What ``up`` lacks that ``install`` provides; [] when installed."""
    missing = ['Debian package ' + p for p in missing_apt_packages()]
    stamp = read_stamp(lab)
    repo = layout.repo_root()
    for key, (attr, requirements, constraints) in VENVS.items():
        path = getattr(lab, attr)
        if not (path / 'bin' / 'python').exists() or stamp.get(key) != \
                _venv_digest(requirements, constraints):
            missing.append('the %s venv with its pinned packages (%s)'
                           % (key, path))
    if repo and stamp.get('repo', {}).get('path') != str(repo):
        missing.append('this checkout (%s) in the services venv' % repo)
    if not (lab.vitrage_etc / 'api-paste.ini').exists():
        missing.append("Vitrage's etc files (%s)" % lab.vitrage_etc)
    return missing
