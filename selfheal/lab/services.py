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

"""The lab as data: the configs it renders and the services it runs.

``up`` walks :func:`table` in dependency order (``after``), ``down`` walks it
backwards. A :class:`Service` is a long-running process with a PID file; a
:class:`Task` is a setup step run between them.
"""

import dataclasses
import functools
import hashlib
import os
import pathlib
import shutil
import signal
import typing

from selfheal.lab import bootstrap
from selfheal.lab import cloud
from selfheal.lab import health
from selfheal.lab import layout

PORTS = layout.PORTS


@dataclasses.dataclass(frozen=True)
class Service:
    name: str
    argv: tuple
    health: typing.Callable
    after: tuple = ()
    port: typing.Optional[int] = None
    env: tuple = ()                    # extra (name, value) pairs
    prepare: typing.Optional[typing.Callable] = None  # once, before start
    stop_signal: int = signal.SIGTERM
    stop_timeout: float = 20.0
    start_timeout: float = 240.0
    # Starts tried when the process exits before it is healthy.
    start_attempts: int = 1
    before_start: typing.Optional[typing.Callable] = None  # every start


@dataclasses.dataclass(frozen=True)
class Task:
    name: str
    run: typing.Callable               # run(lab)
    after: tuple = ()
    once: bool = False                 # stamped: skipped once it succeeded


# (template, destination under the state's etc/, extra context)
def configs(lab):
    rendered = [
        ('my.cnf.j2', 'my.cnf', {}),
        ('rabbitmq.conf.j2', 'rabbitmq/rabbitmq.conf', {}),
        ('rabbitmq-env.conf.j2', 'rabbitmq/rabbitmq-env.conf', {}),
        ('keystone.conf.j2', 'keystone/keystone.conf', {}),
        ('placement.conf.j2', 'placement/placement.conf', {}),
        ('glance-api.conf.j2', 'glance/glance-api.conf', {}),
        ('neutron.conf.j2', 'neutron/neutron.conf', {}),
        ('ml2_conf.ini.j2', 'neutron/ml2_conf.ini', {}),
        ('nova.conf.j2', 'nova/nova.conf', {}),
        ('heat.conf.j2', 'heat/heat.conf', {}),
        ('mistral.conf.j2', 'mistral/mistral.conf', {}),
        ('vitrage.conf.j2', 'vitrage/vitrage.conf', {}),
        ('vitrage-persistor.conf.j2', 'vitrage/persistor.conf', {}),
        ('vitrage-policy.yaml.j2', 'vitrage/policy.yaml', {}),
    ]
    for host in layout.COMPUTE_HOSTS:
        rendered.append(('nova-compute.conf.j2', 'nova/%s.conf' % host,
                         {'compute_host': host}))
    return rendered


def context(lab, plugin_dir):
    return {
        'lab': lab,
        'host': layout.HOST,
        'ports': PORTS,
        'region': layout.REGION,
        'password': layout.PASSWORD,
        'url': lab.url,
        'venv': lab.services_venv,
        'vitrage_etc': lab.vitrage_etc,
        'plugin_dir': plugin_dir,
        'plugins_digest': _digest_sources(plugin_dir),
        'transport_url': 'rabbit://guest:guest@%s:%d/' % (
            layout.HOST, PORTS['rabbitmq']),
    }


def _digest_sources(directory):
    """A digest of the Python sources under directory ('' if none)."""
    digest = hashlib.sha256()
    for path in sorted(pathlib.Path(directory).rglob('*.py')):
        digest.update(str(path).encode() + b'\0' + path.read_bytes())
    return digest.hexdigest()[:16]


def _uwsgi(venv, port, *app):
    return (
        venv / 'bin' / 'uwsgi',
        '--http-socket', '%s:%d' % (layout.HOST, port),
        '--master', '--processes', '1', '--threads', '2', '--enable-threads',
        '--die-on-term', '--need-app', '--buffer-size', '65535',
        # The worker loads the app itself: forked from a master that had
        # loaded it, it inherited the locks (the GIL too) of the master's
        # RPC and heartbeat threads, and nova-api once never answered.
        '--lazy-apps',
        # uwsgi drops keep-alive connections: clients see ECONNRESET.
        '--add-header', 'Connection: close',
        '--home', venv, *app)


def _once(lab, argvs, log_name):
    for argv in argvs:
        bootstrap.run(lab, argv, log_name)


def table(lab):
    """Every service and setup task of the lab, in a valid start order."""
    venv = lab.services_venv
    vvenv = lab.vitrage_venv
    bin_ = venv / 'bin'
    etc = lab.etc
    nova_conf = ('--config-file', etc / 'nova' / 'nova.conf')
    heat_conf = ('--config-file', etc / 'heat' / 'heat.conf')
    mistral_conf = ('--config-file', etc / 'mistral' / 'mistral.conf')
    vitrage_conf = ('--config-file', etc / 'vitrage' / 'vitrage.conf')
    neutron_confs = ('--config-file', etc / 'neutron' / 'neutron.conf',
                     '--config-file', etc / 'neutron' / 'ml2_conf.ini')
    keystone_manage = (bin_ / 'keystone-manage', '--config-file',
                       etc / 'keystone' / 'keystone.conf')
    p = functools.partial
    items = [
        # -- infrastructure
        Service('mariadb',
                ('mariadbd', '--defaults-file=%s' % (etc / 'my.cnf')),
                health.Tcp(PORTS['mariadb']), port=PORTS['mariadb'],
                prepare=bootstrap.init_mariadb, stop_timeout=60),
        Task('databases', bootstrap.create_databases, after=('mariadb',)),
        Service('epmd', ('epmd', '-address', layout.HOST,
                         '-port', PORTS['epmd']),
                health.Tcp(PORTS['epmd']), port=PORTS['epmd']),
        Service('rabbitmq', ('/usr/lib/rabbitmq/bin/rabbitmq-server',),
                health.Tcp(PORTS['rabbitmq']), after=('epmd',),
                port=PORTS['rabbitmq'], env=(
                    ('RABBITMQ_CONF_ENV_FILE',
                     etc / 'rabbitmq' / 'rabbitmq-env.conf'),
                    ('HOME', lab.data / 'rabbitmq'),
                    ('ERL_EPMD_PORT', PORTS['epmd']),
                    ('ERL_EPMD_ADDRESS', layout.HOST)),
                stop_timeout=30),
        # -- identity
        Service('keystone', _uwsgi(venv, PORTS['keystone'], '--module',
                                   'keystone.wsgi.api:application'),
                health.Http(PORTS['keystone'], '/v3'), after=('databases',),
                port=PORTS['keystone'],
                env=(('OS_KEYSTONE_CONFIG_DIR', etc / 'keystone'),),
                prepare=p(_once, argvs=[
                    keystone_manage + ('db_sync',),
                    keystone_manage + ('fernet_setup', '--keystone-user',
                                       'root', '--keystone-group', 'root'),
                    keystone_manage + ('credential_setup', '--keystone-user',
                                       'root', '--keystone-group', 'root'),
                    keystone_manage + (
                        'bootstrap', '--bootstrap-password', layout.PASSWORD,
                        '--bootstrap-region-id', layout.REGION,
                        '--bootstrap-admin-url', lab.url('keystone', '/v3'),
                        '--bootstrap-internal-url', lab.url('keystone', '/v3'),
                        '--bootstrap-public-url', lab.url('keystone', '/v3')),
                ], log_name='keystone')),
        Task('catalog', bootstrap.create_catalog, after=('keystone',),
             once=True),
        # -- placement, image, network
        Service('placement', _uwsgi(venv, PORTS['placement'], '--module',
                                    'placement.wsgi.api:application'),
                health.Http(PORTS['placement']), after=('databases',),
                port=PORTS['placement'],
                env=(('OS_PLACEMENT_CONFIG_DIR', etc / 'placement'),),
                prepare=p(_once, argvs=[
                    (bin_ / 'placement-manage', '--config-file',
                     etc / 'placement' / 'placement.conf', 'db', 'sync')],
                    log_name='placement')),
        Service('glance', _uwsgi(venv, PORTS['glance'], '--module',
                                 'glance.wsgi.api:application'),
                health.Http(PORTS['glance'], '/versions'),
                after=('databases',), port=PORTS['glance'],
                env=(('OS_GLANCE_CONFIG_DIR', etc / 'glance'),),
                prepare=p(_once, argvs=[
                    (bin_ / 'glance-manage', '--config-file',
                     etc / 'glance' / 'glance-api.conf', 'db_sync')],
                    log_name='glance')),
        Service('neutron', _uwsgi(venv, PORTS['neutron'], '--module',
                                  'neutron.wsgi.api:application'),
                # Also the warm-up: until a network listing has run, port
                # listings fail ("Port has no attribute port_forwardings"),
                # and nova's GET server with them.
                health.Api('network', '/v2.0/networks'),
                after=('databases', 'rabbitmq'), port=PORTS['neutron'],
                env=(('OS_NEUTRON_CONFIG_DIR', etc / 'neutron'),
                     ('OS_NEUTRON_CONFIG_FILES', 'neutron.conf;ml2_conf.ini')),
                prepare=p(_once, argvs=[
                    (bin_ / 'neutron-db-manage', *neutron_confs,
                     'upgrade', 'heads')], log_name='neutron')),
        # -- compute
        Service('nova-api', _uwsgi(venv, PORTS['nova-api'], '--module',
                                   'nova.wsgi.osapi_compute:application'),
                health.Http(PORTS['nova-api']),
                after=('databases', 'rabbitmq'), port=PORTS['nova-api'],
                # Reads api-paste.ini and nova.conf there.
                env=(('OS_NOVA_CONFIG_DIR', etc / 'nova'),),
                prepare=p(bootstrap.prepare_nova,
                          manage=bin_ / 'nova-manage'),
                # Ignores SIGTERM for over 10 s.
                stop_signal=signal.SIGKILL),
        Service('nova-conductor', (bin_ / 'nova-conductor', *nova_conf),
                health.alive, after=('nova-api',),
                stop_signal=signal.SIGKILL),
        Service('nova-scheduler', (bin_ / 'nova-scheduler', *nova_conf),
                health.alive, after=('nova-api', 'placement'),
                stop_signal=signal.SIGKILL),
    ]
    computes = []
    for host in layout.COMPUTE_HOSTS:
        name = 'nova-compute-' + host
        computes.append(name)
        items.append(Service(
            name, (bin_ / 'nova-compute', *nova_conf, '--config-file',
                   etc / 'nova' / ('%s.conf' % host)),
            health.ComputeUp(host),
            after=('nova-conductor', 'nova-scheduler', 'placement', 'neutron',
                   'glance', 'catalog'),
            before_start=bootstrap.install_nova_fake_driver,
            stop_signal=signal.SIGKILL,
            # nova-compute's start-up threads race on oslo.config option
            # registration ("dictionary changed size during iteration").
            start_attempts=2))
    items += [
        # Host mappings persist in the API database: once is enough.
        Task('hosts', p(bootstrap.discover_hosts, manage=bin_ / 'nova-manage'),
             after=tuple(computes), once=True),
        Task('flavors-and-image', bootstrap.create_flavors_and_image,
             after=('nova-api', 'glance', 'catalog'), once=True),
        # -- orchestration
        Service('heat-engine', (bin_ / 'heat-engine', *heat_conf),
                health.alive, after=('databases', 'rabbitmq', 'catalog'),
                prepare=p(_once, argvs=[
                    (bin_ / 'heat-manage', *heat_conf, 'db_sync')],
                    log_name='heat-engine')),
        Service('heat-api', _uwsgi(venv, PORTS['heat-api'], '--module',
                                   'heat.wsgi.api:application', '--pyargv',
                                   ' '.join(map(str, heat_conf))),
                # Lists engines over RPC: proves the engine answers too.
                health.Api('orchestration', '/services'),
                after=('heat-engine',), port=PORTS['heat-api']),
        # -- workflows
        Service('mistral', (bin_ / 'mistral-server', '--server', 'api,engine',
                            *mistral_conf),
                # Through its database: a worker forked while the master
                # held Mistral's global tx_lock never answers one again.
                health.Api('workflowv2', '/workflows?limit=1'),
                after=('databases', 'rabbitmq', 'catalog'),
                start_timeout=90.0, start_attempts=3,
                port=PORTS['mistral'],
                prepare=p(_once, argvs=[
                    (bin_ / 'mistral-db-manage', *mistral_conf,
                     'upgrade', 'head'),
                    (bin_ / 'mistral-db-manage', *mistral_conf, 'populate')],
                    log_name='mistral'),
                # The master process hangs on SIGTERM.
                stop_signal=signal.SIGKILL),
        # -- root cause analysis: after the hosts exist, the graph's first
        # snapshot holds them.
        Service('vitrage-graph', (vvenv / 'bin' / 'vitrage-graph',
                                  *vitrage_conf),
                health.alive, after=('hosts', 'rabbitmq', 'databases'),
                prepare=p(_once, argvs=[
                    (vvenv / 'bin' / 'vitrage-dbsync', *vitrage_conf)],
                    log_name='vitrage-graph'),
                before_start=bootstrap.forget_vitrage_graph_snapshot,
                stop_signal=signal.SIGKILL),
        Service('vitrage-notifier', (
            vvenv / 'bin' / 'python',
            lab_file('vitrage_notifier.py'), *vitrage_conf),
            health.alive, after=('vitrage-graph', 'mistral'),
            env=(('SELFHEAL_LAB_MISTRAL_URL', lab.url('mistral', '/v2')),),
            # Hangs on SIGTERM.
            stop_signal=signal.SIGKILL),
        Service('vitrage-persistor', (vvenv / 'bin' / 'vitrage-persistor',
                                      *vitrage_conf, '--config-file',
                                      etc / 'vitrage' / 'persistor.conf'),
                health.alive, after=('vitrage-graph',),
                stop_signal=signal.SIGKILL),
        Service('vitrage-api', _uwsgi(
            vvenv, PORTS['vitrage-api'], '--wsgi-file',
            _vitrage_wsgi(vvenv)),
            # Answers only once the graph answers over RPC.
            health.Api('rca', '/v1/resources/'),
            after=('vitrage-graph', 'catalog'), port=PORTS['vitrage-api'],
            # vitrage's app.wsgi reads ~/vitrage.conf (it ignores argv).
            env=(('HOME', etc / 'vitrage'),)),
        Task('clouds.yaml', cloud.write_clouds_yaml, after=('catalog',)),
    ]
    return items


def lab_file(name):
    return os.path.join(os.path.dirname(os.path.abspath(__file__)), name)


def _vitrage_wsgi(vvenv):
    found = sorted(vvenv.glob('lib/python3*/site-packages/vitrage/api/'
                              'app.wsgi'))
    return found[0] if found else vvenv / 'vitrage-api-app.wsgi-missing'


def service_names(lab):
    return [i.name for i in table(lab) if isinstance(i, Service)]


def by_name(lab):
    return {i.name: i for i in table(lab)}


def missing_programs(lab):
    """Programs the table runs that are not installed."""
    missing = []
    for item in table(lab):
        if isinstance(item, Service):
            program = str(item.argv[0])
            if not (os.path.exists(program) or shutil.which(program)):
                missing.append('%s (%s)' % (program, item.name))
    return missing
