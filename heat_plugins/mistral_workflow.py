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

from mistralclient.api import base as mistral_base
from oslo_log import log as logging
from oslo_serialization import jsonutils
import yaml

from heat.common import exception
from heat.common.i18n import _
from heat.engine import attributes
from heat.engine import constraints
from heat.engine import properties
from heat.engine import support

from heat_plugins import definition_checks
from heat_plugins import remote_definition

LOG = logging.getLogger(__name__)

# Mistral 23's API threads share one YAQL parser: concurrent requests can
# corrupt each other's parse, and a valid definition is refused with a
# parse error that no expression in it has. A real grammar error repeats,
# so such a refusal is asked again before it is believed.
PARSE_ERRORS = ('Parse error', 'Lexical error')
PARSE_ATTEMPTS = 3


class MistralWorkflowDefinition(remote_definition.RemoteDefinition):
    """A Mistral v2 workflow file, stored in Mistral as it is.

    Unlike OS::Mistral::Workflow, the definition is the YAML an operator
    would give to ``openstack workflow create``; every workflow it defines
    is created. A changed definition is updated in place.
    """

    support_status = support.SupportStatus(
        version='1.0.0',
        message=_('Provided by the heat-selfhealing plugins.'))

    default_client_name = 'mistral'

    service_name = 'Mistral'

    service_errors = (mistral_base.APIException,)

    definition_property = 'definition'

    PROPERTIES = (
        DEFINITION, NAMESPACE, SCOPE,
    ) = (
        'definition', 'namespace', 'scope',
    )

    ATTRIBUTES = (
        WORKFLOW_NAMES, WORKFLOW_IDS, WORKFLOW_INPUTS,
    ) = (
        'workflow_names', 'workflow_ids', 'workflow_inputs',
    )

    properties_schema = {
        DEFINITION: properties.Schema(
            properties.Schema.STRING,
            _('Mistral v2 workflow definition as YAML text, typically '
              '{get_file: my_workflows.yaml}. It may define several '
              'workflows.'),
            required=True,
            update_allowed=True,
        ),
        NAMESPACE: properties.Schema(
            properties.Schema.STRING,
            _('Mistral namespace of the workflows.'),
            default='',
        ),
        SCOPE: properties.Schema(
            properties.Schema.STRING,
            _('Scope of the workflows.'),
            default='private',
            constraints=[constraints.AllowedValues(['private', 'public'])],
            update_allowed=True,
        ),
    }

    attributes_schema = {
        WORKFLOW_NAMES: attributes.Schema(
            _('Names of the workflows, in definition order.'),
            type=attributes.Schema.LIST
        ),
        WORKFLOW_IDS: attributes.Schema(
            _('Mistral ids of the workflows, by name.'),
            type=attributes.Schema.MAP
        ),
        WORKFLOW_INPUTS: attributes.Schema(
            _('Input declarations of each workflow, by name.'),
            type=attributes.Schema.MAP
        ),
    }

    def offline_validator_available(self):
        return definition_checks.mistral_parser_available()

    def definition_problems(self, text):
        if self.offline_validator_available():
            return definition_checks.check_mistral_definition(text)
        try:
            definition_checks.mistral_workflow_inputs(text)
        except definition_checks.DefinitionError as ex:
            return [ex.problem]
        return []

    def remote_validate(self, text):
        result = _asked_again_on_parse_error(
            lambda: self.client().workflows.validate(text),
            refusal=lambda answer: (None if answer.get('valid')
                                    else answer.get('error')))
        if not result.get('valid'):
            raise exception.StackValidationFailed(
                path=self.definition_path(),
                message=_('Mistral rejected the definition: %s') %
                result.get('error'))

    def _stored_workflows(self):
        """[(name, id)] of the workflows this resource created."""
        return [tuple(pair) for pair in
                jsonutils.loads(self.data().get('workflows', '[]'))]

    def _store_workflows(self, workflows):
        self.data_set('workflows', jsonutils.dumps(workflows))

    def remote_create(self, text):
        created = _asked_again_on_parse_error(
            lambda: self.client().workflows.create(
                text,
                namespace=self.properties[self.NAMESPACE],
                scope=self.properties[self.SCOPE]))
        self._store_workflows([(wf.name, wf.id) for wf in created])
        return created[0].id

    def remote_status(self):
        missing = []
        for name, wf_id in self._stored_workflows():
            try:
                self.client().workflows.get(
                    wf_id, namespace=self.properties[self.NAMESPACE])
            except Exception as ex:
                self.client_plugin().ignore_not_found(ex)
                missing.append(name)
        if len(missing) == len(self._stored_workflows()):
            return None
        if missing:
            return 'INCOMPLETE', _('workflows missing: %s') % ', '.join(
                missing)
        return self.READY_STATUS, ''

    def remote_delete(self):
        for name, wf_id in self._stored_workflows():
            with self.client_plugin().ignore_not_found:
                self.client().workflows.delete(
                    wf_id, namespace=self.properties[self.NAMESPACE])

    def handle_update(self, json_snippet, tmpl_diff, prop_diff):
        if not prop_diff:
            return
        new_props = json_snippet.properties(self.properties_schema,
                                            self.context)
        definition = new_props[self.DEFINITION]
        scope = new_props[self.SCOPE]
        namespace = self.properties[self.NAMESPACE]
        self.recheck_definition(definition)
        with self.talking_to_service(_('validating')):
            self.remote_validate(definition)
        with self.talking_to_service(_('updating the definition')):
            self._store_workflows(self._update_workflows(
                definition, namespace, scope))

    def _update_workflows(self, definition, namespace, scope):
        """Update kept workflows, create new ones, delete dropped ones."""
        workflows = self.client().workflows

        def update(text):
            return _asked_again_on_parse_error(lambda: workflows.update(
                text, namespace=namespace, scope=scope))

        def create(text):
            return _asked_again_on_parse_error(lambda: workflows.create(
                text, namespace=namespace, scope=scope))

        old = dict(self._stored_workflows())
        new_names = list(definition_checks.mistral_workflow_inputs(
            definition))
        ids = {}
        kept = [n for n in new_names if n in old]
        added = [n for n in new_names if n not in old]
        if kept and not added:
            updated = update(definition)
            ids.update((wf.name, wf.id) for wf in updated)
        else:
            if kept:
                updated = update(_subset(definition, kept))
                ids.update((wf.name, wf.id) for wf in updated)
            created = create(_subset(definition, added))
            ids.update((wf.name, wf.id) for wf in created)
        for name in set(old) - set(new_names):
            with self.client_plugin().ignore_not_found:
                workflows.delete(old[name], namespace=namespace)
        return [(name, ids[name]) for name in new_names]

    def _resolve_attribute(self, name):
        if not self.resource_id:
            return None
        workflows = self._stored_workflows()
        if name == self.WORKFLOW_NAMES:
            return [wf_name for wf_name, _id in workflows]
        if name == self.WORKFLOW_IDS:
            return dict(workflows)
        if name == self.WORKFLOW_INPUTS:
            return definition_checks.mistral_workflow_inputs(
                self.definition_text())


def _asked_again_on_parse_error(call, refusal=lambda answer: None):
    """call()'s answer, asked again while Mistral refuses with a parse
    error (see PARSE_ERRORS); the last answer otherwise.
    """
    for attempt in range(1, PARSE_ATTEMPTS + 1):
        try:
            answer = call()
            error = refusal(answer)
        except mistral_base.APIException as ex:
            answer, error = ex, ex.error_message
        if attempt == PARSE_ATTEMPTS or not _is_parse_error(error):
            break
        LOG.warning('Mistral refused a definition with "%(error)s" '
                    '(attempt %(attempt)d of %(attempts)d); asking again, '
                    'as concurrent requests can corrupt its YAQL parse',
                    {'error': error, 'attempt': attempt,
                     'attempts': PARSE_ATTEMPTS})
    if isinstance(answer, Exception):
        raise answer
    return answer


def _is_parse_error(message):
    return any(kind in (message or '') for kind in PARSE_ERRORS)


def _subset(definition, names):
    """A workflow file holding only the named workflows of a definition."""
    document = yaml.safe_load(definition)
    subset = {'version': document['version']}
    subset.update((name, document[name]) for name in names)
    return yaml.safe_dump(subset, default_flow_style=False, sort_keys=False)


def resource_mapping():
    return {
        'SelfHealing::Mistral::Workflow': MistralWorkflowDefinition,
    }
