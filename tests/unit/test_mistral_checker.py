"""Mistral's parser beside heat-engine: one long-lived child process.

Run in a fresh interpreter that loads Heat first, as heat-engine does: in
the test process itself Mistral may already be imported in-process.
"""

import json
import subprocess
import sys
import textwrap

from tests.unit.test_mistral_workflow import WORKFLOWS

ENGINE_LIKE = textwrap.dedent("""\
    import json, sys, tempfile
    from tests.unit import heat_harness
    heat_harness.configure(tempfile.mkdtemp())
    from heat_plugins import definition_checks as checks
    checker = checks._MISTRAL_CHECKER
    text = sys.stdin.read()
    report = {'heat_options': checks._heat_options_registered()}
    report['ok'] = [list(p) for p in checks.check_mistral_definition(text)]
    report['first'] = checker._process.pid
    broken = text.replace('action: std.noop', 'action: nova.nope')
    report['broken'] = [p.message for p in
                        checks.check_mistral_definition(broken)]
    report['same'] = checker._process.pid
    checker._process.kill()
    checker._process.wait()
    again = text.replace('Hello', 'Hi again')
    report['again'] = [list(p) for p in
                       checks.check_mistral_definition(again)]
    report['restarted'] = checker._process.pid
    print(json.dumps(report))
    """)


def test_one_child_serves_every_check_and_is_restarted():
    done = subprocess.run([sys.executable, '-c', ENGINE_LIKE],
                          input=WORKFLOWS, capture_output=True, text=True,
                          timeout=300)
    assert done.returncode == 0, done.stderr[-2000:]
    report = json.loads(done.stdout.strip().splitlines()[-1])

    assert report['heat_options'] is True
    assert report['ok'] == []
    assert report['broken'] == [
        "Task 'done' of workflow 'unit.greet' uses action 'nova.nope', "
        'which neither Mistral nor mistral-extra provides']
    assert report['same'] == report['first']
    assert report['again'] == []
    assert report['restarted'] != report['first']
