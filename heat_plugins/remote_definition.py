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
document, a health check, and a delete that tolerates NotFound. Subclasses
only say how to talk to their service.
"""

import contextlib
import time

from keystoneauth1 import exceptions as ks_exceptions
from oslo_log import log as logging

from heat.common import exception
from heat.common.i18n import _
from heat.engine import function
from heat.engine import resource

LOG = logging.getLogger(__name__)

_UNREACHABLE = (ks_exceptions.ConnectFailure,
                ks_exceptions.ConnectTimeout,
                ks_exceptions.EndpointNotFound,
                ks_exceptions.DiscoveryFailure,
                ks_exceptions.ServiceUnavailable,
                ks_exceptions.BadGateway,
                ks_exceptions.GatewayTimeout)


class RemoteDefinition(resource.Resource):
    """A resource whose physical object is a document a service stores."""

    # Name of the owning service, for operator messages.
    service_name = None

    # Exceptions the service's client raises for API errors.
    service_errors = ()

    # Remote statuses meaning "stored and in force" and "still loading".
    READY_STATUS = 'ACTIVE'
    LOADING_STATUSES = ()

    # Seconds a document may stay in LOADING_STATUSES, or be seen deleting,
    # before the action fails.
    settle_timeout = 300

    # The property holding the document.
    definition_property = None

    def offline_validator_available(self):
        """Whether the owner's validator can be imported here."""
        return False

    def definition_problems(self, text):
        """Problems found offline, as definition_checks.Problem items.

        Must at least refuse anything but a YAML mapping: some clients
        read a definition that looks like a path or a URL from the engine.
        """
        raise NotImplementedError()

    def remote_validate(self, text):
        """Ask the service to validate; raise StackValidationFailed."""
        raise NotImplementedError()

    def remote_create(self, text):
        """Store the document; return the physical resource id."""
        raise NotImplementedError()

    def remote_status(self):
        """Return (status, details) or None if the service lost it."""
        raise NotImplementedError()

    def remote_delete(self):
        """Delete the document; NotFound is tolerated by the caller."""
        raise NotImplementedError()

    def definition_text(self):
        return self.properties[self.definition_property]

    def definition_path(self):
        """Property path of the document, for validation errors."""
        return [self.stack.t.RESOURCES, self.name,
                self.stack.t.get_section_name('properties'),
                self.definition_property]

    def definition_resolved(self):
        """False while the document depends on other resources' values."""
        raw = self.t._properties.get(self.definition_property)
        return not any(True for _dep in function.dependencies(raw))

    def check_definition(self, text):
        """Check the document offline; raise StackValidationFailed."""
        problems = self.definition_problems(text)
        if problems:
            raise exception.StackValidationFailed(
                path=self.definition_path(), message=_describe(problems))

    def recheck_definition(self, text):
        """Check the document resolved at create or update time."""
        problems = self.definition_problems(text)
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
                 'error': str(ex)})

    def validate(self):
        super(RemoteDefinition, self).validate()
        if not self.definition_resolved():
            return
        text = self.definition_text()
        self.check_definition(text)
        if not self.offline_validator_available():
            with self.talking_to_service(_('validating')):
                self.remote_validate(text)

    def handle_create(self):
        # Checked again: values resolved since validate() may differ.
        text = self.definition_text()
        self.recheck_definition(text)
        with self.talking_to_service(_('validating')):
            self.remote_validate(text)
        with self.talking_to_service(_('storing the definition')):
            self.resource_id_set(self.remote_create(text))
        return time.monotonic() + self.settle_timeout

    def check_create_complete(self, deadline):
        # A definition the service refuses to load will not load on a
        # retry: fail with Error, which Heat does not retry.
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
        with self.talking_to_service(_('deleting the definition')):
            try:
                self.remote_delete()
            except Exception as ex:
                self.client_plugin().ignore_not_found(ex)
                return None
        return time.monotonic() + self.settle_timeout

    def check_delete_complete(self, deadline):
        if deadline is None:
            return True
        with self.talking_to_service(_('waiting for the deletion')):
            if self.remote_status() is None:
                return True
        if time.monotonic() > deadline:
            raise exception.Error(
                _('%(service)s still holds the definition %(id)s after '
                  '%(timeout)s s') %
                {'service': self.service_name, 'id': self.resource_id,
                 'timeout': self.settle_timeout})
        return False

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
