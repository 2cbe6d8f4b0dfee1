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

"""Small helpers for the lab tests."""

import time


def wait_for(what, probe, timeout=120, interval=0.5):
    """Poll probe() until it returns something truthy; fail naming what."""
    deadline = time.monotonic() + timeout
    last = None
    while time.monotonic() < deadline:
        last = probe()
        if last:
            return last
        time.sleep(interval)
    raise AssertionError('timed out after %d s waiting for %s (last: %r)'
                         % (timeout, what, last))


def vitrage_templates(vitrage, name):
    return [t for t in vitrage.template.list() if t['name'] == name]


def mistral_workflows(mistral, name):
    return [w for w in mistral.workflows.list() if w.name == name]
