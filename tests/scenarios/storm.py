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

"""A failure storm: several members of one group fail at the same moment.

Shared by the storm scenario and benchmarks/healing.py (P3), so both run
the same storm against selfheal and against the classic anchor workflow.
"""

import dataclasses

from selfheal.lab import faults
from selfheal import measure
from tests.scenarios import helpers

ANCHOR_TEMPLATE = helpers.REPO / 'tests' / 'scenarios' / 'anchor' / (
    'autohealing_group.yaml')
ANCHOR_WORKFLOW = 'anchor.autoheal'


@dataclasses.dataclass
class StormResult:
    """What Heat, Nova and Mistral say after a storm (never our counts)."""

    started: object         # datetime just before the faults
    failed: dict            # member key -> server id that failed
    replaced: dict          # member key -> new server id (healed ones)
    lost: list              # member keys still on their failed server
    updates: int            # root stack UPDATE_IN_PROGRESS events
    seconds: float          # fault to the last replacement ACTIVE/COMPLETE
    stack_status: str

    def row(self, name):
        return (name, len(self.failed), len(self.replaced), len(self.lost),
                self.updates, self.seconds)


def unleash(lab, cloud, stack_id, keys, workflows, timeout):
    """Fail keys' servers together; wait until healed or given up.

    Waits until every failed member has a new server or its heal
    executions have all finished, and the stack is not in progress.
    """
    before = helpers.members(cloud, stack_id)
    failed = {k: before[k] for k in keys}
    started = measure.now()
    helpers.inject_together(faults.instance_error, lab, list(failed.values()))

    def over():
        now = helpers.members(cloud, stack_id)
        pending = [k for k in failed if now.get(k) == failed[k]]
        stack = cloud.stack(stack_id)
        running = [e for e in cloud.executions(workflows, started)
                   if e.state not in helpers.FINISHED]
        started_heals = cloud.executions(workflows, started)
        if stack.stack_status.endswith('IN_PROGRESS') or running or (
                pending and len(started_heals) < len(pending)):
            return measure.NotYet('stack %s, %d member(s) not replaced, '
                                  '%d execution(s) running, %d started' % (
                                      stack.stack_status, len(pending),
                                      len(running), len(started_heals)))
        return now
    after = measure.wait_until('the storm on %s to be over' % stack_id,
                               over, timeout, 3)
    replaced = {k: after[k] for k in failed if after.get(k) != failed[k]}
    ends = [measure.running_since(cloud, s) for s in replaced.values()]
    ends.append(measure.stack_complete_time(cloud, stack_id, started))
    fault = min(measure.instance_action_time(cloud, s, 'resetState', started)
                or started for s in failed.values())
    ends = [e for e in ends if e]
    return StormResult(
        started=started, failed=failed, replaced=replaced,
        lost=sorted(k for k in failed if k not in replaced),
        updates=len(measure.stack_updates(cloud, stack_id, started)),
        seconds=(max(ends) - fault).total_seconds() if ends else None,
        stack_status=cloud.stack(stack_id).stack_status)


def deploy_anchor(stacks, name, count=8):
    stacks.launch(name, ANCHOR_TEMPLATE, environment=helpers.ENVIRONMENT,
                  image=helpers.IMAGE, flavor=helpers.FLAVOR, count=count)
    return stacks.wait_created(name)
