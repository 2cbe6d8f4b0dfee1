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

"""selfheal.measure: the parts that need no cloud."""

import datetime

import pytest

from selfheal import measure

UTC = datetime.timezone.utc


@pytest.mark.parametrize('text', [
    '2026-11-22T05:40:01Z',                # Heat
    '2026-11-22T05:40:01.000000',          # Nova
    '2026-11-22 05:40:01',                 # Mistral
    '2026-11-22 05:40:01+00:00',           # Vitrage's database
    '2026-11-22T06:40:01+01:00',           # any offset
])
def test_service_timestamps_parse_to_the_same_utc_instant(text):
    assert measure.parse_time(text) == datetime.datetime(
        2026, 11, 22, 5, 40, 1, tzinfo=UTC)


def test_missing_timestamp_stays_none():
    assert measure.parse_time(None) is None
    assert measure.parse_time('') is None


def _at(second):
    return datetime.datetime(2026, 11, 22, 5, 40, second, tzinfo=UTC)


def test_timeline_offsets_total_and_lines():
    line = measure.Timeline(fault=_at(0), deduced=_at(1), execution=_at(2),
                            active=_at(30), complete=_at(41),
                            notes={'stack COMPLETE': 'UPDATE_COMPLETE'})
    assert line.offsets() == list(zip(measure.MILESTONES,
                                      [0.0, 1.0, 2.0, 30.0, 41.0]))
    assert line.total == 41.0
    text = '\n'.join(line.lines())
    assert '+   41 s     stack COMPLETE' in text
    assert 'UPDATE_COMPLETE' in text


def test_timeline_tells_not_reached_from_not_applicable():
    line = measure.Timeline(fault=_at(0), active=_at(6),
                            skipped=('Vitrage deduced', 'stack COMPLETE'))
    rows = {row.split(None, 1)[0] for row in line.lines()}
    assert rows == {'+', 'n/a', 'not'}
    assert line.total == 6.0


def test_timeline_total_is_none_until_something_ran():
    assert measure.Timeline(fault=_at(0)).total is None


def test_wait_until_returns_the_answer():
    answers = iter([measure.NotYet('1 left'), 'done'])
    assert measure.wait_until('x', lambda: next(answers), 5, 0) == 'done'


def test_wait_until_times_out_saying_what_was_missing():
    with pytest.raises(TimeoutError) as e:
        measure.wait_until('the heal', lambda: measure.NotYet('2 left'),
                           0, 0)
    assert 'the heal' in str(e.value) and '2 left' in str(e.value)
