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

import time

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

# An answer that is neither a refusal nor a success, e.g. the empty 408 or
# 500 of Mistral's WSGI server, leaves the outcome unknown: what Mistral
# holds is read back, and a create it did not make is asked again.
CREATE_ATTEMPTS = 3
NOT_PROCESSED = (408, 429)


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

    def definition_problems(self, props):
        text = self.definition_text(props)
        if self.offline_validator_available():
            return definition_checks.check_mistral_definition(text)
        try:
            definition_checks.mistral_workflow_inputs(text)
        except definition_checks.DefinitionError as ex:
            return [ex.problem]
        return []

    def remote_validate(self, props):
        result = _asked_again_on_parse_error(
            lambda: self.client().workflows.validate(
                self.definition_text(props)),
            refusal=lambda answer: (None if answer.get('valid')
                                    else answer.get('error')))
        if not result.get('valid'):
            raise exception.StackValidationFailed(
                path=self.definition_path(),
                message=_('Mistral rejected the definition: %s') %
                result.get('error'))

    def _stored_workflows(self):
        """[(name, id)] of the workflows this resource holds in Mistral."""
        return [tuple(pair) for pair in
                jsonutils.loads(self.data().get('workflows', '[]'))]

    def _record(self, created):
        """Own workflows from the moment Mistral has them."""
        held = dict(self._stored_workflows())
        held.update((wf.name, wf.id) for wf in created)
        self.data_set('workflows', jsonutils.dumps(sorted(held.items())))

    def _forget(self, name):
        held = dict(self._stored_workflows())
        held.pop(name, None)
        self.data_set('workflows', jsonutils.dumps(sorted(held.items())))

    def describe_error(self, ex):
        message = ex.error_message
        if isinstance(message, bytes):
            message = message.decode('utf-8', 'replace')
        return _('HTTP %(code)s: %(message)s') % {
            'code': ex.error_code,
            'message': message or _('no error message')}

    def remote_create(self, props):
        text = self.definition_text(props)
        namespace = props[self.NAMESPACE]
        for attempt in range(1, CREATE_ATTEMPTS + 1):
            try:
                created = _asked_again_on_parse_error(
                    lambda: self.client().workflows.create(
                        text, namespace=namespace, scope=props[self.SCOPE]))
                break
            except mistral_base.APIException as ex:
                if _is_refusal(ex):
                    raise
                created = self._stored_despite(ex, text, namespace)
                if created:
                    break
                if attempt == CREATE_ATTEMPTS:
                    raise
                LOG.warning('Mistral stored none of the workflows and '
                            'answered "%(answer)s" (attempt %(attempt)d of '
                            '%(attempts)d); asking again',
                            {'answer': self.describe_error(ex),
                             'attempt': attempt,
                             'attempts': CREATE_ATTEMPTS})
                time.sleep(attempt)
        self._record(created)
        return created[0].id

    def _stored_despite(self, answer, text, namespace):
        """The workflows of text that Mistral holds after an unclear
        answer, such as a 5xx after the commit: all of them, or [] if
        none; raise the answer if only some. Mistral stores a file in one
        transaction, and names it already held are refused with a 409.
        """
        names = list(definition_checks.mistral_workflow_inputs(text))
        found = [wf for wf in self._read(names, namespace) if wf is not None]
        if found and len(found) < len(names):
            self._record(found)
            self.resource_id_set(found[0].id)
            raise answer
        if found:
            LOG.warning('Mistral stored the workflows %(names)s although '
                        'it answered "%(answer)s"',
                        {'names': ', '.join(names),
                         'answer': self.describe_error(answer)})
        return found

    def _read(self, identifiers, namespace):
        """Mistral's workflow for each id or name; None where it has none."""
        answers = []
        for identifier in identifiers:
            try:
                answers.append(self.client().workflows.get(
                    identifier, namespace=namespace))
            except Exception as ex:
                self.client_plugin().ignore_not_found(ex)
                answers.append(None)
        return answers

    def remote_status(self):
        held = self._stored_workflows()
        answers = self._read([wf_id for _name, wf_id in held],
                             self.properties[self.NAMESPACE])
        missing = [name for (name, _id), wf in zip(held, answers)
                   if wf is None]
        if len(missing) == len(held):
            return None
        if missing:
            return 'INCOMPLETE', _('workflows missing: %s') % ', '.join(
                missing)
        return self.READY_STATUS, ''

    def remote_delete(self):
        """Delete every workflow held; the first refusal is raised once
        all were asked.
        """
        refusal = None
        for name, wf_id in self._stored_workflows():
            try:
                self.client().workflows.delete(
                    wf_id, namespace=self.properties[self.NAMESPACE])
            except Exception as ex:
                if not self.client_plugin().is_not_found(ex):
                    refusal = refusal or ex
        if refusal is not None:
            raise refusal

    def needs_replace_failed(self):
        # Workflow names are unique per namespace: while ours exist, a
        # replacement could not create them; an update reconciles them.
        if not self.resource_id:
            return True
        with self.talking_to_service(_('reading the definition status')):
            return self.remote_status() is None

    def prepare_for_replace(self):
        # A replacement in the same namespace creates workflows of the same
        # names: Mistral would refuse them while these exist.
        if self.resource_id and not self.deleted(self.start_deletion()):
            raise exception.Error(
                _('Mistral still holds the workflows %s being replaced') %
                ', '.join(name for name, _id in self._stored_workflows()))

    def handle_update(self, json_snippet, tmpl_diff, prop_diff):
        if not prop_diff:
            return
        new_props = json_snippet.properties(self.properties_schema,
                                            self.context)
        self.validate_remotely(new_props)
        with self.talking_to_service(_('updating the definition')):
            self._update_workflows(self.definition_text(new_props),
                                   self.properties[self.NAMESPACE],
                                   new_props[self.SCOPE])

    def _update_workflows(self, definition, namespace, scope):
        """Update kept workflows, create new ones, delete dropped ones.

        Each step is recorded as soon as Mistral made it, so a failure
        half-way leaves the record covering every workflow that exists.
        """
        workflows = self.client().workflows

        def update(text):
            return _asked_again_on_parse_error(lambda: workflows.update(
                text, namespace=namespace, scope=scope))

        def create(text):
            return _asked_again_on_parse_error(lambda: workflows.create(
                text, namespace=namespace, scope=scope))

        held = dict(self._stored_workflows())
        new_names = list(definition_checks.mistral_workflow_inputs(
            definition))
        kept = [n for n in new_names if n in held]
        added = [n for n in new_names if n not in held]
        if kept:
            self._record(update(
                _subset(definition, kept) if added else definition))
        if added:
            self._record(create(_subset(definition, added)))
        for name in set(held) - set(new_names):
            with self.client_plugin().ignore_not_found:
                workflows.delete(held[name], namespace=namespace)
            self._forget(name)

    def get_reference_id(self):
        # As OS::Mistral::Workflow: the name, here of the file's first
        # workflow, which is what execute_mistral and std.workflow take.
        if self.resource_id is None:
            return super(MistralWorkflowDefinition, self).get_reference_id()
        return self._workflow_names()[0]

    def _workflow_names(self):
        return list(definition_checks.mistral_workflow_inputs(
            self.definition_text(self.properties)))

    def _resolve_attribute(self, name):
        if not self.resource_id:
            return None
        if name == self.WORKFLOW_NAMES:
            return self._workflow_names()
        if name == self.WORKFLOW_IDS:
            return dict(self._stored_workflows())
        if name == self.WORKFLOW_INPUTS:
            return definition_checks.mistral_workflow_inputs(
                self.definition_text(self.properties))


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


def _is_refusal(ex):
    """Whether Mistral refused the request: asking again is pointless."""
    return (isinstance(ex.error_code, int) and 400 <= ex.error_code < 500
            and ex.error_code not in NOT_PROCESSED)


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
