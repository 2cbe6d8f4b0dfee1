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
