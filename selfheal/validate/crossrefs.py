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

"""References between files: Vitrage's execute_mistral and Mistral workflows.

Vitrage accepts any workflow name and any input; Mistral fails the
execution at run time. Here every execute_mistral must name a workflow of
the checked Mistral definitions and pass exactly the inputs it declares,
all of its inputs without a default included.
"""

import re

import yaml

from selfheal.validate import library
from selfheal_checks import mistral
from selfheal_checks import vitrage
from selfheal_checks import yaml_lines

GET_PARAM = re.compile(r'^\s*get_param\(.*\)\s*$')


class Workflows(object):
    """Workflows by name, from the checked Mistral definitions."""

    def __init__(self):
        self._found = {}    # name -> (input declarations, Source)

    def add(self, source):
        """Record the workflows of a Mistral file; findings for duplicates."""
        findings = []
        try:
            inputs = mistral.mistral_workflow_inputs(source.text)
        except yaml_lines.DefinitionError:
            return findings  # reported by the Mistral check
        for name, declarations in inputs.items():
            first = self._found.get(name)
            if first is not None and first[1] is not source:
                findings.append(source.finding(
                    "Workflow '%s' is also defined in %s" % (
                        name, first[1].display),
                    source.doc.line(source.doc.data, name)))
                continue
            self._found[name] = (declarations, source)
        return findings

    def get(self, name):
        return self._found.get(name, (None, None))[0]


def _declared(declarations):
    """(all input names, names without a default) of a workflow."""
    names, required = [], []
    for item in declarations or []:
        if isinstance(item, str):
            names.append(item)
            required.append(item)
        elif isinstance(item, dict) and len(item) == 1:
            names.extend(item)
    return names, required


def _execute_mistral_actions(template):
    """The execute_mistral bodies of a Vitrage template, v2 and v3."""
    scenarios = template.get('scenarios')
    for scenario in scenarios if isinstance(scenarios, list) else []:
        if not isinstance(scenario, dict):
            continue
        if isinstance(scenario.get('scenario'), dict):  # v1, v2
            for item in scenario['scenario'].get('actions') or []:
                action = item.get('action') if isinstance(item, dict) \
                    else None
                if isinstance(action, dict) and \
                        action.get('action_type') == 'execute_mistral' and \
                        isinstance(action.get('properties'), dict):
                    yield action['properties']
        for item in scenario.get('actions') or []:              # v3
            if isinstance(item, dict) and \
                    isinstance(item.get('execute_mistral'), dict):
                yield item['execute_mistral']


def check_execute_mistral(source, text, workflows, params=None,
                          where=None, where_line=None, resolve=None):
    """Findings for the execute_mistral actions of one Vitrage template.

    ``params`` are the values Heat gives the template's parameters; where
    given, ``where``/``where_line`` place the findings in the HOT file
    (``source``) instead of the Vitrage file. ``resolve(call)`` gives the
    value of a get_param call, as resolve_parameter() does (the default).
    """
    if resolve is None:
        def resolve(call):
            return resolve_parameter(call, text, params)
    try:
        doc = yaml_lines.load_yaml_document(
            text, library.VITRAGE, yaml.BaseLoader)
    except yaml_lines.DefinitionError:
        return []   # reported by the Vitrage check

    def finding(message, line, severity='error'):
        if where is not None:
            return source.finding('%s: %s' % (where, message), where_line,
                                  severity)
        return source.finding(message, line, severity)

    findings = []
    for body in _execute_mistral_actions(doc.data):
        name = body.get('workflow')
        line = doc.line(body, 'workflow')
        if not isinstance(name, str):
            continue    # Vitrage's validator reports it
        if GET_PARAM.match(name):
            name = resolve(name)
            if name is None:
                findings.append(finding(
                    "execute_mistral takes its workflow from %s, which has "
                    "no value here; workflow not checked" % body['workflow'],
                    line, 'note'))
                continue
        declarations = workflows.get(name)
        if declarations is None:
            findings.append(finding(
                "execute_mistral names workflow '%s', which none of the "
                "checked Mistral definitions defines" % name, line))
            continue
        given = body.get('input') if isinstance(body.get('input'),
                                                dict) else {}
        names, required = _declared(declarations)
        for missing in required:
            if missing not in given:
                findings.append(finding(
                    "execute_mistral of workflow '%s' does not pass its "
                    "required input '%s'" % (name, missing),
                    doc.line(body, 'input') if 'input' in body else line))
        for extra in given:
            if extra not in names:
                findings.append(finding(
                    "execute_mistral passes input '%s', which workflow '%s' "
                    "does not declare" % (extra, name),
                    doc.line(given, extra)))
    return findings


def resolve_parameter(call, text, params=None):
    """The value Vitrage's own get_param gives, or None if there is none.

    ``text`` is the Vitrage template, ``params`` the values given to it.
    """
    from vitrage.evaluator.template_functions.v2.functions import get_param
    from vitrage.evaluator.template_validation.base import ValidationError
    template = vitrage.load_vitrage_template(text)
    try:
        value = get_param(call.strip(), template, actual_params=params)
    except ValidationError:
        return None
    return value if isinstance(value, str) else None
