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

"""selfheal.data: where the shipped templates and workflows are found.

The installed case, from a built wheel, is in test_render_install.py.
"""

import json
import os
import subprocess
import sys

import pytest

from heat_tempest_plugin_ext.common import library as tempest_library
from selfheal import data
from selfheal.validate import library as validate_library

REPO = os.path.dirname(os.path.dirname(os.path.dirname(
    os.path.abspath(__file__))))


@pytest.fixture(autouse=True)
def no_data_dir_variable(monkeypatch):
    monkeypatch.delenv(data.ENV_VAR, raising=False)


def _data_dir(base):
    for sub in data.SUBDIRS:
        os.makedirs(os.path.join(base, sub))
    return str(base)


def _package_in(monkeypatch, directory):
    """Pretend the selfheal package sits in ``directory``."""
    os.makedirs(directory, exist_ok=True)
    monkeypatch.setattr(data, '_package_parent', lambda: str(directory))


def test_a_checkout_uses_its_own_files():
    assert data.source_tree() == REPO
    assert data.find() == REPO
    assert data.path('templates', 'composable', 'roles_data.yaml') == \
        os.path.join(REPO, 'templates', 'composable', 'roles_data.yaml')


def test_variable_comes_first(tmp_path, monkeypatch):
    monkeypatch.setenv(data.ENV_VAR, _data_dir(tmp_path / 'mine'))
    assert data.find() == str(tmp_path / 'mine')


def test_variable_naming_an_incomplete_directory_is_an_error(
        tmp_path, monkeypatch):
    (tmp_path / 'templates').mkdir()
    monkeypatch.setenv(data.ENV_VAR, str(tmp_path))
    with pytest.raises(data.DataNotFound) as raised:
        data.find()
    assert str(raised.value) == (
        'SELFHEAL_DATA_DIR = %s does not hold templates/, '
        'vitrage_templates/, workflows/' % tmp_path)


def test_without_setup_cfg_the_package_directory_is_no_source_tree(
        tmp_path, monkeypatch):
    # Data directories beside the package, as in a site-packages a broken
    # install wrote into, are not a checkout; the install's share is used.
    site = tmp_path / 'lib' / 'python3.11' / 'site-packages'
    _package_in(monkeypatch, site)
    _data_dir(site)
    share = _data_dir(tmp_path / 'share' / 'heat-selfhealing')
    assert data.source_tree() is None
    assert data.find() == share


@pytest.mark.parametrize('layout', [
    ('lib', 'python3.11', 'site-packages'),     # venv, --prefix, --user
    ('lib64', 'python3.12', 'site-packages'),
    ('lib', 'python3', 'dist-packages'),        # Debian packages
])
def test_the_install_prefix_of_the_package(tmp_path, monkeypatch, layout):
    _package_in(monkeypatch, tmp_path.joinpath(*layout))
    share = _data_dir(tmp_path / 'share' / 'heat-selfhealing')
    assert data.candidates()[1] == (share, 'install prefix')
    assert data.find() == share


def test_a_pip_target_directory(tmp_path, monkeypatch):
    _package_in(monkeypatch, tmp_path / 'target')
    share = _data_dir(tmp_path / 'target' / 'share' / 'heat-selfhealing')
    assert data.find() == share


def test_the_interpreter_prefixes_and_the_user_scheme_are_searched(
        tmp_path):
    env = dict(os.environ, PYTHONUSERBASE=str(tmp_path))
    env.pop(data.ENV_VAR, None)
    proc = subprocess.run(
        [sys.executable, '-c',
         'import json, sys, sysconfig\n'
         'from selfheal import data\n'
         'print(json.dumps([data.candidates(), sys.prefix, '
         'sysconfig.get_path("data")]))'],
        env=env, cwd=str(tmp_path), capture_output=True, text=True,
        timeout=60)
    assert proc.returncode == 0, proc.stderr
    found, prefix, scheme_data = json.loads(proc.stdout)
    found = [tuple(pair) for pair in found]
    share = os.path.join('share', 'heat-selfhealing')
    user = (os.path.join(str(tmp_path), share), 'user scheme')
    assert found[0] == (REPO, 'source tree')
    assert user in found
    assert os.path.join(prefix, share) in dict(found)
    assert os.path.join(scheme_data, share) in dict(found)
    assert found.index((os.path.join(prefix, share), 'sys.prefix')) < \
        found.index(user)


def test_nothing_found_names_every_directory_searched(monkeypatch):
    monkeypatch.setattr(data, 'SUBDIRS', data.SUBDIRS + ('no-such-dir',))
    with pytest.raises(data.DataNotFound) as raised:
        data.find()
    message = str(raised.value)
    for path, why in data.candidates():
        assert '%s (%s)' % (path, why) in message
    assert 'no-such-dir/' in message
    assert 'set SELFHEAL_DATA_DIR' in message


def test_a_missing_file_is_named():
    with pytest.raises(data.DataNotFound, match='templates/nothing.yaml'):
        data.path('templates', 'nothing.yaml')


def test_validate_and_the_tempest_plugin_use_the_same_lookup(
        tmp_path, monkeypatch):
    assert tuple(validate_library.LIBRARY_DIRS) == data.SUBDIRS
    mine = _data_dir(tmp_path / 'mine')
    monkeypatch.setenv(data.ENV_VAR, mine)
    assert validate_library.default_paths() == [
        os.path.join(mine, sub) for sub in data.SUBDIRS]
    assert tempest_library.find() == mine
    # The plugin's own option comes before the variable.
    other = _data_dir(tmp_path / 'other')
    assert tempest_library.find(other) == other


def test_the_tempest_plugin_names_its_option_when_nothing_is_found(
        monkeypatch):
    monkeypatch.setattr(data, 'SUBDIRS', data.SUBDIRS + ('no-such-dir',))
    with pytest.raises(tempest_library.LibraryNotFound) as raised:
        tempest_library.find()
    assert str(raised.value).endswith('or set [selfhealing] library_dir')
