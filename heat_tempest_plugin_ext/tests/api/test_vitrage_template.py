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

from heatclient import exc as heat_exc
from vitrageclient import exceptions as vitrage_exc

from heat_tempest_plugin_ext.common import test

# The shipped maintenance template: it reacts only to an alarm named
# marker_name, so a unique marker keeps it inert on a live cloud.
SHIPPED = ('vitrage_templates', 'host_maintenance.yaml')

STACK = '''
heat_template_version: 2021-04-16
parameters:
  template_name: {type: string}
  marker_name: {type: string}
resources:
  policy:
    type: SelfHealing::Vitrage::Template
    properties:
      template: {get_file: %(url)s}
      parameters:
        template_name: {get_param: template_name}
        marker_name: {get_param: marker_name}
outputs:
  uuid: {value: {get_attr: [policy, uuid]}}
  name: {value: {get_attr: [policy, name]}}
  status: {value: {get_attr: [policy, status]}}
  status_details: {value: {get_attr: [policy, status_details]}}
'''

# A condition naming an entity the template does not declare.
INVALID = '''
metadata:
  version: 3
  name: %(name)s
  type: standard
  description: tempest negative test, never loaded
entities:
  host_down_alarm:
    category: ALARM
    name: compute.host.down
  host:
    type: nova.host
scenarios:
  - condition: host_down_alarm [ on ] hots
    actions:
      - set_state:
          state: ERROR
          target: host
'''

INLINE_STACK = '''
heat_template_version: 2021-04-16
resources:
  policy:
    type: SelfHealing::Vitrage::Template
    properties:
      template: |
%s
'''

# Heat's answer when its resource-type policy denies a type, as for
# OS::Nova::Flavor.
NOT_AUTHORIZED = ('You are not authorized to use '
                  'resource_types:SelfHealing::Vitrage::Template.')


def _inline_stack(vitrage_text):
    indented = '\n'.join('        ' + line
                         for line in vitrage_text.strip().splitlines())
    return INLINE_STACK % indented


class VitrageTemplateTest(test.SelfHealingTest):

    required_services = ('vitrage',)
    required_resource_types = (test.VITRAGE_TEMPLATE,)

    def _shipped_stack(self):
        url = self.library.file_url(*SHIPPED)
        return STACK % {'url': url}, {url: self.library.read(*SHIPPED)}

    def _params(self, name, marker):
        return {'template_name': name, 'marker_name': marker}

    def _show_marker(self, uuid):
        """The marker name Vitrage holds in the stored template."""
        shown = self.admin.vitrage.template.show(uuid)
        return shown['entities']['marker']['name']

    def test_template_lifecycle(self):
        """An admin's stack loads a shipped Vitrage template, replaces it
        when its parameters change and removes it on delete.
        """
        name = test.rand_name('tempest-selfheal-maintenance')
        template, files = self._shipped_stack()
        stack_id = self.stack_create(
            template=template, files=files,
            parameters=self._params(name, name + '-marker'))

        created = self.outputs(stack_id)
        self.assertEqual(name, created['name'])
        self.assertEqual('ACTIVE', created['status'])
        self.assertEqual(created['uuid'],
                         self.get_physical_resource_id(stack_id, 'policy'))
        listed = self.vitrage_templates(uuid=created['uuid'])
        self.assertEqual([(name, 'ACTIVE')],
                         [(t['name'], t['status']) for t in listed])
        self.assertEqual(name + '-marker',
                         self._show_marker(created['uuid']))

        self.update_stack(stack_id, template=template, files=files,
                          parameters=self._params(name, name + '-moved'))

        updated = self.outputs(stack_id)
        self.assertNotEqual(created['uuid'], updated['uuid'])
        self.assertEqual(name, updated['name'])
        self.assertEqual('ACTIVE', updated['status'])
        self.assertEqual([], self.vitrage_templates(uuid=created['uuid']))
        named = self.vitrage_templates(name=name)
        self.assertEqual([updated['uuid']], [t['uuid'] for t in named])
        self.assertEqual(name + '-moved',
                         self._show_marker(updated['uuid']))

        self._stack_delete(stack_id)

        self.assertEqual([], self.vitrage_templates(name=name))
        self.assertEqual([], self.vitrage_templates(uuid=updated['uuid']))


class VitrageTemplateNegativeTest(test.SelfHealingTest):

    required_services = ('vitrage',)
    required_resource_types = (test.VITRAGE_TEMPLATE,)

    def test_invalid_template_fails_with_vitrage_message(self):
        """A template Vitrage's validator rejects fails the stack create
        with Vitrage's own message, and nothing reaches Vitrage.
        """
        name = test.rand_name('tempest-selfheal-invalid')
        text = INVALID % {'name': name}
        verdict = self.admin.vitrage.template.validate(template_str=text)
        vitrage_message = verdict['results'][0]['message']
        self.assertNotEqual('validation OK', verdict['results'][0]['status'])

        ex = self.assertRaises(heat_exc.HTTPBadRequest,
                               self.client.stacks.create,
                               stack_name=name,
                               template=_inline_stack(text))

        self.assertIn('resources.policy.properties.template', str(ex))
        self.assertIn(vitrage_message, str(ex))
        self.assertEqual([], self.vitrage_templates(name=name))

    def test_non_admin_cannot_create_vitrage_template(self):
        """Vitrage templates act on the whole cloud: Heat refuses one in a
        non-admin's stack before anything is created.
        """
        name = test.rand_name('tempest-selfheal-nonadmin')
        text = self.library.read(*SHIPPED)
        stack = yaml.safe_load(_inline_stack(text))
        stack['resources']['policy']['properties']['parameters'] = {
            'template_name': name, 'marker_name': name}
        self.addCleanup(self._delete_as_user, name)

        ex = self.assertRaises(heat_exc.HTTPForbidden,
                               self.user.heat.stacks.create,
                               stack_name=name,
                               template=yaml.safe_dump(stack))

        self.assertIn(NOT_AUTHORIZED, str(ex))
        self.assertEqual([], self.vitrage_templates(name=name))

    def test_vitrage_refuses_templates_from_non_admin(self):
        """Vitrage itself refuses a template from a non-admin: a template
        can run any public workflow as Vitrage's service user.
        """
        name = test.rand_name('tempest-selfheal-nonadmin-direct')
        text = self.library.read(*SHIPPED)
        added = []
        self.addCleanup(self._delete_vitrage_templates, added)

        def add():
            added.extend(self.user.vitrage.template.add(
                template_str=text,
                params={'template_name': name, 'marker_name': name}))

        ex = self.assertRaises(vitrage_exc.ClientException, add)

        self.assertEqual(403, ex.code)
        self.assertIn('Authorization Failed', str(ex))
        self.assertEqual([], self.vitrage_templates(name=name))

    def _delete_as_user(self, name):
        """Remove what a wrongly accepted create left behind."""
        try:
            stack = self.user.heat.stacks.get(name)
        except heat_exc.HTTPNotFound:
            return
        self.user.heat.stacks.delete(stack.id)
        self.wait_for('stack %s deleted' % name,
                      lambda: self._user_stack_gone(stack.id))

    def _user_stack_gone(self, stack_id):
        try:
            stack = self.user.heat.stacks.get(stack_id)
        except heat_exc.HTTPNotFound:
            return True
        return stack.stack_status == 'DELETE_COMPLETE'

    def _delete_vitrage_templates(self, rows):
        for row in rows:
            if row.get('uuid'):
                self.admin.vitrage.template.delete(row['uuid'])
