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

"""Run a real Heat API and heat-engine in one process (test only).

Heat 25+ has no ``heat-all``, and the ``fake:/`` transport only reaches
inside one process, so the functional tests serve Heat's WSGI API (stock
api-paste.ini, noauth flavour) with cheroot next to an EngineService here.

    python heat_threads.py --config-file heat.conf --port-file PATH \
        [--endpoint workflowv2=http://127.0.0.1:PORT/v2 ...]

The API binds 127.0.0.1 on a free port, written to PATH once the engine runs
and the API serves.
The noauth token (``[noauth] token_response``) is written next to the config
file: user and project ``admin`` with role ``admin``, and a catalog holding
this Heat and each ``--endpoint``. SIGTERM stops the services and exits.
"""

from oslo_service import backend
backend.init_backend(backend.BackendType.THREADING)

import json
import os
import threading

from cheroot import wsgi as cheroot_wsgi
from oslo_config import cfg
from oslo_log import log as logging

import launch_support
from sqlite_safety import use_sqlite_safely

CONF = cfg.CONF
LOG = logging.getLogger('heat_threads')
HOST = '127.0.0.1'


def parse_args(argv):
    parser = launch_support.arg_parser(__doc__.splitlines()[0])
    parser.add_argument('--endpoint', action='append', default=[],
                        metavar='SERVICE_TYPE=URL',
                        help='catalog entry for the noauth token')
    args = parser.parse_args(argv)
    args.endpoints = dict(e.split('=', 1) for e in args.endpoint)
    return args


def token_body(endpoints):
    """A Keystone v3 token body like the one noauth hands to every request."""
    def service(service_type, url):
        return {
            'type': service_type, 'name': service_type, 'id': service_type,
            'endpoints': [
                {'url': url, 'interface': interface, 'region': 'RegionOne',
                 'region_id': 'RegionOne', 'id': service_type + interface}
                for interface in ('public', 'internal', 'admin')]}

    admin = {'id': 'admin', 'name': 'admin',
             'domain': {'id': 'default', 'name': 'Default'}}
    return {'token': {
        'methods': ['password'], 'is_domain': False,
        'roles': [{'id': 'admin', 'name': 'admin'}],
        'project': admin, 'user': admin,
        'issued_at': '2024-01-01T00:00:00.000000Z',
        'expires_at': '2099-12-31T23:59:59.000000Z',
        'audit_ids': ['functional-noauth'],
        'catalog': [service(t, url) for t, url in sorted(endpoints.items())],
    }}


def build_schema():
    """Heat's schema from its models (as heat.tests does), stamped at head.

    On SQLite the integer ids get AUTOINCREMENT: without it SQLite reuses
    the id of a just-deleted row, and a stack update then fails looking up
    a resource_properties_data row that was replaced under the same id.
    """
    from alembic import config as alembic_config
    from alembic.runtime import migration
    from alembic import script

    import heat.db
    from heat.db import api as db_api
    from heat.db import models

    engine = db_api.get_engine()
    if engine.url.get_backend_name() == 'sqlite':
        use_sqlite_safely(engine)
        for table in models.BASE.metadata.tables.values():
            if table.autoincrement_column is not None:
                table.dialect_kwargs['sqlite_autoincrement'] = True
    models.BASE.metadata.create_all(engine)

    alembic_cfg = alembic_config.Config()
    alembic_cfg.set_main_option(
        'script_location',
        os.path.join(os.path.dirname(heat.db.__file__), 'migrations'))
    scripts = script.ScriptDirectory.from_config(alembic_cfg)
    with engine.begin() as connection:
        migration.MigrationContext.configure(connection).stamp(
            scripts, 'head')


def bind_api():
    """Listen now, so the port is known before the app and token exist."""
    server = cheroot_wsgi.Server(bind_addr=(HOST, 0), wsgi_app=None,
                                 server_name='heat-api-functional')
    server.prepare()
    return server


def start_engine():
    from heat.common import config
    from heat.engine import service as engine_service  # before sanity check
    from heat.rpc import api as rpc_api

    config.startup_sanity_check()
    engine = engine_service.EngineService(CONF.host, rpc_api.ENGINE_TOPIC)
    engine.start()
    return engine


def main(argv=None):
    args = parse_args(argv)

    import oslo_i18n
    oslo_i18n.enable_lazy()
    from heat.common import config
    from heat.common import messaging
    from heat import version

    logging.register_options(CONF)
    CONF(['--config-file', args.config_file], project='heat',
         prog='heat-api', version=version.version_info.version_string())
    logging.setup(CONF, 'heat-api')
    config.set_config_defaults()
    messaging.setup()

    server = bind_api()
    port = server.bind_addr[1]
    heat_url = 'http://%s:%d' % (HOST, port)

    token_file = os.path.join(os.path.dirname(
        os.path.abspath(args.config_file)), 'token.json')
    endpoints = dict(args.endpoints, orchestration=heat_url + '/v1/admin')
    with open(token_file, 'w') as f:
        json.dump(token_body(endpoints), f, indent=1)
    CONF.set_override('token_response', token_file, group='noauth')
    CONF.set_override('heat_metadata_server_url', heat_url + '/')

    build_schema()
    engine = start_engine()

    server.wsgi_app = config.load_paste_app()
    threading.Thread(target=server.serve, daemon=True).start()

    LOG.info('Heat API listening on %s', heat_url)
    launch_support.write_port(args.port_file, port)
    launch_support.serve_until_stopped([server.stop, engine.stop], LOG,
                                       parent_pid=args.parent_pid)


if __name__ == '__main__':
    launch_support.run(main)
