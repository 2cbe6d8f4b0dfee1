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

"""The checking process: ``python -m selfheal_checks.server``.

One JSON request per line on stdin, one JSON answer per line on stdout:
    {"kind": "vitrage", "text": ..., "params": {...}, "check_params": true}
    {"kind": "mistral", "text": ..., "extra_actions": [...]}
    -> {"problems": [[message, line, code], ...], "pid": ...}
    or {"error": "<type>: <message>", "pid": ...}
It ends when stdin does. Whatever the owners' code prints goes to stderr.
"""

import json
import os
import sys

from selfheal_checks import mistral
from selfheal_checks import vitrage


def answer(line):
    """The answer to one request line, as a dict."""
    try:
        problems = _check(json.loads(line))
    except Exception as ex:
        return {'error': '%s: %s' % (type(ex).__name__, ex),
                'pid': os.getpid()}
    return {'problems': [list(p) for p in problems], 'pid': os.getpid()}


def _check(request):
    kind = request.get('kind')
    if kind == 'vitrage':
        return vitrage.check_vitrage_template(
            request['text'], request.get('params'),
            request.get('check_params', True))
    if kind == 'mistral':
        return mistral.check_mistral_definition(
            request['text'], request.get('extra_actions', ()))
    raise ValueError('unknown kind of check %r' % (kind,))


def serve(requests, answers):
    """Answer each line of ``requests`` on ``answers`` until it ends."""
    for line in requests:
        answers.write(json.dumps(answer(line)) + '\n')
        answers.flush()


def quiet():
    """No logging, no warnings: the owners' code is chatty on import."""
    import logging
    import warnings
    logging.disable(logging.CRITICAL)
    warnings.simplefilter('ignore')


def main():
    quiet()
    answers = os.fdopen(os.dup(1), 'w')
    os.dup2(2, 1)       # what is printed cannot break the answers
    sys.stdout = sys.stderr
    serve(sys.stdin, answers)
    return 0


if __name__ == '__main__':
    sys.exit(main())
