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

"""Heat's global environment loaded as far as the checked files need it.

Each test runs in a new interpreter: the environment is built once per
process, and this one may have Heat's full environment already.
"""

import json
import subprocess
import sys
import textwrap

from tests.unit.test_selfheal_validate import REPO

PREAMBLE = textwrap.dedent("""\
    import json, logging, warnings
    logging.disable(logging.CRITICAL)
    warnings.simplefilter('ignore')
    from heat.engine import clients, environment, resources
    from selfheal.validate import heat_environment, hot

    def classes(env):
        return {name: info.value.__module__ + '.' + info.value.__name__
                for name, info in env.registry._registry.items()
                if isinstance(info, environment.ClassResourceInfo)}

    def constraints(env):
        return {name: constraint.__module__ + '.' + constraint.__name__
                for name, constraint in env.constraints.items()
                if isinstance(constraint, type)}

    heat = hot.HeatChecks()     # Heat's options, plugin_dirs
    heat.close()
    clients.initialise()
    full = environment.Environment({}, user_env=False)
    resources._load_global_environment(full)
    """)


def _run(code):
    done = subprocess.run([sys.executable, '-c', PREAMBLE + code], cwd=REPO,
                          capture_output=True, text=True, timeout=600)
    assert done.returncode == 0, done.stderr[-3000:]
    return json.loads(done.stdout.strip().splitlines()[-1])


def test_each_type_alone_gets_the_class_heat_registers():
    report = _run(textwrap.dedent("""\
        wrong = {}
        for name, expected in sorted(classes(full).items()):
            partial = heat_environment.GlobalEnvironment()
            assert partial.partial and resources.global_env() is partial._env
            partial.load_types_named_in(['type: %s' % name])
            got = classes(partial._env).get(name)
            if got != expected:
                wrong[name] = [expected, got]
            partial.close()
        print(json.dumps({'types': len(classes(full)), 'wrong': wrong}))
        """))
    assert report['types'] > 150
    assert report['wrong'] == {}


def test_load_everything_gives_heats_environment():
    report = _run(textwrap.dedent("""\
        partial = heat_environment.GlobalEnvironment()
        partial.load_types_named_in(['OS::Nova::Server'])
        before = len(classes(partial._env))
        partial.load_everything()
        print(json.dumps({
            'before': before, 'partial': partial.partial,
            'same_types': classes(partial._env) == classes(full),
            'same_constraints': (constraints(partial._env) ==
                                 constraints(full)),
            'global': resources.global_env() is partial._env}))
        """))
    assert report['before'] < 30
    assert report == dict(report, partial=False, same_types=True,
                          same_constraints=True, **{'global': True})


def test_the_library_needs_only_the_types_it_names():
    report = _run(textwrap.dedent("""\
        from selfheal.validate import checker, library, workers
        from selfheal_checks import mistral
        mistral.import_mistral_in_process()
        validation = checker.Validation(
            library.expand(library.default_paths()), (), workers.InProcess())
        result = validation.run()
        print(json.dumps({'errors': result.errors,
                          'partial': validation.heat.types.partial,
                          'left': resources._environment is None}))
        """))
    assert report == {'errors': 0, 'partial': True, 'left': True}


def test_a_fault_is_worded_with_heats_whole_environment():
    report = _run(textwrap.dedent("""\
        import os, tempfile
        from selfheal.validate import checker, workers
        stack = os.path.join(tempfile.mkdtemp(), 'stack.yaml')
        with open(stack, 'w') as f:
            f.write('heat_template_version: 2021-04-16\\n'
                    'resources:\\n'
                    '  server:\\n'
                    '    type: OS::Nova::Servers\\n')
        validation = checker.Validation([(stack, True)], (),
                                        workers.InProcess())
        result = validation.run()
        print(json.dumps({'messages': [f.message for f in result.findings],
                          'partial': validation.heat.types.partial}))
        """))
    assert report == {'partial': False, 'messages': [
        'The Resource Type (OS::Nova::Servers) could not be found.']}
