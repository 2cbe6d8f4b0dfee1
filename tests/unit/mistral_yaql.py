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

"""Evaluate a workflow's published expression with Mistral's own YAQL.

Runs in a child process: Heat and Mistral both register [yaql] options.
"""

import json
import os
import subprocess
import sys

REPO = os.path.dirname(os.path.dirname(os.path.dirname(
    os.path.abspath(__file__))))
EVALUATE = '''
import json, sys, yaml
from mistral import config  # noqa: registers Mistral's options
from mistral.expressions import yaql_expression
path, workflow, task, section, key = sys.argv[1:6]
with open(path) as f:
    expr = yaml.safe_load(f)[workflow]['tasks'][task][section]
for part in key.split('.'):
    expr = expr[int(part)] if isinstance(expr, list) else expr[part]
# task().result is given to the expression as $.task_result.
expr = expr.replace('task().result', '$.task_result')
out = [yaql_expression.InlineYAQLEvaluator.evaluate(expr, ctx)
       for ctx in json.load(sys.stdin)]
print(json.dumps(out))
'''


def evaluate(workflow_file, workflow, task, key, contexts,
             section='publish'):
    """Values of the expression at key (a.b, or 0.b in a list) in a task's
    section (publish, on-error...), one per context.
    """
    proc = subprocess.run(
        [sys.executable, '-c', EVALUATE,
         os.path.join(REPO, 'workflows', workflow_file), workflow, task,
         section, key],
        input=json.dumps(contexts), capture_output=True, text=True,
        timeout=120)
    assert proc.returncode == 0, proc.stderr[-2000:]
    return json.loads(proc.stdout)


def heal_stack_member(task, key, contexts, section='publish'):
    """evaluate() on an expression of selfheal.heal_stack_member."""
    return evaluate('heal_stack_member.yaml', 'selfheal.heal_stack_member',
                    task, key, contexts, section)
