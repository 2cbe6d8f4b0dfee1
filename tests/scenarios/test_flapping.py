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

"""Scenario 5: a member that keeps failing is healed at most N times."""

import datetime
import json
import time

import pytest

from selfheal.lab import faults
from selfheal import measure
from tests.scenarios import helpers

pytestmark = pytest.mark.lab

# How long to watch for a loop once healing stopped.
QUIET_SECONDS = 30


def test_flapping_member_is_healed_at_most_budget_times_then_left(
        lab, cloud, deployed, give_back):
    """Heals stop after max_heals in the window, visibly, and never loop."""
    group = deployed.group
    helpers.wait_settled(cloud, group.id)
    max_heals, window = helpers.heal_budget(cloud)
    key = helpers.pick_members(cloud, helpers.members(cloud, group.id), 1)[0]
    window_start = measure.now() - datetime.timedelta(seconds=window)
    earlier = len(helpers.heal_marks(cloud, key, window_start))
    assert earlier < max_heals, 'member %s has no heal left' % key

    for heal in range(max_heals - earlier):
        server = helpers.members(cloud, group.id)[key]
        give_back.append(server)
        faults.instance_error(lab, server, out=lambda line: None)
        outcome = _wait_heal_end(cloud, group.id, key, server)
        assert outcome == 'replaced', 'heal %d of %s: %s' % (
            heal + 1, key, outcome)
        helpers.wait_settled(cloud, group.id)

    # One failure more than the budget allows.
    # Left in ERROR by design; given back to the other scenarios after
    # (its budget stays spent; they pick members with budget left).
    server = helpers.members(cloud, group.id)[key]
    give_back.append(server)
    refused_at = measure.now()
    faults.instance_error(lab, server, out=lambda line: None)
    outcome = _wait_heal_end(cloud, group.id, key, server)
    assert outcome != 'replaced', 'healed past its budget: %s' % key
    executions = helpers.heal_executions(cloud, server, refused_at)
    done, result = helpers.result_of(cloud, executions[-1])
    assert done.state == 'ERROR'
    assert result['outcome'] == 'budget_exhausted', result
    assert 'Heal budget exhausted' in done.state_info, done.state_info

    # Heat holds exactly max_heals marks by selfheal in the window.
    marks = helpers.heal_marks(cloud, key, window_start)
    assert len(marks) == max_heals, [m.event_time for m in marks]
    # Visible: Vitrage keeps the deduced alarm on the failed server.
    graph_id = set(cloud.graph_ids([server]).values())
    assert [a for a in cloud.alarms()
            if a.get('vitrage_type') == 'vitrage' and
            a.get('vitrage_resource_id') in graph_id], (
        'no alarm left on %s' % server)

    # Nothing loops: no new heal, no stack update, server left alone.
    time.sleep(QUIET_SECONDS)
    assert len(helpers.heal_executions(cloud, server, refused_at)) == len(
        executions)
    assert measure.stack_updates(cloud, group.id, refused_at) == []
    assert helpers.members(cloud, group.id)[key] == server
    assert cloud.server(server)['status'] == 'ERROR'


def _wait_heal_end(cloud, stack_id, key, server):
    """'replaced' or 'refused: ...' once the heal of key's server is over.

    Refused: its heal executions ended without a new server, and the stack
    is not updating.
    """
    since = measure.now() - datetime.timedelta(seconds=5)

    def probe():
        now = helpers.members(cloud, stack_id).get(key)
        stack = cloud.stack(stack_id)
        if stack.stack_status.endswith('IN_PROGRESS'):
            return measure.NotYet('stack %s' % stack.stack_status)
        if now != server:
            return 'replaced'
        runs = helpers.heal_executions(cloud, server, since)
        if runs and all(r.state in helpers.FINISHED for r in runs):
            return 'refused: %s' % json.dumps(
                [r.state for r in runs])
        return measure.NotYet('heal executions %s' % [r.state for r in runs])
    return measure.wait_until('member %s healed or refused' % key, probe,
                              helpers.HEAL_TIMEOUT, 2)
