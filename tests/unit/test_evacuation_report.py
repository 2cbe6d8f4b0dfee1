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

"""The report of selfheal.evacuate_host, evaluated by Mistral's own YAQL."""

from tests.unit import mistral_yaql


def _report(key, contexts):
    return mistral_yaql.evaluate(
        'evacuate_host.yaml', 'selfheal.evacuate_host', 'report',
        'report.' + key, contexts)


def _candidates(*ids):
    return [{'id': i, 'status': 'ACTIVE', 'metadata': {}} for i in ids]


def test_skipped_lists_every_candidate_not_selected_and_no_other():
    contexts = [
        {'candidates': _candidates('a', 'b', 'c', 'd'),
         'selected': _candidates('c')},
        {'candidates': _candidates('a', 'b', 'c'),
         'selected': _candidates('a', 'c')},
        {'candidates': _candidates('a', 'b'), 'selected': []},
        # Fencing failed: nothing was listed.
        {},
    ]
    assert _report('skipped', contexts) == [
        ['a', 'b', 'd'], ['b'], ['a', 'b'], []]
