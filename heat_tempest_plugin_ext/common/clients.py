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

"""Vitrage, Mistral and Nova clients on heat-tempest-plugin's sessions."""

import functools

from heat_tempest_plugin.services import clients as heat_clients
from tempest import config

CONF = config.CONF

# 2.53: services by uuid, PUT /os-services/{id} with forced_down.
NOVA_MICROVERSION = '2.53'


class Clients(object):
    """The clients of one user: the admin or the non-admin of
    ``[heat_plugin]``.
    """

    def __init__(self, heat_conf, admin=False):
        self.heat_conf = heat_conf
        self.manager = heat_clients.ClientManager(heat_conf, admin)
        self.session = self.manager.identity_client.session
        self.heat = self.manager.orchestration_client

    def _endpoint_args(self):
        return {'interface': self.heat_conf.endpoint_type,
                'region_name': self.heat_conf.region}

    @functools.cached_property
    def nova(self):
        from novaclient import client as nova_client
        return nova_client.Client(
            NOVA_MICROVERSION, session=self.session,
            endpoint_type=self.heat_conf.endpoint_type,
            region_name=self.heat_conf.region)

    @functools.cached_property
    def vitrage(self):
        from vitrageclient import client as vitrage_client
        return vitrage_client.Client(
            '1', session=self.session,
            service_type=CONF.selfhealing.vitrage_catalog_type,
            **self._endpoint_args())

    @functools.cached_property
    def mistral(self):
        from mistralclient.api import client as mistral_client
        # Without mistral_url python-mistralclient ignores the catalog and
        # talks to http://localhost:8989/v2.
        url = self.session.get_endpoint(
            service_type=CONF.selfhealing.mistral_catalog_type,
            **self._endpoint_args())
        return mistral_client.client(session=self.session, mistral_url=url)

    @property
    def user_id(self):
        return self.session.get_user_id()

    @property
    def project_id(self):
        return self.session.get_project_id()
