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

"""``.. selfheal-resources::``: the resource type reference, from the code.

The directive loads the ``heat_plugins`` package the way heat-engine loads
a plugin directory (Heat's plugin loader and its ``available_resource`` /
``resource`` mapping functions) and renders every type it registers from
the class itself: the docstring, the support status, and the property,
attribute and update policy schemata through Heat's own schema objects
(``heat.engine.properties``, ``attributes``, ``support``). Nothing here
restates a schema.

Heat is imported with oslo.config parsed from no file at all, so the build
host's ``/etc/heat`` never changes the output.
"""

import importlib
from importlib import metadata
import inspect
import json
import warnings

from docutils import nodes
from docutils.statemachine import StringList
from sphinx.util import docutils as sphinx_docutils
from sphinx.util import nodes as sphinx_nodes

PACKAGE = 'heat_plugins'

# Mapping functions Heat calls in each plugin module, first found wins
# (heat.engine.resources._load_global_resources).
MAPPINGS = ['available_resource', 'resource']

# No "Update" field: update policy entries are not resource properties.
NO_UPDATE = ''


class Catalog(object):
    """The resource types of PACKAGE, loaded once per build."""

    _loaded = None

    def __init__(self):
        self.types = []     # (type name, class, module), sorted by name
        self.files = []     # source files the output depends on
        self.heat_version = metadata.version('openstack-heat')

    @classmethod
    def get(cls):
        if cls._loaded is None:
            cls._loaded = cls()._load()
        return cls._loaded

    def _load(self):
        with warnings.catch_warnings():
            # eventlet and friends announce their deprecation on import.
            warnings.simplefilter('ignore')
            from heat.common import plugin_loader
            from heat.engine import plugin_manager
            from oslo_config import cfg
            cfg.CONF(args=[], project='heat', default_config_files=[],
                     default_config_dirs=[])
            package = importlib.import_module(PACKAGE)
            mapping = plugin_manager.PluginMapping(MAPPINGS)
            for module in plugin_loader.load_modules(package):
                types = mapping.load_from_module(module)
                if types:
                    self.files.append(module.__file__)
                for name, cls in types.items():
                    self.types.append((name, cls, module))
        self.types.sort(key=lambda item: item[0])
        return self


def _client_service_types(client_name):
    """The Keystone service types of a Heat client plugin, or None."""
    for entry in metadata.entry_points(group='heat.clients'):
        if entry.name == client_name:
            return list(getattr(entry.load(), 'service_types', []) or [])
    return None


def _policy_rule(type_name):
    """Heat's registered resource_types rule for a type, or None."""
    from heat.policies import resource_types
    wanted = resource_types.POLICY_ROOT % type_name
    for rule in resource_types.resource_types_policies:
        if rule.name == wanted:
            return rule
    return None


def _para(*children):
    return nodes.paragraph('', '', *children)


def _text_para(text):
    return nodes.paragraph(text, text)


def _literal(text):
    return nodes.literal(text, text)


def _field(name, *body):
    return nodes.field('', nodes.field_name(name, name),
                       nodes.field_body('', *body))


class ResourceTypes(sphinx_docutils.SphinxDirective):
    """Render every resource type the plugins register."""

    has_content = False
    required_arguments = 0
    optional_arguments = 0

    def run(self):
        try:
            catalog = Catalog.get()
            from heat.engine import attributes
            from heat.engine import properties
        except Exception as ex:
            raise self.error(
                'cannot load the %s resource types (%s: %s); the docs need '
                'Heat and this package installed (tox -e docs does it)'
                % (PACKAGE, type(ex).__name__, ex))
        self.properties = properties
        self.attributes = attributes
        for path in catalog.files + [__file__]:
            self.env.note_dependency(path)
        if not catalog.types:
            raise self.error('%s registers no resource type' % PACKAGE)

        intro = _para(nodes.Text(
            'Generated from the plugin classes as loaded by openstack-heat '
            '%s.' % catalog.heat_version))
        result = [intro]
        for type_name, cls, module in catalog.types:
            result.append(self._type_section(type_name, cls, module))
        return result

    # -- sections ------------------------------------------------------------

    def _section(self, title, ident, label=None):
        section = nodes.section(ids=[nodes.make_id(ident)])
        section += nodes.title(title, title)
        if label:
            section['names'].append(nodes.fully_normalize_name(label))
            self.state.document.note_explicit_target(section, section)
        return section

    def _type_section(self, type_name, cls, module):
        self.type_id = 'resource-' + type_name
        section = self._section(type_name, self.type_id, label=type_name)

        where = '%s.%s' % (module.__name__, cls.__name__)
        section += _para(nodes.Text('Class '), _literal(where),
                         nodes.Text(', registered by '),
                         _literal('%s.%s_mapping()' % (
                             module.__name__, self._mapping_name(module))),
                         nodes.Text('.'))
        status = self._support_status(cls.support_status)
        if status is not None:
            section += status

        doc = inspect.getdoc(cls)
        if doc:
            container = nodes.container()
            sphinx_nodes.nested_parse_with_titles(
                self.state, StringList(doc.splitlines(), source=where),
                container)
            section += container.children

        needs = self._needs(type_name, cls)
        if needs.children:
            section += needs

        props = self.properties.schemata(cls.properties_schema)
        self._properties(section, props, cls)
        attrs = self.attributes.schemata(cls.attributes_schema)
        self._attributes(section, attrs, 'Attributes', 'attrs')
        base = self.attributes.schemata(cls.base_attributes_schema)
        self._attributes(section, base, 'Attributes of every resource',
                         'base-attrs')
        policy = self.properties.schemata(cls.update_policy_schema)
        if policy:
            sub = self._section('Update policy',
                                self.type_id + '-update-policy')
            sub += self._property_list(policy, update=NO_UPDATE)
            section += sub
        self._hot_syntax(section, type_name, props)
        return section

    @staticmethod
    def _mapping_name(module):
        for name in MAPPINGS:
            if callable(getattr(module, name + '_mapping', None)):
                return name
        return MAPPINGS[-1]

    def _needs(self, type_name, cls):
        fields = nodes.field_list()
        client = getattr(cls, 'default_client_name', None)
        if client:
            services = _client_service_types(client)
            if services is None:
                body = [nodes.Text('client plugin '), _literal(client),
                        nodes.Text(' (not installed here)')]
            else:
                body = [nodes.Text('client plugin '), _literal(client),
                        nodes.Text('; Heat lists the type only where the '
                                   'Keystone catalog has the service type ')]
                for i, service in enumerate(services):
                    if i:
                        body.append(nodes.Text(' or '))
                    body.append(_literal(service))
            fields += _field('Service', _para(*body))
        rule = _policy_rule(type_name)
        if rule is not None:
            fields += _field('Heat policy', _para(
                _literal(rule.name), nodes.Text(', default '),
                _literal(rule.check_str)))
        return fields

    def _support_status(self, status):
        """One paragraph for a SupportStatus chain, None if unremarkable."""
        from heat.engine import support
        parts = []
        while status is not None:
            info = status.to_dict()
            if info['status'] == support.SUPPORTED and not (
                    info['version'] or info['message']):
                status = status.previous_status
                continue
            text = info['status'].lower()
            if info['version']:
                text += ' since version %s' % info['version']
            if info['message']:
                text += ' (%s)' % info['message'].rstrip('.')
            parts.append(text)
            status = status.previous_status
        if not parts:
            return None
        text = 'Support status: %s.' % '; before that, '.join(parts)
        return _text_para(text)

    # -- properties ----------------------------------------------------------

    def _properties(self, section, props, cls):
        from heat.engine import resource
        from heat.engine import support
        shown = dict((k, v) for k, v in props.items()
                     if v.support_status.status != support.HIDDEN)
        for required, title, ident in (
                (True, 'Required properties', 'props-req'),
                (False, 'Optional properties', 'props-opt')):
            group = dict((k, v) for k, v in shown.items()
                         if bool(v.required) == required)
            if not group:
                continue
            sub = self._section(title, '%s-%s' % (self.type_id, ident))
            sub += self._property_list(group, nested=False)
            section += sub
        decides = (cls.needs_replace_with_prop_diff is not
                   resource.Resource.needs_replace_with_prop_diff)
        if decides and any(p.update_allowed for p in shown.values()):
            section += _para(
                nodes.Text('An update of a property that allows updates '
                           'may still replace the resource: this type '
                           'decides per change ('),
                _literal('needs_replace_with_prop_diff'),
                nodes.Text(').'))

    def _property_list(self, props, nested=True, update=None):
        """A definition list of props; nested ones show Required, and
        take their parent's update behaviour (``update``), as in Heat.
        """
        from heat.engine import support
        dlist = nodes.definition_list()
        for key in sorted(props):
            prop = props[key]
            if prop.support_status.status == support.HIDDEN:
                continue
            dlist += self._property(key, prop, nested, update)
        return dlist

    def _property(self, key, prop, nested, update):
        item = nodes.definition_list_item()
        term = nodes.term('', '', _literal(key))
        term += nodes.Text(' (%s)' % prop.type)
        item += term
        body = nodes.definition()
        item += body
        status = self._support_status(prop.support_status)
        if status is not None:
            body += status
        if not prop.implemented:
            body += _text_para('Not implemented.')
            return item
        if prop.description:
            body += _text_para(prop.description)

        fields = nodes.field_list()
        if nested and key != '*':
            # Top-level properties are grouped under required / optional.
            fields += _field('Required', _text_para(
                'yes' if prop.required else 'no'))
        if prop.default is not None:
            fields += _field('Default', _para(_literal(
                json.dumps(prop.default, sort_keys=True))))
        if update is None:
            update = self._update(prop)
        if update is not NO_UPDATE:
            fields += _field('Update', _text_para(update))
        if prop.constraints:
            blist = nodes.bullet_list()
            for constraint in prop.constraints:
                blist += nodes.list_item('', _text_para(str(constraint)))
            fields += _field('Constraints', blist)
        body += fields

        if prop.schema:
            if prop.type == self.properties.Schema.MAP:
                body += _text_para('Map properties:')
                body += self._property_list(prop.schema, update=update)
            elif prop.type == self.properties.Schema.LIST:
                body += _text_para('List items:')
                body += self._property_list(prop.schema, update=update)
        return item

    @staticmethod
    def _update(prop):
        if prop.update_allowed:
            return 'allowed'
        if prop.immutable:
            return 'not supported: an update that changes it fails'
        return 'a change replaces the resource'

    # -- attributes ----------------------------------------------------------

    def _attributes(self, section, attrs, title, ident):
        from heat.engine import support
        shown = sorted((k, v) for k, v in attrs.items()
                       if v.support_status.status != support.HIDDEN)
        if not shown:
            return
        sub = self._section(title, '%s-%s' % (self.type_id, ident))
        dlist = nodes.definition_list()
        for key, attr in shown:
            item = nodes.definition_list_item()
            term = nodes.term('', '', _literal(key))
            if attr.type:
                term += nodes.Text(' (%s)' % attr.type)
            item += term
            body = nodes.definition()
            status = self._support_status(attr.support_status)
            if status is not None:
                body += status
            if attr.description:
                body += _text_para(attr.description)
            item += body
            dlist += item
        sub += dlist
        section += sub

    # -- HOT syntax ----------------------------------------------------------

    def _hot_syntax(self, section, type_name, props):
        from heat.engine import support
        lines = ['heat_template_version: 2021-04-16',
                 'resources:',
                 '  the_resource:',
                 '    type: %s' % type_name]
        shown = sorted(k for k, v in props.items()
                       if v.implemented and
                       v.support_status.status == support.SUPPORTED)
        if shown:
            lines.append('    properties:')
            lines += ['      %s: %s' % (k, self._example(props[k]))
                      for k in shown]
        text = '\n'.join(lines)
        sub = self._section('HOT syntax', self.type_id + '-hot')
        block = nodes.literal_block(text, text)
        block['language'] = 'yaml'
        sub += block
        section += sub

    def _example(self, prop):
        schema = self.properties.Schema
        if prop is None:
            return 'Value'
        if prop.type == schema.LIST:
            item = self._example(prop.schema.get('*') if prop.schema
                                 else None)
            return '[%s, ...]' % item
        if prop.type == schema.MAP:
            if not prop.schema:
                return '{...}'
            return '{%s}' % ', '.join(
                '%s: %s' % (k, self._example(v))
                for k, v in sorted(prop.schema.items()) if v.implemented)
        return prop.type


def setup(app):
    app.add_directive('selfheal-resources', ResourceTypes)
    return {'version': '1.0', 'parallel_read_safe': True,
            'parallel_write_safe': True}
