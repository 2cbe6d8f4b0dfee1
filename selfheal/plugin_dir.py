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

"""``selfheal plugin-dir``: the path to put in heat.conf ``plugin_dirs``."""

import os


def plugin_dir():
    import heat_plugins
    return os.path.dirname(os.path.abspath(heat_plugins.__file__))


def register(subparsers):
    parser = subparsers.add_parser(
        'plugin-dir',
        help='print the directory to add to heat.conf [DEFAULT] plugin_dirs')
    parser.set_defaults(func=lambda args: print(plugin_dir()) or 0)
