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

"""Offline checks of Vitrage templates and Mistral definitions.

The checks are done by the owners' code: Vitrage's template validator and
Mistral's DSL parser, plus the action list that Mistral and mistral-extra
generate. Only what they let through is checked here (function names in
Vitrage actions, action names in Mistral tasks, template parameters).

Heat imports this module from plugin_dirs, so Vitrage and Mistral are only
imported when a check runs.

Mistral and Heat both register the ``[yaql]`` options, with different
defaults, so Mistral cannot be imported into a process that already holds
Heat's options. Such a process (heat-engine) runs the Mistral checks in a
child process, unless it calls ``import_mistral_in_process()`` first, which
is only safe while no other thread reads ``cfg.CONF``.
"""

import collections
import functools
import hashlib
import importlib.util
import json
import os
import re
import select
import subprocess
import sys
import threading
import typing

import yaml


class Problem(typing.NamedTuple):
    """One thing wrong with a definition, in words for the operator."""

    message: str
    line: typing.Optional[int] = None   # 1-based, in the checked text
    code: typing.Optional[int] = None   # Vitrage status code


class DefinitionError(Exception):
    """The text cannot be read as a definition at all."""

    def __init__(self, problem):
        super(DefinitionError, self).__init__(problem.message)
        self.problem = problem


# -- YAML with line numbers -------------------------------------------------

@functools.lru_cache(maxsize=None)
def _tracking_loader(base):
    """A loader class that remembers the node of every map and list."""

    class TrackingLoader(base):
        def __init__(self, stream):
            super(TrackingLoader, self).__init__(stream)
            self.nodes = {}

        def construct_object(self, node, deep=False):
            data = super(TrackingLoader, self).construct_object(node, deep)
            if isinstance(data, (dict, list)):
                self.nodes[id(data)] = node
            return data

    return TrackingLoader


class YamlDocument(object):
    """A loaded YAML mapping and the nodes it was built from."""

    def __init__(self, data, nodes, root):
        self.data = data
        self._nodes = nodes
        self.root = root

    def line(self, container, key=None):
        """Line of a map or list, or of one of its keys or items."""
        node = self._nodes.get(id(container))
        if node is None:
            return None
        if key is not None:
            if isinstance(node, yaml.MappingNode):
                for key_node, _value in node.value:
                    if getattr(key_node, 'value', None) == key:
                        return key_node.start_mark.line + 1
            elif isinstance(key, int) and 0 <= key < len(node.value):
                return node.value[key].start_mark.line + 1
        return node.start_mark.line + 1

    def line_of_path(self, path, container=None):
        """Line of the deepest item of ``path`` (keys and indexes) found."""
        current = self.data if container is None else container
        line = self.line(current)
        for key in path:
            if isinstance(current, list) and isinstance(key, str) and \
                    key.isdigit():
                key = int(key)
            try:
                child = current[key]
            except (KeyError, IndexError, TypeError):
                break
            line = self.line(current, key) or line
            current = child
        return line

    def line_of_value(self, wanted):
        """Line of the first scalar value (not key) that ``wanted`` accepts."""
        stack = [self.root]
        while stack:
            node = stack.pop(0)
            if isinstance(node, yaml.MappingNode):
                children = [value for _key, value in node.value]
            elif isinstance(node, yaml.SequenceNode):
                children = node.value
            else:
                if wanted(node.value):
                    return node.start_mark.line + 1
                continue
            stack[0:0] = children
        return None


# The same loaders, parsing in C when PyYAML has libyaml.
_LIBYAML = {yaml.SafeLoader: getattr(yaml, 'CSafeLoader', yaml.SafeLoader),
            yaml.BaseLoader: getattr(yaml, 'CBaseLoader', yaml.BaseLoader)}


def _yaml_problem(what, ex):
    mark = getattr(ex, 'problem_mark', None)
    line = mark.line + 1 if mark is not None else None
    if isinstance(ex, yaml.MarkedYAMLError):
        words = [w for w in (ex.context, ex.problem) if w]
        detail = ', '.join(words)
    else:
        detail = str(ex).splitlines()[0]
    return Problem('The %s is not valid YAML: %s' % (what, detail), line)


def load_yaml_document(text, what, loader_base=yaml.SafeLoader):
    """``text`` as a YamlDocument; DefinitionError if it is no YAML mapping.

    ``what`` names the document in messages ("The <what> is empty").
    """
    if isinstance(text, bytes):
        try:
            text = text.decode('utf-8')
        except UnicodeDecodeError:
            raise DefinitionError(
                Problem('The %s is not UTF-8 text' % what))
    if not isinstance(text, str):
        raise DefinitionError(Problem('The %s is not text' % what))
    fast = _LIBYAML.get(loader_base)
    if fast is not None:
        try:
            return _parse(text, what, fast)
        except DefinitionError as ex:
            if ex.problem.message.startswith('The %s is not valid YAML' %
                                             what):
                # PyYAML's own parser words its errors as we document them.
                return _parse(text, what, loader_base)
            raise
    return _parse(text, what, loader_base)


def _parse(text, what, loader_base):
    loader = None
    try:
        loader = _tracking_loader(loader_base)(text)
        root = loader.get_single_node()
        data = loader.construct_document(root) if root is not None else None
    except yaml.reader.ReaderError as ex:
        line = text[:ex.position].count('\n') + 1
        raise DefinitionError(_yaml_problem(what, ex)._replace(line=line))
    except yaml.YAMLError as ex:
        raise DefinitionError(_yaml_problem(what, ex))
    except RecursionError:
        raise DefinitionError(
            Problem('The %s is nested too deeply to be read' % what))
    finally:
        if loader is not None:
            loader.dispose()
    if data is None or data == {}:
        raise DefinitionError(Problem('The %s is empty' % what))
    if not isinstance(data, dict):
        raise DefinitionError(Problem(
            'The %s is not a YAML mapping' % what,
            root.start_mark.line + 1))
    return YamlDocument(data, loader.nodes, root)


def _clean(message):
    """An owner's message on one line, without a dumped JSON schema."""
    message = str(message).split('\n\nFailed validating')[0]
    return ' '.join(message.split())


# Results by definition text, like Mistral's own spec caches: heat-engine
# and `selfheal validate` check the same definitions again and again.
_results = collections.OrderedDict()
_results_lock = threading.Lock()
_RESULTS_KEPT = 512


def _memoised(key, check, *args):
    key = hashlib.sha256(json.dumps(
        key, sort_keys=True, default=repr).encode()).digest()
    with _results_lock:
        if key in _results:
            _results.move_to_end(key)
            return list(_results[key])
    problems = tuple(check(*args))
    with _results_lock:
        _results[key] = problems
        while len(_results) > _RESULTS_KEPT:
            _results.popitem(last=False)
    return list(problems)


# -- Vitrage ----------------------------------------------------------------

VITRAGE_TEMPLATE = 'Vitrage template'


@functools.lru_cache(maxsize=None)
def vitrage_validator_available():
    try:
        _vitrage()
    except ImportError:
        return False
    return True


@functools.lru_cache(maxsize=None)
def _vitrage():
    """Vitrage's validation modules, with its template schemas registered."""
    from vitrage.common.exception import VitrageError
    from vitrage.evaluator.template_db import template_repository
    from vitrage.evaluator.template_functions.function_resolver import \
        is_function
    from vitrage.evaluator.template_schema_factory import \
        TemplateSchemaFactory
    from vitrage.evaluator import template_schemas
    from vitrage.evaluator import template_validation

    if not TemplateSchemaFactory.supported_versions():
        template_schemas.init_template_schemas()
    return _VitrageModules(template_repository, template_validation,
                           TemplateSchemaFactory, is_function, VitrageError)


class _VitrageModules(typing.NamedTuple):
    repository: typing.Any
    validation: typing.Any
    schemas: typing.Any
    is_function: typing.Any
    error: typing.Any


class _NoTemplatesDB(object):
    """The database Vitrage's validator asks for definition templates."""

    class templates(object):
        @staticmethod
        def query(**kwargs):
            return []


def load_vitrage_template(text):
    """Load a Vitrage template the way vitrageclient does (BaseLoader)."""
    return load_yaml_document(text, VITRAGE_TEMPLATE, yaml.BaseLoader).data


def _declared_parameters(template):
    declared = template.get('parameters')
    return declared if isinstance(declared, dict) else {}


def _has_default(declaration):
    # Vitrage treats an empty default as no default.
    return isinstance(declaration, dict) and bool(declaration.get('default'))


def _parameter_problems(doc, params):
    declared = _declared_parameters(doc.data)
    problems = []
    for name, declaration in declared.items():
        if name not in params and not _has_default(declaration):
            problems.append(Problem(
                "Parameter '%s' has no default and is given no value" % name,
                doc.line(declared, name)))
    for name in params:
        if name not in declared:
            problems.append(Problem(
                "Parameter '%s' is given a value but the template does not "
                "declare it" % name, doc.line(doc.data, 'parameters')))
    return problems


def _parameters_for_vitrage(template, params):
    """The given values, and a stand-in where no value is known yet.

    Missing values are reported by _parameter_problems (or not at all when
    the caller does not check them); Vitrage still validates the rest.
    """
    values = dict(params)
    for name, declaration in _declared_parameters(template).items():
        if values.get(name) is None and not _has_default(declaration):
            values[name] = '%s_value' % name
    return values


def _run_vitrage_validator(vitrage, template, params):
    metadata = template.get('metadata')
    if isinstance(metadata, dict):
        # What `vitrage template validate` runs on the server.
        return vitrage.repository.validate_templates(
            _NoTemplatesDB(), [template], None, params)[0]
    return vitrage.validation.validate_template(template, {}, params)


_VOLUPTUOUS_PATH = re.compile(r"@ data((?:\[[^\]]+\])+)")


def _vitrage_problem(vitrage, doc, result):
    message = _clean(result.comment)
    if result.status_code == 63:
        # Vitrage formats this message before any version is registered.
        message = 'Unsupported version. Version must be one of: %s' % (
            ', '.join(sorted(vitrage.schemas.supported_versions())))
    # voluptuous repeats the code: "... - 64 for dictionary value @ data"
    message = re.sub(r' - \d+( for dictionary value)?(?= @ data)', '',
                     message)
    line = None
    found = _VOLUPTUOUS_PATH.search(message)
    if result.status_code == 63:
        line = doc.line_of_path(['metadata', 'version'])
    elif found:
        path = [yaml.safe_load(part) for part in
                re.findall(r'\[([^\]]+)\]', found.group(1))]
        line = doc.line_of_path(path)
    elif ' - ' in str(result.comment):
        details = str(result.comment).split(' - ', 1)[1]
        pieces = [p.strip() for p in details.split(',') if p.strip()]
        line = doc.line_of_value(
            lambda value: value.strip() in pieces or
            any('(%s)' % p in value for p in pieces))
    return Problem('%s (Vitrage code %s)' % (message, result.status_code),
                   line, result.status_code)


def _scenario_actions(template):
    """(action container, action) for every action, v1 to v3 layouts."""
    scenarios = template.get('scenarios')
    for scenario in scenarios if isinstance(scenarios, list) else []:
        if isinstance(scenario, dict) and 'scenario' in scenario:
            scenario = scenario['scenario']
        actions = scenario.get('actions') if isinstance(scenario,
                                                        dict) else None
        for action in actions if isinstance(actions, list) else []:
            if isinstance(action, dict):
                yield action


def _strings(container):
    """(container, key, value) for every string below ``container``."""
    items = (container.items() if isinstance(container, dict)
             else enumerate(container))
    for key, value in items:
        if isinstance(value, str):
            yield container, key, value
        elif isinstance(value, (dict, list)):
            for found in _strings(value):
                yield found


def _entity_ids(template):
    if isinstance(template.get('entities'), dict):
        return set(template['entities'])
    definitions = template.get('definitions')
    entities = (definitions or {}).get('entities') if isinstance(
        definitions, dict) else None
    ids = set()
    for item in entities if isinstance(entities, list) else []:
        entity = item.get('entity') if isinstance(item, dict) else None
        if isinstance(entity, dict) and 'template_id' in entity:
            ids.add(entity['template_id'])
    return ids


def _function_problems(vitrage, doc):
    """Function calls the evaluator would fail on; Vitrage lets them pass.

    The evaluator splits every action value that looks like a call on
    '(', ')' and ',' and calls the function of that exact name.
    """
    metadata = doc.data.get('metadata')
    version = metadata.get('version') if isinstance(metadata, dict) else None
    schema = vitrage.schemas.template_schema(version)
    if schema is None:
        return []
    known = sorted(schema.functions)
    entities = _entity_ids(doc.data)
    problems = []
    for action in _scenario_actions(doc.data):
        for container, key, value in _strings(action):
            if not vitrage.is_function(value):
                continue
            parts = re.split('[(),]', value)
            name = parts[0]
            args = [arg.strip() for arg in parts[1:] if arg]
            line = doc.line(container, key)
            if name not in schema.functions:
                problems.append(Problem(
                    "Unknown function '%s' in '%s'; Vitrage knows %s" % (
                        name, value, ', '.join(known)), line))
            elif name == 'get_attr' and (len(args) != 2 or
                                         args[0] not in entities):
                problems.append(Problem(
                    "'%s' must be get_attr(entity, attribute) with an entity "
                    "of this template" % value, line))
    return problems


def check_vitrage_template(text, params=None, check_params=True):
    """Problems Vitrage's validator and the evaluator would find."""
    return _memoised(('vitrage', text, params, check_params),
                     _check_vitrage, text, params, check_params)


def _check_vitrage(text, params, check_params):
    try:
        doc = load_yaml_document(text, VITRAGE_TEMPLATE, yaml.BaseLoader)
    except DefinitionError as ex:
        return [ex.problem]
    params = dict(params or {})
    problems = _parameter_problems(doc, params) if check_params else []
    vitrage = _vitrage()
    metadata = doc.data.get('metadata')
    if metadata is not None and not isinstance(metadata, dict):
        # Vitrage's validator would fail on it with an AttributeError.
        problems.append(Problem('The metadata section must be a mapping',
                                doc.line(doc.data, 'metadata')))
        return problems
    try:
        result = _run_vitrage_validator(
            vitrage, doc.data, _parameters_for_vitrage(doc.data, params))
    except vitrage.error as ex:
        problems.append(Problem(
            'Vitrage rejected the template: %s' % _clean(ex),
            doc.line_of_path(['metadata', 'type'])))
    except Exception as ex:
        # Vitrage's validator expects strings where it finds lists or maps.
        problems.append(Problem(
            "Vitrage's validator could not read the template (%s: %s); "
            "check that every value it expects as a string is one" % (
                type(ex).__name__, _clean(ex))))
    else:
        if not result.is_valid_config:
            problems.append(_vitrage_problem(vitrage, doc, result))
    try:
        problems.extend(_function_problems(vitrage, doc))
    except Exception as ex:
        problems.append(Problem(
            'Could not check the function calls: %s' % _clean(ex)))
    return problems


# -- Mistral ----------------------------------------------------------------

MISTRAL_DEFINITION = 'Mistral definition'

_mistral_lock = threading.RLock()
_private_config_allowed = False


@functools.lru_cache(maxsize=None)
def mistral_parser_available():
    return importlib.util.find_spec('mistral') is not None


def import_mistral_in_process():
    """Let this process import Mistral even next to Heat's options.

    Mistral's modules then bind a private ConfigOpts. Only for
    single-threaded tools: another thread reading ``cfg.CONF`` during the
    import would see the private one.
    """
    global _private_config_allowed
    _private_config_allowed = True


def _heat_options_registered():
    from oslo_config import cfg
    try:
        cfg.CONF.yaql.limit_iterators
    except (cfg.NoSuchOptError, cfg.NoSuchGroupError, AttributeError):
        return False
    return True


def _mistral_parser():
    """mistral.lang.parser, or None when it must run in a child process."""
    with _mistral_lock:
        parser = sys.modules.get('mistral.lang.parser')
        if parser is None:
            if not _heat_options_registered():
                from mistral.lang import parser
            elif _private_config_allowed:
                from oslo_config import cfg
                shared = cfg.CONF
                cfg.CONF = cfg.ConfigOpts()
                try:
                    from mistral.lang import parser
                finally:
                    cfg.CONF = shared
            else:
                return None
        _cache_schema_validators()
        return parser


class _CachingJsonschema(object):
    """jsonschema for mistral.lang.base, keeping one validator per schema.

    jsonschema.validate() checks the schema against its meta-schema and
    compiles it on every call, which makes a workflow take seconds to
    parse. The errors are the same.
    The last error is kept so that its place can be found in the YAML.
    """

    def __init__(self, jsonschema):
        self._jsonschema = jsonschema
        self._validators = {}
        self.ValidationError = jsonschema.ValidationError
        self.last_error = None

    def __getattr__(self, name):
        return getattr(self._jsonschema, name)

    def validate(self, instance, schema):
        cached = self._validators.get(id(schema))
        if cached is None or cached[0] is not schema:
            # Mistral's own schemas: not checked against the meta-schema.
            cls = self._jsonschema.validators.validator_for(schema)
            cached = (schema, cls(schema))
            self._validators[id(schema)] = cached
        error = self._jsonschema.exceptions.best_match(
            cached[1].iter_errors(instance))
        if error is not None:
            self.last_error = (instance, error)
            raise error


def _cache_schema_validators():
    from mistral.lang import base
    if not isinstance(base.jsonschema, _CachingJsonschema):
        base.jsonschema = _CachingJsonschema(base.jsonschema)
    return base.jsonschema


def _is_workbook(data):
    return 'workflows' in data or 'actions' in data


def mistral_workflow_inputs(text):
    """{workflow name: its input declarations as written in the YAML}."""
    data = load_yaml_document(text, MISTRAL_DEFINITION).data
    if _is_workbook(data):
        prefix = '%s.' % data.get('name', '')
        workflows = data.get('workflows') or {}
    else:
        prefix = ''
        workflows = {k: v for k, v in data.items() if k != 'version'}
    if not isinstance(workflows, dict):
        return {}
    return {prefix + name: list(body.get('input') or [])
            for name, body in workflows.items() if isinstance(body, dict)}


def check_mistral_definition(text, extra_actions=()):
    """Problems Mistral's parser finds, and actions Mistral does not have.

    ``extra_actions`` names ad-hoc actions defined elsewhere.
    """
    if not isinstance(text, (str, bytes)):
        return [Problem('The %s is not text' % MISTRAL_DEFINITION)]
    extra_actions = tuple(sorted(extra_actions))
    try:
        return _memoised(('mistral', text, extra_actions),
                         _check_mistral, text, extra_actions)
    except RuntimeError as ex:  # not kept: may work next time
        return [Problem(str(ex))]


def _check_mistral(text, extra_actions):
    with _mistral_lock:
        parser = _mistral_parser()
    if parser is None:
        return _check_mistral_in_child(text, extra_actions)
    try:
        if isinstance(text, bytes):
            text = text.decode('utf-8')
        doc = load_yaml_document(text, MISTRAL_DEFINITION,
                                 _mistral_loader(text))
    except UnicodeDecodeError:
        return [Problem('The %s is not UTF-8 text' % MISTRAL_DEFINITION)]
    except DefinitionError as ex:
        return [ex.problem]
    with _mistral_lock:
        spec, problem = _parse_mistral(parser, doc)
    if problem:
        return [problem]
    known = known_mistral_actions()
    return _action_problems(doc, spec, known | frozenset(extra_actions))


def _mistral_loader(text):
    """Mistral's YAML loader; PyYAML's when they cannot differ.

    Mistral's reads a scalar starting with '&', '*' or '@' as plain text
    (no anchors, no aliases); without such a scalar both build the same
    data, and PyYAML's parses in C.
    """
    if not _MISTRAL_ONLY_SCALARS.search(text):
        return yaml.SafeLoader
    from mistral.utils import safe_yaml
    return safe_yaml.SafeLoader


# Where a scalar may start: line start, or after ':', ',', '?', '[', '{'
# or '-' (and blanks).
_MISTRAL_ONLY_SCALARS = re.compile(r'(?:^[ \t]*|[:,?\[{-][ \t]*)[&*@]',
                                   re.M)


def _parse_mistral(parser, doc):
    from mistral import exceptions
    validators = _cache_schema_validators()
    validators.last_error = None
    try:
        if _is_workbook(doc.data):
            spec = parser.get_workbook_spec(doc.data, validate=True)
        else:
            spec = parser.get_workflow_list_spec(doc.data, validate=True)
    except exceptions.MistralFailuresBase as ex:
        return None, _mistral_problem(doc, ex, validators.last_error)
    except Exception as ex:
        return None, Problem("Mistral's parser failed: %s: %s" % (
            type(ex).__name__, _clean(ex)))
    return spec, None


def _mistral_problem(doc, error, schema_error):
    from mistral import exceptions
    message = _clean(error)
    if message.startswith('Failed to find a specification class'):
        # Mistral appends the whole parsed document.
        message = ('Failed to find a specification class to instantiate: '
                   "check the 'type' of each workflow")
    line = None
    if schema_error is not None and schema_error[1].message in message:
        instance, error = schema_error
        path = list(error.path)
        line = doc.line_of_path(path, container=instance)
        unexpected = re.findall(r"'([^']+)' (?:was|were) unexpected",
                                error.message)
        if unexpected:
            target = instance
            for key in path:
                target = target[key]
            line = doc.line(target, unexpected[0]) or line
    if line is None and isinstance(error,
                                   exceptions.ExpressionGrammarException):
        line = doc.line_of_value(_fails_expression_validation)
    if line is None:
        names = re.findall(r"'([^']+)'", message)
        if names:
            line = doc.line_of_value(lambda value: value == names[0])
    return Problem(message, line)


def _fails_expression_validation(value):
    from mistral import expressions
    if not isinstance(value, str) or not _is_expression(value):
        return False
    try:
        expressions.validate(value)
    except Exception:
        return True
    return False


def _workflow_bodies(doc):
    if _is_workbook(doc.data):
        workflows = doc.data.get('workflows') or {}
    else:
        workflows = doc.data
    return workflows


def _action_problems(doc, spec, known):
    workflows = _workflow_bodies(doc)
    if _is_workbook(doc.data):
        adhoc = set(doc.data.get('actions') or {})
        known = known | adhoc | {
            '%s.%s' % (doc.data.get('name'), name) for name in adhoc}
        wf_specs = spec.get_workflows() or []
    else:
        wf_specs = spec.get_workflows()
    problems = []
    for wf_spec in wf_specs:
        wf_name = wf_spec.get_name()
        body = workflows.get(wf_name) if isinstance(workflows, dict) else None
        tasks = body.get('tasks') if isinstance(body, dict) else None
        for task_spec in wf_spec.get_tasks():
            action = task_spec.get_action_name()
            if not action or action in known or _is_expression(action):
                continue
            task = tasks.get(task_spec.get_name()) if isinstance(
                tasks, dict) else None
            problems.append(Problem(
                "Task '%s' of workflow '%s' uses action '%s', which neither "
                "Mistral nor mistral-extra provides" % (
                    task_spec.get_name(), wf_name, action),
                doc.line(task, 'action') if task is not None else None))
    return problems


def _is_expression(name):
    return '<%' in name or '{{' in name


# Mistral in a child process, for processes that hold Heat's options.

def _check_mistral_in_child(text, extra_actions):
    if isinstance(text, bytes):
        try:
            text = text.decode('utf-8')
        except UnicodeDecodeError:
            return [Problem('The %s is not UTF-8 text' % MISTRAL_DEFINITION)]
    request = {'text': text, 'extra_actions': list(extra_actions)}
    return [Problem(*item) for item in _MISTRAL_CHECKER.check(request)]


class _MistralChecker(object):
    """One long-lived child running Mistral's parser for this process.

    Starting Python and importing Mistral costs seconds; a heat-engine
    pays it once, not for every definition.
    """

    timeout = 300

    def __init__(self):
        self._lock = threading.Lock()
        self._process = None

    def check(self, request):
        with self._lock:
            for _attempt in range(2):
                reply = self._ask(json.dumps(request) + '\n')
                if reply:
                    return json.loads(reply)
                self._stop()
        raise RuntimeError('The Mistral checks failed: the checking '
                           'process exited')

    def _ask(self, line):
        if self._process is None or self._process.poll() is not None:
            self._process = subprocess.Popen(
                [sys.executable, '-m', 'heat_plugins.definition_checks',
                 'serve-mistral'],
                stdin=subprocess.PIPE, stdout=subprocess.PIPE,
                stderr=subprocess.DEVNULL, text=True)
        try:
            self._process.stdin.write(line)
            self._process.stdin.flush()
            ready, _w, _x = select.select([self._process.stdout], [], [],
                                          self.timeout)
            return self._process.stdout.readline() if ready else ''
        except (OSError, ValueError):
            return ''

    def _stop(self):
        if self._process is not None and self._process.poll() is None:
            self._process.kill()
            self._process.wait()
        self._process = None


_MISTRAL_CHECKER = _MistralChecker()


def _run_child(command, stdin=''):
    try:
        done = subprocess.run(
            [sys.executable, '-m', 'heat_plugins.definition_checks', command],
            input=stdin, capture_output=True, text=True, timeout=300)
    except (OSError, subprocess.SubprocessError) as ex:
        raise RuntimeError('Could not run the Mistral checks: %s' % ex)
    if done.returncode != 0:
        last = (done.stderr.strip().splitlines() or ['no output'])[-1]
        raise RuntimeError('The Mistral checks failed: %s' % last)
    return done.stdout


# The action list Mistral would load, cached on disk per installed versions.

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
    # Generating imports every OpenStack client (seconds, noisy): do it in a
    # child process, with Mistral's default configuration.
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


def _list_mistral_actions():
    import warnings
    warnings.simplefilter('ignore')
    _mistral_parser()  # first: std_actions needs Mistral's db api loaded
    from mistral.actions import legacy
    from oslo_config import cfg
    try:
        import mistral_extra.config  # noqa: F401  (the mapping option)
    except ImportError:
        pass
    cfg.CONF([], project='mistral', default_config_files=[],
             default_config_dirs=[])
    return sorted(d.name for d in legacy.LegacyActionProvider().find_all())


def _main(argv):
    import logging
    import warnings
    logging.disable(logging.CRITICAL)
    warnings.simplefilter('ignore')
    if argv == ['list-mistral-actions']:
        print(json.dumps(_list_mistral_actions()))
    elif argv == ['check-mistral']:
        # One request on stdin; kept for engines started before
        # serve-mistral existed (a rolling upgrade).
        request = json.load(sys.stdin)
        problems = check_mistral_definition(
            request['text'], request.get('extra_actions', ()))
        print(json.dumps([list(p) for p in problems]))
    elif argv == ['serve-mistral']:
        # One JSON request per line in, one JSON list of problems out.
        for line in sys.stdin:
            request = json.loads(line)
            problems = check_mistral_definition(
                request['text'], request.get('extra_actions', ()))
            print(json.dumps([list(p) for p in problems]), flush=True)
    else:
        sys.stderr.write('usage: python -m heat_plugins.definition_checks '
                         '{list-mistral-actions|serve-mistral|'
                         'check-mistral}\n')
        return 2
    return 0


if __name__ == '__main__':
    sys.exit(_main(sys.argv[1:]))
