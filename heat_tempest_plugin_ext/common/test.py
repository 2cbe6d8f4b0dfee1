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

"""Shared base of the self-healing tests, on heat-tempest-plugin's."""

import time

from heat_tempest_plugin.common import test as heat_test
from tempest import config
from tempest.lib import exceptions as lib_exc

from heat_tempest_plugin_ext.common import clients
from heat_tempest_plugin_ext.common import library

CONF = config.CONF

VITRAGE_TEMPLATE = 'SelfHealing::Vitrage::Template'
MISTRAL_WORKFLOW = 'SelfHealing::Mistral::Workflow'

rand_name = heat_test.rand_name


class SelfHealingTest(heat_test.HeatIntegrationTest):
    """Stacks are created as the admin of ``[heat_plugin]`` unless a test
    says otherwise: Vitrage templates are admin-only.
    """

    # [service_available] options the test needs.
    required_services = ()
    # Heat resource types the test needs.
    required_resource_types = ()

    @classmethod
    def skip_checks(cls):
        super(SelfHealingTest, cls).skip_checks()
        for service in ('heat',) + tuple(cls.required_services):
            if not getattr(CONF.service_available, service):
                raise cls.skipException(
                    '%s is not available in this cloud ([service_available] '
                    '%s = false)' % (service.capitalize(), service))

    def setUp(self):
        super(SelfHealingTest, self).setUp()
        self.sh_conf = CONF.selfhealing
        if not (self.conf.admin_username and self.conf.admin_password):
            self.skipTest('[heat_plugin] admin_username and admin_password '
                          'are not set: Vitrage templates, fencing and '
                          'evacuation need an admin')
        self.admin = clients.Clients(self.conf, admin=True)
        self.user = clients.Clients(self.conf)
        self.client = self.admin.heat
        self.check_resource_types()

    def check_resource_types(self):
        offered = {t.resource_type for t in
                   self.client.resource_types.list()}
        missing = [t for t in self.required_resource_types
                   if t not in offered]
        if missing:
            self.fail('Heat does not offer %s: load the heat-selfhealing '
                      'resource types into every heat-engine (plugin_dirs, '
                      'see README "Load the resource types into your Heat")'
                      % ', '.join(missing))

    @property
    def library(self):
        try:
            return library.Library(library.find(self.sh_conf.library_dir))
        except library.LibraryNotFound as e:
            self.fail(str(e))

    def wait_for(self, what, probe, timeout=None):
        """Poll probe() until it returns something true; return that."""
        timeout = timeout or self.conf.build_timeout
        deadline = time.monotonic() + timeout
        last = None
        while time.monotonic() < deadline:
            last = probe()
            if last:
                return last
            time.sleep(self.conf.build_interval)
        raise lib_exc.TimeoutException(
            'waited %d s for %s; last seen: %r' % (timeout, what, last))

    def outputs(self, stack_identifier):
        stack = self.client.stacks.get(stack_identifier)
        return {o['output_key']: o.get('output_value') for o in stack.outputs}

    # -- Vitrage --------------------------------------------------------------

    def vitrage_templates(self, **match):
        """Templates Vitrage lists whose fields equal ``match``."""
        return [t for t in self.admin.vitrage.template.list()
                if all(t.get(k) == v for k, v in match.items())]

    def wait_vitrage_template_gone(self, **match):
        self.wait_for('Vitrage to drop the template %s' % match,
                      lambda: not self.vitrage_templates(**match),
                      timeout=self.sh_conf.vitrage_timeout)

    # -- Mistral --------------------------------------------------------------

    def mistral_workflows(self, namespace='', **match):
        workflows = self.admin.mistral.workflows.list(namespace=namespace)
        return [w for w in workflows
                if all(getattr(w, k) == v for k, v in match.items())]
