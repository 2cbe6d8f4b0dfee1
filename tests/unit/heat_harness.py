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

"""The real Heat engine, in-process, with our plugin_dirs.

Stacks are parsed, validated, stored and driven through create, update,
check and delete on a SQLite database, either by Heat's legacy ``Stack``
code (LegacyLifecycle) or by its convergence engine: an EngineService and
its WorkerService over the in-process ``fake://`` transport
(ConvergenceLifecycle). Only the service clients are replaced, by the test.
"""

import os
import threading
import time

from oslo_service import backend

backend.init_backend(backend.BackendType.THREADING)

from futurist import _thread as futurist_thread  # noqa: E402
from oslo_config import cfg  # noqa: E402
from oslo_db import options as db_options  # noqa: E402

from heat.common import messaging  # noqa: E402

messaging.setup('fake://', optional=True)

import oslo_messaging  # noqa: E402

from heat.common import config  # noqa: E402,F401
from heat.common import template_format  # noqa: E402
from heat.db import api as db_api  # noqa: E402
from heat.db import models  # noqa: E402
from heat.engine import environment  # noqa: E402
from heat.engine import resources  # noqa: E402
from heat.engine import scheduler  # noqa: E402
from heat.engine import service as engine_service  # noqa: E402
from heat.engine import stack as heat_stack  # noqa: E402
from heat.engine import template as heat_template  # noqa: E402
from heat.objects import stack as stack_object  # noqa: E402
from heat.rpc import api as rpc_api  # noqa: E402
from heat.rpc import worker_client  # noqa: E402
from heat.tests import utils  # noqa: E402

import heat_plugins  # noqa: E402
from tests.functional.launchers import sqlite_safety  # noqa: E402

PLUGIN_DIR = os.path.dirname(os.path.abspath(heat_plugins.__file__))
REPO_DIR = os.path.dirname(os.path.dirname(os.path.dirname(
    os.path.abspath(__file__))))

_configured = False


def configure(state_dir):
    """Point Heat at our plugin_dirs and a SQLite database, once."""
    global _configured
    if _configured:
        return
    cfg.CONF([], project='heat', default_config_files=[])
    cfg.CONF.import_opt('keystone_backend', 'heat.engine.clients.os.'
                        'keystone.heat_keystoneclient')
    cfg.CONF.set_override('plugin_dirs', [PLUGIN_DIR])
    cfg.CONF.set_override('deferred_auth_method', 'password')
    cfg.CONF.set_override(
        'keystone_backend',
        'heat.engine.clients.os.keystone.fake_keystoneclient.'
        'FakeKeystoneClient')
    cfg.CONF.set_override('error_wait_time', None)
    # SQLite reuses deleted row ids unless tables autoincrement; Heat's
    # resource_properties_data rows then collide across updates.
    for table in models.BASE.metadata.tables.values():
        table.dialect_kwargs['sqlite_autoincrement'] = True
    db_options.set_defaults(
        cfg.CONF, connection='sqlite:///%s/heat.sqlite' % state_dir)
    engine = db_api.get_engine()
    # Convergence workers write from several threads.
    sqlite_safety.use_sqlite_safely(engine)
    models.BASE.metadata.create_all(engine)
    scheduler.ENABLE_SLEEP = False
    resources.initialise()
    _configured = True


def reset_database():
    utils.reset_dummy_db()


def context(is_admin=True):
    roles = ['admin'] if is_admin else ['member']
    return utils.dummy_context(is_admin=is_admin, roles=roles)


def build_stack(ctx, name, template_text, files=None, params=None,
                env=None, existing=None):
    """A heat Stack from HOT text, as the engine builds it from an API call.

    With ``existing``, the stack is built as the new definition for an
    update of that stack.
    """
    env_dict = dict(env or {})
    if params:
        env_dict.setdefault('parameters', {}).update(params)
    tmpl = heat_template.Template(
        template_format.parse(template_text),
        files=files or {},
        env=environment.Environment(env_dict))
    if existing is None:
        return heat_stack.Stack(ctx, name, tmpl)
    return heat_stack.Stack(ctx, name, tmpl,
                            **existing.get_kwargs_for_cloning())


def library_files(*relative_paths):
    """get_file contents for templates in the repo, keyed as HOT uses them."""
    files = {}
    for rel in relative_paths:
        with open(os.path.join(REPO_DIR, rel)) as f:
            files[rel] = f.read()
    return files


def outputs(stack):
    """Output values, resolved as the engine's show_stack resolves them."""
    stack._update_all_resource_data(for_resources=False, for_outputs=True)
    return {name: output.get_value()
            for name, output in stack.outputs.items()}


class LegacyLifecycle(object):
    """Drives a built stack through Heat's legacy ``Stack`` methods.

    Each method returns the stack it was given, now in its final state.
    """

    mode = 'legacy'

    def create(self, stack):
        stack.validate()
        stack.store()
        stack.create()
        return stack

    def update(self, stack, new_stack):
        stack.update(new_stack)
        return stack

    def delete(self, stack):
        stack.delete()
        return stack

    def check(self, stack):
        stack.check()
        return stack

    def outputs(self, stack):
        return outputs(stack)

    def stop(self):
        pass


class _WorkerMessages(object):
    """Counts worker messages cast and not yet handled to their end.

    Only the messages WorkerClient sends through its ``cast``: those of
    METHODS (cancel_check_resource goes around it).
    """

    METHODS = ('check_resource', 'check_resource_delete_snapshot')

    def __init__(self):
        self._lock = threading.Lock()
        self.pending = 0

    def _add(self, n):
        with self._lock:
            self.pending += n

    def count_casts(self, cast):
        def counted_cast(client, ctxt, msg, version=None):
            self._add(1)
            try:
                return cast(client, ctxt, msg, version)
            except Exception:
                self._add(-1)
                raise
        return counted_cast

    def count_handler(self, handler):
        def counted_handler(*args, **kwargs):
            try:
                return handler(*args, **kwargs)
            finally:
                self._add(-1)
        return counted_handler


class ConvergenceLifecycle(object):
    """Drives a built stack through Heat's convergence engine.

    An EngineService (with its WorkerService) listens on the ``fake://``
    transport; create/update/delete/check go through its RPC methods, whose
    check_resource messages the worker handles in its own threads. Each
    method waits until the stack has settled and returns it reloaded from
    the database: always use the returned stack.
    """

    mode = 'convergence'
    POLL = 0.05

    def __init__(self, timeout=120):
        self.timeout = timeout
        self.messages = _WorkerMessages()
        cfg.CONF.set_override('convergence_engine', True)
        # stop() joins the RPC executors' idle threads, which look for
        # shutdown every MAX_IDLE_FOR (1 s): wait 0.05 s instead.
        self._idle = futurist_thread.ThreadWorker.MAX_IDLE_FOR
        futurist_thread.ThreadWorker.MAX_IDLE_FOR = 0.05
        self._cast = worker_client.WorkerClient.cast
        self.engine = engine_service.EngineService(
            cfg.CONF.host, rpc_api.ENGINE_TOPIC)
        try:
            self.engine.start()
        except Exception:
            self.stop()
            raise
        worker = self.engine.worker_service
        for name in _WorkerMessages.METHODS:
            # Heat < 25 has no check_resource_delete_snapshot.
            if hasattr(worker, name):
                setattr(worker, name,
                        self.messages.count_handler(getattr(worker, name)))
        worker_client.WorkerClient.cast = self.messages.count_casts(
            self._cast)

    def stop(self):
        """Stop the engine (after its running work) and undo the patches."""
        worker_client.WorkerClient.cast = self._cast
        try:
            self.engine.stop()
        finally:
            futurist_thread.ThreadWorker.MAX_IDLE_FOR = self._idle
            cfg.CONF.clear_override('convergence_engine')

    def create(self, stack):
        identity = self._call(
            'create_stack', stack.context, stack.name, stack.t.t,
            stack.env.env_as_dict(), dict(stack.t.files), _args(stack))
        return self._wait(stack.context, identity['stack_id'])

    def update(self, stack, new_stack):
        self._call('update_stack', stack.context, stack.identifier(),
                   new_stack.t.t, new_stack.env.env_as_dict(),
                   dict(new_stack.t.files), _args(new_stack))
        return self._wait(stack.context, stack.id)

    def delete(self, stack):
        self._call('delete_stack', stack.context, stack.identifier())
        return self._wait(stack.context, stack.id)

    def check(self, stack):
        self._call('stack_check', stack.context, stack.identifier())
        return self._wait(stack.context, stack.id)

    def outputs(self, stack):
        return outputs(stack)

    def _call(self, method, ctx, *args):
        """An EngineService RPC method, called as its dispatcher would."""
        try:
            return getattr(self.engine, method)(ctx, *args)
        except oslo_messaging.ExpectedException as e:
            raise e.exc_info[1].with_traceback(e.exc_info[2])

    def _wait(self, ctx, stack_id):
        deadline = time.monotonic() + self.timeout
        while not self._settled(ctx, stack_id):
            if time.monotonic() > deadline:
                db_stack = stack_object.Stack.get_by_id(
                    ctx, stack_id, show_deleted=True)
                raise TimeoutError(
                    'stack %s not settled after %ss: %s_%s, %d worker '
                    'messages pending' % (
                        stack_id, self.timeout, db_stack.action,
                        db_stack.status, self.messages.pending))
            time.sleep(self.POLL)
        return heat_stack.Stack.load(ctx, stack_id=stack_id)

    def _settled(self, ctx, stack_id):
        """No longer IN_PROGRESS, no worker message or stack thread left."""
        if self.messages.pending > 0:
            return False
        group = self.engine.thread_group_mgr.groups.get(stack_id)
        if group is not None and any(t.is_alive() for t in group.threads):
            return False
        db_stack = stack_object.Stack.get_by_id(ctx, stack_id,
                                                show_deleted=True)
        return db_stack.status != heat_stack.Stack.IN_PROGRESS


def _args(stack):
    """The API args that rebuild ``stack``'s own stack options."""
    return {rpc_api.PARAM_DISABLE_ROLLBACK: stack.disable_rollback,
            rpc_api.PARAM_TIMEOUT: stack.timeout_mins}


def start_lifecycle(mode):
    """A started LegacyLifecycle or ConvergenceLifecycle; stop() it after."""
    if mode == 'legacy':
        return LegacyLifecycle()
    if mode == 'convergence':
        return ConvergenceLifecycle()
    raise ValueError('unknown Heat engine mode %r' % mode)
