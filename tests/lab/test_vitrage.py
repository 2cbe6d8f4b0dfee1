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

"""Doctor events flow through Vitrage: deduced alarms and Mistral runs."""

import uuid

import pytest
import yaml

from selfheal.lab import bootstrap
from selfheal.lab import faults
from tests.lab.helpers import wait_for

pytestmark = pytest.mark.lab

COMPUTE = {'service_type': 'compute', 'interface': 'public'}


def _template(name, scenario_actions, extra_entities=None):
    entities = {
        'host_down_alarm': {'type': 'doctor', 'name': faults.HOST_DOWN},
        'host': {'type': 'nova.host'},
    }
    entities.update(extra_entities or {})
    return {
        'metadata': {'version': 3, 'name': name, 'type': 'standard',
                     'description': 'selfheal lab test: Doctor '
                                    'compute.host.down.'},
        'entities': entities,
        'scenarios': scenario_actions,
    }


@pytest.fixture
def add_template(vitrage, tmp_path):
    added = []

    def add(template):
        path = tmp_path / ('%s.yaml' % template['metadata']['name'])
        path.write_text(yaml.safe_dump(template))
        result = vitrage.template.add(path=str(path))
        added.extend(r['uuid'] for r in result)
        assert result[0]['status'] != 'ERROR', result
        wait_for('template ACTIVE', lambda: [
            t for t in vitrage.template.list()
            if t['uuid'] == result[0]['uuid'] and t['status'] == 'ACTIVE'])
    yield add
    for ident in added:
        vitrage.template.delete(ident)


@pytest.fixture
def host_recovers(lab):
    hosts = []
    yield hosts.append
    for host in hosts:
        faults.post_doctor_event(lab, faults.HOST_DOWN, host, 'up', 'test')


def test_doctor_event_produces_deduced_alarms(
        lab, admin_session, vitrage, openstack, add_template, host_recovers):
    host = 'compute2'
    alarm = 'selfheal_lab_instance_down_%s' % uuid.uuid4().hex[:6]
    add_template(_template(alarm, [{
        'condition': 'host_down_alarm [on] host AND host [contains] instance',
        'actions': [{'raise_alarm': {
            'target': 'instance', 'alarm_name': alarm,
            'severity': 'CRITICAL', 'causing_alarm': 'host_down_alarm'}}],
    }], {'instance': {'type': 'nova.instance'}}))
    server = admin_session.post('/servers', endpoint_filter=COMPUTE, json={
        'server': {'name': 'lab-test-' + alarm, 'flavorRef': _flavor(
            admin_session), 'imageRef': _image(admin_session),
            'networks': 'none', 'availability_zone': 'nova:' + host}},
        headers={'OpenStack-API-Version': 'compute 2.37'}).json()['server']
    try:
        wait_for('server ACTIVE', lambda: admin_session.get(
            '/servers/%s' % server['id'], endpoint_filter=COMPUTE
        ).json()['server']['status'] == 'ACTIVE')
        vertex = wait_for('the instance in the Vitrage graph', lambda: [
            r for r in vitrage.resource.list(all_tenants=True)
            if r.get('id') == server['id']])[0]
        host_recovers(host)
        faults.post_doctor_event(lab, faults.HOST_DOWN, host, 'down', 'test')
        wait_for('a deduced alarm on the instance', lambda: [
            a for a in vitrage.alarm.list(vitrage_id='all', all_tenants=True)
            if a['name'] == alarm])
        # As an operator sees it.
        listed = openstack.json('rca', 'alarm', 'list', '--all-tenants')
        # Other instances of the host (another test's, being deleted) may
        # get one too: count the alarms on this one.
        deduced = [a for a in listed if a['Name'] == alarm and
                   a['Resource ID'] == vertex['vitrage_id']]
        assert len(deduced) == 1, listed
        assert deduced[0]['Type'] == 'vitrage'  # deduced by a template
        assert any(a['Name'] == faults.HOST_DOWN for a in listed)
        # Root cause analysis reads what vitrage-persistor wrote: the alarm
        # and, only if its insert did not race the alarm's, the edge.
        causes = wait_for('the causal edge in the RCA', lambda: [
            link for link in vitrage.rca.get(
                deduced[0]['ID'], all_tenants=True)['links']
            if link.get('relationship_type') == 'causes'])
        assert len(causes) == 1, causes
    finally:
        admin_session.delete('/servers/%s' % server['id'],
                             endpoint_filter=COMPUTE, raise_exc=False)


def test_vitrage_notifier_runs_the_workflow_in_the_labs_mistral(
        lab, mistral, add_template, host_recovers):
    """execute_mistral reaches this lab's Mistral, not localhost:8989."""
    host = 'compute1'
    workflow = 'selfheal_lab_notifier_%s' % uuid.uuid4().hex[:6]
    mistral.workflows.create(yaml.safe_dump({
        'version': '2.0',
        workflow: {'input': ['host'], 'tasks': {'report': {
            'action': 'std.echo output=<% $.host %>'}}}}), scope='public')
    try:
        add_template(_template(workflow, [{
            'condition': 'host_down_alarm [on] host',
            'actions': [{'execute_mistral': {
                'workflow': workflow,
                'input': {'host': 'get_attr(host, name)'}}}],
        }]))
        host_recovers(host)
        faults.post_doctor_event(lab, faults.HOST_DOWN, host, 'down', 'test')
        execution = wait_for('an execution of %s' % workflow, lambda: [
            e for e in mistral.executions.list()
            if e.workflow_name == workflow])[0]
        assert '"host": "%s"' % host in execution.input
        done = wait_for('the execution to finish', lambda: [
            e for e in [mistral.executions.get(execution.id)]
            if e.state in ('SUCCESS', 'ERROR')])[0]
        assert done.state == 'SUCCESS', done.state_info
    finally:
        for e in mistral.executions.list():
            if e.workflow_name == workflow:
                mistral.executions.delete(e.id, force=True)
        mistral.workflows.delete(workflow)


def _flavor(sess):
    flavors = sess.get('/flavors', endpoint_filter=COMPUTE).json()['flavors']
    return [f['id'] for f in flavors if f['name'] == 'm1.tiny'][0]


def _image(sess):
    images = sess.get('/v2/images?name=' + bootstrap.IMAGE, endpoint_filter={
        'service_type': 'image', 'interface': 'public'}).json()['images']
    return images[0]['id']
