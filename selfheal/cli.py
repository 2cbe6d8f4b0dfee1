"""The ``selfheal`` command line."""

import argparse
import importlib
import sys

# Each module exposes register(subparsers); the parser it adds sets
# ``func(args) -> int``. Modules must import heavy libraries lazily.
COMMAND_MODULES = (
    'selfheal.plugin_dir',
    'selfheal.lab.command',
    'selfheal.validate.command',
    'selfheal.render',
)


def build_parser():
    parser = argparse.ArgumentParser(
        prog='selfheal',
        description='Self-healing for OpenStack Heat with Vitrage and '
                    'Mistral.')
    subparsers = parser.add_subparsers(dest='command', metavar='COMMAND')
    subparsers.required = True
    for name in COMMAND_MODULES:
        importlib.import_module(name).register(subparsers)
    return parser


def main(argv=None):
    args = build_parser().parse_args(argv)
    try:
        return args.func(args)
    except KeyboardInterrupt:
        return 130


if __name__ == '__main__':
    sys.exit(main())
