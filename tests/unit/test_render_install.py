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

"""The data lookup and selfheal render from an installed copy (and, last,
what a checkout does differently).

The wheel is built once, from a copy of this tree (so the checkout gets no
build/ or egg-info), and installed with ``pip install --prefix``; its
``selfheal`` then runs with that prefix's site-packages first on the path,
from a directory outside the checkout. Building needs setuptools and pbr
from the package index pip is configured with, as any install does.
"""

import configparser
import glob
import json
import os
import shutil
import subprocess
import sys
import sysconfig
import types
import zipfile

import pytest

REPO = os.path.dirname(os.path.dirname(os.path.dirname(
    os.path.abspath(__file__))))
SHARE = os.path.join('share', 'heat-selfhealing')
DATA_DIRS = ('templates', 'vitrage_templates', 'workflows')
COMPOSABLE = os.path.join('templates', 'composable.yaml')


def _pip(*args, cwd):
    proc = subprocess.run([sys.executable, '-m', 'pip', '-q'] + list(args),
                          cwd=cwd, capture_output=True, text=True,
                          timeout=300,
                          env=dict(os.environ, PBR_VERSION='0.0.0'))
    assert proc.returncode == 0, 'pip %s failed:\n%s' % (
        ' '.join(args), proc.stderr[-3000:])


def _source_copy(dest):
    """What setup.cfg builds from: its packages and data_files sources."""
    config = configparser.ConfigParser()
    config.read(os.path.join(REPO, 'setup.cfg'))
    names = {'setup.py', 'setup.cfg', 'README.rst', 'LICENSE',
             'requirements.txt'}
    names.update(config['files']['packages'].split())
    for line in config['files']['data_files'].strip().splitlines():
        source = line.split('=', 1)[1].strip()
        names.add(source.split('/')[0])
    ignore = shutil.ignore_patterns('__pycache__', '*.pyc')
    for name in names:
        source = os.path.join(REPO, name)
        if os.path.isdir(source):
            shutil.copytree(source, os.path.join(dest, name), ignore=ignore)
        else:
            shutil.copy(source, dest)


def _installed_here():
    """This environment's own heat-selfhealing install records."""
    site = sysconfig.get_path('purelib')
    return sorted(name for name in os.listdir(site)
                  if 'heat_selfhealing' in name)


def _snapshot(top):
    """Every file and directory under ``top``, with size and mtime."""
    found = {}
    for root, dirs, files in os.walk(top):
        for name in dirs + files:
            path = os.path.join(root, name)
            st = os.lstat(path)
            found[os.path.relpath(path, top)] = (st.st_size, st.st_mtime_ns)
    return found


@pytest.fixture(scope='module')
def installed(tmp_path_factory):
    top = tmp_path_factory.mktemp('installed')
    source, wheels, prefix = (str(top / name)
                              for name in ('source', 'wheels', 'prefix'))
    os.mkdir(source)
    _source_copy(source)
    _pip('wheel', '--no-deps', '-w', wheels, source, cwd=str(top))
    wheel, = glob.glob(os.path.join(wheels, '*.whl'))
    # --ignore-installed: without it pip "upgrades" by uninstalling the
    # heat-selfhealing of the environment running these tests (the
    # editable install of this checkout), or skips a same-version install.
    ours = _installed_here()
    _pip('install', '--no-deps', '--no-index', '--ignore-installed',
         '--prefix', prefix, wheel, cwd=str(top))
    assert _installed_here() == ours
    site, = glob.glob(os.path.join(prefix, 'lib', 'python*',
                                   'site-packages'))
    env = dict(os.environ, PYTHONPATH=site, PYTHONDONTWRITEBYTECODE='1')
    env.pop('SELFHEAL_DATA_DIR', None)
    work = top / 'work'
    work.mkdir()
    return types.SimpleNamespace(
        wheel=wheel, prefix=prefix, site=site, env=env, work=str(work),
        share=os.path.join(prefix, SHARE),
        selfheal=os.path.join(prefix, 'bin', 'selfheal'))


@pytest.fixture
def untouched(installed):
    """Fails the test if it wrote into the install or the cwd."""
    before = _snapshot(installed.prefix)
    yield
    assert _snapshot(installed.prefix) == before
    assert os.listdir(installed.work) == []


def _selfheal(installed, *args):
    return subprocess.run([installed.selfheal] + list(args),
                          env=installed.env, cwd=installed.work,
                          capture_output=True, text=True, timeout=60)


def _shipped(path):
    with open(os.path.join(REPO, path)) as f:
        return f.read()


def test_the_wheel_ships_every_data_file(installed):
    # setup.cfg data_files globs (templates/*) must take subdirectories,
    # such as templates/composable/, along.
    in_repo = set()
    for top in DATA_DIRS:
        for root, dirs, files in os.walk(os.path.join(REPO, top)):
            dirs[:] = [d for d in dirs if d != '__pycache__']
            in_repo.update(os.path.relpath(os.path.join(root, name), REPO)
                           for name in files)
    marker = '.data/data/%s/' % SHARE
    with zipfile.ZipFile(installed.wheel) as wheel:
        in_wheel = {name.split(marker, 1)[1] for name in wheel.namelist()
                    if marker in name}
    assert os.path.join('templates', 'composable', 'roles_data.yaml') in \
        in_repo
    assert in_wheel == in_repo


def test_the_installed_copy_finds_its_share_directory(installed, untouched):
    script = (
        'import json, selfheal\n'
        'from selfheal import data\n'
        'from selfheal.validate import library\n'
        'from heat_tempest_plugin_ext.common import library as tempest\n'
        'print(json.dumps({"package": selfheal.__file__,\n'
        '                  "find": data.find(),\n'
        '                  "source_tree": data.source_tree(),\n'
        '                  "validate": library.default_paths(),\n'
        '                  "tempest": tempest.find()}))\n')
    proc = subprocess.run([sys.executable, '-c', script], env=installed.env,
                          cwd=installed.work, capture_output=True,
                          text=True, timeout=60)
    assert proc.returncode == 0, proc.stderr
    found = json.loads(proc.stdout)
    assert found['package'].startswith(installed.site + os.sep)
    assert found['find'] == installed.share
    assert found['source_tree'] is None
    assert found['validate'] == [os.path.join(installed.share, name)
                                 for name in DATA_DIRS]
    assert found['tempest'] == installed.share


def test_render_into_a_directory_of_the_users_choosing(
        installed, untouched, tmp_path):
    proc = _selfheal(installed, 'render', '--output', str(tmp_path))
    assert proc.returncode == 0, proc.stderr
    written = tmp_path / 'composable.yaml'
    assert proc.stdout == 'wrote %s\n' % written
    assert written.read_text() == _shipped(COMPOSABLE)

    named = tmp_path / 'sub' / 'mine.yaml'
    named.parent.mkdir()
    proc = _selfheal(installed, 'render', '--output', str(named))
    assert proc.returncode == 0, proc.stderr
    assert named.read_text() == _shipped(COMPOSABLE)


def test_render_to_stdout(installed, untouched):
    proc = _selfheal(installed, 'render', '--output', '-')
    assert proc.returncode == 0, proc.stderr
    assert proc.stdout == _shipped(COMPOSABLE)


def test_render_without_output_asks_for_one(installed, untouched):
    proc = _selfheal(installed, 'render')
    assert proc.returncode == 2
    assert proc.stdout == ''
    assert proc.stderr.count('\n') == 1
    assert proc.stderr.startswith(
        'selfheal render: error: pass --output DIR or FILE (or - for '
        'stdout)')


def test_render_check_compares_with_the_shipped_rendering(
        installed, untouched, tmp_path):
    proc = _selfheal(installed, 'render', '--check')
    assert (proc.returncode, proc.stdout, proc.stderr) == (0, '', '')

    roles = tmp_path / 'roles.yaml'
    roles.write_text('roles:\n- {name: Web, description: web, count: 1,\n'
                     '   flavor: m1.tiny, healing: replace}\n')
    proc = _selfheal(installed, 'render', '--check', '--roles', str(roles))
    assert proc.returncode == 1
    assert proc.stderr == (
        'selfheal render: %s is out of date; run selfheal render\n'
        % os.path.join(installed.share, COMPOSABLE))


def test_render_names_what_it_searched_when_the_data_is_gone(
        installed, untouched):
    env = dict(installed.env, SELFHEAL_DATA_DIR=installed.work)
    proc = subprocess.run([installed.selfheal, 'render', '--output', '-'],
                          env=env, cwd=installed.work, capture_output=True,
                          text=True, timeout=60)
    assert proc.returncode == 1
    assert proc.stderr == (
        'selfheal render: SELFHEAL_DATA_DIR = %s does not hold templates/, '
        'vitrage_templates/, workflows/\n' % installed.work)


def test_a_checkout_renders_into_itself_only_with_its_own_data(
        tmp_path, monkeypatch, capsys):
    # In process, from this checkout: the default output is the
    # checkout's file (already up to date, so nothing is written)...
    from selfheal import cli
    monkeypatch.delenv('SELFHEAL_DATA_DIR', raising=False)
    assert cli.main(['render']) == 0
    # ...but not when the data comes from elsewhere.
    for name in DATA_DIRS:
        shutil.copytree(os.path.join(REPO, name), str(tmp_path / name))
    monkeypatch.setenv('SELFHEAL_DATA_DIR', str(tmp_path))
    before = _snapshot(str(tmp_path))
    assert cli.main(['render']) == 2
    assert 'pass --output' in capsys.readouterr().err
    assert cli.main(['render', '--check']) == 0
    assert _snapshot(str(tmp_path)) == before
