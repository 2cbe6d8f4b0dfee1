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

"""One run of ``selfheal validate`` over a set of files."""

import os

from selfheal.validate import crossrefs
from selfheal.validate import library
from selfheal.validate import workers


class Report(object):

    def __init__(self, files, findings):
        self.files = files
        self.findings = findings
        self.errors = sum(1 for f in findings if f.is_error())
        self.notes = len(findings) - self.errors

    def summary(self):
        return 'checked %d file%s: %d error%s' % (
            self.files, '' if self.files == 1 else 's',
            self.errors, '' if self.errors == 1 else 's')

    def as_dict(self):
        return {'files': self.files, 'errors': self.errors,
                'notes': self.notes,
                'problems': [f._asdict() for f in self.findings]}


class Validation(object):
    """Load, classify and check files, then their cross-references.

    Vitrage and Mistral definitions are sent to ``definitions`` (a
    workers.InProcess by default) as soon as they are found; the findings
    that depend on their answers keep their place in the report and are
    filled in at the end.
    """

    def __init__(self, paths, environment_paths=(), definitions=None):
        self._definitions = definitions or workers.InProcess()
        self._sources = {}          # absolute path -> Source, in order
        self._findings = []         # Finding, or _Deferred: filled in last
        self._explicit_envs = [self._add(p, library.ENVIRONMENT)[0]
                               for p, _named in environment_paths]
        for path, named in paths:
            self._add(path, named=named)
        self._environments = {}     # Source -> Heat environment dict
        self._vitrage_uses = []     # (Reference, HOT Source)
        self._heat = None

    def run(self):
        try:
            return self._run()
        finally:
            if self._heat is not None:
                self._heat.close()

    def _run(self):
        for source in list(self._sources.values()):
            self._guarded(source, self._load, source)
        for source in self._of_kind(library.ENVIRONMENT):
            self._guarded(source, self._check_environment, source)
        # Provider templates found in environments join this loop.
        checked = set()
        while True:
            todo = [s for s in self._of_kind(library.HOT)
                    if s not in checked]
            if not todo:
                break
            for source in todo:
                checked.add(source)
                self._guarded(source, self._check_hot, source)
        workflows = crossrefs.Workflows()
        for source in self._of_kind(library.MISTRAL):
            self._guarded(source, self._check_mistral, source, workflows)
        for source in self._of_kind(library.VITRAGE):
            self._guarded(source, self._check_vitrage, source, workflows)
        for reference, hot_source in self._vitrage_uses:
            self._guarded(hot_source, self._check_vitrage_use, reference,
                          hot_source, workflows)
        for source in self._sources.values():
            if source.doc is not None and source.kind is None:
                # Found in a directory, named by nothing: data of some tool.
                self._findings.append(source.finding(
                    'Not a HOT template, environment, Vitrage template or '
                    'Mistral definition; skipped', None, 'note'))
        findings = []
        for item in self._findings:
            if isinstance(item, _Deferred):
                findings.extend(item.findings())
            else:
                findings.append(item)
        return Report(len(self._sources), _unique(findings))

    # -- bookkeeping -------------------------------------------------------

    def _add(self, path, kind=None, named=True):
        """The Source for ``path`` (new or known), and a kind conflict."""
        key = os.path.abspath(path)
        source = self._sources.get(key)
        if source is None:
            source = self._sources[key] = library.Source(key, kind, named)
            return source, None
        source.named = source.named or named
        if kind and source.kind and source.kind != kind:
            return source, '%s is a %s, not a %s' % (
                source.display, source.kind, kind)
        if kind and not source.kind:
            source.kind = kind
        return source, None

    def _follow(self, reference):
        """Add a file another one names; check it if it is new."""
        if reference.kind is None:
            return
        source, conflict = self._add(reference.path, reference.kind)
        if conflict:
            self._findings.append(reference.source.finding(conflict,
                                                           reference.line))
        elif source.doc is None and source.text is None:
            self._guarded(source, self._load, source)

    def _of_kind(self, kind):
        return [s for s in self._sources.values()
                if s.kind == kind and s.doc is not None]

    def _guarded(self, source, check, *args):
        """Run a check; an unexpected failure is a finding, not a crash."""
        try:
            check(*args)
        except workers.ChildFailed:
            raise
        except Exception as ex:
            self._findings.append(_internal_error(source, ex))

    def _later(self, source, findings):
        """Findings that ``findings()`` gives at the end, in this place."""
        self._findings.append(_Deferred(source, findings))

    def _later_problems(self, source, answer, where=None, line=None):
        """A finding per Problem in ``answer``, read at the end.

        With ``where``, each is placed at ``line``, named after ``where``.
        """
        def findings():
            for problem in workers.problems(answer.result()):
                if where is None:
                    yield source.finding(problem.message, problem.line)
                else:
                    yield source.finding(
                        '%s: %s' % (where, problem.message), line)
        self._later(source, findings)

    def _load(self, source):
        problem = source.load()
        if problem:
            self._findings.append(problem)
            if problem.is_error():
                source.doc = None
                return
        # Start the owners' checks now; their answers are read at the end.
        if source.kind == library.MISTRAL:
            self._definitions.mistral(source.text)
        elif source.kind == library.VITRAGE:
            self._definitions.vitrage(source.text, check_params=False)
        elif source.kind == library.HOT and source.doc is not None:
            from selfheal.validate import hot
            for kind in hot.definition_kinds(source.doc.data):
                self._definitions.expect(kind)

    @property
    def heat(self):
        if self._heat is None:
            from selfheal.validate import hot
            self._heat = hot.HeatChecks()
        return self._heat

    # -- checks ------------------------------------------------------------

    def _check_environment(self, source):
        env_dict, problem = self.heat.parse_environment(source)
        if problem:
            self._findings.append(problem)
            return
        self._environments[source] = env_dict
        findings, references = self.heat.check_environment(source, env_dict)
        self._findings.extend(findings)
        for reference in references:
            self._follow(reference)

    def _environments_for(self, source):
        envs = [e for e in self._explicit_envs if e in self._environments]
        envs += [e for e in self._environments
                 if e.directory == source.directory and e not in envs]
        return [(e, self._environments[e]) for e in envs]

    def _check_hot(self, source):
        findings, references, inline = self.heat.check_template(
            source, self._environments_for(source))
        self._findings.extend(findings)
        for reference in references:
            self._follow(reference)
            if reference.kind == library.VITRAGE and \
                    reference.params is not None:
                self._vitrage_uses.append((reference, source))
        for kind, text, params, line, where in inline:
            if kind == library.MISTRAL:
                answer = self._definitions.mistral(text)
            else:
                answer = self._definitions.vitrage(
                    text, params, check_params=params is not None)
            self._later_problems(source, answer, where, line)

    def _check_mistral(self, source, workflows):
        self._later_problems(source, self._definitions.mistral(source.text))
        self._findings.extend(workflows.add(source))

    def _check_vitrage(self, source, workflows):
        self._later_problems(source, self._definitions.vitrage(
            source.text, check_params=False))
        self._later(source, lambda: crossrefs.check_execute_mistral(
            source, source.text, workflows,
            resolve=self._resolver(source.text)))

    def _check_vitrage_use(self, reference, hot_source, workflows):
        """A Vitrage template with the parameters a HOT resource gives it."""
        vitrage = self._sources[reference.path]
        if vitrage.doc is None or vitrage.kind != library.VITRAGE:
            return
        alone = self._definitions.vitrage(vitrage.text, check_params=False)
        given = self._definitions.vitrage(vitrage.text, reference.params)
        where = 'parameters for %s' % vitrage.display

        def findings():
            known = set(workers.problems(alone.result()))
            return [hot_source.finding('%s: %s' % (where, problem.message),
                                       reference.line)
                    for problem in workers.problems(given.result())
                    if problem not in known]
        self._later(hot_source, findings)
        self._later(hot_source, lambda: crossrefs.check_execute_mistral(
            hot_source, vitrage.text, workflows, reference.params,
            where=where, where_line=reference.line,
            resolve=self._resolver(vitrage.text, reference.params)))

    def _resolver(self, text, params=None):
        """get_param calls of a Vitrage template, resolved by Vitrage."""
        return lambda call: self._definitions.vitrage_parameter(
            call, text, params).result()


class _Deferred(object):
    """Findings of a check whose answers come at the end of the run."""

    def __init__(self, source, findings):
        self._source = source
        self._findings = findings

    def findings(self):
        try:
            return list(self._findings())
        except workers.ChildFailed:
            raise
        except Exception as ex:
            return [_internal_error(self._source, ex)]


def _internal_error(source, ex):
    name = getattr(ex, 'type_name', type(ex).__name__)
    return source.finding(
        'Internal error while checking this file (%s: %s); please report '
        'it' % (name, ' '.join(str(ex).split())))


def _unique(findings):
    seen, unique = set(), []
    for finding in findings:
        if finding not in seen:
            seen.add(finding)
            unique.append(finding)
    return sorted(unique, key=lambda f: (f.path, f.line or 0))
