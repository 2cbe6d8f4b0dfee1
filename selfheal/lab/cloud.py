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

"""Talking to the lab's cloud: Keystone sessions and the clouds.yaml entry."""

import functools
import os
import pathlib

from selfheal.lab import layout

COMPUTE_MICROVERSION = '2.94'  # >= 2.95 leaves evacuated servers SHUTOFF

USERS = {
    # cloud name -> (user, project)
    layout.CLOUD: ('admin', 'admin'),
    layout.DEMO_CLOUD: ('demo', 'demo'),
}


def auth_args(lab, user='admin', project='admin'):
    return {
        'auth_url': lab.url('keystone', '/v3'),
        'username': user,
        'password': layout.PASSWORD,
        'project_name': project,
        'user_domain_name': 'Default',
        'project_domain_name': 'Default',
    }


@functools.lru_cache(maxsize=None)
def _session(lab, user, project):
    from keystoneauth1.identity import v3
    from keystoneauth1 import session
    return session.Session(auth=v3.Password(**auth_args(lab, user, project)))


def admin_session(lab):
    return _session(lab, 'admin', 'admin')


def session_for(lab, user, project):
    return _session(lab, user, project)


def compute_services(lab):
    # The microversion shows forced_down and uses UUID ids.
    resp = admin_session(lab).get(
        '/os-services?binary=nova-compute',
        endpoint_filter={'service_type': 'compute', 'interface': 'public'},
        headers={'OpenStack-API-Version': 'compute ' + COMPUTE_MICROVERSION})
    return resp.json()['services']


def endpoints(lab):
    """[(service type, url)] as the catalog lists them for admin."""
    catalog = admin_session(lab).auth.get_access(
        admin_session(lab)).service_catalog.catalog
    rows = []
    for service in catalog:
        for ep in service.get('endpoints', ()):
            if ep.get('interface') == 'public':
                rows.append((service['type'], ep['url']))
    return sorted(rows)


def clouds_entries(lab):
    entries = {}
    for cloud, (user, project) in USERS.items():
        entries[cloud] = {
            'auth': auth_args(lab, user, project),
            'region_name': layout.REGION,
            'interface': 'public',
            'identity_api_version': 3,
            'compute_api_version': COMPUTE_MICROVERSION,
        }
    return entries


def user_clouds_yaml():
    """The clouds.yaml ``openstack --os-cloud`` reads first for this user."""
    base = os.environ.get('XDG_CONFIG_HOME') or '~/.config'
    return pathlib.Path(base).expanduser() / 'openstack' / 'clouds.yaml'


def write_clouds_yaml(lab):
    """Merge the lab's entries into the user's clouds.yaml, keep the rest.

    A copy with only the lab's entries goes to the state directory, for
    ``OS_CLIENT_CONFIG_FILE``.
    """
    import yaml
    entries = clouds_entries(lab)
    _write_yaml(lab.clouds_yaml, {'clouds': entries})
    path = user_clouds_yaml()
    current = {}
    if path.exists():
        current = yaml.safe_load(path.read_text()) or {}
    clouds = current.setdefault('clouds', {})
    if all(clouds.get(k) == v for k, v in entries.items()):
        return path
    clouds.update(entries)
    _write_yaml(path, current)
    return path


def _write_yaml(path, data):
    import yaml
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_suffix('.tmp')
    fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    with os.fdopen(fd, 'w') as f:
        yaml.safe_dump(data, f, default_flow_style=False, sort_keys=True)
    tmp.replace(path)


def forget_sessions():
    """Drop cached tokens (their catalog), e.g. after endpoints changed."""
    _session.cache_clear()
