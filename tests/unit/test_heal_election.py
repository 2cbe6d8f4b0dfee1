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

"""The coalescing election of selfheal.heal_stack_member, evaluated by
Mistral's own YAQL evaluator.

The election reads Heat's CHECK FAILED events of every marked member, one
events_list per member stack (a with-items task); here they are given as
the list of those results, in the order of the marked members.
"""

import pytest

from tests.unit import mistral_yaql

COVERED_UNTIL = '2026-01-01T00:00:00Z'


def _mark(member, second, execution=None):
    reason = 'selfheal: instance %s reported failed' % member
    if execution:
        reason += ' (execution %s)' % execution
    return {'physical_resource_id': member, 'resource_status_reason': reason,
            'event_time': '2026-01-01T00:00:%02dZ' % second}


def _case(me, execution, events, covered_until=COVERED_UNTIL):
    marked = sorted({e['physical_resource_id'] for e in events} | {me})
    per_member = [[e for e in events if e['physical_resource_id'] == m]
                  for m in marked]
    return {'instance_id': me, 'execution_id': execution,
            'task_result': per_member, 'root_updated': covered_until,
            'marked_ids': marked}


@pytest.fixture(scope='module')
def elect():
    def run(*cases):
        return mistral_yaql.heal_stack_member('elect_updater', 'leader',
                                              list(cases))
    return run


def test_every_member_elects_the_earliest_uncovered_mark(elect):
    events = [_mark('b', 6, 'exec-b'), _mark('a', 5, 'exec-a'),
              _mark('c', 7, 'exec-c')]
    assert elect(_case('a', 'exec-a', events), _case('b', 'exec-b', events),
                 _case('c', 'exec-c', events)) == ['a', 'a', 'a']


def test_a_duplicate_execution_for_the_leading_member_follows(elect):
    events = [_mark('a', 5, 'exec-a')]
    assert elect(_case('a', 'exec-duplicate', events)) == [
        'another execution for a']


def test_a_mark_made_outside_the_workflow_is_led_by_its_member(elect):
    events = [_mark('a', 5)]
    assert elect(_case('a', 'exec-a', events)) == ['a']


def test_ties_are_broken_by_physical_id(elect):
    events = [_mark('b', 5, 'exec-b'), _mark('a', 5, 'exec-a')]
    assert elect(_case('b', 'exec-b', events)) == ['a']


def test_marks_an_update_covered_no_longer_lead(elect):
    events = [_mark('a', 5, 'exec-a'), _mark('b', 8, 'exec-b')]
    assert elect(_case('b', 'exec-b', events,
                       covered_until='2026-01-01T00:00:06Z')) == ['b']


def test_a_member_marked_again_counts_from_its_latest_mark(elect):
    events = [_mark('a', 2, 'exec-old'), _mark('a', 9, 'exec-a'),
              _mark('b', 7, 'exec-b')]
    assert elect(_case('a', 'exec-a', events,
                       covered_until='2026-01-01T00:00:05Z')) == ['b']
