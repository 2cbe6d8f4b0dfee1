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

"""Run a real Mistral API and engine as threads of one process (test only).

``mistral-server --server all`` forks a process per service, and the
``fake:/`` transport only reaches inside one process, so the functional
tests start the services here instead. Executor and notifier are
``type = local`` (they run inside the engine); the event-engine is left out.

    python mistral_threads.py --config-file mistral.conf --port-file PATH

The API binds ``[api] host`` with ``[api] port = 0``; the port it got is
written to PATH once it listens. SIGTERM stops the services and exits.
"""

# Mistral's own launchers select the threading backend before anything else.
import mistral.cmd  # noqa: F401


from oslo_config import cfg
from oslo_log import log as logging

import launch_support

LOG = logging.getLogger('mistral_threads')


def build_schema():
    """Create Mistral's schema from its models, stamp it, load the actions.

    ``mistral-db-manage upgrade head`` cannot run on SQLite (migration 002
    alters constraints), so the tables come from the models, as in Mistral's
    own unit tests; stamping head keeps ``mistral-db-manage`` usable on it.
    """
    from alembic import config as alembic_config
    from alembic.runtime import migration
    from alembic import script

    from mistral.db.sqlalchemy import base as db_base
    from mistral.db.v2 import api as db_api
    from mistral.services import action_manager
    from mistral.services import workflows

    db_api.setup_db()

    alembic_cfg = alembic_config.Config()
    alembic_cfg.set_main_option(
        'script_location',
        'mistral.db.sqlalchemy.migration:alembic_migrations')
    scripts = script.ScriptDirectory.from_config(alembic_cfg)
    with db_base.get_engine().begin() as connection:
        migration.MigrationContext.configure(connection).stamp(
            scripts, 'head')

    # What ``mistral-db-manage populate`` does.
    action_manager.sync_db()
    workflows.sync_db()


def start_engine():
    from mistral.engine import engine_server
    from mistral.services import actions as action_service

    # Build the action provider (with mistral-extra's generated actions)
    # now rather than during the first workflow run.
    action_service.get_system_action_provider()
    engine = engine_server.get_oslo_service(setup_profiler=False)
    engine.start()
    engine.wait_started()
    return engine


def start_api():
    from mistral.api import service as api_service

    api = api_service.WSGIService('mistral_api')
    api.start()
    return api


def main(argv=None):
    args = launch_support.arg_parser(__doc__.splitlines()[0]).parse_args(
        argv)

    from mistral import config
    from mistral.rpc import base as rpc

    config.parse_args(['--config-file', args.config_file])
    logging.setup(cfg.CONF, 'Mistral')
    rpc.get_transport()

    build_schema()
    engine = start_engine()
    api = start_api()

    port = api.server.bind_addr[1]
    LOG.info('Mistral API listening on http://%s:%d', cfg.CONF.api.host, port)
    launch_support.write_port(args.port_file, port)
    launch_support.serve_until_stopped([api.stop, engine.stop], LOG,
                                       parent_pid=args.parent_pid)


if __name__ == '__main__':
    launch_support.run(main)
