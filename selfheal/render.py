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

"""``selfheal render``: composable stacks rendered from a list of roles.

templates/composable/composable.yaml.j2 is expanded with jinja2 over the
roles of templates/composable/roles_data.yaml into templates/composable.yaml,
in the spirit of TripleO's composable roles. Both the source and the output
are committed; ``selfheal render --check`` tells whether they agree.

The inputs default to the shipped files, wherever selfheal.data finds them.
The output defaults to templates/composable.yaml only in a source checkout;
an installed copy never writes into its own files (site-packages, the share
directory) unless told to, so there ``--output FILE|DIR|-`` is required,
except with ``--check``, which compares against the shipped rendering.
"""

import os
import re
import sys

import yaml

from selfheal import data

# The directory holding this package: the checkout's root when running from
# one (data.source_tree() tells), site-packages when installed.
REPO_DIR = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
# The shipped files, relative to the data directory.
ROLES = os.path.join('templates', 'composable', 'roles_data.yaml')
TEMPLATE = os.path.join('templates', 'composable', 'composable.yaml.j2')
OUTPUT = os.path.join('templates', 'composable.yaml')

# Healing policy -> server metadata that selects it in the workflows.
POLICIES = {
    'replace': {},
    'evacuate': {'HA_Enabled': 'True'},
    'none': {'selfheal_heal': 'false'},
}
ROLE_NAME = re.compile(r'^[A-Z][A-Za-z0-9]*$')
ROLE_KEYS = ('name', 'description', 'count', 'flavor', 'healing')


class RenderError(Exception):
    """Bad roles data or template; the message names the file and place."""


class UsageError(Exception):
    """The command line asks for something this copy will not do."""


def load_roles(path):
    """The roles of ``path``, checked, each with its server metadata."""
    try:
        with open(path) as f:
            data = yaml.safe_load(f)
    except OSError as ex:
        raise RenderError('%s: cannot read: %s' % (path, ex.strerror))
    except yaml.YAMLError as ex:
        raise RenderError('%s: not valid YAML: %s' % (
            path, str(ex).splitlines()[0]))
    roles = data.get('roles') if isinstance(data, dict) else None
    if not isinstance(roles, list) or not roles:
        raise RenderError('%s: expected a non-empty list under "roles"' % path)
    seen = set()
    checked = []
    for index, role in enumerate(roles, 1):
        checked.append(_check_role(path, index, role, seen))
    return checked


def _check_role(path, index, role, seen):
    if not isinstance(role, dict):
        raise RenderError('%s: role %d is not a mapping' % (path, index))
    where = '%s: role %d (%s)' % (path, index, role.get('name', 'no name'))
    missing = [key for key in ROLE_KEYS if key not in role]
    unknown = sorted(set(role) - set(ROLE_KEYS))
    if missing:
        raise RenderError('%s: missing %s' % (where, ', '.join(missing)))
    if unknown:
        raise RenderError('%s: unknown key %s; a role has %s' % (
            where, ', '.join(unknown), ', '.join(ROLE_KEYS)))
    name = role['name']
    if not isinstance(name, str) or not ROLE_NAME.match(name):
        raise RenderError('%s: name must be CamelCase letters and digits, '
                          'e.g. Frontend' % where)
    if name in seen:
        raise RenderError('%s: name is used by another role' % where)
    seen.add(name)
    count = role['count']
    if isinstance(count, bool) or not isinstance(count, int) or \
            not 0 <= count <= 100:
        raise RenderError('%s: count must be a whole number from 0 to 100, '
                          'not %r' % (where, count))
    for key in ('description', 'flavor'):
        if not isinstance(role[key], str) or not role[key].strip() or \
                '\n' in role[key]:
            raise RenderError('%s: %s must be one line of text' % (
                where, key))
    if role['healing'] not in POLICIES:
        raise RenderError('%s: healing must be one of %s, not %r' % (
            where, ', '.join(POLICIES), role['healing']))
    return dict(role, metadata=POLICIES[role['healing']])


def render(roles_path, template_path):
    """The text of the rendered template."""
    import jinja2

    roles = load_roles(roles_path)
    try:
        with open(template_path) as f:
            source = f.read()
    except OSError as ex:
        raise RenderError('%s: cannot read: %s' % (
            template_path, ex.strerror))
    env = jinja2.Environment(undefined=jinja2.StrictUndefined,
                             keep_trailing_newline=True,
                             autoescape=False)
    try:
        template = env.from_string(source)
        text = template.render(
            roles=roles,
            healed_roles=[r for r in roles if r['healing'] != 'none'])
    except jinja2.TemplateError as ex:
        line = getattr(ex, 'lineno', None)
        raise RenderError('%s%s: %s' % (
            template_path, ':%d' % line if line else '', ex))
    if not text.endswith('\n'):
        text += '\n'
    return text


def output_path(output, template_path, check=False):
    """Where to write (or, with ``check``, what to compare against).

    ``output`` is the --output value: a file, ``-``, an existing directory
    (the file is the template's name without ``.j2``) or None for the
    default, which only a source checkout has for writing.
    """
    if output == '-':
        return output
    if output:
        if os.path.isdir(output):
            name = os.path.basename(template_path)
            if name.endswith('.j2'):
                name = name[:-len('.j2')]
            return os.path.join(output, name)
        return output
    if check:
        return data.path(OUTPUT)
    checkout = data.source_tree()
    if checkout and data.find() == checkout:
        return os.path.join(checkout, OUTPUT)
    raise UsageError('pass --output DIR or FILE (or - for stdout): only a '
                     'source checkout renders into its own %s by default, '
                     'an installed selfheal never writes into its shipped '
                     'files' % OUTPUT)


def _run(args):
    try:
        roles = args.roles or data.path(ROLES)
        template = args.template or data.path(TEMPLATE)
        output = output_path(args.output, template, args.check)
    except UsageError as ex:
        print('selfheal render: error: %s' % ex, file=sys.stderr)
        return 2
    except data.DataNotFound as ex:
        print('selfheal render: %s' % ex, file=sys.stderr)
        return 1
    try:
        text = render(roles, template)
    except RenderError as ex:
        print('selfheal render: %s' % ex, file=sys.stderr)
        return 1
    if output == '-':
        sys.stdout.write(text)
        return 0
    try:
        with open(output) as f:
            current = f.read()
    except OSError:
        current = None
    if args.check:
        if current != text:
            print('selfheal render: %s is out of date; run selfheal render' %
                  output, file=sys.stderr)
            return 1
        return 0
    if current != text:
        try:
            with open(output, 'w') as f:
                f.write(text)
        except OSError as ex:
            print('selfheal render: cannot write %s: %s' % (
                output, ex.strerror), file=sys.stderr)
            return 1
        print('wrote %s' % output)
    return 0


def register(subparsers):
    parser = subparsers.add_parser(
        'render',
        help='render the composable stack from its roles',
        description='Render a jinja2 HOT template over a list of roles '
                    '(default: the shipped composable stack, found as '
                    'selfheal validate finds the library). In a source '
                    'checkout the output defaults to %s there; an '
                    'installed selfheal needs --output.' % OUTPUT)
    parser.add_argument('--roles',
                        help='roles data (YAML with a "roles" list); '
                             'default: the shipped %s' % ROLES)
    parser.add_argument('--template',
                        help='jinja2 HOT template; default: the shipped %s'
                             % TEMPLATE)
    parser.add_argument('--output', metavar='FILE|DIR|-',
                        help='rendered template: a file, a directory to '
                             'write it into, or - for stdout; default (in '
                             'a source checkout only): %s. With --check, '
                             'the file to compare; default: the shipped '
                             'one' % OUTPUT)
    parser.add_argument('--check', action='store_true',
                        help='only tell whether the output is up to date '
                             '(exit 1 if not)')
    parser.set_defaults(func=_run)
