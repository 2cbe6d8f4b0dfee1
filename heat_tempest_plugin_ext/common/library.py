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

"""The shipped healing library: the files the tests deploy, never copies.

A source checkout holds ``templates/``, ``vitrage_templates/`` and
``workflows/`` beside this package; an installed package has them under
``<prefix>/share/heat-selfhealing/`` (setup.cfg ``data_files``). Both keep
the three directories side by side, so relative ``get_file`` paths and
environment ``resource_registry`` paths resolve the same way.
"""

import os
import sys
import sysconfig

from heatclient.common import template_utils

SUBDIRS = ('templates', 'vitrage_templates', 'workflows')
SHARE = os.path.join('share', 'heat-selfhealing')


class LibraryNotFound(Exception):
    pass


def candidates():
    package = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
    yield os.path.dirname(package)
    for prefix in (sys.prefix, sysconfig.get_path('data'),
                   os.path.join(sys.prefix, 'local')):
        yield os.path.join(prefix, SHARE)


def _complete(path):
    return all(os.path.isdir(os.path.join(path, sub)) for sub in SUBDIRS)


def find(configured=None):
    """The directory holding the three library directories."""
    if configured:
        if not _complete(configured):
            raise LibraryNotFound(
                '[selfhealing] library_dir = %s does not hold %s'
                % (configured, ', '.join(SUBDIRS)))
        return os.path.abspath(configured)
    tried = []
    for path in candidates():
        if _complete(path):
            return path
        tried.append(path)
    raise LibraryNotFound(
        'the heat-selfhealing library (%s) is in none of: %s; install the '
        'package or set [selfhealing] library_dir'
        % (', '.join(SUBDIRS), ', '.join(tried)))


class Library(object):
    """Paths and Heat payloads of the shipped files."""

    def __init__(self, root):
        self.root = root

    def path(self, *parts):
        path = os.path.join(self.root, *parts)
        if not os.path.isfile(path):
            raise LibraryNotFound('%s is not shipped (looked in %s)'
                                  % ('/'.join(parts), self.root))
        return path

    def read(self, *parts):
        with open(self.path(*parts)) as f:
            return f.read()

    def file_url(self, *parts):
        return 'file://' + self.path(*parts)

    def stack(self, template, environments=()):
        """(template, files, environment) for heatclient, as the
        ``openstack stack create -t ... -e ...`` CLI sends them.
        """
        files, body = template_utils.get_template_contents(
            template_file=self.path('templates', template))
        process = template_utils.process_multiple_environments_and_files
        env_files, env = process(
            env_paths=[self.path('templates', e) for e in environments])
        files.update(env_files)
        return body, files, env
