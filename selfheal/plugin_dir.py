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
