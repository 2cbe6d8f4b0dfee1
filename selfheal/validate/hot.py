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

"""HOT templates and environments, checked by Heat's own code, offline.

Heat's stack validation asks the service catalog whether each resource's
service exists (HEAT-E99001 "Service nova is not available" without one),
and custom constraints such as nova.flavor ask the services. Offline,
``validate`` skips exactly those two things: the rest of Heat's structural
validation (template sections, resource types, properties against their
schemas with intrinsic functions resolved by Heat, outputs) runs as
``openstack orchestration template validate`` would, but with property
values checked as for a stack create.
"""

import contextlib
import copy
import difflib
import functools
import hashlib
import json
import os
import re
import typing

from selfheal.validate import library

VITRAGE_TYPES = {'SelfHealing::Vitrage::Template': ('template', 'parameters'),
                 'OS::Vitrage::Template': ('template_file',
                                           'template_params')}
MISTRAL_TYPES = {'SelfHealing::Mistral::Workflow': 'definition'}
REMOTE_SCHEMES = ('http://', 'https://')


# Heat's findings by template, files and environments: a template checked
# again unchanged is not validated again.
_stack_results = {}


class Reference(typing.NamedTuple):
    """A file named by another one, to be checked as ``kind``."""

    path: str
    kind: typing.Optional[str]
    source: library.Source        # the file naming it
    line: typing.Optional[int]
    params: typing.Optional[dict] = None   # Vitrage parameters, if literal


def use_threads():
    """Have oslo.service use threads, not eventlet, as Heat does now."""
    from oslo_service import backend
    try:
        backend.init_backend(backend.BackendType.THREADING)
    except Exception:
        pass  # already chosen by whoever loaded Heat first


class HeatChecks(object):
    """Heat loaded once, with heat_plugins registered from plugin_dirs."""

    def __init__(self):
        use_threads()
        from oslo_config import cfg

        from heat.common import config  # noqa: F401  (Heat's options)
        from heat.common import context

        import heat_plugins
        from selfheal.validate import heat_environment

        try:
            cfg.CONF.find_file('policy.yaml')
        except cfg.NotInitializedError:
            # Older oslo.policy reads the configuration for a context.
            cfg.CONF([], project='heat', default_config_files=[])
        plugin_dir = os.path.dirname(os.path.abspath(heat_plugins.__file__))
        if plugin_dir not in cfg.CONF.plugin_dirs:
            cfg.CONF.set_override('plugin_dirs',
                                  cfg.CONF.plugin_dirs + [plugin_dir])
            # The library must not depend on this host's /etc/heat.
            cfg.CONF.set_override('environment_dir', os.devnull)
        self.types = heat_environment.GlobalEnvironment()
        self.context = context.RequestContext(
            user_id='selfheal-validate', project_id='selfheal-validate',
            is_admin=True, roles=['admin'])

    def close(self):
        self.types.close()

    def _with_all_types(self, check, *args):
        """``check(*args)``; if it raises, again with all of Heat's types."""
        try:
            return check(*args)
        except Exception:
            if not self.types.partial:
                raise
        self.types.load_everything()
        return check(*args)

    # -- environments ------------------------------------------------------

    def parse_environment(self, source):
        """Heat's environment dict, or a Finding."""
        from heat.common import environment_format
        try:
            return environment_format.parse(source.text), None
        except ValueError as ex:
            # e.g. 'environment has wrong section "paramters"'
            section = re.findall(r'"([^"]+)"', str(ex))
            line = source.doc.line(source.doc.data, section[0]) \
                if section else 1
            return None, source.finding(_one_line(ex), line)

    def check_environment(self, source, env_dict):
        """Findings, and the provider templates the registry names."""
        from heat.engine import environment
        findings, references = [], []
        self.types.load_types_named_in([source.text])
        env = environment.Environment(env_dict)
        for path, value in _registry_entries(
                env_dict.get('resource_registry') or {}):
            line = source.doc.line_of_path(['resource_registry'] + path)
            info = environment.ResourceInfo(env.registry, path, value)
            if isinstance(info, environment.TemplateResourceInfo):
                target = _local_path(source, value)
                if target is None:
                    findings.append(source.finding(
                        'Provider template %s is remote; not checked '
                        'offline' % value, line, 'note'))
                elif not os.path.isfile(target):
                    findings.append(source.finding(
                        "resource_registry maps %s to '%s', which does not "
                        "exist (looked for %s)" % (
                            path[-1], value, library.display_path(target)),
                        line))
                else:
                    references.append(Reference(
                        target, library.HOT, source, line))
            elif isinstance(info, environment.MapResourceInfo) and not \
                    isinstance(info, environment.GlobResourceInfo):
                try:
                    self._with_all_types(env.get_class_to_instantiate, value)
                except Exception as ex:
                    findings.append(source.finding(
                        'resource_registry maps %s to %s: %s' % (
                            path[-1], value, _one_line(ex)), line))
        return findings, references

    # -- templates ---------------------------------------------------------

    def check_template(self, source, environments):
        """Findings for a HOT file, the files it names, inline definitions.

        ``environments`` is a list of (Source, env dict) applied in order,
        as with ``-e`` options.
        """
        from heat.common import template_format
        try:
            tpl = template_format.parse(source.text)
        except ValueError as ex:
            return [source.finding(_one_line(ex), 1)], [], []
        inline = self._inline_definitions(source, tpl)
        findings, references, files = self._get_files(source)
        findings.extend(_misspelt_functions(source, _functions(tpl)))
        references.extend(self._definition_references(source, tpl))
        env_files = {}
        for env_source, env_dict in environments:
            for path, value in _registry_entries(
                    env_dict.get('resource_registry') or {}):
                target = _local_path(env_source, value)
                if isinstance(value, str) and target and os.path.isfile(
                        target):
                    with open(target, encoding='utf-8',
                              errors='replace') as f:
                        env_files[value] = f.read()
        files.update(env_files)
        key = hashlib.sha256(json.dumps(
            [source.display, source.text, files,
             [env for _source, env in environments]],
            sort_keys=True, default=repr).encode()).digest()
        if key not in _stack_results:
            if len(_stack_results) > 512:
                _stack_results.clear()
            _stack_results[key] = self._validate_stack(source, tpl, files,
                                                       environments)
        findings.extend(_stack_results[key])
        return findings, references, inline

    def _get_files(self, source):
        """get_file targets: findings, references, Heat's files map."""
        findings, references, files = [], [], {}
        for container, key, target in _get_file_calls(source.doc.data):
            line = source.doc.line(container, key)
            path = _local_path(source, target)
            if path is None:
                findings.append(source.finding(
                    'get_file %s is remote; not checked offline' % target,
                    line, 'note'))
                files[target] = ''
                continue
            if not os.path.isfile(path):
                findings.append(source.finding(
                    "get_file target '%s' does not exist (looked for %s)" % (
                        target, library.display_path(path)), line))
                files[target] = ''
                continue
            with open(path, encoding='utf-8', errors='replace') as f:
                files[target] = f.read()
            references.append(Reference(path, None, source, line))
        return findings, references, files

    def _definition_references(self, source, tpl):
        """Definitions our resource types hold, to check as Vitrage/Mistral.

        Files given by get_file get their kind; inline text is checked by
        the caller through ``inline_definitions``.
        """
        references = []
        functions = _functions(tpl)
        for name, rsrc in _resources(tpl):
            kind, text_prop, params = _definition_kind(rsrc)
            if kind is None:
                continue
            props = rsrc.get('properties') or {}
            value = props.get(text_prop)
            if isinstance(value, dict) and list(value) == ['get_file'] and \
                    isinstance(value['get_file'], str):
                path = _local_path(source, value['get_file'])
                if path is not None and os.path.isfile(path):
                    references.append(Reference(
                        path, kind, source,
                        source.doc.line_of_path(
                            ['resources', name, 'properties', text_prop]),
                        _literal_params(props.get(params), functions)
                        if params else None))
        return references

    def _inline_definitions(self, source, tpl):
        """(kind, text, params, line, where) for definitions written inline."""
        found = []
        functions = _functions(tpl)
        for name, rsrc in _resources(tpl):
            kind, text_prop, params = _definition_kind(rsrc)
            props = rsrc.get('properties') or {}
            if kind is not None and isinstance(props.get(text_prop), str):
                path = ['resources', name, 'properties', text_prop]
                found.append((kind, props[text_prop],
                              _literal_params(props.get(params), functions)
                              if params else None,
                              source.doc.line_of_path(path), '.'.join(path)))
        return found

    def _validate_stack(self, source, tpl, files, environments):
        """Heat's findings, from a full environment when there are faults."""
        self.types.load_types_named_in(
            [source.text] + list(files.values()) +
            [json.dumps(env) for _source, env in environments])
        try:
            findings, faulted = self._validate_stack_once(
                source, tpl, files, environments)
        except Exception:
            if not self.types.partial:
                raise
            faulted = True
        if faulted and self.types.partial:
            self.types.load_everything()
            findings, faulted = self._validate_stack_once(
                source, tpl, files, environments)
        return findings

    def _validate_stack_once(self, source, tpl, files, environments):
        """(findings, whether Heat found a fault)."""
        from heat.common import exception
        from heat.engine import environment
        from heat.engine import stack
        from heat.engine import template

        findings, placeholders = [], {}
        try:
            env = environment.Environment(
                environments[0][1] if environments else {})
            for _env_source, env_dict in environments[1:]:
                env.load(env_dict)
            tmpl = template.Template(tpl, files=files, env=env)
            placeholders = _placeholder_values(tmpl, env)
            if placeholders:
                # A made-up value says nothing about the parameter's own
                # constraints (an allowed_pattern, say): drop them; the
                # properties that use the value are still checked.
                tpl = copy.deepcopy(tpl)
                for name in placeholders:
                    tpl['parameters'][name].pop('constraints', None)
                tmpl = template.Template(tpl, files=files, env=env)
            env.params.update(placeholders)
            for name in sorted(placeholders):
                findings.append(source.finding(
                    "Parameter '%s' has no value here; checked with %r" % (
                        name, placeholders[name]),
                    source.doc.line_of_path(['parameters', name]), 'note'))
            with self._offline() as skipped:
                st = stack.Stack(self.context, 'selfheal-validate', tmpl,
                                 strict_validate=True)
                st.validate(validate_res_tmpl_only=True)
            if skipped:
                findings.append(source.finding(
                    'Constraints that ask a service were not checked: %s' %
                    ', '.join(sorted(skipped)), None, 'note'))
        except exception.StackValidationFailed as ex:
            findings.append(self._heat_finding(source, tpl, ex,
                                               list(ex.path or []),
                                               placeholders=placeholders))
        except (exception.HeatException, ValueError, KeyError,
                TypeError) as ex:
            findings.append(self._heat_finding(source, tpl, ex, []))
        else:
            return findings, False
        return findings, True

    def _heat_finding(self, source, tpl, ex, path, placeholders=()):
        from heat.common import exception
        message = _one_line(ex)
        line = source.doc.line_of_path(path) if path else None
        if line is None and isinstance(ex, exception.InvalidTemplateVersion):
            line = source.doc.line_of_path(['heat_template_version'])
        if line is None:
            # e.g. 'The Resource Type (X) could not be found.'
            names = re.findall(r'\(([^()]+)\)|"([^"]+)"', message)
            names = [a or b for a, b in names]
            if names:
                line = source.doc.line_of_value(
                    lambda value: value in names)
        used = _params_used(_at_path(tpl, path)) & set(placeholders)
        if used:
            return source.finding(
                '%s (not checked: the value comes from parameter %s, which '
                'has no value here)' % (message, ', '.join(sorted(used))),
                line, 'note')
        return source.finding(message, line)

    @contextlib.contextmanager
    def _offline(self):
        """Skip what needs a service: the catalog and client constraints."""
        from unittest import mock

        from heat.engine import constraints
        from heat.engine import resource

        skipped = set()
        heat_is_valid = constraints.CustomConstraint._is_valid

        def is_valid(constraint, value, schema, context):
            if isinstance(constraint.custom_constraint,
                          constraints.BaseCustomConstraint):
                skipped.add(constraint.name)
                return True
            return heat_is_valid(constraint, value, schema, context)

        with mock.patch.object(constraints.CustomConstraint, '_is_valid',
                               is_valid), \
                mock.patch.object(resource.Resource,
                                  '_validate_service_availability',
                                  classmethod(lambda *args: None)):
            yield skipped


def definition_kinds(data):
    """Kinds of the definitions our resource types hold in a HOT template."""
    kinds = {_definition_kind(rsrc)[0] for _name, rsrc in _resources(data)}
    kinds.discard(None)
    return kinds


def _misspelt_functions(source, functions):
    """Maps like {get_parm: x}: Heat takes them as data, not as calls."""
    findings = []
    data = dict(source.doc.data)
    data.pop('parameters', None)    # defaults of json parameters are data
    stack = [data]
    while stack:
        item = stack.pop()
        if isinstance(item, dict):
            if len(item) == 1:
                key = next(iter(item))
                close = _close_function(str(key), functions)
                if close and key not in functions:
                    findings.append(source.finding(
                        "'%s' is not an intrinsic function of this "
                        "heat_template_version; did you mean '%s'?" % (
                            key, close[0]), source.doc.line(item, key)))
            stack.extend(item.values())
        elif isinstance(item, list):
            stack.extend(item)
    return findings


@functools.lru_cache(maxsize=4096)
def _close_function(key, functions):
    return difflib.get_close_matches(key, functions, n=1, cutoff=0.8)


def _one_line(ex):
    return ' '.join(str(ex).split())


def _local_path(source, target):
    """A local path for a get_file or registry target, None if remote."""
    if not isinstance(target, str):
        return None
    if target.startswith('file://'):
        return target[len('file://'):]
    if target.startswith(REMOTE_SCHEMES):
        return None
    return os.path.normpath(os.path.join(source.directory, target))


def _registry_entries(registry, path=()):
    """([keys...], value) for every mapping in a resource_registry."""
    for key, value in registry.items():
        if isinstance(value, dict):
            yield from _registry_entries(value, path + (key,))
        elif key not in ('hooks', 'restricted_actions') and \
                isinstance(value, str):
            yield list(path + (key,)), value


def _get_file_calls(data):
    """(container, 'get_file', target) for every literal get_file."""
    if isinstance(data, dict):
        if list(data) == ['get_file'] and isinstance(data['get_file'], str):
            yield data, 'get_file', data['get_file']
            return
        children = data.values()
    elif isinstance(data, list):
        children = data
    else:
        return
    for child in children:
        yield from _get_file_calls(child)


def _resources(tpl):
    resources = tpl.get('resources') or {}
    if isinstance(resources, dict):
        for name, rsrc in resources.items():
            if isinstance(rsrc, dict):
                yield name, rsrc


def _definition_kind(rsrc):
    """(kind, text property, parameters property) of our resource types."""
    rtype = rsrc.get('type')
    if rtype in VITRAGE_TYPES:
        return (library.VITRAGE,) + VITRAGE_TYPES[rtype]
    if rtype in MISTRAL_TYPES:
        return library.MISTRAL, MISTRAL_TYPES[rtype], None
    return None, None, None


def _literal_params(value, functions):
    """Vitrage parameters from HOT: known values, None where not literal.

    None when the whole map is computed, so parameters are not checked.
    """
    if value is None:
        return {}
    if not isinstance(value, dict) or _is_function(value, functions):
        return None
    return {k: v if isinstance(v, (str, int, float, bool)) else None
            for k, v in value.items()}


def _is_function(value, functions):
    return isinstance(value, dict) and len(value) == 1 and \
        next(iter(value)) in functions


def _functions(tpl):
    """Names of the intrinsic functions of this template's version."""
    from heat.engine import template
    try:
        return frozenset(template.get_template_class(tpl).functions)
    except Exception:
        return frozenset()


def _at_path(data, path):
    for key in path:
        try:
            data = data[key]
        except (KeyError, IndexError, TypeError):
            try:
                data = data[int(key)]
            except (KeyError, IndexError, TypeError, ValueError):
                return data
    return data


def _params_used(data):
    if isinstance(data, dict):
        if list(data) == ['get_param']:
            name = data['get_param']
            name = name[0] if isinstance(name, list) and name else name
            return {name} if isinstance(name, str) else set()
        return set().union(*[_params_used(v) for v in data.values()])
    if isinstance(data, list):
        return set().union(*[_params_used(v) for v in data])
    return set()


def _placeholder_values(tmpl, env):
    """Values for parameters with neither a default nor a given value.

    Picked to satisfy the parameter's own constraints where they say how;
    custom constraints are not checked offline anyway.
    """
    from heat.engine import constraints

    values = {}
    for name, schema in tmpl.param_schemata(env.param_defaults).items():
        if name in env.params or schema.default is not None:
            continue
        value = {'string': 'placeholder', 'number': 0, 'json': {},
                 'commadelimitedlist': '', 'boolean': False}.get(
                     schema.type.lower() if schema.type else 'string',
                     'placeholder')
        for constraint in schema.constraints:
            if isinstance(constraint, constraints.AllowedValues) and \
                    constraint.allowed:
                value = constraint.allowed[0]
            elif isinstance(constraint, constraints.Length):
                # (a Range too, so first)
                if isinstance(value, str):
                    value = 'x' * (constraint.min or len(value))
            elif isinstance(constraint, constraints.Range):
                bound = constraint.min if constraint.min is not None \
                    else constraint.max
                value = bound if bound is not None else value
            elif isinstance(constraint, constraints.Modulo):
                value = constraint.offset or 0
        values[name] = value
    return values
