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

"""Mistral's parser beside heat-engine: long-lived checking processes.

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
    from selfheal_checks import mistral
    pool = checks._POOL
    text = sys.stdin.read()
    report = {'heat_options': mistral._heat_options_registered()}
    report['ok'] = [list(p) for p in checks.check_mistral_definition(text)]
    report['first'] = [c.process.pid for c in pool.children]
    broken = text.replace('action: std.noop', 'action: nova.nope')
    report['broken'] = [p.message for p in
                        checks.check_mistral_definition(broken)]
    report['same'] = [c.process.pid for c in pool.children]
    pool.children[0].process.kill()
    pool.children[0].process.wait()
    again = text.replace('Hello', 'Hi again')
    report['again'] = [list(p) for p in
                       checks.check_mistral_definition(again)]
    report['restarted'] = [c.process.pid for c in pool.children]
    report['here'] = sorted(m for m in sys.modules if m in (
        'mistral', 'mistral_extra', 'vitrage'))
    pool.close()
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
    assert len(report['first']) == 1
    assert report['same'] == report['first']
    assert report['again'] == []
    assert len(report['restarted']) == 1
    assert report['restarted'] != report['first']
    assert report['here'] == []
