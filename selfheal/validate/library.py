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

"""The files ``selfheal validate`` checks, and what kind each one is."""

import os
import typing

from selfheal import data
from selfheal_checks import yaml_lines

HOT = 'HOT template'
ENVIRONMENT = 'Heat environment'
VITRAGE = 'Vitrage template'
MISTRAL = 'Mistral definition'

# The shipped library: directory -> the kind of the files in it
# (the directories are selfheal.data.SUBDIRS).
LIBRARY_DIRS = {'templates': HOT, 'vitrage_templates': VITRAGE,
                'workflows': MISTRAL}
YAML_SUFFIXES = ('.yaml', '.yml', '.template')
ENVIRONMENT_KEYS = ('resource_registry', 'parameter_defaults')


class Finding(typing.NamedTuple):
    """One line of the report."""

    path: str
    line: typing.Optional[int]
    message: str
    severity: str = 'error'   # or 'note': something not checked offline

    def is_error(self):
        return self.severity == 'error'


class Source(object):
    """A file to check: its text, YAML document and kind."""

    def __init__(self, path, expected_kind=None, named=True):
        self.path = os.path.abspath(path)
        self.named = named  # given by name, not found in a directory
        self.display = display_path(self.path)
        self.kind = expected_kind
        self.text = None
        self.doc = None     # yaml_lines.YamlDocument (SafeLoader)

    @property
    def directory(self):
        return os.path.dirname(self.path)

    def finding(self, message, line=None, severity='error'):
        return Finding(self.display, line, message, severity)

    def load(self):
        """Read and classify the file; a Finding if that is impossible."""
        what = self.kind or _kind_from_directory(self.path) or 'file'
        try:
            with open(self.path, 'rb') as f:
                raw = f.read()
        except OSError as ex:
            return self.finding('Cannot read the file: %s' % ex.strerror)
        try:
            self.text = raw.decode('utf-8')
        except UnicodeDecodeError:
            return self.finding('The %s is not UTF-8 text' % what)
        try:
            self.doc = yaml_lines.load_yaml_document(self.text, what)
        except yaml_lines.DefinitionError as ex:
            return self.finding(ex.problem.message, ex.problem.line)
        found = kind_from_contents(self.doc.data)
        if self.kind is None:
            self.kind = found or _kind_from_directory(self.path)
            if self.kind == HOT and os.path.basename(
                    self.path).startswith('env'):
                self.kind = ENVIRONMENT
        if self.kind is None and self.named:
            return self.finding(
                'Cannot tell what this file is: expected a HOT template '
                '(heat_template_version), a Heat environment '
                '(resource_registry, parameter_defaults), a Vitrage template '
                '(metadata, scenarios) or a Mistral definition '
                "(version '2.0' and workflows)", 1)
        return None


def kind_from_contents(data):
    keys = set(data)
    if 'heat_template_version' in keys:
        return HOT
    if keys.intersection(ENVIRONMENT_KEYS):
        return ENVIRONMENT
    if 'metadata' in keys and keys.intersection(
            ('scenarios', 'entities', 'definitions')):
        return VITRAGE
    if 'version' in keys and any(isinstance(v, dict)
                                 for v in data.values()):
        return MISTRAL      # workflows, or a workbook
    return None


def _kind_from_directory(path):
    return LIBRARY_DIRS.get(os.path.basename(os.path.dirname(path)))


def display_path(path):
    relative = os.path.relpath(path)
    return path if relative.startswith(os.pardir) else relative


def expand(paths):
    """(path, named) to check: files as named, YAML files in directories.

    Raises OSError naming a path that does not exist.
    """
    found = []
    for path in paths:
        if os.path.isdir(path):
            for top, dirs, files in os.walk(path):
                dirs[:] = sorted(d for d in dirs if not d.startswith('.'))
                found.extend((os.path.join(top, name), False)
                             for name in sorted(files)
                             if name.endswith(YAML_SUFFIXES))
        elif os.path.exists(path):
            found.append((path, True))
        else:
            raise OSError('no such file or directory: %s' % path)
    return found


def default_paths():
    """The shipped library directories, in the data directory that
    selfheal.data.find() names; raises data.DataNotFound saying where it
    looked.
    """
    root = data.find()
    return [os.path.join(root, name) for name in LIBRARY_DIRS]
