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

import yaml

from vitrageclient import exceptions as vitrage_exc

from heat.common import exception
from heat.common.i18n import _
from heat.engine import attributes
from heat.engine import properties
from heat.engine.resources.openstack.heat import none_resource
from heat.engine import support

from heat_plugins import definition_checks
from heat_plugins import policy
from heat_plugins import remote_definition
from heat_plugins import vitrage_client

# Vitrage's documented parameter for a template's name; Heat 16 to 26
# gave it the physical resource name.
TEMPLATE_NAME = 'template_name'


class Swap(object):
    """An in-place change of a template whose fixed name cannot coexist
    with its replacement: the old one is removed, the new one added, and
    the old one added back if the new one does not load.
    """

    (REMOVING_OLD, LOADING_NEW, REMOVING_NEW, RESTORING) = (
        'removing the previous template', 'loading the new template',
        'removing the new template', 'restoring the previous template')

    def __init__(self, new_props, old_props, deletion):
        self.new_props = new_props
        self.old_props = old_props
        self.phase = self.REMOVING_OLD
        self.deletion = deletion
        self.deadline = None
        self.failure = None


class VitrageTemplate(remote_definition.RemoteDefinition):
    """A Vitrage template, loaded into Vitrage and kept ACTIVE.

    The template is the text an operator would give to
    ``vitrage template add``, usually read with ``get_file``. Vitrage
    templates are global; Heat's ``resource_types`` policy lets only
    admins use the type by default.

    Vitrage refuses a second template of a name it holds. Unless a fixed
    name is given, the template is named after the physical resource
    name, and a change creates the replacement before the old template
    is deleted. A fixed name is changed in place: the new template is
    validated by Vitrage, the old one removed and the new one added; if
    the new one does not become ACTIVE the old one is added back.
    """

    support_status = support.SupportStatus(
        version='1.0.0',
        message=_('Provided by the heat-selfhealing plugins.'))

    default_client_name = vitrage_client.CLIENT_NAME

    service_name = 'Vitrage'

    service_errors = (vitrage_exc.ClientException,)

    LOADING_STATUSES = ('LOADING',)

    DELETING_STATUSES = ('DELETING',)

    definition_property = 'template'

    PROPERTIES = (
        TEMPLATE, PARAMETERS, NAME, DESCRIPTION,
    ) = (
        'template', 'parameters', 'name', 'description',
    )

    ATTRIBUTES = (
        UUID, NAME_ATTR, STATUS, STATUS_DETAILS,
    ) = (
        'uuid', 'name', 'status', 'status_details',
    )

    properties_schema = {
        TEMPLATE: properties.Schema(
            properties.Schema.STRING,
            _('The Vitrage template (version 2 or 3) as YAML text, '
              'typically {get_file: my_template.yaml}.'),
            required=True,
            update_allowed=True,
        ),
        PARAMETERS: properties.Schema(
            properties.Schema.MAP,
            _('Values for the parameters the template declares. A '
              'declared template_name parameter that is given no value '
              'gets the name of the template in Vitrage.'),
            default={},
            update_allowed=True,
        ),
        NAME: properties.Schema(
            properties.Schema.STRING,
            _('Fixed name of the template in Vitrage; a template_name '
              'parameter value is one too. Without either, the template '
              'is named after the physical resource name, unique per '
              'resource. A fixed name is swapped in place on change.'),
            update_allowed=True,
        ),
        DESCRIPTION: properties.Schema(
            properties.Schema.STRING,
            _('Description of the template in Vitrage. Defaults to the '
              'description in the template metadata.'),
            update_allowed=True,
        ),
    }

    attributes_schema = {
        UUID: attributes.Schema(
            _('UUID of the template in Vitrage.'),
            type=attributes.Schema.STRING
        ),
        NAME_ATTR: attributes.Schema(
            _('Name of the template in Vitrage.'),
            type=attributes.Schema.STRING
        ),
        STATUS: attributes.Schema(
            _('Status of the template in Vitrage: LOADING, ACTIVE, ERROR or '
              'DELETING.'),
            type=attributes.Schema.STRING
        ),
        STATUS_DETAILS: attributes.Schema(
            _('Vitrage status details of the template.'),
            type=attributes.Schema.STRING
        ),
    }

    # -- what is sent to Vitrage --------------------------------------------

    def given_parameters(self, props):
        return dict(props[self.PARAMETERS] or {})

    def template_name(self, props):
        """The name Vitrage stores the template under."""
        return (props[self.NAME] or
                self.given_parameters(props).get(TEMPLATE_NAME) or
                self.default_name())

    def default_name(self):
        # Before the resource is stored (validation) it has no physical
        # name yet; Heat 16 to 26 checked with a stand-in too.
        return (self.physical_resource_name() or
                '%s-%s' % (self.stack.name, self.name))

    def parameters_sent(self, props):
        params = self.given_parameters(props)
        if TEMPLATE_NAME in _declared_parameters(self.definition_text(props)):
            params.setdefault(TEMPLATE_NAME, self.template_name(props))
        return params

    def template_str(self, props):
        document = definition_checks.load_vitrage_template(
            self.definition_text(props))
        metadata = document.setdefault('metadata', {})
        metadata['name'] = self.template_name(props)
        if props[self.DESCRIPTION] is not None:
            metadata['description'] = props[self.DESCRIPTION]
        return yaml.safe_dump(document, default_flow_style=False)

    def has_fixed_name(self, props):
        return self.template_name(props) != self.default_name()

    # -- RemoteDefinition ----------------------------------------------------

    def offline_validator_available(self):
        return definition_checks.vitrage_validator_available()

    def definition_problems(self, props):
        text = self.definition_text(props)
        if not self.offline_validator_available():
            try:
                definition_checks.load_vitrage_template(text)
            except definition_checks.DefinitionError as ex:
                return [ex.problem]
            return []
        declared = _declared_parameters(text)
        given = self.given_parameters(props)
        checked = dict((k, v) for k, v in self.parameters_sent(props).items()
                       if k in given or (k in declared and v is not None))
        return definition_checks.check_vitrage_template(text, checked)

    def remote_validate(self, props):
        response = self.client().template.validate(
            template_str=self.template_str(props),
            params=self.parameters_sent(props))
        for result in response.get('results', []):
            if result.get('status') != 'validation OK':
                raise exception.StackValidationFailed(
                    path=self.definition_path(),
                    message=_('Vitrage validation failed (code '
                              '%(code)s): %(message)s') %
                    {'code': result.get('status code'),
                     'message': result.get('message')})

    def remote_create(self, props):
        rows = self.client().template.add(
            template_str=self.template_str(props),
            params=self.parameters_sent(props))
        row = rows[0]
        if not row.get('uuid'):
            # Rejected before storing, e.g. a duplicate name.
            raise exception.Error(
                _('Vitrage refused the template %(name)s: %(details)s') %
                {'name': row.get('name'),
                 'details': row.get('status details')})
        return row['uuid']

    def remote_status(self):
        template = self.client_plugin().find_template(self.resource_id)
        if template is None:
            return None
        return template.get('status'), template.get('status details')

    def remote_delete(self):
        self.client().template.delete(self.resource_id)

    # -- replacement and in-place swap ---------------------------------------

    def needs_replace_with_prop_diff(self, changed_properties_set,
                                     after_props, before_props):
        # Named after the resource, the replacement coexists with this
        # template until Heat deletes it; a kept fixed name cannot.
        new_name = self.template_name(after_props)
        return (not self.has_fixed_name(after_props) or
                new_name != self.template_name(before_props))

    def _held_status(self):
        if not self.resource_id:
            return None
        with self.talking_to_service(_('reading the definition status')):
            found = self.remote_status()
        return found and found[0]

    def needs_replace_failed(self):
        # A fixed name whose template is in force is fixed in place.
        return not (self.has_fixed_name(self.properties) and
                    self._held_status() == self.READY_STATUS)

    def prepare_for_replace(self):
        # A fixed name held by a template that is not in force would make
        # Vitrage refuse the replacement as a duplicate: remove it first.
        # One that is in force stays until the replacement is ACTIVE.
        if not self.has_fixed_name(self.properties):
            return
        status = self._held_status()
        if status in (None, self.READY_STATUS) + self.DELETING_STATUSES:
            return
        self.deleted(self.start_deletion())

    def handle_update(self, json_snippet, tmpl_diff, prop_diff):
        if not prop_diff:
            return None
        new_props = json_snippet.properties(self.properties_schema,
                                            self.context)
        self.validate_remotely(new_props)
        return Swap(new_props, self.properties, self.start_deletion())

    def check_update_complete(self, swap):
        if swap is None:
            return True
        if swap.phase in (Swap.REMOVING_OLD, Swap.LOADING_NEW):
            try:
                return self._put_new_in_force(swap)
            except exception.Error as ex:
                if swap.phase == Swap.REMOVING_OLD:
                    raise
                swap.failure = str(ex)
                swap.phase = Swap.REMOVING_NEW
                swap.deletion = self.start_deletion()
                return False
        try:
            restored = self._put_old_back(swap)
        except exception.Error as ex:
            raise exception.Error(
                _('%(failure)s; while %(phase)s: %(error)s. Vitrage may '
                  'hold no template named %(name)s now') %
                {'failure': swap.failure, 'phase': swap.phase, 'error': ex,
                 'name': self.template_name(swap.old_props)})
        if restored:
            raise exception.Error(
                _('%(failure)s; the previous template was restored as '
                  '%(uuid)s') % {'failure': swap.failure,
                                 'uuid': self.resource_id})
        return False

    def _put_new_in_force(self, swap):
        return self._replace_held(swap, Swap.REMOVING_OLD, Swap.LOADING_NEW,
                                  swap.new_props)

    def _put_old_back(self, swap):
        return self._replace_held(swap, Swap.REMOVING_NEW, Swap.RESTORING,
                                  swap.old_props)

    def _replace_held(self, swap, removing, loading, props):
        """Remove the template held, then add and load props' one."""
        if swap.phase == removing:
            if not self.deleted(swap.deletion):
                return False
            swap.phase = loading
            swap.deadline = self.store_definition(props)
        return self.loaded(swap.deadline)

    def _resolve_attribute(self, name):
        if not self.resource_id:
            return None
        if name == self.UUID:
            return self.resource_id
        template = self.client_plugin().find_template(self.resource_id)
        if template is None:
            return None
        return {self.NAME_ATTR: template.get('name'),
                self.STATUS: template.get('status'),
                self.STATUS_DETAILS: template.get('status details')}[name]


class LegacyVitrageTemplate(VitrageTemplate):
    """OS::Vitrage::Template as Heat 16 to 26 defined it.

    Heat 27 turned the type into a hidden no-op; this brings back the
    working resource with its original properties and behaviour: the
    template is sent as it is, with the parameters ``template_name`` (the
    physical resource name) and ``description`` (null) added, so a
    template named ``get_param(template_name)`` is unique per resource.
    """

    support_status = support.SupportStatus(
        version='1.0.0',
        message=_('Provided by the heat-selfhealing plugins for stacks '
                  'written for Heat 16 to 26.'))

    PROPERTIES = (
        TEMPLATE_FILE, TEMPLATE_PARAMS,
    ) = (
        'template_file', 'template_params',
    )

    properties_schema = {
        TEMPLATE_FILE: properties.Schema(
            properties.Schema.STRING,
            _('The Vitrage template as YAML text, typically '
              '{get_file: my_template.yaml}.'),
            required=True,
            update_allowed=True,
        ),
        TEMPLATE_PARAMS: properties.Schema(
            properties.Schema.MAP,
            _('Input parameters for the Vitrage template.'),
            required=True,
            update_allowed=True,
        ),
    }

    definition_property = 'template_file'

    def given_parameters(self, props):
        return dict(props[self.TEMPLATE_PARAMS] or {})

    def parameters_sent(self, props):
        params = self.given_parameters(props)
        params[TEMPLATE_NAME] = self.default_name()
        params['description'] = None
        return params

    def template_name(self, props):
        text = self.definition_text(props)
        try:
            metadata = definition_checks.load_vitrage_template(text).get(
                'metadata')
        except definition_checks.DefinitionError:
            return None
        name = metadata.get('name') if isinstance(metadata, dict) else None
        parameter = _parameter_reference(name)
        if parameter is None:
            return name
        value = self.parameters_sent(props).get(parameter)
        if value is None:
            value = (_declared_parameters(text).get(parameter) or {}).get(
                'default')
        return value

    def template_str(self, props):
        return self.definition_text(props)


def _declared_parameters(text):
    try:
        template = definition_checks.load_vitrage_template(text)
    except definition_checks.DefinitionError:
        return {}
    declared = template.get('parameters')
    if not isinstance(declared, dict):
        return {}
    return dict((k, v if isinstance(v, dict) else {})
                for k, v in declared.items())


def _parameter_reference(value):
    """'x' for the Vitrage function call get_param(x), else None."""
    if not isinstance(value, str):
        return None
    value = value.strip()
    if value.startswith('get_param(') and value.endswith(')'):
        return value[len('get_param('):-1].strip()
    return None


def heat_has_working_vitrage_template():
    """Whether this Heat still ships a real OS::Vitrage::Template."""
    try:
        from heat.engine.resources.openstack.vitrage import vitrage_template
    except ImportError:
        return False
    heat_type = getattr(vitrage_template, 'VitrageTemplate', None)
    return (heat_type is not None and
            not issubclass(heat_type, none_resource.NoneResource))


def resource_mapping():
    mapping = {'SelfHealing::Vitrage::Template': VitrageTemplate}
    if not heat_has_working_vitrage_template():
        mapping['OS::Vitrage::Template'] = LegacyVitrageTemplate
    policy.register(mapping)
    return mapping
