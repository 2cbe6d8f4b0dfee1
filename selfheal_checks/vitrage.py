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

"""Vitrage templates checked by Vitrage's own template validator."""

import functools
import re
import typing

import yaml

from heat_plugins import definition_checks
from selfheal_checks import results
from selfheal_checks import yaml_lines

Problem = yaml_lines.Problem
DefinitionError = yaml_lines.DefinitionError
VITRAGE_TEMPLATE = definition_checks.VITRAGE_TEMPLATE
load_vitrage_template = definition_checks.load_vitrage_template


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
    message = results.clean(result.comment)
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
    return results.memoised(('vitrage', text, params, check_params),
                            _check_vitrage, text, params, check_params)


def _check_vitrage(text, params, check_params):
    try:
        doc = yaml_lines.load_yaml_document(text, VITRAGE_TEMPLATE,
                                            yaml.BaseLoader)
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
            'Vitrage rejected the template: %s' % results.clean(ex),
            doc.line_of_path(['metadata', 'type'])))
    except Exception as ex:
        # Vitrage's validator expects strings where it finds lists or maps.
        problems.append(Problem(
            "Vitrage's validator could not read the template (%s: %s); "
            "check that every value it expects as a string is one" % (
                type(ex).__name__, results.clean(ex))))
    else:
        if not result.is_valid_config:
            problems.append(_vitrage_problem(vitrage, doc, result))
    try:
        problems.extend(_function_problems(vitrage, doc))
    except Exception as ex:
        problems.append(Problem(
            'Could not check the function calls: %s' % results.clean(ex)))
    return problems
