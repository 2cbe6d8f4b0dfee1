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

"""Servers boot on each compute host, and move between them as on a cloud."""

import uuid

import pytest

from selfheal.lab import bootstrap
from selfheal.lab import faults
from selfheal.lab import layout
from tests.lab.helpers import wait_for

pytestmark = pytest.mark.lab

HOST = 'OS-EXT-SRV-ATTR:host'
RUNNING, SHUTDOWN = 1, 4  # Nova's power_state values


@pytest.mark.parametrize('host', layout.COMPUTE_HOSTS)
def test_server_boots_on_each_compute_host(openstack, host):
    name = 'lab-test-%s-%s' % (host, uuid.uuid4().hex[:6])
    try:
        server = openstack.json(
            'server', 'create', '--flavor', 'm1.tiny', '--image',
            bootstrap.IMAGE, '--nic', 'none', '--availability-zone',
            'nova:' + host, '--wait', name)
        assert server['status'] == 'ACTIVE'
        assert server[HOST] == host
    finally:
        openstack.run('server', 'delete', '--wait', name, check=False)
    assert name not in {s['Name'] for s in openstack.json('server', 'list')}


@pytest.fixture
def server_on(lab, openstack, admin_session):
    """server_on(host): an ACTIVE server there, moved by Nova's admin API."""
    created = []

    def create(host):
        server = Server(admin_session, openstack.json(
            'server', 'create', '--flavor', 'm1.tiny', '--image',
            bootstrap.IMAGE, '--nic', 'none', '--availability-zone',
            'nova:' + host, '--wait',
            'lab-test-move-%s' % uuid.uuid4().hex[:6])['id'])
        created.append(server.id)
        return server
    yield create
    for server_id in created:
        openstack.run('server', 'delete', '--wait', server_id, check=False)


class Server:

    def __init__(self, session, server_id):
        self.session, self.id = session, server_id

    def show(self):
        return self.session.get(
            '/servers/%s' % self.id, endpoint_filter=faults.COMPUTE,
            headers=faults.MICROVERSION).json()['server']

    def action(self, body):
        self.session.post('/servers/%s/action' % self.id, json=body,
                          endpoint_filter=faults.COMPUTE,
                          headers=faults.MICROVERSION)

    def settle_on(self, host, what):
        def settled():
            now = self.show()
            assert now['status'] != 'ERROR', now.get('fault')
            return now['status'] == 'ACTIVE' and now[HOST] == host and now
        return wait_for('%s of %s to %s' % (what, self.id, host), settled)

    def live_migrate(self, host):
        self.action({'os-migrateLive': {'host': host,
                                        'block_migration': 'auto'}})
        return self.settle_on(host, 'the live migration')


def test_a_server_evacuates_back_to_the_host_it_live_migrated_from(
        lab, server_on, admin_session):
    """compute1 -> (live) compute2, compute2 fails -> (evacuate) compute1.

    A hypervisor no longer runs a guest it live-migrated away; Nova's fake
    driver kept it, and this evacuation failed "Instance ... already
    exists". Only nova-compute stops here: no monitor tells Vitrage.
    """
    source, target = layout.COMPUTE_HOSTS[:2]
    server = server_on(source)
    server.live_migrate(target)
    try:
        faults.stop_compute(lab, target)
        service = faults.compute_service(lab, target)
        admin_session.put('/os-services/%s' % service['id'],
                          json={'forced_down': True},
                          endpoint_filter=faults.COMPUTE,
                          headers=faults.MICROVERSION)
        server.action({'evacuate': {'host': source}})
        back = server.settle_on(source, 'the evacuation')
        assert back.get('fault') is None, back['fault']
    finally:
        faults.host_up(lab, target, out=lambda line: None)


def test_guests_survive_a_nova_compute_restart(lab, server_on):
    """After host-up the hypervisor still has the guest: it stops, starts.

    The fake driver lost its guests with the process: Nova then showed them
    ACTIVE, could not stop them, and once its power sync saw them missing,
    refused to live-migrate them.
    """
    host = layout.COMPUTE_HOSTS[1]
    server = server_on(host)
    try:
        faults.stop_compute(lab, host)
    finally:
        faults.host_up(lab, host, out=lambda line: None)
    for action, status, power in (('os-stop', 'SHUTOFF', SHUTDOWN),
                                  ('os-start', 'ACTIVE', RUNNING)):
        server.action({action: None})
        wait_for('%s of %s' % (action, server.id), lambda: [
            s for s in [server.show()]
            if (s['status'], s['OS-EXT-STS:power_state']) == (status, power)])
