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

"""The lifecycle of a definition document held by a remote service.

Vitrage templates and Mistral workflows are both YAML documents that a
service parses, stores and activates. RemoteDefinition runs their shared
lifecycle: offline checks by the owner's code in validate(), a remote
validation and store on create, polling until the service activates the
document, a health check, and a delete that only counts once the
service's listing no longer has the document. Subclasses only say how to
talk to their service.
"""

import contextlib
import time

from keystoneauth1 import exceptions as ks_exceptions
from oslo_log import log as logging

from heat.common import exception
from heat.common.i18n import _
from heat.engine import function
from heat.engine import resource

from heat_plugins import definition_checks

LOG = logging.getLogger(__name__)

_UNREACHABLE = (ks_exceptions.ConnectFailure,
                ks_exceptions.ConnectTimeout,
                ks_exceptions.EndpointNotFound,
                ks_exceptions.DiscoveryFailure,
                ks_exceptions.ServiceUnavailable,
                ks_exceptions.BadGateway,
                ks_exceptions.GatewayTimeout)


class Deletion(object):
    """A deletion in progress: requests made, the last answer, a deadline."""

    def __init__(self, timeout):
        self.deadline = time.monotonic() + timeout
        self.requests = 0
        self.answer = None

    def expired(self):
        return time.monotonic() > self.deadline


class RemoteDefinition(resource.Resource):
    """A resource whose physical object is a document a service stores."""

    # Name of the owning service, for operator messages.
    service_name = None

    # Exceptions the service's client raises for API errors.
    service_errors = ()

    # Remote statuses meaning "stored and in force", "still loading" and
    # "being removed".
    READY_STATUS = 'ACTIVE'
    LOADING_STATUSES = ()
    DELETING_STATUSES = ()

    # Seconds a document may stay in LOADING_STATUSES or DELETING_STATUSES
    # before the action fails.
    settle_timeout = 300

    # Delete requests made while the listing still shows the document in
    # force, before the delete fails.
    delete_requests = 3

    # The property holding the document.
    definition_property = None

    def offline_validator_available(self):
        """Whether the owner's validator can be used here."""
        return False

    def definition_problems(self, props):
        """Problems found offline, as definition_checks.Problem items.

        Must at least refuse anything but a YAML mapping: some clients
        read a definition that looks like a path or a URL from the engine.
        """
        raise NotImplementedError()

    def remote_validate(self, props):
        """Ask the service to validate; raise StackValidationFailed."""
        raise NotImplementedError()

    def remote_create(self, props):
        """Store the document; return the physical resource id."""
        raise NotImplementedError()

    def remote_status(self):
        """Return (status, details) or None if the service lists none."""
        raise NotImplementedError()

    def remote_delete(self):
        """Ask the service to delete the document.

        Its answer is not trusted either way: Vitrage answers 404 for any
        failure. The deletion counts once remote_status() returns None.
        """
        raise NotImplementedError()

    def definition_text(self, props):
        return props[self.definition_property]

    def definition_path(self):
        """Property path of the document, for validation errors."""
        return [self.stack.t.RESOURCES, self.name,
                self.stack.t.get_section_name('properties'),
                self.definition_property]

    def definition_resolved(self):
        """False while the document depends on other resources' values."""
        raw = self.properties.data.get(self.definition_property)
        return not any(True for _dep in function.dependencies(raw))

    def check_definition(self, props):
        """Check the document offline; raise StackValidationFailed."""
        try:
            problems = self.definition_problems(props)
        except definition_checks.CheckerUnavailable as ex:
            problems = [definition_checks.Problem(str(ex))]
        if problems:
            raise exception.StackValidationFailed(
                path=self.definition_path(), message=_describe(problems))

    def recheck_definition(self, props):
        """Check the document resolved at create or update time."""
        try:
            problems = self.definition_problems(props)
        except definition_checks.CheckerUnavailable as ex:
            raise exception.Error(str(ex))
        if problems:
            raise exception.Error(
                _('Property %(property)s: %(problems)s') %
                {'property': self.definition_property,
                 'problems': _describe(problems)})

    @contextlib.contextmanager
    def talking_to_service(self, doing):
        """Turn client and connection failures into one clear error."""
        try:
            yield
        except (exception.StackValidationFailed, exception.Error):
            raise
        except _UNREACHABLE as ex:
            # str() now: lazy i18n deep-copies params, and copies of
            # client exceptions lose their message.
            raise exception.Error(
                _('%(service)s is unreachable while %(doing)s: %(error)s') %
                {'service': self.service_name, 'doing': doing,
                 'error': str(ex)})
        except self.service_errors as ex:
            raise exception.Error(
                _('%(service)s failed while %(doing)s: %(error)s') %
                {'service': self.service_name, 'doing': doing,
                 'error': self.describe_error(ex)})

    def describe_error(self, ex):
        """The service's answer in an operator message."""
        return str(ex)

    def validate(self):
        super(RemoteDefinition, self).validate()
        if not self.definition_resolved():
            return
        self.check_definition(self.properties)
        if not self.offline_validator_available():
            with self.talking_to_service(_('validating')):
                self.remote_validate(self.properties)

    def validate_remotely(self, props):
        """Checks before anything remote changes, on resolved values."""
        self.recheck_definition(props)
        with self.talking_to_service(_('validating')):
            self.remote_validate(props)

    def store_definition(self, props):
        """Store the document and own it; return the loading deadline."""
        with self.talking_to_service(_('storing the definition')):
            self.resource_id_set(self.remote_create(props))
        return time.monotonic() + self.settle_timeout

    def handle_create(self):
        # Checked again: values resolved since validate() may differ.
        self.validate_remotely(self.properties)
        return self.store_definition(self.properties)

    def check_create_complete(self, deadline):
        return self.loaded(deadline)

    def loaded(self, deadline):
        """True once in force; raise Error if it will not be.

        A definition the service refuses to load will not load on a
        retry: fail with Error, which Heat does not retry.
        """
        with self.talking_to_service(_('reading the definition status')):
            found = self.remote_status()
        if found is None:
            raise exception.Error(
                _('%s lost the definition while loading it') %
                self.service_name)
        status, details = found
        if status == self.READY_STATUS:
            return True
        if status not in self.LOADING_STATUSES:
            raise exception.Error(
                _('%(service)s put the definition in %(status)s: '
                  '%(details)s') %
                {'service': self.service_name, 'status': status,
                 'details': details})
        if time.monotonic() > deadline:
            raise exception.Error(
                _('%(service)s did not activate the definition within '
                  '%(timeout)s s; it is still %(status)s') %
                {'service': self.service_name,
                 'timeout': self.settle_timeout, 'status': status})
        return False

    def handle_delete(self):
        if not self.resource_id:
            return None
        return self.start_deletion()

    def check_delete_complete(self, deletion):
        return deletion is None or self.deleted(deletion)

    def start_deletion(self):
        deletion = Deletion(self.settle_timeout)
        self._request_deletion(deletion)
        return deletion

    def _request_deletion(self, deletion):
        deletion.requests += 1
        try:
            with self.talking_to_service(_('deleting the definition')):
                self.remote_delete()
            deletion.answer = None
        except exception.Error as ex:
            # Confirmed or refused by the listing, whatever the answer.
            deletion.answer = str(ex)
            LOG.info('%(resource)s: %(answer)s; checking the listing',
                     {'resource': self.name, 'answer': deletion.answer})

    def deleted(self, deletion):
        """True once the service no longer lists the document.

        Still in force after delete_requests requests, or still listed
        at the deadline, is a failure naming the service's last answer.
        """
        try:
            with self.talking_to_service(_('confirming the deletion')):
                found = self.remote_status()
        except exception.Error as ex:
            deletion.answer = str(ex)
            found = ('UNKNOWN', None)
        if found is None:
            return True
        status = found[0]
        in_force = status not in self.DELETING_STATUSES + ('UNKNOWN',)
        if in_force and deletion.requests >= self.delete_requests:
            raise exception.Error(self._still_held(status, deletion))
        if deletion.expired():
            raise exception.Error(self._still_held(status, deletion))
        if in_force:
            self._request_deletion(deletion)
        return False

    def _still_held(self, status, deletion):
        if status == 'UNKNOWN':
            template = _('could not confirm that %(service)s deleted %(id)s '
                         'within %(timeout)s s; last answer: %(answer)s')
        else:
            template = _('%(service)s still holds %(id)s (%(status)s) after '
                         '%(requests)d delete requests; last answer: '
                         '%(answer)s')
        return template % {
            'service': self.service_name, 'id': self.resource_id,
            'status': status, 'requests': deletion.requests,
            'timeout': self.settle_timeout,
            'answer': deletion.answer or _('deletion accepted')}

    def handle_check(self):
        with self.talking_to_service(_('checking the definition')):
            found = self.remote_status()
        if found is None:
            raise exception.Error(
                _('%(service)s no longer holds %(id)s') %
                {'service': self.service_name, 'id': self.resource_id})
        status, details = found
        if status != self.READY_STATUS:
            raise exception.Error(
                _('%(service)s reports %(status)s for %(id)s: %(details)s') %
                {'service': self.service_name, 'status': status,
                 'id': self.resource_id, 'details': details})


def _describe(problems):
    return '; '.join(
        '%s (line %d)' % (p.message, p.line) if p.line else p.message
        for p in problems)
