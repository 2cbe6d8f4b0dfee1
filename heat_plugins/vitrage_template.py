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

import time

import yaml

from vitrageclient import exceptions as vitrage_exc

from heat.common import exception
from heat.common.i18n import _
from heat.engine import attributes
from heat.engine import properties
from heat.engine.resources.openstack.heat import none_resource
from heat.engine import support

from heat_plugins import definition_checks
from heat_plugins import remote_definition


class VitrageTemplate(remote_definition.RemoteDefinition):
    """A Vitrage template, loaded into Vitrage and kept ACTIVE.

    The template is the text an operator would give to
    ``vitrage template add``, usually read with ``get_file``. Vitrage
    templates are global and only an admin may add them. A change of the
    template or its parameters replaces the resource.
    """

    support_status = support.SupportStatus(
        version='1.0.0',
        message=_('Provided by the heat-selfhealing plugins.'))

    default_client_name = 'vitrage'

    service_name = 'Vitrage'

    service_errors = (vitrage_exc.ClientException,)

    LOADING_STATUSES = ('LOADING',)

    definition_property = 'template'

    delete_poll_interval = 0.5

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
        ),
        PARAMETERS: properties.Schema(
            properties.Schema.MAP,
            _('Values for the parameters the template declares.'),
            default={},
        ),
        NAME: properties.Schema(
            properties.Schema.STRING,
            _('Name of the template in Vitrage. Defaults to the name in the '
              'template metadata. Vitrage rejects a second template of the '
              'same name, so one policy cannot be loaded twice.'),
        ),
        DESCRIPTION: properties.Schema(
            properties.Schema.STRING,
            _('Description of the template in Vitrage. Defaults to the '
              'description in the template metadata.'),
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

    def validate(self):
        # Vitrage templates are global and fire as Vitrage's service user.
        if not self.context.is_admin:
            raise exception.Forbidden(action='resource_types:%s' %
                                      self.type())
        super(VitrageTemplate, self).validate()

    def template_parameters(self):
        return self.properties[self.PARAMETERS] or {}

    def template_overrides(self):
        return {'name': self.properties[self.NAME],
                'description': self.properties[self.DESCRIPTION]}

    def offline_validator_available(self):
        return definition_checks.vitrage_validator_available()

    def definition_problems(self, text):
        if self.offline_validator_available():
            return definition_checks.check_vitrage_template(
                text, self.template_parameters())
        try:
            definition_checks.load_vitrage_template(text)
        except definition_checks.DefinitionError as ex:
            return [ex.problem]
        return []

    def _template_str(self, text):
        document = definition_checks.load_vitrage_template(text)
        metadata = document.setdefault('metadata', {})
        for key, value in self.template_overrides().items():
            if value is not None:
                metadata[key] = value
        return yaml.safe_dump(document, default_flow_style=False)

    def remote_validate(self, text):
        response = self.client().template.validate(
            template_str=self._template_str(text),
            params=self.template_parameters())
        for result in response.get('results', []):
            if result.get('status') != 'validation OK':
                raise exception.StackValidationFailed(
                    path=self.definition_path(),
                    message=_('Vitrage validation failed (code '
                              '%(code)s): %(message)s') %
                    {'code': result.get('status code'),
                     'message': result.get('message')})

    def remote_create(self, text):
        rows = self.client().template.add(
            template_str=self._template_str(text),
            params=self.template_parameters())
        row = rows[0]
        if not row.get('uuid'):
            # Rejected before storing, e.g. a duplicate name.
            raise exception.Error(
                _('Vitrage refused the template: %s') %
                row.get('status details'))
        return row['uuid']

    def remote_status(self):
        template = self.client_plugin().find_template(self.resource_id)
        if template is None:
            return None
        return template.get('status'), template.get('status details')

    def remote_delete(self):
        self.client().template.delete(self.resource_id)

    def prepare_for_replace(self):
        # Vitrage names are unique: like `vitrage template add --overwrite`,
        # the replacement can only be added once this template is gone.
        deadline = self.handle_delete()
        while not self.check_delete_complete(deadline):
            time.sleep(self.delete_poll_interval)

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
    working resource with its original properties.
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
        ),
        TEMPLATE_PARAMS: properties.Schema(
            properties.Schema.MAP,
            _('Input parameters for the Vitrage template.'),
            default={},
        ),
    }

    definition_property = 'template_file'

    def template_parameters(self):
        return self.properties[self.TEMPLATE_PARAMS] or {}

    def template_overrides(self):
        return {}


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
    return mapping
