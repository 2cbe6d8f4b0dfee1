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

"""One-time and idempotent setup steps: databases, catalog, cells, flavors.

Everything here may run again on a half-set-up lab and converge.
"""

import os
import pathlib
import subprocess
import tempfile
import time

from selfheal.lab import cloud
from selfheal.lab import layout
from selfheal.lab import procs


class LabError(Exception):
    """An operator-facing failure; the CLI prints it without a traceback."""


def run(lab, argv, log_name, ok_codes=(0,), env=None):
    """Run a setup command, its output appended to the service's log."""
    with open(lab.log(log_name), 'ab') as log:
        log.write(('\n==== setup: %s\n' % ' '.join(map(str, argv))).encode())
        log.flush()
        try:
            code = subprocess.call([str(a) for a in argv], stdout=log,
                                   stderr=subprocess.STDOUT,
                                   stdin=subprocess.DEVNULL, env=env,
                                   cwd=lab.state)
        except FileNotFoundError:
            raise LabError('%s: %s not found; run `selfheal lab install`'
                           % (log_name, argv[0]))
    if code not in ok_codes:
        raise LabError('%s: setup command failed (exit %d): %s\n%s' % (
            log_name, code, ' '.join(map(str, argv)),
            procs.tail(lab.log(log_name))))


# -- MariaDB ---------------------------------------------------------------

def init_mariadb(lab):
    datadir = lab.data / 'mysql'
    if (datadir / 'mysql').is_dir():
        return
    run(lab, ['mariadb-install-db',
              '--defaults-file=%s' % (lab.etc / 'my.cnf'),
              '--auth-root-authentication-method=socket',
              '--skip-test-db'], 'mariadb')


def create_databases(lab):
    sql = ["CREATE USER IF NOT EXISTS 'os'@'%s' IDENTIFIED BY '%s'"
           % (layout.HOST, layout.PASSWORD)]
    for db in layout.DATABASES:
        sql.append('CREATE DATABASE IF NOT EXISTS %s CHARACTER SET utf8'
                   % db)
        sql.append("GRANT ALL PRIVILEGES ON %s.* TO 'os'@'%s'"
                   % (db, layout.HOST))
    run(lab, ['mariadb', '--defaults-file=%s' % (lab.etc / 'my.cnf'),
              '-u', 'root', '-e', ';\n'.join(sql)], 'mariadb')


def forget_vitrage_graph_snapshot(lab):
    """vitrage-graph starts from its datasources, not from a stored graph.

    Vitrage 15 restores a stored graph snapshot and replays events, but
    not the undo of actions: a host a template set ERROR, and that came back
    since, is ERROR again after a restart, and the next evacuation template
    loaded fences and evacuates a healthy host. Alarm history is kept.
    """
    run(lab, ['mariadb', '--defaults-file=%s' % (lab.etc / 'my.cnf'),
              '-u', 'root', 'vitrage', '-e',
              'DELETE FROM graph_snapshots'], 'vitrage-graph')


NOVA_FAKE_DRIVER = pathlib.Path(__file__).parent / 'nova_driver' / (
    'selfheal_lab_fake_driver.py')


def install_nova_fake_driver(lab):
    """Put the lab's virt driver in nova.virt, where Nova 34 loads drivers.

    As out-of-tree drivers install themselves; rewritten only when changed.
    """
    text = NOVA_FAKE_DRIVER.read_bytes()
    for virt in lab.services_venv.glob('lib/python3*/site-packages/nova/virt'):
        dest = virt / NOVA_FAKE_DRIVER.name
        if dest.exists() and dest.read_bytes() == text:
            continue
        # Both computes may start at once: never expose a partial file.
        fd, partial = tempfile.mkstemp(dir=virt, suffix='.tmp')
        with os.fdopen(fd, 'wb') as f:
            f.write(text)
        os.chmod(partial, 0o644)
        os.replace(partial, dest)


# -- Keystone catalog --------------------------------------------------------

SERVICE_USERS = ('placement', 'glance', 'neutron', 'nova', 'heat', 'mistral',
                 'vitrage')

# (name, type, port service, path)
CATALOG = (
    ('placement', 'placement', 'placement', ''),
    ('glance', 'image', 'glance', ''),
    ('neutron', 'network', 'neutron', ''),
    ('nova', 'compute', 'nova-api', '/v2.1'),
    ('heat', 'orchestration', 'heat-api', '/v1/%(tenant_id)s'),
    ('mistral', 'workflowv2', 'mistral', '/v2'),
    ('vitrage', 'rca', 'vitrage-api', ''),
)
INTERFACES = ('public', 'internal', 'admin')


class _Identity:
    """Create-if-missing on Keystone's v3 API.

    One listing per collection, then only the calls that change something.
    """

    def __init__(self, session):
        self.session = session
        self.filter = {'service_type': 'identity', 'interface': 'public'}
        self._lists = {}
        self._granted = None

    def _call(self, method, path, **kw):
        # The catalog's identity URL ends in /v3.
        return self.session.request(path, method,
                                    endpoint_filter=self.filter, **kw)

    def _list(self, collection):
        if collection not in self._lists:
            self._lists[collection] = self._call(
                'GET', '/' + collection).json()[collection]
        return self._lists[collection]

    def ensure(self, collection, body, **match):
        for item in self._list(collection):
            if all(item.get(k) == v for k, v in match.items()):
                return item['id']
        key = collection[:-1]
        item = self._call('POST', '/' + collection,
                          json={key: body}).json()[key]
        self._lists[collection].append(item)
        return item['id']

    def grant(self, role, user, project=None, domain=None):
        if self._granted is None:
            self._granted = {
                (a['role']['id'], a['user']['id'],
                 a['scope'].get('project', {}).get('id'),
                 a['scope'].get('domain', {}).get('id'))
                for a in self._call('GET', '/role_assignments').json()[
                    'role_assignments'] if 'user' in a}
        if (role, user, project, domain) in self._granted:
            return
        scope = ('/projects/%s' % project) if project else (
            '/domains/%s' % domain)
        self._call('PUT', '%s/users/%s/roles/%s' % (scope, user, role))

    def ensure_endpoint(self, service_id, interface, url):
        for ep in self._list('endpoints'):
            if ep['service_id'] == service_id and \
                    ep['interface'] == interface:
                if ep['url'] != url:
                    self._call('PATCH', '/endpoints/%s' % ep['id'],
                               json={'endpoint': {'url': url}})
                return
        self._call('POST', '/endpoints', json={'endpoint': {
            'service_id': service_id, 'interface': interface, 'url': url,
            'region_id': layout.REGION}})


def create_catalog(lab):
    """Projects, users, roles, the heat domain, services and endpoints."""
    ks = _Identity(cloud.admin_session(lab))
    default = 'default'
    roles = {name: ks.ensure('roles', {'name': name}, name=name)
             for name in ('admin', 'member', 'reader', 'service',
                          'heat_stack_user')}
    projects = {name: ks.ensure('projects', {
        'name': name, 'domain_id': default}, name=name, domain_id=default)
        for name in ('service', 'demo')}
    for name in SERVICE_USERS:
        user = ks.ensure('users', {'name': name, 'domain_id': default,
                                   'password': layout.PASSWORD},
                         name=name, domain_id=default)
        for role in ('admin', 'service'):
            ks.grant(roles[role], user, project=projects['service'])
    demo = ks.ensure('users', {'name': 'demo', 'domain_id': default,
                               'password': layout.PASSWORD},
                     name='demo', domain_id=default)
    for role in ('member', 'reader'):
        ks.grant(roles[role], demo, project=projects['demo'])
    # Heat's stack domain: users Heat creates for in-instance signals.
    heat_domain = ks.ensure('domains', {
        'name': 'heat', 'description': 'Stack projects and users'},
        name='heat')
    domain_admin = ks.ensure('users', {
        'name': 'heat_domain_admin', 'domain_id': heat_domain,
        'password': layout.PASSWORD}, name='heat_domain_admin',
        domain_id=heat_domain)
    ks.grant(roles['admin'], domain_admin, domain=heat_domain)
    for name, stype, port_name, path in CATALOG:
        service = ks.ensure('services', {'name': name, 'type': stype},
                            type=stype)
        for interface in INTERFACES:
            ks.ensure_endpoint(service, interface, lab.url(port_name, path))
    # Tokens issued before now carry the old catalog.
    cloud.forget_sessions()


# -- Nova -------------------------------------------------------------------

def prepare_nova(lab, manage):
    conf = ['--config-file', lab.etc / 'nova' / 'nova.conf']
    run(lab, [manage, *conf, 'api_db', 'sync'], 'nova-api')
    run(lab, [manage, *conf, 'cell_v2', 'map_cell0', '--database_connection',
              lab.db_url('nova_cell0')], 'nova-api')
    # Exit 2: a cell with this transport and database exists already.
    run(lab, [manage, *conf, 'cell_v2', 'create_cell', '--name', 'cell1'],
        'nova-api', ok_codes=(0, 2))
    run(lab, [manage, *conf, 'db', 'sync'], 'nova-api')


def discover_hosts(lab, manage, timeout=90):
    """Map every compute host into cell1; retry until all are mapped."""
    conf = ['--config-file', lab.etc / 'nova' / 'nova.conf']
    deadline = time.monotonic() + timeout
    while True:
        run(lab, [manage, *conf, 'cell_v2', 'discover_hosts'], 'nova-api')
        listed = subprocess.run(
            [str(a) for a in (manage, *conf, 'cell_v2', 'list_hosts')],
            stdout=subprocess.PIPE, stderr=subprocess.DEVNULL,
            cwd=lab.state).stdout.decode()
        unmapped = [h for h in layout.COMPUTE_HOSTS
                    if ' %s ' % h not in listed]
        if not unmapped:
            return
        if time.monotonic() > deadline:
            raise LabError('hosts: %s not mapped to cell1 after %d s'
                           % (', '.join(unmapped), timeout))
        time.sleep(2)


# -- Flavors and the image ------------------------------------------------

FLAVORS = (
    # name, vcpus, ram MiB, disk GiB
    ('m1.tiny', 1, 512, 1),
    ('m1.small', 1, 2048, 20),
)
IMAGE = 'selfheal-tiny'


def create_flavors_and_image(lab):
    sess = cloud.admin_session(lab)
    compute = {'service_type': 'compute', 'interface': 'public'}
    existing = {f['name'] for f in sess.get(
        '/flavors?is_public=None', endpoint_filter=compute).json()['flavors']}
    for name, vcpus, ram, disk in FLAVORS:
        if name not in existing:
            sess.post('/flavors', endpoint_filter=compute, json={'flavor': {
                'name': name, 'vcpus': vcpus, 'ram': ram, 'disk': disk}})
    image = {'service_type': 'image', 'interface': 'public'}
    found = sess.get('/v2/images?name=%s' % IMAGE,
                     endpoint_filter=image).json()['images']
    if found and found[0]['status'] == 'active':
        return
    for stale in found:
        sess.delete('/v2/images/%s' % stale['id'], endpoint_filter=image)
    created = sess.post('/v2/images', endpoint_filter=image, json={
        'name': IMAGE, 'disk_format': 'raw', 'container_format': 'bare',
        'visibility': 'public'}).json()
    # The fake virt driver never reads it: a few bytes are a whole image.
    sess.put('/v2/images/%s/file' % created['id'], endpoint_filter=image,
             data=b'selfheal lab image\n' * 8,
             headers={'Content-Type': 'application/octet-stream'})
