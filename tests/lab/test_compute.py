"""A server boots on each compute host of the lab."""

import uuid

import pytest

from selfheal.lab import bootstrap
from selfheal.lab import layout

pytestmark = pytest.mark.lab


@pytest.mark.parametrize('host', layout.COMPUTE_HOSTS)
def test_server_boots_on_each_compute_host(openstack, host):
    name = 'lab-test-%s-%s' % (host, uuid.uuid4().hex[:6])
    try:
        server = openstack.json(
            'server', 'create', '--flavor', 'm1.tiny', '--image',
            bootstrap.IMAGE, '--nic', 'none', '--availability-zone',
            'nova:' + host, '--wait', name)
        assert server['status'] == 'ACTIVE'
        assert server['OS-EXT-SRV-ATTR:host'] == host
    finally:
        openstack.run('server', 'delete', '--wait', name, check=False)
    assert name not in {s['Name'] for s in openstack.json('server', 'list')}
