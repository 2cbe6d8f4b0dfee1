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

"""Vitrage's own evaluator runs the library's templates (see
tests/unit/vitrage_evaluation.py, run in a process of its own).

Topology: host-0..2, two instances each; one Heat stack comprises both
instances of host-1 and the first of host-2. Events are Doctor events as
``vitrage event post`` sends them.
"""

import json
import os
import subprocess
import sys

import pytest

REPO = os.path.dirname(os.path.dirname(os.path.dirname(
    os.path.abspath(__file__))))
STACK_ID = '5c0ffee0-0000-4000-8000-00000000aaaa'


@pytest.fixture(scope='module')
def evaluated(tmp_path_factory):
    out = tmp_path_factory.mktemp('vitrage') / 'results.json'
    run = subprocess.run(
        [sys.executable, '-m', 'tests.unit.vitrage_evaluation', str(out)],
        cwd=REPO, capture_output=True, text=True, timeout=300)
    assert run.returncode == 0, run.stderr[-3000:]
    with open(out) as f:
        return json.load(f)


def _runs(result, workflow):
    return [e['input'] for e in result['executions']
            if e['workflow'] == workflow]


def _deduced(result, name):
    return [d for d in result['deduced'] if d['name'] == name]


def test_host_down_fences_and_evacuates_once_per_host(evaluated):
    result = evaluated['host_down']
    assert _runs(result, 'selfheal.evacuate_host') == [{
        'host': 'host-1', 'recovery_method': 'auto', 'reserved_host': 'none',
        'all_instances': 'false', 'ha_metadata_key': 'HA_Enabled'}]
    assert result['hosts']['host-1'] == {'state': 'ERROR',
                                         'marked_down': True}
    assert result['hosts']['host-0']['state'] != 'ERROR'


def test_host_down_deduces_instance_down_caused_by_the_host_alarm(evaluated):
    result = evaluated['host_down']
    down = _deduced(result, 'Instance Down')
    assert sorted(d['on'][0] for d in down) == result['instances']['host-1']
    assert all(d['caused_by'] == ['compute.host.down'] for d in down)


def test_members_of_the_failed_host_are_each_healed_with_their_stack(
        evaluated):
    result = evaluated['host_down']
    heals = _runs(result, 'selfheal.heal_stack_member')
    assert sorted(r['instance_id'] for r in heals) == \
        result['instances']['host-1']
    assert all(r['stack_id'] == STACK_ID for r in heals)


def test_nothing_fires_for_a_host_in_maintenance(evaluated):
    result = evaluated['host_down_in_maintenance']
    assert result['executions'] == []
    assert result['hosts']['host-2'] == {'state': 'AVAILABLE',
                                         'marked_down': False}
    assert [d['on'] for d in result['deduced']] == [['host-2']]
    assert result['deduced'][0]['name'] == 'Host In Maintenance'


def test_instance_in_error_is_healed_unless_its_host_is_in_maintenance(
        evaluated):
    result = evaluated['instance_error']
    healthy_host = result['instances']['host-0'][0]
    assert _runs(result, 'selfheal.heal_stack_member') == [
        {'instance_id': healthy_host, 'stack_id': None}]
    assert [d['on'] for d in _deduced(result, 'Instance Error')] == [
        [healthy_host]]


def test_nic_failure_migrates_each_affected_instance(evaluated):
    result = evaluated['nic_failure']
    migrated = sorted(r['instance_id']
                      for r in _runs(result, 'selfheal.migrate_instance'))
    assert migrated == result['instances']['host-0']
    degraded = _deduced(result, 'Instance Network Degraded')
    assert all(d['caused_by'] == ['compute.host.nic.down'] for d in degraded)
    assert result['hosts']['host-0']['state'] == 'SUBOPTIMAL'
    assert _runs(result, 'selfheal.evacuate_host') == []


def test_stack_policy_heals_only_its_members_each_once(evaluated):
    result = evaluated['stack_members']
    heals = _runs(result, 'selfheal.heal_stack_member')
    assert sorted(r['instance_id'] for r in heals) == sorted(
        result['members'])
    assert all(r['stack_id'] == STACK_ID for r in heals)
    assert sorted(r['host'] for r in _runs(
        result, 'selfheal.evacuate_host')) == ['host-1', 'host-2']
    member_alarms = _deduced(result, 'Heat Member Down test-stack')
    assert sorted(d['on'][0] for d in member_alarms) == sorted(
        result['members'])
    assert all(d['caused_by'] == ['Instance Down'] for d in member_alarms)


def test_stack_policy_heals_a_member_nova_reports_in_error(evaluated):
    result = evaluated['stack_member_error']
    failed_member = result['instances']['host-1'][0]
    assert _runs(result, 'selfheal.heal_stack_member') == [
        {'instance_id': failed_member, 'stack_id': STACK_ID}]
    assert [d['on'] for d in _deduced(
        result, 'Heat Member Down test-stack')] == [[failed_member]]
