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

"""The ``selfheal`` command line."""

import argparse
import importlib
import os
import sys

# Command -> the module that registers it: register(subparsers) adds a
# parser that sets ``func(args) -> int``, and ``exit_at_once=True`` if the
# process should end without tearing down what the command imported. Modules
# must import heavy libraries lazily.
COMMAND_MODULES = {
    'plugin-dir': 'selfheal.plugin_dir',
    'lab': 'selfheal.lab.command',
    'validate': 'selfheal.validate.command',
    'render': 'selfheal.render',
}


def build_parser(command=None):
    """The parser; with a known ``command``, only that command's module."""
    parser = argparse.ArgumentParser(
        prog='selfheal',
        description='Self-healing for OpenStack Heat with Vitrage and '
                    'Mistral.')
    subparsers = parser.add_subparsers(dest='command', metavar='COMMAND')
    subparsers.required = True
    names = [command] if command in COMMAND_MODULES else COMMAND_MODULES
    for name in names:
        importlib.import_module(COMMAND_MODULES[name]).register(subparsers)
    return parser


def main(argv=None):
    """Run a command; the program itself when ``argv`` is None."""
    as_program = argv is None
    argv = sys.argv[1:] if argv is None else argv
    args = build_parser(argv[0] if argv else None).parse_args(argv)
    try:
        status = args.func(args)
        sys.stdout.flush()
    except KeyboardInterrupt:
        status = 130
    except BrokenPipeError:
        # The reader went away, as in `selfheal validate -v | head`.
        _silence_stdout()
        status = 141
    if as_program and getattr(args, 'exit_at_once', False):
        _exit_at_once(status)
    return status


def _silence_stdout():
    """Point stdout at /dev/null: Python flushes it again at exit."""
    devnull = os.open(os.devnull, os.O_WRONLY)
    os.dup2(devnull, sys.stdout.fileno())
    os.close(devnull)


def _exit_at_once(status):
    """End the process now, with nothing left to do.

    Tearing down thousands of modules (Heat's, say) takes Python most of a
    second.
    """
    for stream in (sys.stdout, sys.stderr):
        try:
            stream.flush()
        except (OSError, ValueError):
            pass
    os._exit(status)


if __name__ == '__main__':
    sys.exit(main())
