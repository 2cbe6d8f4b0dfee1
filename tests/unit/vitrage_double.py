"""A python-vitrageclient double whose answers come from Vitrage's own code.

Validation, stored rows, duplicate names and ERROR rows are produced by
``vitrage.api_handler.apis.template.TemplateApis`` on an in-memory table,
exactly as vitrage-graph produces them. What only the evaluator does, or
what a broken service does, is steered by the test:

* ``loading_polls``: LOADING turns ACTIVE after this many ``list()`` calls
  (``None`` keeps it LOADING: a stuck evaluator);
* ``load_error``: the evaluator fails to load with this detail (ERROR);
* ``fail``: a map of method name to the exception it raises once.
"""

import json

import yaml

from vitrage.api_handler.apis import template as template_apis
from vitrage.common.constants import TemplateStatus
from vitrageclient import exceptions as vitrage_exc


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
        self.load_error = None
        self.fail = {}
        self.calls = []
        self._polls = {}

    def _maybe_fail(self, method):
        self.calls.append(method)
        if method in self.fail:
            raise self.fail.pop(method)

    @staticmethod
    def _templates(template_str):
        return [(None, yaml.load(template_str, Loader=yaml.BaseLoader))]

    def validate(self, template_str=None, params=None, **kwargs):
        self._maybe_fail('validate')
        return json.loads(self.apis.validate_template(
            None, self._templates(template_str), None, params))

    def add(self, template_str=None, params=None, **kwargs):
        self._maybe_fail('add')
        return self.apis.add_template(
            None, self._templates(template_str), None, params)

    def delete(self, ids):
        self._maybe_fail('delete')
        uuids = ids if isinstance(ids, list) else [ids]
        if not any(self.db.templates.query(uuid=u) for u in uuids):
            # What the API answers when anything goes wrong, NotFound too.
            raise vitrage_exc.ClientException(
                404, message='Failed to delete template.')
        self.apis.delete_template(None, uuids)

    def list(self):
        self._maybe_fail('list')
        self._evaluate()
        return [{'uuid': r.uuid, 'name': r.name, 'status': r.status,
                 'status details': r.status_details,
                 'type': r.template_type, 'date': None}
                for r in self.db.templates.rows
                if r.status != TemplateStatus.DELETED]

    def _evaluate(self):
        """What vitrage-graph's evaluator does between two polls."""
        for row in self.db.templates.rows:
            if row.status == TemplateStatus.DELETING:
                row.status = TemplateStatus.DELETED
            elif row.status == TemplateStatus.LOADING:
                if self.load_error:
                    row.status = TemplateStatus.ERROR
                    row.status_details = self.load_error
                    continue
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
