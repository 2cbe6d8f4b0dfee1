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

"""``selfheal validate`` with Vitrage and Mistral in child processes.

The children answer as the checks answer in this process, and a child
that dies or hangs stops the run with one clear error, in bounded time.
"""

import os
import signal
import subprocess
import sys
import time

import pytest

from selfheal import cli
from selfheal.validate import workers
from selfheal_checks import mistral
from tests.unit import test_selfheal_validate as fixtures

REPO = fixtures.REPO
SUPPORT = fixtures.SUPPORT
MISTRAL = 'the process checking Mistral definitions'
VITRAGE = 'the process checking Vitrage definitions'


def _read(*path):
    with open(os.path.join(REPO, *path)) as f:
        return f.read()


def _exit_with_a_message(connection):
    sys.stderr.write('Mistral went away\n')
    sys.stderr.flush()
    os._exit(3)


def _killed(connection):
    os.kill(os.getpid(), signal.SIGKILL)


def _hang(connection):
    connection.recv()
    time.sleep(600)


@pytest.fixture
def children():
    definitions = workers.ChildProcesses()
    yield definitions
    definitions.close()


def test_children_answer_as_this_process_does(children):
    here = workers.InProcess()
    workflow = _read('tests', 'fixtures', 'invalid',
                     'mistral_misspelt_transition.yaml')
    template = _read('tests', 'fixtures', 'invalid',
                     'vitrage_unknown_entity.yaml')
    pairs = [
        (children.mistral(workflow), here.mistral(workflow)),
        (children.vitrage(template, check_params=False),
         here.vitrage(template, check_params=False)),
        (children.vitrage(template, {'retries': 3}),
         here.vitrage(template, {'retries': 3})),
    ]
    for there, local in pairs:
        assert there.result() == local.result()
        assert workers.problems(there.result())
    assert children.mistral(workflow) is pairs[0][0]    # asked once


def test_a_check_that_raises_in_a_child_names_its_error(children):
    with pytest.raises(workers.CheckFailed) as raised:
        children._once({'op': 'no-such-check'}).result()
    assert raised.value.type_name == 'ValueError'
    assert str(raised.value) == "unknown request 'no-such-check'"


@pytest.mark.parametrize('serve, how', [
    (_exit_with_a_message, 'exited with status 3: Mistral went away'),
    (_killed, 'was killed by signal 9'),
])
def test_a_child_that_dies_is_one_error(serve, how):
    definitions = workers.ChildProcesses(serve=serve)
    try:
        answers = [(definitions.mistral('version: 2.0'), MISTRAL),
                   (definitions.vitrage('metadata: {}'), VITRAGE)]
        for answer, child in answers:
            with pytest.raises(workers.ChildFailed) as raised:
                answer.result()
            assert str(raised.value) == '%s %s' % (child, how)
    finally:
        definitions.close()


def test_a_child_that_hangs_is_killed_after_the_timeout():
    definitions = workers.ChildProcesses(serve=_hang)
    definitions.timeout = 0.5
    answer = definitions.mistral('version: 2.0')
    with pytest.raises(workers.ChildFailed) as raised:
        answer.result()
    assert str(raised.value) == MISTRAL + ' did not answer within 0.5 s'
    process = definitions.children['Mistral']._process
    process.join(timeout=10)
    assert process.exitcode == -signal.SIGKILL
    definitions.close()


def test_validate_reports_a_dead_child_in_one_line(capsys, monkeypatch):
    monkeypatch.chdir(REPO)
    monkeypatch.setattr(
        workers, 'for_this_process',
        lambda: workers.ChildProcesses(serve=_exit_with_a_message))
    code = cli.main(['validate', SUPPORT])
    out, err = capsys.readouterr()
    assert code == 1
    assert out == ''
    # The first answer the report needs: the workflow's.
    assert err == ('selfheal validate: error: %s exited with status 3: '
                   'Mistral went away\n' % MISTRAL)


def test_a_new_process_reports_as_this_one(capsys, monkeypatch):
    """Every fixture: Vitrage and Mistral in a child, or all here."""
    monkeypatch.chdir(REPO)
    argv = ['validate', '-v', SUPPORT] + [
        os.path.join(fixtures.INVALID, name)
        for name in sorted(fixtures.EXPECTED)]
    done = subprocess.run([sys.executable, '-m', 'selfheal.cli'] + argv,
                          capture_output=True, text=True, timeout=600)
    mistral.import_mistral_in_process()
    monkeypatch.setattr(workers, 'for_this_process', workers.InProcess)
    code = cli.main(argv)
    out, err = capsys.readouterr()
    assert code == 1
    assert 'Traceback' not in done.stdout + done.stderr
    assert (done.returncode, done.stdout, done.stderr) == (code, out, err)


def test_a_child_only_where_heat_is_still_to_be_imported():
    done = subprocess.run(
        [sys.executable, '-c',
         'from selfheal.validate import workers\n'
         'print(type(workers.for_this_process()).__name__)\n'
         'import heat.engine\n'
         'print(type(workers.for_this_process()).__name__)\n'],
        capture_output=True, text=True, timeout=300)
    assert done.stdout.split() == ['ChildProcesses', 'InProcess']
