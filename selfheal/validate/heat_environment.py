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

"""Heat's global environment, loaded as far as the checked files need it.

heat-engine's ``resources.initialise()`` loads Heat's client plugins, then
imports every resource module and constraint, about 2 s. Here the client
plugins are loaded the same way (resources use them in their translation
rules), and the global environment is built by the same Heat functions
(``_register_resources``, ``_register_constraints``, ``PluginMapping``,
``read_global_environment``) from fewer modules:

- the resource modules whose source names a type that the checked files
  name, registered in the order Heat registers them, then every module in
  ``plugin_dirs`` (heat_plugins);
- every ``heat.constraints`` entry point, imported when Heat first asks
  for that constraint.

Stack lifecycle plugins and event sinks, which validation does not use,
are left out.

When Heat finds a file wrong under this environment, the caller calls
``load_everything()``, which does what ``resources.initialise()`` does,
and checks the file again: every fault is found and worded by the
environment heat-engine has, an unknown resource type included.
"""

import collections
import functools
import importlib
import pkgutil
import re
import sys
import types

# A quoted type name in Heat's source ('OS::Nova::Server'), and one in a
# checked file.
_TYPE_IN_SOURCE = re.compile(r'''['"]([A-Za-z][\w-]*(?:::[\w-]+)+)['"]''')
_TYPE_IN_FILE = re.compile(r'[A-Za-z][\w-]*(?:::[\w-]+)+')


class GlobalEnvironment(object):
    """Heat's global environment for this process, loaded on demand."""

    def __init__(self):
        from heat.engine import clients
        from heat.engine import environment
        from heat.engine import resources

        self.partial = resources._environment is None
        if not self.partial:
            return      # Heat's own, complete, built before us
        clients.initialise()
        self._env = environment.Environment({}, user_env=False)
        resources._register_constraints(self._env, [
            (name, _ConstraintOnDemand(entry_point))
            for name, entry_point in _constraint_entry_points()])
        self._heat_modules = []     # names, in Heat's order
        self._plugins = _plugin_modules()
        self._register()
        environment.read_global_environment(self._env)
        resources._environment = self._env

    def load_types_named_in(self, texts):
        """Register the resource types named anywhere in ``texts``."""
        if not self.partial:
            return
        position, defining = _resource_modules()
        wanted = set()
        for text in texts:
            for name in _TYPE_IN_FILE.findall(text):
                wanted.update(defining.get(name, ()))
        new = wanted.difference(self._heat_modules)
        if new:
            for name in sorted(new, key=position.get):
                importlib.import_module(name)
            self._heat_modules = sorted(new.union(self._heat_modules),
                                        key=position.get)
            self._register()

    def load_everything(self):
        """Complete the environment as resources.initialise() builds it."""
        if not self.partial:
            return
        from heat.engine import clients
        from heat.engine import resources
        clients.initialise()
        resources._load_global_environment(self._env)
        self.partial = False

    def close(self):
        """Leave no partial environment for other users of Heat here."""
        from heat.engine import resources
        if self.partial and resources._environment is self._env:
            resources._environment = None

    def _register(self):
        """Register the loaded modules' types and constraints, as Heat does.

        Again for every module, in Heat's order: where two modules map the
        same type, the one Heat registers last wins here too.
        """
        from heat.engine import plugin_manager
        from heat.engine import resources
        modules = [sys.modules[name] for name in self._heat_modules]
        modules += self._plugins
        manager = types.SimpleNamespace(
            map_to_modules=lambda function: map(function, modules))
        resource_mapping = plugin_manager.PluginMapping(
            ['available_resource', 'resource'])
        constraint_mapping = plugin_manager.PluginMapping('constraint')
        resources._register_resources(
            self._env, resource_mapping.load_all(manager))
        resources._register_constraints(
            self._env, constraint_mapping.load_all(manager))


class _ConstraintOnDemand(object):
    """A constraint's entry point; Heat calls it to get the constraint."""

    def __init__(self, entry_point):
        self._entry_point = entry_point

    def __call__(self):
        try:
            constraint_class = self._entry_point.load()
        except Exception:
            return None   # as when Heat fails to load it: not found
        return constraint_class()


@functools.lru_cache(maxsize=None)
def _constraint_entry_points():
    """(name, entry point) of every 'heat.constraints' entry point."""
    from importlib import metadata
    return tuple((entry_point.name, entry_point) for entry_point in
                 metadata.entry_points(group='heat.constraints'))


def _plugin_modules():
    """The modules in plugin_dirs, loaded as Heat's PluginManager does."""
    from oslo_config import cfg

    from heat.common import plugin_loader
    cfg.CONF.import_opt('plugin_dirs', 'heat.common.config')
    package = plugin_loader.create_subpackage(cfg.CONF.plugin_dirs,
                                              'heat.engine')
    return list(plugin_loader.load_modules(package))


@functools.lru_cache(maxsize=None)
def _resource_modules():
    """Heat's resource modules in load order, and the types each names.

    Returns ({module name: its place in Heat's order}, {type name: the
    modules whose source has it quoted}). A module that only mentions a
    type is loaded needlessly but harmlessly; the registry decides what
    each type is.
    """
    from heat.engine import resources
    position, defining = {}, collections.defaultdict(list)
    for info in pkgutil.walk_packages(resources.__path__,
                                      resources.__name__ + '.'):
        # What heat.common.plugin_loader.load_modules skips.
        if '.tests.' in info.name or info.name.endswith('.setup'):
            continue
        position[info.name] = len(position)
        spec = info.module_finder.find_spec(info.name)
        if spec is None or not spec.origin:
            continue
        with open(spec.origin, encoding='utf-8') as f:
            for type_name in set(_TYPE_IN_SOURCE.findall(f.read())):
                defining[type_name].append(info.name)
    return position, dict(defining)
