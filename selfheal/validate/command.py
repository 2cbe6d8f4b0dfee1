"""``selfheal validate [PATH...]``: check the library offline."""

import json
import logging
import sys
import warnings

from selfheal.validate import library

USAGE_ERROR = 2


def register(subparsers):
    parser = subparsers.add_parser(
        'validate',
        help='check HOT templates, environments, Vitrage templates and '
             'Mistral workflows offline',
        description='Check files with Heat, Vitrage and Mistral code, '
                    'without contacting any service. Directories are '
                    'searched for YAML files; with no PATH, the shipped '
                    'library is checked.')
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
    parser.set_defaults(func=run)


def run(args):
    # The owners' libraries log and warn freely; the report is the output.
    disabled = logging.root.manager.disable
    logging.disable(logging.CRITICAL)
    try:
        with warnings.catch_warnings():
            warnings.simplefilter('ignore')
            return _run(args)
    finally:
        logging.disable(disabled)


def _run(args):
    paths = args.paths or library.default_paths()
    if not paths:
        return _usage_error('no PATH given and no shipped library found')
    try:
        files = library.expand(paths)
        environments = library.expand(args.environment)
    except OSError as ex:
        return _usage_error(ex)

    from heat_plugins import definition_checks
    from selfheal.validate import checker
    # Single-threaded: Mistral may share the process with Heat.
    definition_checks.import_mistral_in_process()
    try:
        report = checker.Validation(files, environments).run()
    except Exception as ex:   # per-file failures are findings already
        sys.stderr.write('selfheal validate: error: unexpected failure '
                         '(%s: %s)\n' % (type(ex).__name__, ex))
        return 1
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
