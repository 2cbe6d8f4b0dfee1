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

"""The python-mistralclient boundary of the unit tests."""

NAMESPACE = 'unit-tests'


class FaultyWorkflows(object):
    """The real workflows manager, failing once where a test says.

    fail[name] (an exception, or a list raised one per call) is raised by
    the next call of that method, fail_after[name]
    once the real call is made (an answer lost after the commit),
    answers[name] returned instead of the real answer; calls records
    every call.
    """

    def __init__(self, real):
        self.real = real
        self.fail = {}
        self.fail_after = {}
        self.answers = {}
        self.calls = []

    def __getattr__(self, name):
        method = getattr(self.real, name)

        def call(*args, **kwargs):
            self.calls.append(name)
            if name in self.fail:
                raise _next(self.fail, name)
            if name in self.answers:
                return self.answers.pop(name)
            answer = method(*args, **kwargs)
            if name in self.fail_after:
                raise _next(self.fail_after, name)
            return answer
        return call


def _next(failures, name):
    """The failure for this call; a list gives one per call."""
    failure = failures[name]
    if not isinstance(failure, list):
        return failures.pop(name)
    if len(failure) == 1:
        del failures[name]
    return failure.pop(0)
