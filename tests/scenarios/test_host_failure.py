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

"""Scenarios 1 and 6: a compute host fails (the seed flow).

compute2 (or compute1, wherever the scheduler put both kinds of seed
members) fails with members of both stacks on it, and its monitor reports
it twice. Vitrage deduces "Instance Down" on its instances, one evacuation
fences the host and rebuilds the instances that opted in (HA_Enabled) on
the other host, Heat replaces the other members, and the Scratch member
that opted out of healing is left where it is. Then the host comes back.
"""

import json
import types

import pytest

from selfheal.lab import faults
from selfheal import measure
from tests.lab.conftest import selfheal_lab
from tests.scenarios import helpers

pytestmark = pytest.mark.lab

HOSTS = ('compute2', 'compute1')  # the one to fail first, if it can
HOST = 'OS-EXT-SRV-ATTR:host'


def _opted_in(server):
    return str(server['metadata'].get('HA_Enabled', '')).lower() == 'true'


def _opted_out(server):
    return str(server['metadata'].get('selfheal_heal', '')).lower() == 'false'


def _healed(cloud, failure):
    """Probe: True at the end state of the heal, else what is missing."""
    missing = []
    for server_id in failure.evacuees:
        server = cloud.server(server_id)
        # Gone for good: no point waiting out the timeout.
        assert server, 'opted-in server %s was deleted, not evacuated' % (
            server_id)
        if server['status'] != 'ACTIVE' or \
                server[HOST] != failure.spare:
            missing.append('evacuee %s: %s on %s' % (
                server_id, server and server['status'],
                server and server[HOST]))
    for stack_id, before in failure.members.items():
        now = helpers.members(cloud, stack_id)
        for key in failure.replaceable[stack_id]:
            if now.get(key) in (None, before[key]):
                missing.append('member %s not replaced yet' % key)
        status = cloud.stack(stack_id).stack_status
        if not status.endswith('_COMPLETE'):
            missing.append('stack %s %s' % (stack_id, status))
    if not _evacuation(cloud, failure):
        missing.append('no evacuation yet')
    return measure.NotYet(missing) if missing else True


def _mixed(seed, host):
    here = [s for s in seed if s[HOST] == host]
    return any(map(_opted_in, here)) and not all(map(_opted_in, here))


def _pick_host(cloud, seed):
    """The host to fail: one holding opted-in and other seed members.

    compute2 if it can be. When the scheduler put the opted-in members on
    one host and the others on the other, one opted-in member is moved
    (live migration, Nova's admin API) next to the others first.
    """
    for host in HOSTS:
        if _mixed(seed, host):
            return host, [h for h in HOSTS if h != host][0]
    others = [s for s in seed if not _opted_in(s)]
    if not others or len(others) == len(seed):
        pytest.fail('the seed stack needs opted-in and other members')
    host = others[0][HOST]
    mover = next(s for s in seed if _opted_in(s) and s[HOST] != host)
    cloud.nova('/servers/%s/action' % mover['id'], method='POST', json={
        'os-migrateLive': {'host': host, 'block_migration': 'auto'}})
    measure.wait_until(
        'server %s live-migrated to %s' % (mover['id'], host),
        lambda: cloud.server(mover['id'])[HOST] == host and
        cloud.server(mover['id'])['status'] == 'ACTIVE', 120, 2)
    mover.update(cloud.server(mover['id']))
    return host, [h for h in HOSTS if h != host][0]


@pytest.fixture(scope='module')
def failure(lab, cloud, deployed):
    """A host down, its Doctor event posted twice, the heal finished."""
    stack_ids = [deployed.group.id, deployed.seed.id]
    helpers.wait_settled(cloud, *stack_ids)
    members = {sid: helpers.members(cloud, sid) for sid in stack_ids}
    seed = [cloud.server(s) for s in members[deployed.seed.id].values()]
    host, spare = _pick_host(cloud, seed)
    on_failed = {s['id']: s for s in cloud.servers(host=host)}
    healable = {sid: [k for k, v in m.items() if v in on_failed and
                      not _opted_in(on_failed[v]) and
                      not _opted_out(on_failed[v])]
                for sid, m in members.items()}
    failure = types.SimpleNamespace(
        host=host, spare=spare,
        started=measure.now(), on_failed=on_failed, members=members,
        evacuees=[i for i, s in on_failed.items() if _opted_in(s)],
        left_alone=[i for i, s in on_failed.items() if not _opted_in(s)],
        replaceable={sid: [k for k in keys
                           if helpers.has_heal_budget(cloud, k)]
                     for sid, keys in healable.items()},
        # Healed too often already (the flapping scenario): refused.
        exhausted=[members[sid][k] for sid, keys in healable.items()
                   for k in keys if not helpers.has_heal_budget(cloud, k)],
        opted_out=[i for i, s in on_failed.items() if _opted_out(s)],
        # Replaced servers leave Vitrage's graph: map them now.
        graph_ids=cloud.graph_ids(on_failed),
        graph_ids_elsewhere=cloud.graph_ids(
            s['id'] for s in cloud.servers(host=spare)),
        # Instance vertices Vitrage holds for servers Nova no longer has.
        stale_vertices=_stale_instance_vertices(cloud),
        host_up=False)

    faults.host_down(lab, host, out=lambda line: None)
    # The monitor reports it again: the same Doctor event a second time.
    faults.post_doctor_event(lab, faults.HOST_DOWN, host, 'down',
                             'nova-compute stopped')
    try:
        measure.wait_until('the heal of %s' % host,
                           lambda: _healed(cloud, failure),
                           helpers.HEAL_TIMEOUT, 3)
        helpers.wait_settled(cloud, *stack_ids)
        yield failure
    finally:
        if not failure.host_up:
            faults.host_up(lab, host, out=lambda line: None)


def _stale_instance_vertices(cloud):
    live = {s['id'] for s in cloud.servers()}
    return {r['vitrage_id'] for r in cloud.vitrage.resource.list(
        all_tenants=True, resource_type='nova.instance')
        if r.get('id') not in live}


def _evacuation(cloud, failure):
    runs = [e for e in cloud.executions({helpers.EVACUATE_WORKFLOW},
                                        failure.started)
            if json.loads(e.input).get('host') == failure.host]
    return runs


def test_vitrage_deduces_instance_down_on_exactly_the_failed_hosts_instances(
        cloud, failure):
    """Every instance of compute2 gets "Instance Down", no live one elsewhere.

    Vitrage may still hold vertices of servers deleted shortly before (it
    drops them at its next consistency pass); their alarms are only
    printed.
    """
    assert set(failure.graph_ids) == set(failure.on_failed)
    started = failure.started.replace(microsecond=0)
    deduced = [a for a in cloud.alarms(failure.started)
               if a.get('name') == helpers.INSTANCE_DOWN and
               measure.alarm_time(a) >= started]
    on = {a.get('vitrage_resource_id') for a in deduced}
    assert on >= set(failure.graph_ids.values()), (
        on, failure.graph_ids)
    assert on.isdisjoint(failure.graph_ids_elsewhere.values()), (
        on, failure.graph_ids_elsewhere)
    extra = on - set(failure.graph_ids.values())
    print('\n"Instance Down" on the %d instance(s) of %s and on %d other '
          'vertex(es), %d of them of servers Nova no longer had' % (
              len(failure.graph_ids), failure.host, len(extra),
              len(extra & failure.stale_vertices)))
    # Those still on compute2 (the opted-out member at least) show the
    # host alarm as their cause.
    active = helpers.deduced_alarms(cloud, helpers.INSTANCE_DOWN)
    assert active, 'no "Instance Down" alarm left on %s' % failure.host
    for alarm in active:
        rca = cloud.vitrage.rca.get(alarm['vitrage_id'], all_tenants=True)
        assert helpers.causes(rca, alarm['vitrage_id']) == [
            faults.HOST_DOWN], (alarm, rca['nodes'], rca['links'])


def test_one_evacuation_fences_then_rebuilds_the_opted_in_instances(
        cloud, failure):
    """One execution fences compute2, then moves HA_Enabled instances."""
    runs = _evacuation(cloud, failure)
    assert len(runs) == 1, [e.id for e in runs]
    done, report = helpers.result_of(cloud, runs[0])
    assert done.state == 'SUCCESS', done.state_info
    assert report['fenced'] is True
    assert sorted(report['evacuated']) == sorted(failure.evacuees)
    # Members that did not opt in are left to Heat and reported.
    assert sorted(report['skipped']) == sorted(failure.left_alone)

    tasks = {t.name: t for t in cloud.mistral.tasks.list(
        workflow_execution_id=done.id)}
    fenced_at = measure.parse_time(tasks['check_fenced'].updated_at)
    assert tasks['fence_host'].state == 'SUCCESS'
    assert measure.parse_time(tasks['evacuate_instances'].created_at) >= \
        fenced_at
    service = cloud.compute_service(failure.host)
    assert service['forced_down'] is True and service['state'] == 'down'
    for server_id in failure.evacuees:
        server = cloud.server(server_id)
        assert (server['status'], server[HOST]) == ('ACTIVE', failure.spare)
        started = measure.instance_action_time(cloud, server_id, 'evacuate',
                                               failure.started)
        assert started and started >= fenced_at.replace(microsecond=0)


def test_other_members_are_replaced_and_opted_out_left_alone(
        cloud, failure):
    """Heat replaces members that did not opt in; opted-out stay as is.

    So do members whose heal budget is spent: their heal is refused.
    """
    for stack_id, before in failure.members.items():
        assert cloud.stack(stack_id).stack_status.endswith('_COMPLETE')
        now = helpers.members(cloud, stack_id)
        for key in failure.replaceable[stack_id]:
            server = cloud.server(now[key])
            assert server['status'] == 'ACTIVE', server
            assert server[HOST] == failure.spare, server
            assert cloud.server(before[key]) is None
        for key, server_id in before.items():
            if server_id in failure.evacuees or server_id in \
                    failure.opted_out or server_id in failure.exhausted or \
                    server_id not in failure.on_failed:
                assert now[key] == server_id
    for server_id in failure.exhausted:
        runs = helpers.heal_executions(cloud, server_id, failure.started)
        outcomes = [helpers.result_of(cloud, r)[1]['outcome'] for r in runs]
        assert outcomes and set(outcomes) == {'budget_exhausted'}, outcomes
    for server_id in failure.opted_out:
        server = cloud.server(server_id)
        assert server[HOST] == failure.host, server
        assert measure.instance_action_time(
            cloud, server_id, 'evacuate', failure.started) is None


def test_duplicate_doctor_event_heals_each_instance_once(cloud, failure):
    """Scenario 6: the Doctor event arrived twice, every heal ran once."""
    host_alarms = [a for a in cloud.alarms()
                   if a.get('name') == faults.HOST_DOWN and
                   a.get('hostname') == failure.host]
    assert len(host_alarms) == 1, host_alarms
    assert len(_evacuation(cloud, failure)) == 1
    for server_id in failure.evacuees:
        evacuations = [a for a in cloud.instance_actions(server_id)
                       if a['action'] == 'evacuate' and
                       measure.parse_time(a['start_time']) >=
                       failure.started.replace(microsecond=0)]
        assert len(evacuations) == 1, evacuations
    for keys in failure.replaceable.values():
        for key in keys:
            assert len(helpers.heal_marks(cloud, key, failure.started)) == 1
            assert len(helpers.replacements(cloud, key, failure.started)) == 1


def test_host_up_returns_the_lab_to_normal(lab, cloud, deployed, failure):
    """`selfheal lab fault host-up HOST`: service, alarms, stacks."""
    up = selfheal_lab('fault', 'host-up', failure.host)
    failure.host_up = up.returncode == 0
    assert up.returncode == 0, up.stderr

    def normal():
        service = cloud.compute_service(failure.host)
        alarms = [a['name'] for a in cloud.alarms()
                  if a.get('hostname') == failure.host or a.get('name') in (
                      helpers.INSTANCE_DOWN,)]
        state = (service['state'], service['status'],
                 service['forced_down'], alarms)
        return state == ('up', 'enabled', False, []) or measure.NotYet(
            'service %s/%s, forced down %s, alarms %s' % state)
    measure.wait_until('%s back to normal' % failure.host, normal, 120, 2)
    helpers.wait_settled(cloud, deployed.group.id, deployed.seed.id)
    status = selfheal_lab('status')
    assert status.returncode == 0, status.stdout
