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

"""``selfheal lab demo``, the README's main command, end to end."""

import re

import pytest

from selfheal import measure
from tests.lab.conftest import selfheal_lab

pytestmark = pytest.mark.lab


def test_demo_heals_a_failed_host_and_prints_the_recorded_timeline(
        lab, openstack):
    before = {s['ID'] for s in openstack.json('stack', 'list')}
    demo = selfheal_lab('demo', timeout=900)
    assert demo.returncode == 0, demo.stdout[-4000:] + demo.stderr[-4000:]
    assert 'Traceback' not in demo.stderr
    lines = demo.stdout.splitlines()
    recorded = lines[lines.index(
        '== the heal, as Nova, Vitrage, Mistral and Heat recorded it') + 1:]
    # Every milestone reached, at a time the owning service recorded.
    offsets = {}
    for milestone in measure.MILESTONES:
        row = [line for line in recorded if milestone in line]
        assert row, (milestone, recorded)
        found = re.match(r'\s*\+\s*(-?\d+) s\s', row[0])
        assert found, row[0]
        offsets[milestone] = int(found.group(1))
    assert offsets['fault injected'] == 0
    assert 0 <= offsets['Vitrage deduced'] <= offsets['instances ACTIVE']
    assert offsets['Mistral execution started'] <= offsets['stack COMPLETE']
    assert re.search(r'^== healed in \d+ s after the fault$', demo.stdout,
                     re.M)
    # It cleans up after itself: the host is back, its stacks are gone.
    assert {s['ID'] for s in openstack.json('stack', 'list')} <= before
    hosts = openstack.json('compute', 'service', 'list', '--service',
                           'nova-compute')
    assert all(h['State'] == 'up' and h['Status'] == 'enabled'
               for h in hosts), hosts
