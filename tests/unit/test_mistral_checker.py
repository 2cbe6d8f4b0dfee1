"""Mistral's parser beside heat-engine: one long-lived child process."""

from heat_plugins import definition_checks
from tests.unit.test_mistral_workflow import WORKFLOWS


def test_one_child_serves_every_check_and_is_restarted(heat_engine):
    assert definition_checks._heat_options_registered()
    checker = definition_checks._MISTRAL_CHECKER

    # Texts no other test checks: results are kept per text.
    fresh = WORKFLOWS.replace('Hello', 'Hello from the checker test')
    assert definition_checks.check_mistral_definition(fresh) == []
    first = checker._process.pid
    broken = fresh.replace('action: std.noop', 'action: nova.nope')
    problems = definition_checks.check_mistral_definition(broken)
    assert [p.message for p in problems] == [
        "Task 'done' of workflow 'unit.greet' uses action 'nova.nope', "
        'which neither Mistral nor mistral-extra provides']
    assert checker._process.pid == first

    checker._process.kill()
    checker._process.wait()
    again = fresh.replace('checker test', 'restarted checker')
    assert definition_checks.check_mistral_definition(again) == []
    assert checker._process.pid != first
