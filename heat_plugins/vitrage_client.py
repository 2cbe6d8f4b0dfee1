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

"""Vitrage client plugin, registered as ``heat.clients: selfheal_vitrage``.

A name of its own: Heat 16 to 26 register their own ``vitrage`` plugin,
and stevedore keeps whichever it lists last. The options stay in Heat's
``[clients_vitrage]`` section. Vitrage answers every failed template call
with HTTP 404, so callers that tolerate NotFound must confirm by listing.
"""

from oslo_config import cfg
from vitrageclient import client as vitrage_client
from vitrageclient import exceptions as vitrage_exc

from heat.common import config
from heat.common import exception
from heat.engine.clients import client_plugin
from heat.engine import constraints

CLIENT_NAME = 'selfheal_vitrage'

# [clients_vitrage] endpoint_type, ca_file, ... like Heat's own clients.
OPTIONS_GROUP = 'vitrage'
cfg.CONF.register_opts(config.clients_opts, group='clients_' + OPTIONS_GROUP)


class VitrageClientPlugin(client_plugin.ClientPlugin):

    exceptions_module = vitrage_exc

    service_types = [RCA] = ['rca']

    def _create(self):
        return vitrage_client.Client(
            '1',
            session=self.context.keystone_session,
            interface=self._get_client_option(OPTIONS_GROUP, 'endpoint_type'),
            region_name=self._get_region_name())

    def does_endpoint_exist(self, service_type, service_name):
        # Heat reads endpoint_type from [clients_<service_name>].
        return super(VitrageClientPlugin, self).does_endpoint_exist(
            service_type, OPTIONS_GROUP)

    def is_not_found(self, ex):
        return (isinstance(ex, vitrage_exc.ClientException) and
                ex.code == 404)

    def is_conflict(self, ex):
        return (isinstance(ex, vitrage_exc.ClientException) and
                ex.code == 409)

    def find_template(self, identifier):
        """Return the live template listed under a uuid or name, or None."""
        for template in self.client().template.list():
            if identifier in (template.get('uuid'), template.get('name')):
                return template
        return None

    def get_template(self, identifier):
        template = self.find_template(identifier)
        if template is None:
            raise exception.EntityNotFound(entity='Vitrage template',
                                           name=identifier)
        return template


class TemplateConstraint(constraints.BaseCustomConstraint):
    """A Vitrage template, by uuid or name, that Vitrage holds."""

    resource_client_name = CLIENT_NAME
    resource_getter_name = 'get_template'
    expected_exceptions = (exception.EntityNotFound,)
