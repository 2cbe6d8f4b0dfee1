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

"""``selfheal lab fault ...`` does what an operator expects."""

import uuid

import pytest

from selfheal.lab import bootstrap
from selfheal.lab import faults
from selfheal.lab import procs
from tests.lab.conftest import selfheal_lab
from tests.lab.helpers import wait_for

pytestmark = pytest.mark.lab


@pytest.fixture
def server(openstack):
    name = 'lab-test-fault-%s' % uuid.uuid4().hex[:6]
    created = openstack.json('server', 'create', '--flavor', 'm1.tiny',
                             '--image', bootstrap.IMAGE, '--nic', 'none',
                             '--wait', name)
    yield created
    openstack.run('server', 'delete', '--wait', created['id'], check=False)


def _doctor_alarms(vitrage, name, host):
    return [a for a in vitrage.alarm.list(vitrage_id='all', all_tenants=True)
            if a['name'] == name and a.get('hostname', host) == host]


def test_instance_error_and_instance_delete(openstack, server):
    error = selfheal_lab('fault', 'instance-error', server['name'])
    assert error.returncode == 0, error.stderr
    assert openstack.json('server', 'show', server['id'])['status'] == 'ERROR'
    delete = selfheal_lab('fault', 'instance-delete', server['id'])
    assert delete.returncode == 0, delete.stderr
    wait_for('the server gone', lambda: server['id'] not in {
        s['ID'] for s in openstack.json('server', 'list')})


def test_unknown_targets_are_one_clear_error():
    for args, words in ((('instance-error', 'no-such-server'),
                         'no servers named'),
                        (('host-down', 'compute9'), 'compute1, compute2')):
        result = selfheal_lab('fault', *args)
        assert result.returncode == 1
        assert words in result.stderr and 'Traceback' not in result.stderr


def test_host_down_then_host_up(lab, vitrage):
    host = 'compute2'
    pidfile = lab.pidfile('nova-compute-' + host)
    try:
        down = selfheal_lab('fault', 'host-down', host)
        assert down.returncode == 0, down.stderr
        assert procs.session_members(procs.read_pidfile(pidfile)) == []
        wait_for('the Doctor alarm in Vitrage', lambda: _doctor_alarms(
            vitrage, faults.HOST_DOWN, host))
    finally:
        up = selfheal_lab('fault', 'host-up', host)
    assert up.returncode == 0, up.stderr
    assert procs.leader_alive(procs.read_pidfile(pidfile))
    wait_for('the Doctor alarm cleared', lambda: not _doctor_alarms(
        vitrage, faults.HOST_DOWN, host))


def test_nic_down_is_an_external_monitor_alarm(lab, vitrage):
    host = 'compute1'
    try:
        result = selfheal_lab('fault', 'nic-down', host)
        assert result.returncode == 0, result.stderr
        wait_for('the NIC alarm in Vitrage', lambda: _doctor_alarms(
            vitrage, faults.NIC_DOWN, host))
    finally:
        faults.post_doctor_event(lab, faults.NIC_DOWN, host, 'up', 'test')
    wait_for('the NIC alarm cleared', lambda: not _doctor_alarms(
        vitrage, faults.NIC_DOWN, host))
