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

"""Healing benchmark on the lab: P1-P3, each against its floor, one run.

    python benchmarks/healing.py                      # P1, P2 (4, 20), P3
    python benchmarks/healing.py --only P1 --sizes 4
    python benchmarks/healing.py --write doc/benchmarks.rst

P1  One member in ERROR -> replacement ACTIVE and stack COMPLETE. Floor:
    `stack resource mark unhealthy` + `stack update --existing` of the same
    stack, straight through Heat's API (from Heat's mark event).
P2  A host of N HA_Enabled instances fails -> all ACTIVE on the other
    host. Floor: fence (force-down) and evacuate all at once through Nova's
    API, as soon as the same fault is reported. Both measured from the
    Doctor event time.
P3  6 of 8 members fail together: selfheal, then the classic anchor
    workflow (tests/scenarios/anchor) under the same storm: replaced and
    lost members, and Heat's own count of stack updates.

Every time is a service's own record (selfheal.measure), whole seconds.
Prints a table and the timelines, never asserts. Needs the lab up and no
other stack holding the cloud-wide host policy. Takes 15-25 min.
"""

import argparse
import concurrent.futures
import datetime
import os
import pathlib
import platform
import sys
import time
import uuid

REPO = pathlib.Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO))

from selfheal.lab import faults  # noqa: E402
from selfheal.lab import layout  # noqa: E402
from selfheal import measure  # noqa: E402
from tests.lab.conftest import Openstack  # noqa: E402
from tests.scenarios import helpers  # noqa: E402
from tests.scenarios import storm  # noqa: E402

HA_HOST_TEMPLATE = REPO / 'benchmarks' / 'ha_host.yaml'
FAILED, SPARE = 'compute2', 'compute1'
GOALS = {'P1': 1.3, 'P2': 1.5}
TIMEOUT = 900


class Bench:
    def __init__(self, lab):
        self.lab = lab
        self.cloud = measure.Cloud.for_lab(lab)
        self.stacks = helpers.Stacks(Openstack(lab), self.cloud)
        self.suffix = uuid.uuid4().hex[:6]
        self.rows = []      # (case, selfheal s, floor s, goal, note)
        self.timelines = []

    def say(self, text):
        print(text, flush=True)

    # -- P1 ------------------------------------------------------------------

    def p1(self):
        install = not helpers.workflow_exists(self.cloud,
                                              helpers.HEAL_WORKFLOW)
        name = self.stacks.launch(
            'bench-p1-' + self.suffix, 'autohealing_group.yaml',
            image=helpers.IMAGE, flavor=helpers.FLAVOR, count=2,
            install_workflows=install)
        stack = self.stacks.wait_created(name)
        helpers.wait_settled(self.cloud, stack.id)
        ours_key, floor_key = sorted(helpers.members(self.cloud, stack.id))

        self.say('P1 selfheal: instance-error on member %s' % ours_key)
        victim = helpers.members(self.cloud, stack.id)[ours_key]
        # Its graph id, while Vitrage still has it (Heat deletes it).
        self.cloud.graph_ids([victim])
        started = measure.now()
        faults.instance_error(self.lab, victim, out=lambda line: None)
        new = self._wait_replaced(stack.id, ours_key, victim)
        fault = measure.instance_action_time(self.cloud, victim,
                                             'resetState', started)
        ours = measure.heal_timeline(
            self.cloud, fault, stack_id=stack.id, affected=[victim],
            workflows=[helpers.HEAL_WORKFLOW], running=[new])
        self.timelines.append(('P1 selfheal', ours))
        helpers.wait_settled(self.cloud, stack.id)

        self.say('P1 floor: mark unhealthy + update --existing, member %s'
                 % floor_key)
        old = helpers.members(self.cloud, stack.id)[floor_key]
        member_stack, resource = floor_key.split('/')
        started = measure.now()
        self.cloud.heat.resources.mark_unhealthy(
            member_stack, resource, True, 'benchmark floor')
        self.cloud.heat.stacks.update(stack.id, existing=True)
        new = self._wait_replaced(stack.id, floor_key, old)
        marks = self.cloud.heat.events.list(member_stack, filters={
            'resource_name': resource, 'resource_action': 'CHECK',
            'resource_status': 'FAILED'})
        marked = min(measure.parse_time(e.event_time) for e in marks
                     if measure.parse_time(e.event_time) >=
                     started.replace(microsecond=0))
        floor = measure.Timeline(
            fault=marked, active=measure.running_since(self.cloud, new),
            complete=measure.stack_complete_time(self.cloud, stack.id,
                                                 started),
            skipped=measure.MILESTONES[1:3])
        self.timelines.append(('P1 floor', floor))
        self.rows.append(('P1 one instance in error', ours.total,
                          floor.total, GOALS['P1'], ''))
        self.stacks.delete(name)

    def _wait_replaced(self, stack_id, key, old):
        def probe():
            now = helpers.members(self.cloud, stack_id).get(key)
            status = self.cloud.stack(stack_id).stack_status
            if now != old and status.endswith('_COMPLETE'):
                return now
            return measure.NotYet('member %s, stack %s' % (now, status))
        return measure.wait_until('%s replaced' % key, probe, TIMEOUT, 1)

    # -- P2 ------------------------------------------------------------------

    def ha_host(self, count):
        name = self.stacks.launch(
            'bench-p2-%d-%s' % (count, self.suffix), HA_HOST_TEMPLATE,
            environment=None, image=helpers.IMAGE, flavor=helpers.FLAVOR,
            host=FAILED, count=count)
        stack = self.stacks.wait_created(name)
        helpers.wait_settled(self.cloud, stack.id)
        return name, list(helpers.members(self.cloud, stack.id).values())

    def p2_floor(self, count):
        """Fence and evacuate everything at once, right after the fault."""
        name, servers = self.ha_host(count)
        self.say('P2 floor, host of %d: host-down %s, force-down, evacuate '
                 'all' % (count, FAILED))
        faults.host_down(self.lab, FAILED, out=lambda line: None)
        try:
            service = self.cloud.compute_service(FAILED)
            self.cloud.nova('/os-services/%s' % service['id'], method='PUT',
                            json={'forced_down': True})
            with concurrent.futures.ThreadPoolExecutor(8) as pool:
                list(pool.map(lambda s: self.cloud.nova(
                    '/servers/%s/action' % s, method='POST',
                    json={'evacuate': {}}), servers))
            line = self._evacuated(servers)
        finally:
            faults.host_up(self.lab, FAILED, out=lambda line: None)
        self.timelines.append(('P2 floor, %d' % count, line))
        self.stacks.delete(name)
        return line

    def p2_ours(self, count):
        name, servers = self.ha_host(count)
        self.say('P2 selfheal, host of %d: host-down %s' % (count, FAILED))
        faults.host_down(self.lab, FAILED, out=lambda line: None)
        try:
            line = self._evacuated(servers,
                                   workflows=[helpers.EVACUATE_WORKFLOW])
        finally:
            faults.host_up(self.lab, FAILED, out=lambda line: None)
        self.timelines.append(('P2 selfheal, %d' % count, line))
        self.stacks.delete(name)
        return line

    def _evacuated(self, servers, workflows=()):
        def probe():
            left = [s for s in servers
                    if (self.cloud.server(s) or {}).get(
                        'OS-EXT-SRV-ATTR:host') != SPARE or
                    self.cloud.server(s)['status'] != 'ACTIVE']
            return not left or measure.NotYet('%d not ACTIVE on %s' % (
                len(left), SPARE))
        measure.wait_until('%d evacuated' % len(servers), probe, TIMEOUT, 1)
        fault = measure.wait_until(
            'the Doctor alarm time', lambda: measure.doctor_alarm_time(
                self.cloud, FAILED, faults.HOST_DOWN), 60, 1)
        # The floor involves neither Vitrage nor Mistral.
        return measure.heal_timeline(
            self.cloud, fault, affected=servers if workflows else (),
            workflows=workflows, running=servers)

    # -- P3 ------------------------------------------------------------------

    def p3(self):
        install = not helpers.workflow_exists(self.cloud,
                                              helpers.HEAL_WORKFLOW)
        name = self.stacks.launch(
            'bench-p3-' + self.suffix, 'autohealing_group.yaml',
            image=helpers.IMAGE, flavor=helpers.FLAVOR, count=8,
            install_workflows=install)
        stack = self.stacks.wait_created(name)
        helpers.wait_settled(self.cloud, stack.id)
        self.say('P3 selfheal: 6 of 8 fail together')
        keys = helpers.pick_members(
            self.cloud, helpers.members(self.cloud, stack.id), 6)
        ours = storm.unleash(self.lab, self.cloud, stack.id, keys,
                             {helpers.HEAL_WORKFLOW}, TIMEOUT)
        anchor_name = 'bench-anchor-' + self.suffix
        anchor = storm.deploy_anchor(self.stacks, anchor_name)
        helpers.wait_settled(self.cloud, anchor.id)
        self.say('P3 anchor: the same storm')
        keys = helpers.pick_members(
            self.cloud, helpers.members(self.cloud, anchor.id), 6)
        classic = storm.unleash(self.lab, self.cloud, anchor.id, keys,
                                {storm.ANCHOR_WORKFLOW}, TIMEOUT)
        helpers.reset_errors(
            self.cloud, helpers.members(self.cloud, anchor.id).values())
        self.storms = [ours.row('selfheal'), classic.row('classic anchor')]
        self.stacks.delete(anchor_name)
        self.stacks.delete(name)


def machine():
    mem = 0
    with open('/proc/meminfo') as f:
        for line in f:
            if line.startswith('MemTotal:'):
                mem = int(line.split()[1]) / (1 << 20)
    return '%d cores, %.0f GiB, %s %s' % (
        os.cpu_count(), mem, platform.python_implementation(),
        platform.python_version())


def table(bench, when):
    lines = ['Healing benchmark, %s, %s' % (when, machine()), '']
    lines += ['=========================  ========  =======  =====  =====',
              'case                       selfheal    floor  ratio   goal',
              '=========================  ========  =======  =====  =====']
    for case, ours, floor, goal, _ in bench.rows:
        ratio = ours / floor if ours and floor else None
        lines.append('%-25s  %6s s  %5s s  %5s  %s' % (
            case, _n(ours), _n(floor), _r(ratio), '<= %.1f' % goal))
    lines.append(lines[2])
    if getattr(bench, 'storms', None):
        border = ('==============  ======  ========  ====  =============  '
                  '=======')
        lines += ['', 'P3: 6 of 8 members fail together', '', border,
                  'workflow        failed  replaced  lost  stack updates  '
                  'seconds', border]
        for name, failed, replaced, lost, updates, seconds in bench.storms:
            lines.append('%-14s  %6d  %8d  %4d  %13d  %7s' % (
                name, failed, replaced, lost, updates, _n(seconds)))
        lines.append(border)
    return lines


def _n(value):
    return '-' if value is None else '%.0f' % value


def _r(value):
    return '-' if value is None else '%.2f' % value


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument('--only', default='P1,P2,P3',
                        help='comma-separated cases (default all)')
    parser.add_argument('--sizes', default='4,20',
                        help='P2 host sizes (default 4,20)')
    parser.add_argument('--write', metavar='RST',
                        help='also write the table to this file')
    args = parser.parse_args(argv)
    cases = set(args.only.upper().split(','))
    sizes = [int(n) for n in args.sizes.split(',')]
    bench = Bench(layout.Lab.from_env())
    helpers.refuse_foreign_policy(bench.cloud)
    when = datetime.datetime.now(datetime.timezone.utc).strftime(
        '%Y-%m-%d %H:%M UTC')
    try:
        floors = {}
        if 'P2' in cases:
            # Before the policy exists, so nothing but the floor reacts.
            for count in sizes:
                floors[count] = bench.p2_floor(count)
        policy = bench.stacks.launch('bench-policy-' + bench.suffix,
                                     'host_evacuation_policy.yaml')
        bench.stacks.wait_created(policy)
        if 'P2' in cases:
            for count in sizes:
                ours = bench.p2_ours(count)
                bench.rows.append(('P2 host of %d' % count, ours.total,
                                   floors[count].total, GOALS['P2'], ''))
        if 'P1' in cases:
            bench.p1()
        if 'P3' in cases:
            bench.p3()
    finally:
        bench.stacks.delete_all()
    for title, line in bench.timelines:
        print('\n%s (total %s s):' % (title, _n(line.total)))
        print('\n'.join(line.lines()))
    lines = table(bench, when)
    print('\n' + '\n'.join(lines))
    if args.write:
        write_rst(pathlib.Path(args.write), lines, bench.timelines)
    return 0


def write_rst(path, lines, timelines):
    out = ['==================', 'Healing benchmarks', '==================',
           '', 'Written by ``python benchmarks/healing.py --write %s`` on '
           'the lab; every time is a service\'s own record, in whole '
           'seconds.' % path, '']
    out += [lines[0], ''] + lines[2:] + ['', 'Timelines', '---------', '']
    for title, line in timelines:
        out += ['%s, total %s s::' % (title, _n(line.total)), '']
        out += [('  ' + row).rstrip() for row in line.lines()] + ['']
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text('\n'.join(out) + '\n')


if __name__ == '__main__':
    time.tzset()
    sys.exit(main())
