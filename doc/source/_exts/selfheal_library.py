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

"""``.. selfheal-library:: DIRECTORY``: the files of the healing library.

Lists the ``*.yaml`` files of one directory of the repository with what
each file says about itself: a HOT template's ``description``, parameters
and outputs; an environment's ``resource_registry``; a Vitrage template's
``metadata.description`` and parameters; each Mistral workflow's
``description`` and input. The texts are shown as they are written, as
plain text.
"""

import json
import os

from docutils import nodes
from sphinx.util import docutils as sphinx_docutils
import yaml

MISTRAL_KEYS = ('version', 'name', 'description', 'tags')


def _literal(text):
    return nodes.literal(text, text)


def _paragraphs(text):
    """Plain-text paragraphs, split at blank lines."""
    result = []
    for chunk in str(text).strip().split('\n\n'):
        chunk = ' '.join(chunk.split())
        if chunk:
            result.append(nodes.paragraph(chunk, chunk))
    return result


def _value(value):
    if isinstance(value, str):
        return value if value else "''"
    return json.dumps(value, sort_keys=True)


def _item(name, kind=None, default=None, has_default=False,
          description=None):
    """``name`` (kind; default ``x``): description, as one list item."""
    para = nodes.paragraph('', '', _literal(name))
    notes = []
    if kind:
        notes.append([nodes.Text(str(kind))])
    if has_default:
        notes.append([nodes.Text('default '), _literal(_value(default))])
    if notes:
        para += nodes.Text(' (')
        for i, note in enumerate(notes):
            if i:
                para += nodes.Text('; ')
            para.extend(note)
        para += nodes.Text(')')
    if description:
        para += nodes.Text(': ' + ' '.join(str(description).split()))
    return nodes.list_item('', para)


def _labelled_list(label, items):
    if not items:
        return []
    blist = nodes.bullet_list()
    blist.extend(items)
    return [nodes.paragraph(label, label), blist]


def _kind(document):
    if 'heat_template_version' in document:
        return 'hot'
    if 'resource_registry' in document or 'parameter_defaults' in document:
        return 'environment'
    if isinstance(document.get('metadata'), dict) and 'scenarios' in document:
        return 'vitrage'
    if 'version' in document:
        return 'mistral'
    return None


class LibraryFiles(sphinx_docutils.SphinxDirective):
    """One section per YAML file of a library directory."""

    has_content = False
    required_arguments = 1
    optional_arguments = 0

    def run(self):
        root = (self.config.selfheal_library_root or
                os.path.join(self.env.srcdir, os.pardir, os.pardir))
        directory = self.arguments[0].strip('/')
        path = os.path.normpath(os.path.join(root, directory))
        if not os.path.isdir(path):
            raise self.error('no directory %s' % path)
        names = sorted(n for n in os.listdir(path)
                       if n.endswith(('.yaml', '.yml')))
        if not names:
            raise self.error('no YAML file in %s' % path)
        self.env.note_dependency(__file__)
        result = []
        for name in names:
            filename = os.path.join(path, name)
            self.env.note_dependency(filename)
            with open(filename) as f:
                document = yaml.safe_load(f)
            shown = '%s/%s' % (directory, name)
            kind = _kind(document) if isinstance(document, dict) else None
            if kind is None:
                raise self.error('%s is not a HOT template, environment, '
                                 'Vitrage template or Mistral file' % shown)
            section = nodes.section(ids=[nodes.make_id('file-' + shown)])
            section += nodes.title(name, name)
            section.extend(getattr(self, '_' + kind)(document))
            result.append(section)
        return result

    def _hot(self, document):
        body = _paragraphs(document.get('description') or '')
        params = document.get('parameters') or {}
        body += _labelled_list('Parameters:', [
            _item(key, spec.get('type'), spec.get('default'),
                  'default' in spec, spec.get('description'))
            for key, spec in params.items()])
        outputs = document.get('outputs') or {}
        body += _labelled_list('Outputs:', [
            _item(key, description=(spec or {}).get('description'))
            for key, spec in outputs.items()])
        return body

    def _environment(self, document):
        registry = document.get('resource_registry') or {}
        items = []
        for key, target in registry.items():
            para = nodes.paragraph('', '', _literal(key), nodes.Text(': '),
                                   _literal(str(target)))
            items.append(nodes.list_item('', para))
        return _labelled_list('Resource registry:', items)

    def _vitrage(self, document):
        metadata = document['metadata']
        body = _paragraphs(metadata.get('description') or '')
        params = document.get('parameters') or {}
        body += _labelled_list('Parameters:', [
            _item(key, None, (spec or {}).get('default'),
                  'default' in (spec or {}), (spec or {}).get('description'))
            for key, spec in params.items()])
        return body

    def _mistral(self, document):
        dlist = nodes.definition_list()
        for name, spec in document.items():
            if name in MISTRAL_KEYS or not isinstance(spec, dict):
                continue
            item = nodes.definition_list_item()
            item += nodes.term('', '', _literal(name))
            body = nodes.definition()
            body.extend(_paragraphs(spec.get('description') or ''))
            inputs = []
            for entry in spec.get('input') or []:
                if isinstance(entry, dict):
                    for key, default in entry.items():
                        inputs.append(_item(key, None, default, True))
                else:
                    inputs.append(_item(str(entry)))
            body.extend(_labelled_list('Input:', inputs))
            item += body
            dlist += item
        return [dlist]


def setup(app):
    app.add_config_value('selfheal_library_root', None, 'env')
    app.add_directive('selfheal-library', LibraryFiles)
    return {'version': '1.0', 'parallel_read_safe': True,
            'parallel_write_safe': True}
