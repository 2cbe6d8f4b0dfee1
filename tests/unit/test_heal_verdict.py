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

"""The verdict of selfheal.heal_stack_member's observation loop, evaluated
by Mistral's own YAQL evaluator.
"""

import pytest

from tests.unit import mistral_yaql

MARK_TIME = '2026-01-01T00:00:05Z'


def _seen(member_status, physical_id='failed', root_status='UPDATE_COMPLETE',
          root_updated='2026-01-01T00:00:00Z', updates_issued=0):
    return {'instance_id': 'failed', 'mark_time': MARK_TIME,
            'member_status': member_status, 'member_physical_id': physical_id,
            'root_status': root_status, 'root_updated': root_updated,
            'updates_issued': updates_issued}


@pytest.fixture(scope='module')
def verdicts():
    def run(*cases):
        return mistral_yaql.heal_stack_member('decide', 'verdict',
                                              list(cases))
    return run


def test_verdicts(verdicts):
    cases = {
        # Our mark, no update since: elect an updater.
        'contend': _seen('CHECK_FAILED'),
        'wait': _seen('UPDATE_IN_PROGRESS'),
        'healed': _seen('UPDATE_COMPLETE', 'new', updates_issued=1),
        'covered': _seen('UPDATE_COMPLETE', 'new'),
        'replacement_failed': _seen('CREATE_FAILED', 'new',
                                    root_status='UPDATE_FAILED'),
        'cleared': _seen('CHECK_COMPLETE'),
        'not_replaced': _seen('CHECK_FAILED',
                              root_updated='2026-01-01T00:00:09Z'),
    }
    assert verdicts(*cases.values()) == list(cases)


def test_a_replacement_marked_by_another_execution_covers_us(verdicts):
    # The server that replaced ours failed too: its own execution heals it.
    assert verdicts(_seen('CHECK_FAILED', 'new'),
                    _seen('CHECK_FAILED', 'new', updates_issued=1)) == [
        'covered', 'healed']


# Heat 27's answers, as mistral-extra's heat action reports them.
NOT_FOUND = ('HeatAction.resources.mark_unhealthy failed: ERROR: The '
             'Resource (0f0e0d0c) could not be found in Stack app-group.')
LOCKED = ('HeatAction.resources.mark_unhealthy failed: ERROR: Stack '
          'app-group already has an action (UPDATE) in progress.')
AFTER_REFUSED_MARK = ('member_moved_on', 'wait_to_mark', 'mark_refused')


def _next_after_refused_mark(*refusals):
    """The tasks send_mark's on-error transitions choose, for each
    (refusal, attempts so far).
    """
    contexts = [{'mark_refusal': refusal, 'mark_attempts': attempts}
                for refusal, attempts in refusals]
    taken = [mistral_yaql.heal_stack_member(
        'send_mark', '%d.%s' % (index, name), contexts, section='on-error')
        for index, name in enumerate(AFTER_REFUSED_MARK)]
    return [[name for name, took in zip(AFTER_REFUSED_MARK, row) if took]
            for row in zip(*taken)]


def test_a_refused_mark_is_retried_until_heat_says_not_found():
    assert _next_after_refused_mark(
        (NOT_FOUND, 1), (LOCKED, 1), (LOCKED, 12)) == [
        # Another update replaced our server: never mark the new one.
        ['member_moved_on'],
        ['wait_to_mark'],
        ['mark_refused']]
