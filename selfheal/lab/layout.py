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

"""Where the lab lives, which ports it owns and the names it creates."""

import dataclasses
import os
import pathlib

HOME_ENV = 'SELFHEAL_LAB_HOME'
DEFAULT_HOME = '~/.local/share/selfheal-lab'

HOST = '127.0.0.1'
REGION = 'RegionOne'
# Lab-only secret: every server binds 127.0.0.1 and the lab is disposable.
PASSWORD = 'secret'
CLOUD = 'selfheal-lab'
DEMO_CLOUD = 'selfheal-lab-demo'
COMPUTE_HOSTS = ('compute1', 'compute2')

# The lab owns 18100-18299.
PORTS = {
    'mariadb': 18100,
    'epmd': 18101,
    'rabbitmq': 18102,
    'rabbitmq-dist': 18103,
    'keystone': 18110,
    'placement': 18111,
    'glance': 18112,
    'neutron': 18113,
    'nova-api': 18114,
    'heat-api': 18115,
    'mistral': 18116,
    'vitrage-api': 18117,
}

DATABASES = ('keystone', 'placement', 'glance', 'neutron', 'nova_api',
             'nova_cell0', 'nova_cell1', 'heat', 'mistral', 'vitrage')


def repo_root():
    """The source checkout this ``selfheal`` package belongs to."""
    root = pathlib.Path(__file__).resolve().parents[2]
    return root if (root / 'setup.cfg').is_file() else None


@dataclasses.dataclass(frozen=True)
class Lab:
    home: pathlib.Path

    @classmethod
    def from_env(cls):
        home = os.environ.get(HOME_ENV) or DEFAULT_HOME
        return cls(pathlib.Path(home).expanduser().resolve())

    @property
    def services_venv(self):
        return self.home / 'venvs' / 'services'

    @property
    def vitrage_venv(self):
        return self.home / 'venvs' / 'vitrage'

    @property
    def state(self):
        return self.home / 'state'

    @property
    def etc(self):
        return self.state / 'etc'

    @property
    def data(self):
        return self.state / 'data'

    @property
    def logs(self):
        return self.state / 'logs'

    @property
    def run(self):
        return self.state / 'run'

    @property
    def vitrage_etc(self):
        """api-paste.ini and datasources_values from Vitrage's sdist."""
        return self.home / 'share' / 'vitrage-etc'

    @property
    def mysql_socket(self):
        return self.run / 'mysql.sock'

    @property
    def clouds_yaml(self):
        return self.etc / 'clouds.yaml'

    def log(self, name):
        return self.logs / (name + '.log')

    def pidfile(self, name):
        return self.run / (name + '.pid')

    def stamp(self, name):
        return self.run / (name + '.done')

    def url(self, service, path=''):
        return 'http://%s:%d%s' % (HOST, PORTS[service], path)

    def db_url(self, database):
        return 'mysql+pymysql://os:%s@%s:%d/%s?charset=utf8' % (
            PASSWORD, HOST, PORTS['mariadb'], database)

    def make_dirs(self):
        for path in (self.etc, self.data, self.logs, self.run):
            path.mkdir(parents=True, exist_ok=True)
