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

"""Write the tempest.conf the self-healing tests need, from clouds.yaml.

Any cloud::

    python -m heat_tempest_plugin_ext.tools.tempest_conf \\
        --admin-cloud mycloud-admin --user-cloud mycloud-demo \\
        --compute-hosts node7,node8 --image cirros --flavor m1.tiny \\
        -o etc/tempest.conf

The selfheal lab (cloud names and clouds.yaml from ``selfheal lab env``)::

    python -m heat_tempest_plugin_ext.tools.tempest_conf --lab \\
        -o etc/tempest.conf

[service_available] follows the Keystone catalog. An existing output file
(``tempest init`` writes one) keeps its other sections.
"""

import argparse
import configparser
import io
import os
import re
import subprocess
import sys

SERVICE_TYPES = {
    # [service_available] option: catalog type
    'heat': 'orchestration',
    'nova': 'compute',
    'glance': 'image',
    'neutron': 'network',
    'vitrage': 'rca',
    'mistral': 'workflowv2',
}


class ConfError(Exception):
    pass


def parse_lab_env(text):
    """(admin cloud, user cloud, clouds.yaml) from ``selfheal lab env``."""
    clouds = re.search(r'^clouds:\s+(\S+) \(admin\), (\S+) \(', text, re.M)
    path = re.search(r'^clouds\.yaml:\s+(\S+)(?: \(also (\S+)\))?', text,
                     re.M)
    if not (clouds and path):
        raise ConfError('cannot read the cloud names and clouds.yaml from '
                        '`selfheal lab env`:\n%s' % text)
    # The lab's own copy holds only the lab's clouds.
    return clouds.group(1), clouds.group(2), path.group(2) or path.group(1)


def lab_env():
    proc = subprocess.run([sys.executable, '-m', 'selfheal.cli', 'lab', 'env'],
                          stdout=subprocess.PIPE, stderr=subprocess.STDOUT,
                          text=True)
    if proc.returncode:
        raise ConfError('`selfheal lab env` failed (exit %d):\n%s'
                        % (proc.returncode, proc.stdout))
    return proc.stdout


def lab_defaults():
    """Hosts, image and flavor the lab creates."""
    from selfheal.lab import bootstrap
    from selfheal.lab import layout
    return list(layout.COMPUTE_HOSTS), bootstrap.IMAGE, bootstrap.FLAVORS[0][0]


class Cloud(object):
    """One clouds.yaml entry, with a Keystone session."""

    def __init__(self, clouds_yaml, name):
        from openstack import config as os_config
        loader = os_config.OpenStackConfig(
            config_files=[clouds_yaml] if clouds_yaml else None)
        try:
            self.config = loader.get_one(cloud=name)
        except Exception as e:  # openstacksdk raises several kinds
            raise ConfError('cloud %r from %s: %s'
                            % (name, clouds_yaml or 'clouds.yaml', e))
        self.name = name
        self.auth = self.config.config['auth']
        self.region = self.config.get_region_name() or ''
        self.interface = self.config.get_interface() or 'public'

    def credentials(self):
        auth = self.auth
        for key in ('auth_url', 'username', 'password', 'project_name'):
            if not auth.get(key):
                raise ConfError('cloud %s: auth.%s is missing; tempest needs '
                                'password authentication' % (self.name, key))
        return auth

    def session(self):
        return self.config.get_session()

    def catalog_types(self):
        access = self.session().auth.get_access(self.session())
        return {s['type'] for s in access.service_catalog.catalog}


def render(admin, user, catalog, hosts, image, flavor, network=None,
           base=None):
    """The tempest.conf text: base's sections plus ours."""
    conf = configparser.ConfigParser(interpolation=None)
    if base:
        conf.read_string(base)
    a, u = admin.credentials(), user.credentials()

    def section(name, values):
        if not conf.has_section(name):
            conf.add_section(name)
        for key, value in values.items():
            conf.set(name, key, str(value))

    section('auth', {
        'admin_username': a['username'],
        'admin_password': a['password'],
        'admin_project_name': a['project_name'],
        'admin_domain_name': a.get('user_domain_name') or 'Default',
    })
    section('identity', {
        'uri_v3': a['auth_url'],
        'auth_version': 'v3',
        'region': admin.region,
        'v3_endpoint_type': admin.interface,
    })
    section('service_available', {
        option: str(stype in catalog).lower()
        for option, stype in SERVICE_TYPES.items()})
    section('heat_plugin', {
        'auth_url': a['auth_url'],
        'username': u['username'],
        'password': u['password'],
        'project_name': u['project_name'],
        'admin_username': a['username'],
        'admin_password': a['password'],
        'admin_project_name': a['project_name'],
        'user_domain_name': u.get('user_domain_name') or 'Default',
        'project_domain_name': u.get('project_domain_name') or 'Default',
        'region': user.region,
        'endpoint_type': user.interface,
        'minimal_image_ref': image,
        'minimal_instance_type': flavor,
        'image_ref': image,
        'instance_type': flavor,
        'build_timeout': 600,
        'build_interval': 2,
    })
    values = {'compute_hosts': ','.join(hosts), 'image_ref': image,
              'flavor_ref': flavor}
    if network:
        values['network'] = network
    section('selfhealing', values)
    out = io.StringIO()
    conf.write(out)
    return out.getvalue()


def write(path, text):
    os.makedirs(os.path.dirname(os.path.abspath(path)), exist_ok=True)
    fd = os.open(path + '.tmp', os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    with os.fdopen(fd, 'w') as f:
        f.write(text)
    os.replace(path + '.tmp', path)


def build_parser():
    parser = argparse.ArgumentParser(
        prog='python -m heat_tempest_plugin_ext.tools.tempest_conf',
        description='Write a tempest.conf for the heat-selfhealing tests.')
    parser.add_argument('--lab', action='store_true',
                        help='the selfheal lab: clouds from `selfheal lab '
                             'env`, its hosts, image and flavor')
    parser.add_argument('--clouds-yaml',
                        help='clouds.yaml to read (default: the usual '
                             'search path)')
    parser.add_argument('--admin-cloud', help='clouds.yaml entry of an admin')
    parser.add_argument('--user-cloud',
                        help='clouds.yaml entry of a non-admin user')
    parser.add_argument('--compute-hosts',
                        help='comma-separated hosts the host-down test may '
                             'fail (no production instances on them)')
    parser.add_argument('--image', help='image name or id')
    parser.add_argument('--flavor', help='flavor name or id')
    parser.add_argument('--network',
                        help='network for the test servers (default: none)')
    parser.add_argument('-o', '--output', default='etc/tempest.conf',
                        help='file to write (default: %(default)s)')
    return parser


def main(argv=None):
    args = build_parser().parse_args(argv)
    try:
        if args.lab:
            admin_name, user_name, clouds_yaml = parse_lab_env(lab_env())
            hosts, image, flavor = lab_defaults()
        else:
            admin_name, user_name = args.admin_cloud, args.user_cloud
            clouds_yaml = args.clouds_yaml
            hosts, image, flavor = [], None, None
            if not (admin_name and user_name):
                raise ConfError('give --admin-cloud and --user-cloud, or '
                                '--lab')
        if args.compute_hosts is not None:
            hosts = [h for h in args.compute_hosts.split(',') if h]
        image = args.image or image
        flavor = args.flavor or flavor
        if not (image and flavor):
            raise ConfError('give --image and --flavor for the test servers')
        admin = Cloud(clouds_yaml, admin_name)
        user = Cloud(clouds_yaml, user_name)
        try:
            catalog = admin.catalog_types()
        except Exception as e:  # keystoneauth has no common base
            raise ConfError('cannot read the catalog of %s: %s'
                            % (admin_name, e))
        base = None
        if os.path.exists(args.output):
            with open(args.output) as f:
                base = f.read()
        write(args.output, render(admin, user, catalog, hosts, image, flavor,
                                  args.network, base))
    except ConfError as e:
        print('tempest_conf: %s' % e, file=sys.stderr)
        return 1
    missing = [o for o, t in SERVICE_TYPES.items() if t not in catalog]
    print('wrote %s (admin %s, user %s; not in the catalog: %s)'
          % (args.output, admin_name, user_name, ', '.join(missing) or '-'))
    return 0


if __name__ == '__main__':
    sys.exit(main())
