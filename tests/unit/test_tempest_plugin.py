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

"""The tempest plugin loads, registers its options and finds its tests.

No cloud needed: tempest's own machinery (entry points, option groups,
test discovery) runs against the plugin, and the tempest.conf generator
renders from stand-in clouds.
"""

import configparser
import contextlib
import importlib.metadata
import io
import os
import stat
import subprocess
import sys
import types

from oslo_config import cfg
import pytest

from heat_tempest_plugin_ext.common import library
from heat_tempest_plugin_ext import config as plugin_config
from heat_tempest_plugin_ext import plugin
from heat_tempest_plugin_ext.tests.scenario import scenario_base
from heat_tempest_plugin_ext.tools import tempest_conf

ENTRY_POINT = 'heat_tempest_plugin_ext.plugin:SelfHealingTempestPlugin'
TESTS = {
    'api.test_vitrage_template.VitrageTemplateTest.test_template_lifecycle',
    'api.test_vitrage_template.VitrageTemplateNegativeTest.'
    'test_invalid_template_fails_with_vitrage_message',
    'api.test_vitrage_template.VitrageTemplateNegativeTest.'
    'test_non_admin_cannot_create_vitrage_template',
    'api.test_vitrage_template.VitrageTemplateNegativeTest.'
    'test_vitrage_refuses_templates_from_non_admin',
    'api.test_mistral_workflow.MistralWorkflowTest.test_workflow_lifecycle',
    'scenario.test_self_healing.SelfHealingTest.test_host_down_heals_stack',
    'scenario.test_self_healing.SelfHealingTest.'
    'test_instance_in_error_is_replaced',
}


def _bin(name):
    return os.path.join(os.path.dirname(sys.executable), name)


def test_entry_point_names_the_plugin():
    found = [ep for ep in importlib.metadata.entry_points(
        group='tempest.test_plugins') if ep.value == ENTRY_POINT]
    assert len(found) == 1, 'setup.cfg lacks the tempest.test_plugins entry'
    assert found[0].load() is plugin.SelfHealingTempestPlugin


def test_tempest_list_plugins_shows_it():
    proc = subprocess.run([_bin('tempest'), 'list-plugins'],
                          capture_output=True, text=True, timeout=120)
    assert proc.returncode == 0, proc.stderr[-2000:]
    assert ENTRY_POINT in proc.stdout


def test_options_are_registered_with_defaults():
    conf = cfg.ConfigOpts()
    plugin.SelfHealingTempestPlugin().register_opts(conf)
    conf([])
    assert conf.service_available.vitrage is True
    assert conf.service_available.mistral is True
    assert conf.selfhealing.compute_hosts == []
    assert conf.selfhealing.deploy_policy is True
    assert conf.selfhealing.vitrage_catalog_type == 'rca'
    assert conf.selfhealing.mistral_catalog_type == 'workflowv2'
    listed = dict(plugin.SelfHealingTempestPlugin().get_opt_lists())
    assert listed['selfhealing'] is plugin_config.SelfHealingGroup


def test_service_options_coexist_with_the_services_own_plugins():
    # vitrage-tempest-plugin declares [service_available] vitrage itself.
    conf = cfg.ConfigOpts()
    theirs = cfg.BoolOpt('vitrage', default=False, help='theirs')
    conf.register_opt(theirs, group='service_available')
    plugin.SelfHealingTempestPlugin().register_opts(conf)
    conf([])
    assert conf.service_available.vitrage is False
    assert conf.service_available.mistral is True


def test_tempest_discovers_every_test():
    test_dir, top = plugin.SelfHealingTempestPlugin().load_tests()
    code = ('import sys, unittest\n'
            'loader = unittest.TestLoader()\n'
            'suite = loader.discover(sys.argv[1], top_level_dir=sys.argv[2])\n'
            'def ids(s):\n'
            '    for t in s:\n'
            '        yield from ids(t) if isinstance(t, unittest.TestSuite)'
            ' else [t.id()]\n'
            'print("\\n".join(ids(suite)))\n'
            'sys.exit(1 if loader.errors else 0)\n')
    proc = subprocess.run([sys.executable, '-c', code, test_dir, top],
                          capture_output=True, text=True, timeout=120)
    assert proc.returncode == 0, proc.stdout[-3000:] + proc.stderr[-3000:]
    found = set(proc.stdout.split())
    prefix = 'heat_tempest_plugin_ext.tests.'
    assert found == {prefix + t for t in TESTS}


def test_absent_services_skip_with_their_reason(tmp_path):
    """tempest's own config loading and class setup, no cloud."""
    (tmp_path / 'tempest.conf').write_text(
        '[service_available]\nheat = true\nvitrage = false\n'
        'mistral = false\n')
    env = dict(os.environ, TEMPEST_CONFIG_DIR=str(tmp_path),
               TEMPEST_CONFIG='tempest.conf')
    modules = ['heat_tempest_plugin_ext.tests.' + m for m in (
        'api.test_vitrage_template', 'api.test_mistral_workflow',
        'scenario.test_self_healing')]
    proc = subprocess.run([sys.executable, '-m', 'unittest', '-v', *modules],
                          capture_output=True, text=True, timeout=120,
                          env=env, cwd=str(tmp_path))
    assert proc.returncode == 0, proc.stderr[-3000:]
    skips = [line for line in proc.stderr.splitlines()
             if line.startswith('setUpClass')]
    vitrage = ("skipped 'Vitrage is not available in this cloud "
               "([service_available] vitrage = false)'")
    mistral = ("skipped 'Mistral is not available in this cloud "
               "([service_available] mistral = false)'")
    assert len(skips) == 4, proc.stderr[-3000:]
    assert sum(line.endswith(vitrage) for line in skips) == 3
    assert sum(line.endswith(mistral) for line in skips) == 1


def test_library_stacks_resolve_every_file():
    lib = library.Library(library.find())
    template, files, env = lib.stack('autohealing_group.yaml',
                                     ['environment.yaml'])
    names = {os.path.basename(url) for url in files}
    assert {'healing_group.yaml', 'healable_server.yaml',
            'vitrage_healing.yaml', 'stack_member_heal.yaml',
            'heal_stack_member.yaml', 'heal_budget.yaml'} <= names
    assert 'SelfHealing::AutoHealing::Group' in env['resource_registry']


def test_library_directory_must_be_complete(tmp_path):
    (tmp_path / 'templates').mkdir()
    with pytest.raises(library.LibraryNotFound, match='library_dir'):
        library.find(str(tmp_path))


def test_scenario_policy_names_come_from_the_shipped_files():
    lib = library.Library(library.find())
    assert scenario_base.vitrage_template_name(
        lib.read('vitrage_templates', 'host_down_evacuate.yaml')) == \
        'selfheal-host-down-evacuate'
    assert scenario_base.workflow_names(
        lib.read('workflows', 'evacuate_host.yaml')) == [
        'selfheal.evacuate_host', 'selfheal.evacuate_instance']


def _cloud(user, project, region='RegionOne'):
    auth = {'auth_url': 'http://127.0.0.1:5000/v3', 'username': user,
            'password': 'pw-' + user, 'project_name': project,
            'user_domain_name': 'Default', 'project_domain_name': 'Default'}
    cloud = types.SimpleNamespace(name=user, auth=auth, region=region,
                                  interface='public')
    cloud.credentials = lambda: tempest_conf.Cloud.credentials(cloud)
    return cloud


def test_tempest_conf_from_clouds(tmp_path):
    base = '[DEFAULT]\nlog_dir = /somewhere\n'
    text = tempest_conf.render(
        _cloud('admin', 'admin'), _cloud('demo', 'demo'),
        {'orchestration', 'compute', 'rca'}, ['c1', 'c2'], 'cirros',
        'm1.tiny', base=base)
    conf = configparser.ConfigParser(interpolation=None)
    conf.read_string(text)
    assert conf['DEFAULT']['log_dir'] == '/somewhere'
    assert conf['service_available']['vitrage'] == 'true'
    assert conf['service_available']['mistral'] == 'false'
    heat = conf['heat_plugin']
    assert (heat['username'], heat['admin_username']) == ('demo', 'admin')
    assert heat['password'] == 'pw-demo'
    assert conf['selfhealing']['compute_hosts'] == 'c1,c2'
    assert 'network' not in conf['selfhealing']
    path = tmp_path / 'etc' / 'tempest.conf'
    tempest_conf.write(str(path), text)
    assert stat.S_IMODE(os.stat(path).st_mode) == 0o600


def test_tempest_conf_refuses_clouds_without_passwords():
    cloud = _cloud('admin', 'admin')
    del cloud.auth['password']
    with pytest.raises(tempest_conf.ConfError, match='auth.password'):
        tempest_conf.render(cloud, _cloud('demo', 'demo'), set(), [], 'i',
                            'f')


def test_tempest_conf_reads_selfheal_lab_env(tmp_path, monkeypatch):
    from selfheal.lab import cloud
    from selfheal.lab import command
    monkeypatch.setenv('SELFHEAL_LAB_HOME', str(tmp_path))

    def keystone_down(lab):
        raise ConnectionRefusedError()

    monkeypatch.setattr(cloud, 'endpoints', keystone_down)
    out = io.StringIO()
    with contextlib.redirect_stdout(out):
        command.cmd_env(None)
    admin, user, clouds_yaml = tempest_conf.parse_lab_env(out.getvalue())
    assert (admin, user) == ('selfheal-lab', 'selfheal-lab-demo')
    assert clouds_yaml == str(
        tmp_path.resolve() / 'state' / 'etc' / 'clouds.yaml')
