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

"""What the checks share: owners' messages cleaned, results memoised."""

import collections
import hashlib
import json
import threading


def clean(message):
    """An owner's message on one line, without a dumped JSON schema."""
    message = str(message).split('\n\nFailed validating')[0]
    return ' '.join(message.split())


# Results by definition text, like Mistral's own spec caches: heat-engine
# and `selfheal validate` check the same definitions again and again.
_results = collections.OrderedDict()
_results_lock = threading.Lock()
_RESULTS_KEPT = 512


def memoised(key, check, *args):
    """check(*args) as a list, computed once per ``key``."""
    key = hashlib.sha256(json.dumps(
        key, sort_keys=True, default=repr).encode()).digest()
    with _results_lock:
        if key in _results:
            _results.move_to_end(key)
            return list(_results[key])
    problems = tuple(check(*args))
    with _results_lock:
        _results[key] = problems
        while len(_results) > _RESULTS_KEPT:
            _results.popitem(last=False)
    return list(problems)


def forget():
    """Drop every memoised result (benchmarks measure without them)."""
    with _results_lock:
        _results.clear()
