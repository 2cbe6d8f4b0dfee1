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

"""A python-vitrageclient double whose answers come from Vitrage 15's code.

Validation, stored rows, duplicate names, ERROR rows and the effect of a
delete are produced by ``vitrage.api_handler.apis.template.TemplateApis``
on an in-memory table, exactly as vitrage-graph produces them. The HTTP
answers follow Vitrage 15.0.1's API controller
(``vitrage/api/controllers/v1/template.py``), read, not guessed:

* every failure inside ``get_all``, ``put`` (add) and ``delete`` is
  caught and answered ``abort(404, ...)`` with the controller's fixed
  message, so a 404 says nothing about whether the template exists;
* deleting a uuid the table does not hold answers 200 with ``null``
  (``delete_template`` returns None);
* ``post`` (validate) does not catch the RPC failure: a 500;
* a template only goes ERROR in ``add``: its parameters are resolved and
  the result validated again, after the API's ``validate`` (which checks
  the unresolved template) said OK; e.g. a parameter that makes a
  ``name.regex`` invalid. Vitrage's evaluator never sets ERROR.

The client raises ``ClientException(code, message)``, whose str() is
``'<message> (HTTP <code>)'``, as python-vitrageclient's from_response
builds it from the body. What only the evaluator or a broken service
does is steered by the test:

* ``loading_polls``: LOADING turns ACTIVE after this many ``list()`` calls
  (``None`` keeps it LOADING: a stuck evaluator);
* ``refuse``: method name -> count; the RPC call behind it fails that many
  times, nothing changes, and the API answers its 404 (500 for validate);
* ``late``: method name -> count; the call is carried out but its reply
  times out, so the API answers the same 404;
* ``fail``: method name -> exception raised once before the API is
  reached (connection failures).
"""

import json

import yaml

from vitrage.api_handler.apis import template as template_apis
from vitrage.common.constants import TemplateStatus
from vitrageclient import exceptions as vitrage_exc

# The controller's answer when the call behind it fails.
API_FAILURES = {
    'list': (404, 'Failed to get template list'),
    'add': (404, 'Failed to add template.'),
    'delete': (404, 'Failed to delete template.'),
    'show': (404, 'Failed to show template.'),
    'validate': (500, 'Internal Server Error'),
}


class _Table(object):
    """The templates table as vitrage's storage API exposes it."""

    def __init__(self):
        self.rows = []

    def create(self, row):
        self.rows.append(row)

    def query(self, **filters):
        return [r for r in self.rows
                if all(getattr(r, k) == v for k, v in filters.items())]

    def update(self, uuid, field, value):
        for row in self.query(uuid=uuid):
            setattr(row, field, value)


class _Db(object):
    def __init__(self):
        self.templates = _Table()


class _Notifier(object):
    def notify(self, event, details):
        pass


class FakeTemplateManager(object):

    def __init__(self):
        self.db = _Db()
        self.apis = template_apis.TemplateApis(notifier=_Notifier(),
                                               db=self.db)
        self.loading_polls = 1
        self.refuse = {}
        self.late = {}
        self.fail = {}
        self.calls = []
        self._polls = {}

    def _call(self, method, work):
        """work() behind the API controller's error handling."""
        self.calls.append(method)
        if method in self.fail:
            raise self.fail.pop(method)
        if self._take(self.refuse, method):
            raise vitrage_exc.ClientException(*API_FAILURES[method])
        answer = work()
        if self._take(self.late, method):
            raise vitrage_exc.ClientException(*API_FAILURES[method])
        return answer

    @staticmethod
    def _take(counts, method):
        if counts.get(method, 0) <= 0:
            return False
        counts[method] -= 1
        return True

    @staticmethod
    def _templates(template_str):
        return [(None, yaml.load(template_str, Loader=yaml.BaseLoader))]

    def validate(self, template_str=None, params=None, **kwargs):
        return self._call('validate', lambda: json.loads(
            self.apis.validate_template(
                None, self._templates(template_str), None, params)))

    def add(self, template_str=None, params=None, **kwargs):
        return self._call('add', lambda: self.apis.add_template(
            None, self._templates(template_str), None, params))

    def delete(self, ids):
        uuids = ids if isinstance(ids, list) else [ids]
        return self._call('delete',
                          lambda: self.apis.delete_template(None, uuids))

    def show(self, uuid):
        def work():
            rows = [r for r in self.db.templates.query(uuid=uuid)
                    if r.status != TemplateStatus.DELETED]
            if not rows:
                raise vitrage_exc.ClientException(*API_FAILURES['show'])
            return rows[0].file_content
        return self._call('show', work)

    def list(self):
        def work():
            self._evaluate()
            return [{'uuid': r.uuid, 'name': r.name, 'status': r.status,
                     'status details': r.status_details,
                     'type': r.template_type, 'date': None}
                    for r in self.db.templates.rows
                    if r.status != TemplateStatus.DELETED]
        return self._call('list', work)

    def _evaluate(self):
        """What vitrage-graph's evaluator does between two polls."""
        for row in self.db.templates.rows:
            if row.status == TemplateStatus.DELETING:
                row.status = TemplateStatus.DELETED
            elif row.status == TemplateStatus.LOADING:
                if self.loading_polls is None:
                    continue
                seen = self._polls.get(row.uuid, 0) + 1
                self._polls[row.uuid] = seen
                if seen >= self.loading_polls:
                    row.status = TemplateStatus.ACTIVE

    def stored(self):
        """Templates Vitrage still holds, by name, without evaluating."""
        return {r.name: r for r in self.db.templates.rows
                if r.status != TemplateStatus.DELETED}


class FakeVitrageClient(object):
    def __init__(self):
        self.template = FakeTemplateManager()
