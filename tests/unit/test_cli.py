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

"""The selfheal program as a shell runs it."""

import subprocess
import sys


def _run_with_reader_gone(*argv):
    """Run selfheal with its stdout a pipe nobody reads any more."""
    proc = subprocess.Popen(
        [sys.executable, '-m', 'selfheal.cli', *argv],
        stdout=subprocess.PIPE, stderr=subprocess.PIPE)
    proc.stdout.close()
    _out, err = proc.communicate(timeout=120)
    return proc.returncode, err.decode()


def test_a_reader_that_goes_away_gets_no_traceback():
    status, err = _run_with_reader_gone('validate', '-v', 'workflows')

    assert err == ''
    assert status == 141


def test_a_short_output_to_a_closed_pipe_ends_quietly():
    status, err = _run_with_reader_gone('plugin-dir')

    assert err == ''
    assert status == 141


# A plain install: the [validation] extra's packages cannot be imported.
WITHOUT_VALIDATORS = '''
import sys

class Absent(object):
    @staticmethod
    def find_spec(name, path=None, target=None):
        if name.split('.')[0] in ('vitrage', 'mistral', 'mistral_extra'):
            raise ModuleNotFoundError(name)
        return None

sys.meta_path.insert(0, Absent)
from selfheal import cli
sys.exit(cli.main(['validate', 'workflows']))
'''


def test_validate_without_the_extra_names_what_to_install():
    proc = subprocess.run([sys.executable, '-c', WITHOUT_VALIDATORS],
                          capture_output=True, text=True, timeout=120)

    assert proc.returncode == 1
    assert proc.stdout == ''
    assert proc.stderr == (
        "selfheal validate: error: the owners' validators are not installed "
        "(no vitrage, mistral, mistral_extra); install them with: pip "
        "install 'heat-selfhealing[validation]'\n")
