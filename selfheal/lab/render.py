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

"""Render the lab's configs (``configs/*.j2``) into the state directory."""

import os
import shutil

from selfheal.lab import layout
from selfheal.lab import services

CONFIG_DIR = os.path.join(os.path.dirname(os.path.abspath(__file__)),
                          'configs')

# Directories the services expect to exist.
DATA_DIRS = ('rabbitmq', 'keystone', 'glance/images', 'glance/staging',
             'glance/tasks', 'glance/locks', 'neutron/locks', 'nova/locks')


def render_all(lab, plugin_dir):
    """Write every config; returns the paths whose content changed."""
    import jinja2
    env = jinja2.Environment(
        loader=jinja2.FileSystemLoader(CONFIG_DIR),
        undefined=jinja2.StrictUndefined, keep_trailing_newline=True)
    ctx = services.context(lab, plugin_dir)
    lab.make_dirs()
    for sub in DATA_DIRS + tuple('nova-' + host
                                 for host in layout.COMPUTE_HOSTS):
        (lab.data / sub).mkdir(parents=True, exist_ok=True)
    (lab.logs / 'rabbitmq').mkdir(exist_ok=True)
    changed = []
    for template, dest, extra in services.configs(lab):
        text = env.get_template(template).render(**ctx, **extra)
        path = lab.etc / dest
        path.parent.mkdir(parents=True, exist_ok=True)
        if not path.exists() or path.read_text() != text:
            path.write_text(text)
            changed.append(path)
    # nova's WSGI app reads api-paste.ini from its config directory.
    paste = lab.etc / 'nova' / 'api-paste.ini'
    stock = lab.services_venv / 'etc' / 'nova' / 'api-paste.ini'
    if stock.exists() and (not paste.exists() or
                           paste.read_bytes() != stock.read_bytes()):
        shutil.copyfile(stock, paste)
        changed.append(paste)
    plugins = lab.etc / 'rabbitmq' / 'enabled_plugins'
    if not plugins.exists():
        plugins.write_text('[].\n')
    return changed
