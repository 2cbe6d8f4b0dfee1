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

"""Offline checks of Vitrage templates and Mistral definitions, for Heat.

Vitrage's validator and Mistral's parser run in a small pool of long-lived
child processes (``python -m selfheal_checks.server``): Mistral cannot
share a process with Heat's options, and importing both costs seconds,
paid once per child. A check waits at most ANSWER_WAIT seconds, for a free
child and its answer; a child that dies or hangs is replaced and the check
raises CheckerUnavailable.

Reading a definition as YAML data happens here, in this process;
selfheal_checks uses the same Problem, DefinitionError and read_mapping().
"""

import functools
import importlib.util
import json
import os
import selectors
import subprocess
import sys
import tempfile
import threading
import time
import typing

import yaml

POOL_SIZE = 2       # child processes, each answering one check at a time
ANSWER_WAIT = 60    # seconds a check waits for a free child and its answer

VITRAGE_TEMPLATE = 'Vitrage template'
MISTRAL_DEFINITION = 'Mistral definition'


class Problem(typing.NamedTuple):
    """One thing wrong with a definition, in words for the operator."""

    message: str
    line: typing.Optional[int] = None   # 1-based, in the checked text
    code: typing.Optional[int] = None   # Vitrage status code


class DefinitionError(Exception):
    """The text cannot be read as a definition at all."""

    def __init__(self, problem):
        super(DefinitionError, self).__init__(problem.message)
        self.problem = problem


class CheckerUnavailable(RuntimeError):
    """No checking process answered; the definition was not checked."""


# -- definitions as data ----------------------------------------------------

def as_text(text, what):
    """``text`` as str; DefinitionError if it is not (UTF-8) text."""
    if isinstance(text, bytes):
        try:
            return text.decode('utf-8')
        except UnicodeDecodeError:
            raise DefinitionError(Problem('The %s is not UTF-8 text' % what))
    if not isinstance(text, str):
        raise DefinitionError(Problem('The %s is not text' % what))
    return text


def _yaml_problem(what, ex):
    mark = getattr(ex, 'problem_mark', None)
    line = mark.line + 1 if mark is not None else None
    if isinstance(ex, yaml.MarkedYAMLError):
        detail = ', '.join(w for w in (ex.context, ex.problem) if w)
    else:
        detail = str(ex).splitlines()[0]
    return Problem('The %s is not valid YAML: %s' % (what, detail), line)


def read_mapping(text, what, loader_class):
    """(data, loader, root node); DefinitionError unless a YAML mapping.

    ``what`` names the document in messages ("The <what> is empty").
    """
    text = as_text(text, what)
    loader = None
    try:
        loader = loader_class(text)
        root = loader.get_single_node()
        data = loader.construct_document(root) if root is not None else None
    except yaml.reader.ReaderError as ex:
        line = text[:ex.position].count('\n') + 1
        raise DefinitionError(_yaml_problem(what, ex)._replace(line=line))
    except yaml.YAMLError as ex:
        raise DefinitionError(_yaml_problem(what, ex))
    except RecursionError:
        raise DefinitionError(
            Problem('The %s is nested too deeply to be read' % what))
    finally:
        if loader is not None:
            loader.dispose()
    if data is None or data == {}:
        raise DefinitionError(Problem('The %s is empty' % what))
    if not isinstance(data, dict):
        raise DefinitionError(Problem(
            'The %s is not a YAML mapping' % what, root.start_mark.line + 1))
    return data, loader, root


def load_vitrage_template(text):
    """Load a Vitrage template the way vitrageclient does (BaseLoader)."""
    return read_mapping(text, VITRAGE_TEMPLATE, yaml.BaseLoader)[0]


def is_workbook(data):
    return 'workflows' in data or 'actions' in data


def mistral_workflow_inputs(text):
    """{workflow name: its input declarations as written in the YAML}."""
    data = read_mapping(text, MISTRAL_DEFINITION, yaml.SafeLoader)[0]
    if is_workbook(data):
        prefix = '%s.' % data.get('name', '')
        workflows = data.get('workflows') or {}
    else:
        prefix = ''
        workflows = {k: v for k, v in data.items() if k != 'version'}
    if not isinstance(workflows, dict):
        return {}
    return {prefix + name: list(body.get('input') or [])
            for name, body in workflows.items() if isinstance(body, dict)}


# -- checks by the owners' code, in the checking processes ------------------

@functools.lru_cache(maxsize=None)
def vitrage_validator_available():
    return importlib.util.find_spec('vitrage') is not None


@functools.lru_cache(maxsize=None)
def mistral_parser_available():
    return importlib.util.find_spec('mistral') is not None


def check_vitrage_template(text, params=None):
    """Problems Vitrage's validator and the evaluator would find."""
    return _check(VITRAGE_TEMPLATE, text, {'kind': 'vitrage',
                                           'params': params})


def check_mistral_definition(text, extra_actions=()):
    """Problems Mistral's parser finds, and actions Mistral does not have.

    ``extra_actions`` names ad-hoc actions defined elsewhere.
    """
    return _check(MISTRAL_DEFINITION, text, {
        'kind': 'mistral', 'extra_actions': sorted(extra_actions)})


def _check(what, text, request):
    try:
        request['text'] = as_text(text, what)
    except DefinitionError as ex:
        return [ex.problem]
    answer = _POOL.ask(what, request)
    if 'error' in answer:
        raise CheckerUnavailable('The %s checks failed: %s' % (
            what, answer['error']))
    return [Problem(*item) for item in answer['problems']]


class CheckerPool(object):
    """Up to ``size`` checking processes, started when first needed."""

    def __init__(self, size=POOL_SIZE, wait=ANSWER_WAIT):
        self.wait = wait
        self.children = []      # started and not stopped
        self._idle = []
        self._lock = threading.Lock()
        self._slots = threading.BoundedSemaphore(size)

    def ask(self, what, request):
        """A child's answer (a dict) to ``request``, within ``wait`` s."""
        deadline = time.monotonic() + self.wait
        if not self._slots.acquire(timeout=self.wait):
            raise CheckerUnavailable(
                'The %s checks did not answer within %g s: every checking '
                'process stayed busy' % (what, self.wait))
        try:
            return self._ask_child(what, request, deadline)
        finally:
            self._slots.release()

    def close(self):
        """Stop every child; a check a child is busy with fails."""
        with self._lock:
            idle = list(self._idle)
            busy = [c for c in self.children if c not in idle]
        for child in busy:
            child.process.kill()    # the thread asking it drops it
        for child in idle:
            self._drop(child)

    def _ask_child(self, what, request, deadline):
        child = self._take(what)
        try:
            line = child.exchange(json.dumps(request, default=str), deadline)
        except TimeoutError:
            self._drop(child)
            raise CheckerUnavailable(
                'The %s checks did not answer within %g s; the checking '
                'process was replaced' % (what, self.wait))
        if not line:
            self._drop(child, grace=2)
            raise CheckerUnavailable('The %s checks failed: the checking '
                                     'process %s' % (what, child.ending))
        with self._lock:
            self._idle.append(child)
        return json.loads(line)

    def _take(self, what):
        """An idle child that still runs, else a new one."""
        while True:
            with self._lock:
                child = self._idle.pop() if self._idle else None
            if child is None:
                break
            if child.process.poll() is None:
                return child
            self._drop(child)
        try:
            child = _Child()
        except OSError as ex:
            raise CheckerUnavailable('Could not start the %s checks: %s' % (
                what, ex))
        with self._lock:
            self.children.append(child)
        return child

    def _drop(self, child, grace=0):
        with self._lock:
            if child in self.children:
                self.children.remove(child)
            if child in self._idle:
                self._idle.remove(child)
        child.stop(grace)


class _Child(object):
    """One ``python -m selfheal_checks.server``: a JSON line in, one out."""

    def __init__(self):
        self._stderr = tempfile.TemporaryFile()
        self.process = subprocess.Popen(
            [sys.executable, '-m', 'selfheal_checks.server'], bufsize=0,
            stdin=subprocess.PIPE, stdout=subprocess.PIPE,
            stderr=self._stderr)
        self.ending = None      # once stopped: how it ended, in words
        os.set_blocking(self.process.stdin.fileno(), False)
        os.set_blocking(self.process.stdout.fileno(), False)

    def exchange(self, request, deadline):
        """The answer line; b'' if the child went; TimeoutError if late."""
        out, into = self.process.stdout.fileno(), self.process.stdin.fileno()
        data, answer = (request + '\n').encode('utf-8'), b''
        with selectors.DefaultSelector() as selector:
            selector.register(out, selectors.EVENT_READ)
            selector.register(into, selectors.EVENT_WRITE)
            while not answer.endswith(b'\n'):
                left = deadline - time.monotonic()
                ready = selector.select(left) if left > 0 else []
                if not ready:
                    raise TimeoutError()
                for key, _event in ready:
                    try:
                        if key.fd == into:
                            data = data[os.write(into, data):]
                            if not data:
                                selector.unregister(into)
                            continue
                        chunk = os.read(out, 65536)
                    except BlockingIOError:
                        continue
                    except OSError:     # a broken pipe: the child went
                        return b''
                    if not chunk:
                        return b''
                    answer += chunk
        return answer

    def stop(self, grace=0):
        """Let the child end within ``grace`` s, else kill it."""
        if self._stderr.closed:
            return
        # Polled: under eventlet (Heat <= 24) wait(timeout) raises
        # eventlet's own TimeoutExpired, not subprocess's.
        deadline = time.monotonic() + grace
        while self.process.poll() is None and time.monotonic() < deadline:
            time.sleep(0.05)
        if self.process.poll() is None:
            self.process.kill()
            self.process.wait()
        for stream in (self.process.stdin, self.process.stdout):
            stream.close()
        self.ending = self._ending()
        self._stderr.close()

    def _ending(self):
        """How the child ended, and the last line it wrote on stderr."""
        code = self.process.returncode
        how = ('was killed by signal %d' % -code if code < 0 else
               'exited with status %d' % code)
        self._stderr.seek(max(0, self._stderr.seek(0, os.SEEK_END) - 4096))
        text = self._stderr.read().decode('utf-8', 'replace').strip()
        return ': '.join([how] + text.splitlines()[-1:])


_POOL = CheckerPool()
