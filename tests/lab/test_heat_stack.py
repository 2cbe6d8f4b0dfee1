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

"""Heat drives our resource types against the lab's Vitrage and Mistral."""

import uuid

import pytest

from tests.lab.helpers import mistral_workflows
from tests.lab.helpers import vitrage_templates
from tests.lab.helpers import wait_for

pytestmark = pytest.mark.lab

STACK = '''
heat_template_version: 2021-04-16
description: A Vitrage template that runs a Mistral workflow on host down.
resources:
  heal_workflow:
    type: SelfHealing::Mistral::Workflow
    properties:
      # Vitrage runs it as its service user: it must be public.
      scope: public
      definition: |
        version: '2.0'
        {workflow}:
          input:
            - host
          tasks:
            report:
              action: std.echo output=<% $.host %>
  host_down_template:
    type: SelfHealing::Vitrage::Template
    properties:
      name: {template}
      template: |
        metadata:
          version: 3
          name: placeholder
          type: standard
          description: Doctor compute.host.down runs {workflow}.
        entities:
          host_down_alarm:
            type: doctor
            name: compute.host.down
          host:
            type: nova.host
        scenarios:
          - condition: host_down_alarm [on] host
            actions:
              - execute_mistral:
                  workflow: {workflow}
                  input:
                    host: get_attr(host, name)
outputs:
  workflow_names:
    value: {{get_attr: [heal_workflow, workflow_names]}}
  template_status:
    value: {{get_attr: [host_down_template, status]}}
'''


def test_stack_with_vitrage_template_and_mistral_workflow(
        openstack, vitrage, mistral, tmp_path):
    """Create leaves both remote definitions live; delete leaves nothing."""
    suffix = uuid.uuid4().hex[:8]
    workflow = 'selfheal_lab_test_%s' % suffix
    template = 'selfheal-lab-test-%s' % suffix
    stack = 'lab-test-%s' % suffix
    path = tmp_path / 'stack.yaml'
    path.write_text(STACK.format(workflow=workflow, template=template))
    try:
        created = openstack.json('stack', 'create', '--wait', '-t', str(path),
                                 stack)
        assert created['stack_status'] == 'CREATE_COMPLETE', created
        active = wait_for(
            'template %s ACTIVE in Vitrage' % template,
            lambda: [t for t in vitrage_templates(vitrage, template)
                     if t['status'] == 'ACTIVE'])
        assert len(active) == 1
        assert len(mistral_workflows(mistral, workflow)) == 1
        outputs = {o['output_key']: o['output_value'] for o in openstack.json(
            'stack', 'show', stack)['outputs']}
        assert outputs['workflow_names'] == [workflow]
    finally:
        openstack.run('stack', 'delete', '--yes', '--wait', stack,
                      check=False)
    assert stack not in {s['Stack Name']
                         for s in openstack.json('stack', 'list')}
    assert vitrage_templates(vitrage, template) == []
    assert mistral_workflows(mistral, workflow) == []


def test_vitrage_service_user_can_update_an_admin_stack(lab):
    """Vitrage's workflows update other projects' stacks.

    Mistral runs them as the vitrage service user; heat.stacks_update of
    another project's stack goes through Heat's trusts ([trustee]).
    """
    from heatclient import client
    from selfheal.lab import cloud
    admin = client.Client('1', session=cloud.admin_session(lab))
    vitrage_user = client.Client(
        '1', session=cloud.session_for(lab, 'vitrage', 'service'))
    template = {
        'heat_template_version': '2021-04-16',
        'parameters': {'value': {'type': 'string', 'default': 'first'}},
        'resources': {'held': {'type': 'OS::Heat::Value', 'properties': {
            'value': {'get_param': 'value'}}}},
    }
    stack_id = admin.stacks.create(
        stack_name='lab-test-trust-%s' % uuid.uuid4().hex[:6],
        template=template)['stack']['id']

    def settled():
        stack = admin.stacks.get(stack_id)
        if not stack.stack_status.endswith('IN_PROGRESS'):
            return stack
    try:
        assert wait_for('create', settled).stack_status == 'CREATE_COMPLETE'
        vitrage_user.stacks.update(stack_id, existing=True,
                                   parameters={'value': 'second'})
        wait_for('the update to start', lambda: admin.stacks.get(
            stack_id).stack_status != 'CREATE_COMPLETE')
        updated = wait_for('update', settled)
        assert updated.stack_status == 'UPDATE_COMPLETE', \
            updated.stack_status_reason
    finally:
        admin.stacks.delete(stack_id)


def test_demo_user_stack_with_a_signal_handle(lab):
    """A member's stack gets a stack domain user (the heat domain)."""
    from heatclient import client
    from selfheal.lab import cloud
    heat = client.Client('1', session=cloud.session_for(lab, 'demo', 'demo'))
    stack_id = heat.stacks.create(
        stack_name='lab-test-signal-%s' % uuid.uuid4().hex[:6],
        template={'heat_template_version': '2021-04-16', 'resources': {
            'handle': {'type': 'OS::Heat::WaitConditionHandle'}}}
    )['stack']['id']

    def settled():
        stack = heat.stacks.get(stack_id)
        if not stack.stack_status.endswith('IN_PROGRESS'):
            return stack
    try:
        stack = wait_for('create', settled)
        assert stack.stack_status == 'CREATE_COMPLETE', \
            stack.stack_status_reason
    finally:
        heat.stacks.delete(stack_id)
    assert wait_for('delete', settled).stack_status == 'DELETE_COMPLETE'
