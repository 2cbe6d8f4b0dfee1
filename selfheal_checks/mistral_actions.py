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

"""The action list Mistral would load, cached on disk per installed versions.

Generating it imports every OpenStack client that mistral-extra wraps
(seconds, noisy), so it is done in a child process, with Mistral's default
configuration: ``python -m selfheal_checks list-mistral-actions``.
"""

import functools
import hashlib
import json
import os
import re
import subprocess
import sys


def _run_child(command):
    try:
        done = subprocess.run(
            [sys.executable, '-m', 'selfheal_checks', command],
            capture_output=True, text=True, timeout=300)
    except (OSError, subprocess.SubprocessError) as ex:
        raise RuntimeError('Could not run the Mistral checks: %s' % ex)
    if done.returncode != 0:
        last = (done.stderr.strip().splitlines() or ['no output'])[-1]
        raise RuntimeError('The Mistral checks failed: %s' % last)
    return done.stdout


def _cache_dir():
    base = (os.environ.get('SELFHEAL_CACHE_DIR') or
            os.path.join(os.environ.get('XDG_CACHE_HOME') or
                         os.path.expanduser('~/.cache'), 'heat-selfhealing'))
    return base


def _installed_versions():
    from importlib import metadata
    names = ['mistral', 'mistral-lib', 'mistral-extra']
    try:
        # mistral-extra generates actions from the clients it requires.
        names += sorted(re.split(r'[<>=!~; \[]', req, 1)[0]
                        for req in metadata.requires('mistral-extra') or [])
    except metadata.PackageNotFoundError:
        pass
    versions = []
    for name in names:
        try:
            versions.append('%s=%s' % (name, metadata.version(name)))
        except metadata.PackageNotFoundError:
            versions.append('%s=-' % name)
    return versions


def _actions_cache_path():
    key = hashlib.sha256(
        '\n'.join(_installed_versions()).encode()).hexdigest()[:16]
    return os.path.join(_cache_dir(), 'mistral-actions-%s.json' % key)


@functools.lru_cache(maxsize=None)
def known_mistral_actions():
    """Names of the actions Mistral (std.*) and mistral-extra provide.

    Raises RuntimeError when the list cannot be produced.
    """
    path = _actions_cache_path()
    try:
        with open(path) as cached:
            return frozenset(json.load(cached))
    except (OSError, ValueError):
        pass
    names = json.loads(_run_child('list-mistral-actions'))
    try:
        os.makedirs(os.path.dirname(path), exist_ok=True)
        partial = '%s.%d' % (path, os.getpid())
        with open(partial, 'w') as out:
            json.dump(sorted(names), out)
        os.replace(partial, path)
    except OSError:
        pass  # no cache where we cannot write; still correct
    return frozenset(names)


def list_mistral_actions():
    """The names, generated here (what the child process runs)."""
    import warnings
    warnings.simplefilter('ignore')
    # The parser first: std_actions needs Mistral's db api loaded.
    from mistral.lang import parser  # noqa: F401
    from mistral.actions import legacy  # noqa: H306
    from oslo_config import cfg
    try:
        import mistral_extra.config  # noqa: F401  (the mapping option)
    except ImportError:
        pass
    cfg.CONF([], project='mistral', default_config_files=[],
             default_config_dirs=[])
    return sorted(d.name for d in legacy.LegacyActionProvider().find_all())
