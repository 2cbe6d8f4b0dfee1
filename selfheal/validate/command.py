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

"""``selfheal validate [PATH...]``: check the library offline."""

import gc
import importlib.util
import json
import logging
import os
import sys
import warnings

from selfheal import data
from selfheal.validate import library

USAGE_ERROR = 2
# Set while validating, here and in the child processes: eventlet (which
# Heat and Mistral import) then skips its DNS resolver, which takes 0.4 s to
# import and has nothing to resolve offline.
QUIET_ENVIRONMENT = {'EVENTLET_NO_GREENDNS': 'yes'}
# Importing the owners' code creates millions of objects that live until
# the end; with Python's default thresholds the garbage collector goes
# through them again and again (0.3-0.5 s per process). Collect less often.
GC_THRESHOLDS = (100000, 50, 100)


def register(subparsers):
    parser = subparsers.add_parser(
        'validate',
        help='check HOT templates, environments, Vitrage templates and '
             'Mistral workflows offline',
        description='Check files with Heat, Vitrage and Mistral code, '
                    'without contacting any service. Directories are '
                    'searched for YAML files; with no PATH, the shipped '
                    'library is checked ($SELFHEAL_DATA_DIR, else the '
                    'source checkout, else the installed '
                    'share/heat-selfhealing).')
    parser.add_argument('paths', nargs='*', metavar='PATH',
                        help='file or directory to check')
    parser.add_argument('-e', '--environment', action='append', default=[],
                        metavar='ENV',
                        help='Heat environment applied to every HOT '
                             'template, as with "stack create -e"; the '
                             'environments next to a template are applied '
                             'as well')
    parser.add_argument('--format', choices=('text', 'json'),
                        default='text', help='output format')
    parser.add_argument('-v', '--verbose', action='store_true',
                        help='also print notes: what was not checked '
                             'offline and why')
    parser.set_defaults(func=run, exit_at_once=True)


def run(args):
    # The owners' libraries log and warn freely; the report is the output.
    disabled = logging.root.manager.disable
    logging.disable(logging.CRITICAL)
    saved = {name: os.environ.get(name) for name in QUIET_ENVIRONMENT}
    os.environ.update(QUIET_ENVIRONMENT)
    thresholds = gc.get_threshold()
    gc.set_threshold(*GC_THRESHOLDS)
    try:
        with warnings.catch_warnings():
            warnings.simplefilter('ignore')
            return _run(args)
    finally:
        gc.set_threshold(*thresholds)
        logging.disable(disabled)
        for name, value in saved.items():
            if value is None:
                os.environ.pop(name, None)
            else:
                os.environ[name] = value


# The owners' validators: the [validation] extra of heat-selfhealing.
VALIDATORS = ('vitrage', 'mistral', 'mistral_extra')
EXTRA = "heat-selfhealing[validation]"


def missing_validators():
    missing = []
    for name in VALIDATORS:
        try:
            found = importlib.util.find_spec(name) is not None
        except ImportError:
            found = False
        if not found:
            missing.append(name)
    return missing


def _run(args):
    missing = missing_validators()
    if missing:
        sys.stderr.write(
            "selfheal validate: error: the owners' validators are not "
            "installed (no %s); install them with: pip install '%s'\n"
            % (', '.join(missing), EXTRA))
        return 1
    paths = args.paths
    if not paths:
        try:
            paths = library.default_paths()
        except data.DataNotFound as ex:
            return _usage_error('no PATH given, and %s' % ex)
    try:
        files = library.expand(paths)
        environments = library.expand(args.environment)
    except OSError as ex:
        return _usage_error(ex)

    from selfheal.validate import checker
    from selfheal.validate import workers
    definitions = workers.for_this_process()
    try:
        report = checker.Validation(files, environments, definitions).run()
    except workers.ChildFailed as ex:
        sys.stderr.write('selfheal validate: error: %s\n' % ex)
        return 1
    except Exception as ex:   # per-file failures are findings already
        sys.stderr.write('selfheal validate: error: unexpected failure '
                         '(%s: %s)\n' % (type(ex).__name__, ex))
        return 1
    finally:
        definitions.close()
    if args.format == 'json':
        print(json.dumps(report.as_dict(), indent=2))
    else:
        for finding in report.findings:
            if finding.is_error() or args.verbose:
                print(_format(finding))
        print(report.summary())
    return 1 if report.errors else 0


def _format(finding):
    where = finding.path
    if finding.line is not None:
        where = '%s:%d' % (where, finding.line)
    note = 'note: ' if not finding.is_error() else ''
    return '%s: %s%s' % (where, note, finding.message)


def _usage_error(message):
    sys.stderr.write('selfheal validate: error: %s\n' % message)
    return USAGE_ERROR
