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

"""`selfheal lab install` says what runs, that it still runs, and how long."""

import re
import threading

import pytest

from selfheal.lab import install


def test_a_long_step_reminds_and_reports_its_time(monkeypatch):
    monkeypatch.setattr(install, 'PROGRESS_SECONDS', 0.01)
    said = []
    reminded = threading.Event()

    def out(line):
        said.append(line)
        if 'still running' in line:
            reminded.set()

    with install._step(out, 'pip install into /lab/venvs/services'):
        assert reminded.wait(30)

    assert said[0] == 'install: pip install into /lab/venvs/services'
    assert re.fullmatch(r'install: pip install into /lab/venvs/services: '
                        r'still running, \d+ s', said[1])
    assert re.fullmatch(r'install: pip install into /lab/venvs/services: '
                        r'done in \d+ s', said[-1])


def test_a_failed_step_does_not_say_done(monkeypatch):
    said = []
    with pytest.raises(RuntimeError):
        with install._step(said.append, 'apt-get install mariadb-server'):
            raise RuntimeError('apt-get failed')
    assert said == ['install: apt-get install mariadb-server']
