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

The directory holding ``templates/``, ``vitrage_templates/`` and
``workflows/`` is ``[selfhealing] library_dir`` when set, else the one
:func:`selfheal.data.find` names (``$SELFHEAL_DATA_DIR``, the source
checkout, ``<prefix>/share/heat-selfhealing`` of an install): one lookup
for the plugin and the ``selfheal`` commands.
"""

import os

from heatclient.common import template_utils

from selfheal import data

SUBDIRS = data.SUBDIRS
LibraryNotFound = data.DataNotFound
SETTING = '[selfhealing] library_dir'


def find(configured=None):
    """The directory holding the three library directories.

    ``configured`` is ``[selfhealing] library_dir``: used alone when set.
    Raises LibraryNotFound naming what was searched.
    """
    try:
        return data.find(configured, setting=SETTING)
    except data.DataNotFound as ex:
        if configured:
            raise
        raise LibraryNotFound('%s, or set %s' % (ex, SETTING))


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
