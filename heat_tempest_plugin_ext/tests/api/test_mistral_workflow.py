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

from heat_tempest_plugin_ext.common import test

# Two shipped workflow files: one defines two workflows, the other one.
TWO_WORKFLOWS = ('workflows', 'evacuate_host.yaml')
ONE_WORKFLOW = ('workflows', 'heal_budget.yaml')

STACK = '''
heat_template_version: 2021-04-16
parameters:
  namespace: {type: string}
  scope: {type: string}
resources:
  workflows:
    type: SelfHealing::Mistral::Workflow
    properties:
      definition: {get_file: %(url)s}
      namespace: {get_param: namespace}
      scope: {get_param: scope}
outputs:
  workflow_names: {value: {get_attr: [workflows, workflow_names]}}
  workflow_ids: {value: {get_attr: [workflows, workflow_ids]}}
  workflow_inputs: {value: {get_attr: [workflows, workflow_inputs]}}
'''


class MistralWorkflowTest(test.SelfHealingTest):

    required_services = ('mistral',)
    required_resource_types = (test.MISTRAL_WORKFLOW,)

    def _stack(self, definition):
        url = self.library.file_url(*definition)
        template = STACK % {'url': url}
        return template, {url: self.library.read(*definition)}

    def _in_mistral(self, namespace):
        return {w.name: w for w in self.mistral_workflows(namespace)}

    def test_workflow_lifecycle(self):
        """A stack stores a shipped workflow file in Mistral, updates it in
        place (scope, then a different file) and deletes it.
        """
        namespace = test.rand_name('tempest-selfheal')
        params = {'namespace': namespace, 'scope': 'private'}
        template, files = self._stack(TWO_WORKFLOWS)
        stack_id = self.stack_create(template=template, files=files,
                                     parameters=params)

        out = self.outputs(stack_id)
        names = ['selfheal.evacuate_host', 'selfheal.evacuate_instance']
        self.assertEqual(names, out['workflow_names'])
        self.assertIn('host', out['workflow_inputs']['selfheal.evacuate_host'])
        self.assertIn({'recovery_method': 'auto'},
                      out['workflow_inputs']['selfheal.evacuate_host'])
        stored = self._in_mistral(namespace)
        self.assertEqual(sorted(names), sorted(stored))
        self.assertEqual(out['workflow_ids'],
                         {n: stored[n].id for n in names})
        self.assertEqual({'private'}, {w.scope for w in stored.values()})
        self.assertIn('recovery_method="auto"',
                      stored['selfheal.evacuate_host'].input)
        physical_id = self.get_physical_resource_id(stack_id, 'workflows')

        # Scope only: the same workflows change in place.
        self.update_stack(stack_id, template=template, files=files,
                          parameters=dict(params, scope='public'))

        stored = self._in_mistral(namespace)
        self.assertEqual(out['workflow_ids'],
                         {n: w.id for n, w in stored.items()})
        self.assertEqual({'public'}, {w.scope for w in stored.values()})

        # Another file: its workflow is created, the dropped ones deleted.
        template, files = self._stack(ONE_WORKFLOW)
        self.update_stack(stack_id, template=template, files=files,
                          parameters=dict(params, scope='public'))

        out = self.outputs(stack_id)
        self.assertEqual(['selfheal.heal_budget'], out['workflow_names'])
        stored = self._in_mistral(namespace)
        self.assertEqual(['selfheal.heal_budget'], sorted(stored))
        self.assertEqual(out['workflow_ids']['selfheal.heal_budget'],
                         stored['selfheal.heal_budget'].id)
        self.assertEqual(physical_id,
                         self.get_physical_resource_id(stack_id, 'workflows'))

        self._stack_delete(stack_id)

        self.assertEqual({}, self._in_mistral(namespace))
