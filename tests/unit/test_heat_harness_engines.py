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

"""The ``lifecycle`` fixture really runs Heat's legacy or convergence engine.

Heat's own resources only: RandomString is replaced when its length
changes, TestResource when its value changes (update_replace) and fails
on demand.
"""

import textwrap

import pytest
import sqlalchemy

from heat.common import exception
from heat.db import api as db_api
from heat.db import models

STACK = textwrap.dedent("""\
    heat_template_version: 2021-04-16
    parameters:
      length: {type: number, default: 8}
      value: {type: string, default: one}
      fail: {type: boolean, default: false}
    resources:
      word:
        type: OS::Heat::RandomString
        properties:
          length: {get_param: length}
      probe:
        type: OS::Heat::TestResource
        properties:
          value: {get_param: value}
          update_replace: true
          fail: {get_param: fail}
      after_word:
        type: OS::Heat::None
        depends_on: word
    outputs:
      word:
        value: {get_attr: [word, value]}
    """)


def _stack(heat, existing=None, **params):
    return heat.build_stack(heat.context(), 'engines', STACK, params=params,
                            existing=existing)


def _rows(stack_id):
    """Every resource row of the stack, as (name, id, template id)."""
    table = models.Resource.__table__
    query = sqlalchemy.select(
        table.c.name, table.c.id, table.c.current_template_id).where(
        table.c.stack_id == stack_id).order_by(table.c.id)
    with db_api.get_engine().connect() as conn:
        return [tuple(row) for row in conn.execute(query)]


def _ok(stack, action):
    assert stack.state == (action, stack.COMPLETE), stack.status_reason


def test_create_runs_the_chosen_engine(heat, lifecycle):
    stack = lifecycle.create(_stack(heat))
    _ok(stack, stack.CREATE)
    assert len(lifecycle.outputs(stack)['word']) == 8
    rows = _rows(stack.id)
    assert sorted(name for name, _, _ in rows) == [
        'after_word', 'probe', 'word']
    if lifecycle.mode == 'convergence':
        assert stack.convergence is True
        assert stack.current_traversal
        assert {tid for _, _, tid in rows} == {stack.t.id}
    else:
        assert stack.convergence is False
        assert not stack.current_traversal
        assert {tid for _, _, tid in rows} == {None}


def test_update_replaces_and_forgets_the_old_resource(heat, lifecycle):
    stack = lifecycle.create(_stack(heat))
    old_word, old_probe = stack['word'], stack['probe']

    stack = lifecycle.update(stack, _stack(heat, existing=stack,
                                           length=12, value='two'))
    _ok(stack, stack.UPDATE)
    assert len(lifecycle.outputs(stack)['word']) == 12
    for old, new in ((old_word, stack['word']), (old_probe, stack['probe'])):
        assert new.resource_id != old.resource_id
        assert new.id != old.id
        _ok(new, new.CREATE)
    ids = {name: rid for name, rid, _ in _rows(stack.id)}
    assert len(_rows(stack.id)) == 3
    assert ids['word'] == stack['word'].id
    assert ids['probe'] == stack['probe'].id


def test_failed_replacement_is_the_stack_resource(heat, lifecycle):
    stack = lifecycle.create(_stack(heat))
    old_probe = stack['probe']

    stack = lifecycle.update(stack, _stack(heat, existing=stack,
                                           value='two', fail=True))
    assert stack.state == (stack.UPDATE, stack.FAILED)
    assert 'Test Resource failed probe' in stack.status_reason
    probe = stack['probe']
    assert probe.id != old_probe.id
    assert probe.state == (probe.CREATE, probe.FAILED)
    assert 'Test Resource failed probe' in probe.status_reason
    assert probe.resource_id is None
    probes = [rid for name, rid, _ in _rows(stack.id) if name == 'probe']
    if lifecycle.mode == 'convergence':
        # The replacement is created first; the old one awaits cleanup.
        assert probes == [old_probe.id, probe.id]
        assert probe.replaces == old_probe.id
    else:
        # Legacy moved the old one into its backup stack.
        assert probes == [probe.id]


def test_check_and_delete(heat, lifecycle):
    stack = lifecycle.create(_stack(heat))
    stack = lifecycle.check(stack)
    _ok(stack, stack.CHECK)
    stack = lifecycle.delete(stack)
    _ok(stack, stack.DELETE)
    assert _rows(stack.id) == []


def test_an_invalid_stack_is_refused_before_it_is_stored(heat, lifecycle):
    bad = STACK.replace('update_replace: true', 'update_replace: maybe')
    stack = heat.build_stack(heat.context(), 'engines', bad)
    with pytest.raises(exception.StackValidationFailed,
                       match='update_replace'):
        lifecycle.create(stack)
    table = models.Stack.__table__
    with db_api.get_engine().connect() as conn:
        assert conn.execute(sqlalchemy.select(table.c.id)).all() == []
