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

"""Mistral definitions checked by Mistral's own DSL parser.

Mistral and Heat both register the ``[yaql]`` options, with different
defaults, so Mistral cannot be imported into a process that already holds
Heat's options. Such a process runs these checks through
heat_plugins.definition_checks (child processes), unless it calls
``import_mistral_in_process()`` first, which is only safe while no other
thread reads ``cfg.CONF``.
"""

import re
import sys
import threading

import yaml

from heat_plugins import definition_checks
from selfheal_checks import mistral_actions
from selfheal_checks import results
from selfheal_checks import yaml_lines

Problem = yaml_lines.Problem
DefinitionError = yaml_lines.DefinitionError
MISTRAL_DEFINITION = definition_checks.MISTRAL_DEFINITION
mistral_workflow_inputs = definition_checks.mistral_workflow_inputs

_mistral_lock = threading.RLock()
_private_config_allowed = False


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


def check_mistral_definition(text, extra_actions=()):
    """Problems Mistral's parser finds, and actions Mistral does not have.

    ``extra_actions`` names ad-hoc actions defined elsewhere.
    """
    if not isinstance(text, (str, bytes)):
        return [Problem('The %s is not text' % MISTRAL_DEFINITION)]
    extra_actions = tuple(sorted(extra_actions))
    try:
        return results.memoised(('mistral', text, extra_actions),
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
        doc = yaml_lines.load_yaml_document(text, MISTRAL_DEFINITION,
                                            _mistral_loader(text))
    except UnicodeDecodeError:
        return [Problem('The %s is not UTF-8 text' % MISTRAL_DEFINITION)]
    except DefinitionError as ex:
        return [ex.problem]
    with _mistral_lock:
        spec, problem = _parse_mistral(parser, doc)
    if problem:
        return [problem]
    known = mistral_actions.known_mistral_actions()
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
        if definition_checks.is_workbook(doc.data):
            spec = parser.get_workbook_spec(doc.data, validate=True)
        else:
            spec = parser.get_workflow_list_spec(doc.data, validate=True)
    except exceptions.MistralFailuresBase as ex:
        return None, _mistral_problem(doc, ex, validators.last_error)
    except Exception as ex:
        return None, Problem("Mistral's parser failed: %s: %s" % (
            type(ex).__name__, results.clean(ex)))
    return spec, None


def _mistral_problem(doc, error, schema_error):
    from mistral import exceptions
    message = results.clean(error)
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
    if definition_checks.is_workbook(doc.data):
        workflows = doc.data.get('workflows') or {}
    else:
        workflows = doc.data
    return workflows


def _action_problems(doc, spec, known):
    workflows = _workflow_bodies(doc)
    if definition_checks.is_workbook(doc.data):
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


def _check_mistral_in_child(text, extra_actions):
    """Mistral's parser in heat_plugins.definition_checks' processes."""
    return definition_checks.check_mistral_definition(text, extra_actions)
