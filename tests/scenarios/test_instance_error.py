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

"""Scenario 2: a member Nova reports in error is replaced by Heat."""

import pytest

from selfheal.lab import faults
from selfheal import measure
from tests.scenarios import helpers

pytestmark = pytest.mark.lab


def test_member_in_error_is_replaced_and_siblings_untouched(
        lab, cloud, deployed, give_back):
    """One member goes to ERROR; Heat replaces it, the others stay as is."""
    group = deployed.group
    helpers.wait_settled(cloud, group.id)
    before = helpers.members(cloud, group.id)
    # The flapping scenario spends one member's heal budget.
    victim_key = helpers.pick_members(cloud, before, 1)[0]
    victim = before[victim_key]
    give_back.append(victim)
    siblings = {k: v for k, v in before.items() if k != victim_key}
    sibling_hosts = {v: cloud.server(v)['OS-EXT-SRV-ATTR:host']
                     for v in siblings.values()}
    started = measure.now()

    faults.instance_error(lab, victim, out=lambda line: None)

    def replaced():
        now = helpers.members(cloud, group.id)
        stack = cloud.stack(group.id)
        return (now.get(victim_key) not in (None, victim) and
                stack.stack_status.endswith('_COMPLETE') and now)
    after = measure.wait_until(
        'member %s (server %s) replaced and %s COMPLETE' % (
            victim_key, victim, group.stack_name), replaced,
        helpers.HEAL_TIMEOUT, 2)
    helpers.wait_settled(cloud, group.id)

    # Nova: the old server is gone, the replacement runs.
    assert cloud.server(victim) is None, cloud.server(victim)
    replacement = cloud.server(after[victim_key])
    assert replacement['status'] == 'ACTIVE', replacement
    # Heat: one update replaced exactly that member.
    stack = cloud.stack(group.id)
    assert stack.stack_status == 'UPDATE_COMPLETE', stack.stack_status_reason
    assert len(helpers.heal_marks(cloud, victim_key, started)) == 1
    assert len(helpers.replacements(cloud, victim_key, started)) == 1
    assert len(measure.stack_updates(cloud, group.id, started)) == 1
    # The siblings: same servers, same hosts, never marked.
    assert {k: after[k] for k in siblings} == siblings
    for key, server_id in siblings.items():
        server = cloud.server(server_id)
        assert server['status'] == 'ACTIVE', server
        assert server['OS-EXT-SRV-ATTR:host'] == sibling_hosts[server_id]
        assert helpers.heal_marks(cloud, key, started) == []
    # Mistral: Vitrage started one heal for the victim, and it healed.
    executions = helpers.heal_executions(cloud, victim, started)
    assert len(executions) == 1, [e.id for e in executions]
    done, result = helpers.result_of(cloud, executions[0])
    assert done.state == 'SUCCESS', done.state_info
    assert result['outcome'] in ('healed', 'covered'), result
    assert result['new_physical_id'] == after[victim_key]

    timeline = measure.heal_timeline(
        cloud, measure.instance_action_time(cloud, victim, 'resetState',
                                            started) or started,
        stack_id=group.id, affected=[victim],
        workflows=[helpers.HEAL_WORKFLOW], running=[after[victim_key]])
    print('\n'.join(['instance error -> replaced:'] + timeline.lines()))
    # Vitrage deduced before Mistral started, from the fault onwards.
    assert timeline.deduced and timeline.execution, timeline
