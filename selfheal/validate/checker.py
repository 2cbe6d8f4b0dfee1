"""One run of ``selfheal validate`` over a set of files."""

import os

from heat_plugins import definition_checks
from selfheal.validate import crossrefs
from selfheal.validate import library


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
    """Load, classify and check files, then their cross-references."""

    def __init__(self, paths, environment_paths=()):
        self._sources = {}          # absolute path -> Source, in order
        self._findings = []
        self._explicit_envs = [self._add(p, library.ENVIRONMENT)[0]
                               for p, _named in environment_paths]
        for path, named in paths:
            self._add(path, named=named)
        self._environments = {}     # Source -> Heat environment dict
        self._vitrage_uses = []     # (Reference, HOT Source)
        self._heat = None

    def run(self):
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
        return Report(len(self._sources), _unique(self._findings))

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
        except Exception as ex:
            self._findings.append(source.finding(
                'Internal error while checking this file (%s: %s); please '
                'report it' % (type(ex).__name__, ' '.join(str(ex).split()))))

    def _load(self, source):
        problem = source.load()
        if problem:
            self._findings.append(problem)
            if problem.is_error():
                source.doc = None

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
                problems = definition_checks.check_mistral_definition(text)
            else:
                problems = definition_checks.check_vitrage_template(
                    text, params, check_params=params is not None)
            self._findings.extend(
                source.finding('%s: %s' % (where, p.message), line)
                for p in problems)

    def _check_mistral(self, source, workflows):
        for problem in definition_checks.check_mistral_definition(
                source.text):
            self._findings.append(source.finding(problem.message,
                                                 problem.line))
        self._findings.extend(workflows.add(source))

    def _check_vitrage(self, source, workflows):
        for problem in definition_checks.check_vitrage_template(
                source.text, check_params=False):
            self._findings.append(source.finding(problem.message,
                                                 problem.line))
        self._findings.extend(crossrefs.check_execute_mistral(
            source, source.text, workflows))

    def _check_vitrage_use(self, reference, hot_source, workflows):
        """A Vitrage template with the parameters a HOT resource gives it."""
        vitrage = self._sources[reference.path]
        if vitrage.doc is None or vitrage.kind != library.VITRAGE:
            return
        alone = set(definition_checks.check_vitrage_template(
            vitrage.text, check_params=False))
        where = 'parameters for %s' % vitrage.display
        for problem in definition_checks.check_vitrage_template(
                vitrage.text, reference.params):
            if problem not in alone:
                self._findings.append(hot_source.finding(
                    '%s: %s' % (where, problem.message), reference.line))
        self._findings.extend(crossrefs.check_execute_mistral(
            hot_source, vitrage.text, workflows, reference.params,
            where=where, where_line=reference.line))


def _unique(findings):
    seen, unique = set(), []
    for finding in findings:
        if finding not in seen:
            seen.add(finding)
            unique.append(finding)
    return sorted(unique, key=lambda f: (f.path, f.line or 0))
