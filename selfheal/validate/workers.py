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

"""Where Vitrage's validator and Mistral's parser run for a validation.

Importing Heat, Vitrage and Mistral takes most of a cold ``selfheal
validate``. With ``ChildProcesses``, a child process imports Vitrage and
another Mistral while this one imports Heat: definitions are sent to them
as soon as they are found, and their answers are read when the report is
put together. The children are forked once the libraries that all three
use are imported here, so that those are imported once. ``InProcess`` runs
the same checks here, when an answer is first read.

Both answer each request once: a definition asked for twice is checked
once. A child that exits, or does not answer within ``timeout`` seconds,
raises ChildFailed: one error for the whole run.
"""

import importlib
import json
import multiprocessing
import os
import queue
import sys
import tempfile
import threading
import traceback

from selfheal.validate import library
from selfheal_checks import mistral
from selfheal_checks import mistral_actions
from selfheal_checks import vitrage
from selfheal_checks import yaml_lines


class ChildFailed(Exception):
    """The child process exited or stopped answering."""


class CheckFailed(Exception):
    """A check that raised in the child; reported like one raised here."""

    def __init__(self, type_name, message):
        super(CheckFailed, self).__init__(message)
        self.type_name = type_name


OWNERS = ('Vitrage', 'Mistral')


def for_this_process():
    """ChildProcesses where Heat is still to be imported, else InProcess.

    The children pay off by importing Vitrage and Mistral while this
    process imports Heat. A process that has Heat already (tests, a
    benchmark) imports Vitrage and Mistral once and keeps them.
    """
    if 'heat.engine' not in sys.modules:
        return ChildProcesses()
    # Single-threaded: Mistral may share the process with Heat.
    mistral.import_mistral_in_process()
    return InProcess()


class _Definitions(object):
    """Checks of definitions: requests by content, each answered once."""

    def __init__(self):
        self._answers = {}

    def mistral(self, text):
        """Answer to come: check_mistral_definition(text)."""
        return self._once({'op': 'mistral', 'text': text})

    def vitrage(self, text, params=None, check_params=True):
        """Answer to come: check_vitrage_template(text, params, ...)."""
        return self._once({'op': 'vitrage', 'text': text, 'params': params,
                           'check_params': check_params})

    def vitrage_parameter(self, call, text, params=None):
        """Answer to come: the value Vitrage's get_param ``call`` gives."""
        return self._once({'op': 'vitrage_parameter', 'call': call,
                           'text': text, 'params': params})

    def expect(self, kind):
        """Definitions of ``kind`` (library.MISTRAL or VITRAGE) will come."""
        self._once({'op': 'import', 'kind': kind})

    def close(self):
        """Release what answering took."""

    def _once(self, request):
        key = json.dumps(request, sort_keys=True)
        if key not in self._answers:
            self._answers[key] = self._ask(request)
        return self._answers[key]


class InProcess(_Definitions):
    """The checks run in this process, when their answer is first read."""

    def _ask(self, request):
        return _Later(request)


class ChildProcesses(_Definitions):
    """The checks run in a child process per owner, started when needed.

    ``serve(connection)`` is what the children run.
    """

    timeout = 300   # seconds to wait for one answer, imports included

    def __init__(self, serve=None):
        super(ChildProcesses, self).__init__()
        self._serve = serve or serve_requests
        self.children = {}  # owner -> _Child

    def close(self):
        for child in self.children.values():
            child.stop()

    def _ask(self, request):
        if not self.children:
            self._start()
        return self.children[_owner(request)].ask(request)

    def _start(self):
        """Fork both children, then start talking to them.

        Both are forked before any thread starts here, and each closes the
        connections it inherits, so that each sees the end of its own.
        """
        _import_shared_libraries()
        for owner in OWNERS:
            self.children[owner] = _Child(owner, self.timeout)
            self.children[owner].fork(self._serve, [
                child.connection for child in self.children.values()])
        for child in self.children.values():
            child.listen()


def _owner(request):
    if request['op'] == 'mistral' or request.get('kind') == library.MISTRAL:
        return 'Mistral'
    return 'Vitrage'


# -- answers ----------------------------------------------------------------

def answer(request):
    """The answer to a request (plain data), computed in this process."""
    op = request['op']
    if op == 'mistral':
        found = mistral.check_mistral_definition(request['text'])
    elif op == 'vitrage':
        found = vitrage.check_vitrage_template(
            request['text'], request['params'], request['check_params'])
    elif op == 'vitrage_parameter':
        from selfheal.validate import crossrefs
        return crossrefs.resolve_parameter(
            request['call'], request['text'], request['params'])
    elif op == 'import':
        _import(request['kind'])
        return None
    else:
        raise ValueError('unknown request %r' % op)
    return [list(problem) for problem in found]


def problems(answer):
    """Problems from the answer to a mistral or vitrage request."""
    return [yaml_lines.Problem(*item) for item in answer]


def _import(kind):
    """Import the owner's code, ahead of the definitions."""
    if kind == library.MISTRAL:
        importlib.import_module('mistral.lang.parser')
        mistral_actions.known_mistral_actions()
    else:
        vitrage.vitrage_validator_available()


def _reply(request):
    """The answer as the child sends it: a result, or the error raised."""
    try:
        return {'result': answer(request)}
    except Exception as ex:
        return {'error': [type(ex).__name__, str(ex)]}


def _unpack(reply):
    if 'error' in reply:
        raise CheckFailed(*reply['error'])
    return reply['result']


class _Later(object):
    """An answer computed here when first read."""

    def __init__(self, request):
        self._request = request
        self._reply = None

    def result(self):
        if self._reply is None:
            self._reply = _reply(self._request)
        return _unpack(self._reply)


# -- this process's side of the child ---------------------------------------

class _Reply(object):
    """An answer the child will send."""

    def __init__(self, child):
        self._child = child
        self._event = threading.Event()
        self._reply = None

    def set(self, reply):
        self._reply = reply
        self._event.set()

    def result(self):
        if not self._event.wait(self._child.timeout):
            self._child.stop(wait=0)
            raise ChildFailed('%s did not answer within %g s' % (
                self._child.name, self._child.timeout))
        if self._reply is None:
            raise ChildFailed(self._child.exit_description())
        return _unpack(self._reply)


class _Child(object):
    """A child process, and a thread that talks to it in request order."""

    def __init__(self, owner, timeout):
        self.name = 'the process checking %s definitions' % owner
        self.timeout = timeout
        self._stderr = tempfile.TemporaryFile()
        self._requests = queue.Queue()
        self._process = self._thread = None
        self._context = multiprocessing.get_context('fork')
        self.connection, self._child_end = self._context.Pipe()

    def fork(self, serve, inherited):
        """Start the child; it closes the ``inherited`` connections."""
        self._process = self._context.Process(
            target=_child_main,
            args=(serve, self._child_end, inherited, self._stderr),
            daemon=True)
        try:
            self._process.start()
        except OSError as ex:
            raise ChildFailed('could not start %s: %s' % (self.name, ex))
        finally:
            self._child_end.close()

    def listen(self):
        self._thread = threading.Thread(target=self._talk, daemon=True)
        self._thread.start()

    def ask(self, request):
        reply = _Reply(self)
        self._requests.put((request, reply))
        return reply

    def _talk(self):
        while True:
            request, reply = self._requests.get()
            if reply is None:
                return
            try:
                self.connection.send(request)
                reply.set(self.connection.recv())
            except (EOFError, OSError, ValueError):
                reply.set(None)

    def stop(self, wait=1):
        """End the child; kill it if it is still busy after ``wait`` s."""
        if self._process is None or self._process.pid is None:
            return      # never started
        self._requests.put((None, None))
        if self._thread is not None:
            self._thread.join(timeout=wait)
            if self._thread.is_alive():     # still answering: no more waiting
                self._process.kill()
                self._thread.join(timeout=5)
        self.connection.close()         # the child ends when it reads this
        self._process.join(timeout=wait)
        if self._process.exitcode is None:
            self._process.kill()
            self._process.join()

    def exit_description(self):
        self._process.join(timeout=5)
        status = self._process.exitcode
        if status is None:
            self._process.kill()
            self._process.join()
            return '%s stopped answering' % self.name
        if status < 0:
            how = 'was killed by signal %d' % -status
        else:
            how = 'exited with status %d' % status
        last = _last_line(self._stderr)
        return '%s %s%s' % (self.name, how, ': %s' % last if last else '')


def _last_line(stream):
    stream.seek(0)
    lines = stream.read().decode('utf-8', 'replace').strip().splitlines()
    return lines[-1].strip() if lines else ''


# Libraries that this process (for Heat) and the children (for Vitrage and
# Mistral) import, or both children do (networkx): imported once, before the
# children are forked. Only libraries: Heat's and Mistral's own modules
# register options that must stay apart. A name missing here costs time,
# never a check.
SHARED_LIBRARIES = ('sqlalchemy.orm', 'oslo_db.sqlalchemy.enginefacade',
                    'oslo_messaging', 'keystoneclient.v3.client', 'yaql',
                    'jinja2', 'networkx')


def _import_shared_libraries():
    from selfheal.validate import hot
    hot.use_threads()   # before oslo_messaging chooses eventlet
    for name in SHARED_LIBRARIES:
        try:
            importlib.import_module(name)
        except Exception:
            pass    # whoever needs it will say why it fails


# -- the child --------------------------------------------------------------

def _child_main(serve, connection, inherited, stderr):
    """The child's life: ``serve`` requests, then exit without cleanup."""
    status = 0
    try:
        for other in inherited:     # else the end of requests never comes
            other.close()
        # Whatever is printed goes to the file read on failure.
        os.dup2(stderr.fileno(), 2)
        os.dup2(stderr.fileno(), 1)
        sys.stdout = sys.stderr = open(2, 'w', buffering=1, closefd=False)
        import logging
        import warnings
        logging.disable(logging.CRITICAL)
        warnings.simplefilter('ignore')
        serve(connection)
    except BaseException:
        traceback.print_exc()
        status = 1
    finally:
        sys.stderr.flush()
        # Skip the interpreter's slow teardown, and the parent's handlers.
        os._exit(status)


def serve_requests(connection):
    """Answer each request the connection brings until it is closed."""
    while True:
        try:
            request = connection.recv()
        except EOFError:
            return
        connection.send(_reply(request))
