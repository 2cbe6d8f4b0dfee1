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

"""Run the library's Vitrage templates through Vitrage's own evaluator.

Builds Vitrage's entity graph with its Processor and mock topology (3 hosts,
6 instances round-robin, one Heat stack comprising both instances of host-1
and one of host-2), loads our templates the way
``vitrage template add`` does, feeds Doctor events through Vitrage's Doctor
driver and records what the ScenarioEvaluator decided: the execute_mistral
payloads sent to the notifier, the deduced alarms with their causes, and the
host states. Meant to run in its own process (Vitrage's test fixtures reset
oslo.config), so the caller can also pick PYTHONHASHSEED.

Usage: python -m tests.unit.vitrage_evaluation OUT.json
"""

import json
import os
import queue
import sys
import tempfile
import unittest
from unittest import mock

import yaml

from oslo_config import cfg

from vitrage.common.constants import EdgeLabel
from vitrage.common.constants import EdgeProperties as EProps
from vitrage.common.constants import TemplateStatus
from vitrage.common.constants import VertexProperties as VProps
from vitrage.datasources.doctor.driver import DoctorDriver
from vitrage.evaluator.actions.notifier import EvaluatorNotifier
from vitrage.evaluator.scenario_evaluator import ScenarioEvaluator
from vitrage.evaluator.scenario_repository import ScenarioRepository
from vitrage.evaluator.template_db.template_repository import \
    add_templates_to_db
from vitrage.graph.driver.graph import Direction
from vitrage.tests.functional.base import TestFunctionalBase
from vitrage.utils.datetime import format_utcnow

LIBRARY = os.path.join(os.path.dirname(os.path.dirname(os.path.dirname(
    os.path.abspath(__file__)))), 'vitrage_templates')
# One database for the process: oslo.db caches its engine.
DB_DIR = tempfile.mkdtemp(prefix='selfheal-vitrage-')
STACK_ID = '5c0ffee0-0000-4000-8000-00000000aaaa'
GLOBAL_TEMPLATES = ('host_down_evacuate.yaml', 'host_maintenance.yaml',
                    'instance_heal.yaml', 'nic_failure_migrate.yaml')
STACK_TEMPLATES = ('host_down_evacuate.yaml', 'host_maintenance.yaml',
                   'stack_member_heal.yaml')
STACK_PARAMS = {'template_name': 'selfheal-members-of-test-stack',
                'stack_id': STACK_ID,
                'member_alarm_name': 'Heat Member Down test-stack'}


def doctor_event(alarm_type, hostname, status='down'):
    """A Doctor event as `vitrage event post` delivers it."""
    event = {'time': format_utcnow(date_format='%Y-%m-%dT%H:%M:%S.%f'),
             'type': alarm_type,
             'details': {'hostname': hostname, 'status': status,
                         'source': 'selfheal-test'}}
    return DoctorDriver().enrich_event(event, alarm_type)


class Evaluation(TestFunctionalBase):
    """One scenario per test; results land in RESULTS."""

    NUM_ZONES = 1
    NUM_HOSTS = 3
    NUM_INSTANCES = 6
    RESULTS = {}

    def setUp(self):
        super(Evaluation, self).setUp()
        self.conf_reregister_opts([
            cfg.ListOpt('types', default=[
                'nova.zone', 'nova.host', 'nova.instance', 'doctor',
                'heat.stack']),
            cfg.ListOpt('path', default=['vitrage.datasources']),
            cfg.IntOpt('snapshots_interval', default=1)], 'datasources')
        self.config(group='database',
                    connection='sqlite:///%s/vitrage.db' % DB_DIR)
        from oslo_db.sqlalchemy import enginefacade
        from vitrage import storage
        from vitrage.storage.sqlalchemy import models
        self._db = storage.get_connection_from_config()
        engine = enginefacade.writer.get_engine()
        models.Base.metadata.drop_all(engine)
        models.Base.metadata.create_all(engine)
        self.load_datasources()

    def _load(self, names, params=None):
        for name in names:
            with open(os.path.join(LIBRARY, name)) as f:
                template = yaml.load(f, Loader=yaml.BaseLoader)
            rows = add_templates_to_db(
                self._db, [template], 'standard',
                params if name == 'stack_member_heal.yaml' else None)
            for row in rows:
                assert row.status == TemplateStatus.LOADING, \
                    (name, row.status_details)
                self._db.templates.update(row.uuid, 'status',
                                          TemplateStatus.ACTIVE)
        self.scenario_repository = ScenarioRepository()

    def _start(self):
        self.sent = []
        patcher = mock.patch.object(
            EvaluatorNotifier, 'notify',
            lambda notifier, engine, payload: self.sent.append(payload))
        patcher.start()
        self.addCleanup(patcher.stop)
        self.processor = self._create_processor_with_graph()
        self.queue = queue.Queue()
        ScenarioEvaluator(self.processor.entity_graph,
                          self.scenario_repository,
                          lambda event_type, data: self.queue.put(data),
                          enabled=True)
        graph = self.processor.entity_graph
        self.instances = {}
        for host in ('host-0', 'host-1', 'host-2'):
            host_v = graph.get_vertices(vertex_attr_filter={
                VProps.VITRAGE_TYPE: 'nova.host', VProps.ID: host})[0]
            self.instances[host] = sorted(
                v[VProps.ID] for v in graph.neighbors(
                    host_v.vertex_id,
                    vertex_attr_filter={VProps.VITRAGE_TYPE: 'nova.instance'}))
        # The stack comprises both instances of host-1 and one of host-2.
        members = self.instances['host-1'] + self.instances['host-2'][:1]
        self._post({
            'vitrage_datasource_action': 'snapshot',
            'vitrage_entity_type': 'heat.stack',
            'vitrage_sample_date': format_utcnow(),
            'id': STACK_ID, 'stack_name': 'test-stack',
            'stack_status': 'CREATE_COMPLETE', 'project': 'p',
            'creation_time': '2026-01-01T00:00:00',
            'resources': [{'resource_type': 'OS::Nova::Server',
                           'physical_resource_id': m} for m in members]})
        self.members = members
        del self.sent[:]

    def _post(self, event):
        self.processor.process_event(event)
        self._consume_queue(self.queue, self.processor)

    def _record(self, name):
        graph = self.processor.entity_graph
        deduced = []
        for alarm in graph.get_vertices(vertex_attr_filter={
                VProps.VITRAGE_TYPE: 'vitrage',
                VProps.VITRAGE_IS_DELETED: False}):
            on = graph.neighbors(
                alarm.vertex_id, direction=Direction.OUT,
                edge_attr_filter={EProps.RELATIONSHIP_TYPE: EdgeLabel.ON})
            causes = graph.neighbors(
                alarm.vertex_id, direction=Direction.IN,
                edge_attr_filter={EProps.RELATIONSHIP_TYPE: EdgeLabel.CAUSES,
                                  EProps.VITRAGE_IS_DELETED: False})
            deduced.append({'name': alarm.get(VProps.NAME),
                            'on': sorted(v.get(VProps.ID) for v in on),
                            'caused_by': sorted(v.get(VProps.NAME)
                                                for v in causes)})
        hosts = {}
        for host in self.instances:
            host_v = graph.get_vertices(vertex_attr_filter={
                VProps.VITRAGE_TYPE: 'nova.host', VProps.ID: host})[0]
            hosts[host] = {
                'state': host_v.get(VProps.VITRAGE_AGGREGATED_STATE),
                'marked_down': bool(host_v.get(VProps.IS_MARKED_DOWN))}
        self.RESULTS[name] = {'instances': self.instances,
                              'members': self.members,
                              'executions': self.sent,
                              'deduced': deduced, 'hosts': hosts}

    def test_host_down(self):
        self._load(GLOBAL_TEMPLATES)
        self._start()
        self._post(doctor_event('compute.host.down', 'host-1'))
        self._record('host_down')

    def test_host_down_in_maintenance(self):
        self._load(GLOBAL_TEMPLATES)
        self._start()
        self._post(doctor_event('selfheal.host.maintenance', 'host-2'))
        self._post(doctor_event('compute.host.down', 'host-2'))
        self._record('host_down_in_maintenance')

    def test_nic_failure(self):
        self._load(GLOBAL_TEMPLATES)
        self._start()
        self._post(doctor_event('compute.host.nic.down', 'host-0'))
        self._record('nic_failure')

    def _nova_reports_error(self, instance_id, host):
        graph = self.processor.entity_graph
        vertex = graph.get_vertices(vertex_attr_filter={
            VProps.VITRAGE_TYPE: 'nova.instance', VProps.ID: instance_id})[0]
        self._post({
            'vitrage_datasource_action': 'snapshot',
            'vitrage_entity_type': 'nova.instance',
            'vitrage_sample_date': format_utcnow(),
            'id': instance_id, 'name': vertex.get(VProps.NAME),
            'status': 'ERROR', 'OS-EXT-SRV-ATTR:host': host,
            'tenant_id': 'p'})

    def test_instance_error(self):
        self._load(GLOBAL_TEMPLATES)
        self._start()
        self._post(doctor_event('selfheal.host.maintenance', 'host-2'))
        self._nova_reports_error(self.instances['host-0'][0], 'host-0')
        self._nova_reports_error(self.instances['host-2'][0], 'host-2')
        self._record('instance_error')

    def test_stack_member_error(self):
        self._load(STACK_TEMPLATES, STACK_PARAMS)
        self._start()
        self._post(doctor_event('selfheal.host.maintenance', 'host-2'))
        self._nova_reports_error(self.instances['host-1'][0], 'host-1')
        # Not a member, and a member on a host in maintenance.
        self._nova_reports_error(self.instances['host-0'][0], 'host-0')
        self._nova_reports_error(self.instances['host-2'][0], 'host-2')
        self._record('stack_member_error')

    def test_stack_members(self):
        self._load(STACK_TEMPLATES, STACK_PARAMS)
        self._start()
        self._post(doctor_event('compute.host.down', 'host-1'))
        self._post(doctor_event('compute.host.down', 'host-2'))
        self._record('stack_members')


def main(out_path):
    suite = unittest.defaultTestLoader.loadTestsFromTestCase(Evaluation)
    result = unittest.TextTestRunner(stream=sys.stderr).run(suite)
    with open(out_path, 'w') as out:
        json.dump(Evaluation.RESULTS, out, indent=1, sort_keys=True)
    return 0 if result.wasSuccessful() else 1


if __name__ == '__main__':
    sys.exit(main(sys.argv[1]))
