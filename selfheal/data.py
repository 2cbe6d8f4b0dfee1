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

"""Where the shipped data is: the one lookup every command and test uses.

The data directory holds ``templates/``, ``vitrage_templates/`` and
``workflows/`` side by side (relative ``get_file`` and ``resource_registry``
paths between them resolve the same way wherever they are). :func:`find`
takes the first of these that holds all three:

1. ``$SELFHEAL_DATA_DIR``, when set and not empty. It is used alone: a
   directory that lacks one of the three is an error, never skipped.
2. The source tree: the directory holding this package, when it also holds
   ``setup.cfg`` (a git checkout or unpacked sdist, run in place or
   installed editable).
3. ``share/heat-selfhealing`` where setup.cfg ``[files] data_files`` puts
   it on install, under

   a. the prefix this package is installed in (``<prefix>/lib/pythonX.Y/
      site-packages/selfheal``: a venv, ``pip install --prefix``, ``--user``
      or a distribution package), or else the ``pip install --target``
      directory holding it;
   b. ``sys.prefix``;
   c. ``sysconfig.get_path('data')``, the default install scheme;
   d. the user scheme (``site.USER_BASE``, ``$PYTHONUSERBASE``);
   e. ``sys.prefix/local`` (Debian's pip installs there).

A caller with a setting of its own (the tempest plugin's ``[selfhealing]
library_dir``) passes it to find(), which then uses it alone, before all
of these. Errors name every directory searched.
"""

import os
import sys
import sysconfig

ENV_VAR = 'SELFHEAL_DATA_DIR'
SOURCE_TREE = 'source tree'
SUBDIRS = ('templates', 'vitrage_templates', 'workflows')
SHARE = os.path.join('share', 'heat-selfhealing')


class DataNotFound(Exception):
    """No data directory, or a file missing from it; the message says
    where the lookup went.
    """


def _package_parent():
    """The directory the ``selfheal`` package sits in."""
    return os.path.dirname(os.path.dirname(os.path.abspath(__file__)))


def is_complete(path):
    """Whether ``path`` holds the three data directories."""
    return all(os.path.isdir(os.path.join(path, sub)) for sub in SUBDIRS)


def source_tree():
    """The source tree this package runs from, or None when installed.

    A source tree has ``setup.cfg`` and the three data directories beside
    the package; site-packages never does.
    """
    root = _package_parent()
    if os.path.isfile(os.path.join(root, 'setup.cfg')) and is_complete(root):
        return root
    return None


def _install_prefix(site_dir):
    """``<prefix>`` of ``<prefix>/lib/pythonX.Y/site-packages``, or None."""
    lib_python, site_name = os.path.split(site_dir)
    lib, python = os.path.split(lib_python)
    prefix, lib_name = os.path.split(lib)
    if site_name in ('site-packages', 'dist-packages') and \
            python.startswith('python') and lib_name in ('lib', 'lib64'):
        return prefix
    return None


def _user_data():
    try:
        return sysconfig.get_path('data',
                                  sysconfig.get_preferred_scheme('user'))
    except KeyError:   # a platform without a user scheme
        return None


def candidates():
    """(directory, why it is searched) in lookup order, after the
    environment variable; every directory once.
    """
    found = []
    package_parent = _package_parent()
    found.append((package_parent, SOURCE_TREE))
    prefix = _install_prefix(package_parent)
    if prefix:
        found.append((os.path.join(prefix, SHARE), 'install prefix'))
    else:
        found.append((os.path.join(package_parent, SHARE),
                      'pip --target directory'))
    found.append((os.path.join(sys.prefix, SHARE), 'sys.prefix'))
    found.append((os.path.join(sysconfig.get_path('data'), SHARE),
                  'sysconfig data path'))
    user = _user_data()
    if user:
        found.append((os.path.join(user, SHARE), 'user scheme'))
    found.append((os.path.join(sys.prefix, 'local', SHARE),
                  'sys.prefix/local'))
    seen = set()
    unique = []
    for path, why in found:
        path = os.path.normpath(path)
        if path not in seen:
            seen.add(path)
            unique.append((path, why))
    return unique


def _required():
    return ', '.join(sub + '/' for sub in SUBDIRS)


def find(directory=None, setting=None):
    """The absolute path of the data directory.

    ``directory`` is one a caller was configured with (``setting`` names
    the option in errors, e.g. ``[selfhealing] library_dir``); like
    ``$SELFHEAL_DATA_DIR`` it is used alone. Raises DataNotFound.
    """
    if not directory and os.environ.get(ENV_VAR):
        directory, setting = os.environ[ENV_VAR], ENV_VAR
    if directory:
        if not is_complete(directory):
            raise DataNotFound('%s = %s does not hold %s' % (
                setting or 'data directory', directory, _required()))
        return os.path.abspath(directory)
    searched = []
    for path, why in candidates():
        if (source_tree() == path if why == SOURCE_TREE
                else is_complete(path)):
            return path
        searched.append('%s (%s)' % (path, why))
    raise DataNotFound(
        'the heat-selfhealing data (%s) is in none of: %s; reinstall the '
        'package, or set %s to the directory holding them'
        % (_required(), ', '.join(searched), ENV_VAR))


def path(*parts):
    """The path of one shipped file, e.g. ``path('templates', 'x.yaml')``.

    Raises DataNotFound if there is no data directory or no such file.
    """
    root = find()
    found = os.path.join(root, *parts)
    if not os.path.isfile(found):
        raise DataNotFound('%s is not in the heat-selfhealing data '
                           'directory %s' % (os.path.join(*parts), root))
    return found
