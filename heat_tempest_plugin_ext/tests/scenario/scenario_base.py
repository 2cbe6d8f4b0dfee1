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

"""Self-healing scenarios: the shipped stacks, faults through public APIs.

Faults are what a monitor or an operator can do on any cloud: a Doctor
event posted to Vitrage, ``os-resetState``, and reading or clearing a
compute service's ``forced_down``. Nothing here reaches into a host.
"""

import datetime
import json
import time

import yaml

from heatclient import exc as heat_exc
from novaclient import exceptions as nova_exc
from oslo_log import log as logging

from heat_tempest_plugin_ext.common import test

LOG = logging.getLogger(__name__)

HOST_DOWN = 'compute.host.down'
# UTC, no zone suffix (vitrage EventProps.TIME_FORMAT).
DOCTOR_TIME_FORMAT = '%Y-%m-%dT%H:%M:%S.%f'
MONITOR = 'heat-tempest-plugin-ext'
HEALED = ('healed', 'covered')

# The cloud-wide policy, in three parts, each deployed once per test class
# unless the cloud holds it already (Vitrage template and workflow names
# are global):
# - the shipped host failure stack;
# - the heal workflows, which the application stacks then need not create
#   (install_workflows false, as for every stack but the first);
# - the shipped vitrage_templates/instance_heal.yaml, the one template that
#   raises "Instance Error", and that heals instances whose stack Vitrage
#   cannot see (no heat.stack datasource) from their metadata.
HOST_POLICY = 'host_evacuation_policy.yaml'
HOST_POLICY_PARAMS = {'migrate_on_nic_failure': False}
EVACUATION_WORKFLOWS = ('workflows', 'evacuate_host.yaml')
HOST_TEMPLATES = (('vitrage_templates', 'host_down_evacuate.yaml'),
                  ('vitrage_templates', 'host_maintenance.yaml'))
HEAL_WORKFLOWS = {'heal_budget': ('workflows', 'heal_budget.yaml'),
                  'heal_stack_member': ('workflows', 'heal_stack_member.yaml')}
HEAL_WORKFLOWS_STACK = """
heat_template_version: 2021-04-16
description: >
  The shipped heal workflows, as templates/providers/vitrage_healing.yaml
  creates them.
resources:
  budget_workflow:
    type: SelfHealing::Mistral::Workflow
    properties:
      definition: {get_file: '%(heal_budget)s'}
      scope: public
  heal_workflow:
    type: SelfHealing::Mistral::Workflow
    properties:
      definition: {get_file: '%(heal_stack_member)s'}
      scope: public
"""
INSTANCE_POLICY = ('vitrage_templates', 'instance_heal.yaml')
INSTANCE_POLICY_STACK = """
heat_template_version: 2021-04-16
description: The shipped vitrage_templates/instance_heal.yaml.
resources:
  instance_policy:
    type: SelfHealing::Vitrage::Template
    properties:
      # Its one cloud-wide name, so a second deployment is refused.
      name: '%(name)s'
      template: {get_file: '%(url)s'}
"""
ENVIRONMENT = 'environment.yaml'


def vitrage_template_name(text):
    """The unique name a shipped Vitrage template loads under."""
    return yaml.safe_load(text)['parameters']['template_name']['default']


def workflow_names(text):
    return [k for k in yaml.safe_load(text) if k != 'version']


class SelfHealingScenarioTest(test.SelfHealingTest):
    """Deploys the cloud-wide policy once per class; each test then
    creates a shipped application stack and injects one fault.
    """

    required_services = ('vitrage', 'mistral')
    required_resource_types = (test.VITRAGE_TEMPLATE, test.MISTRAL_WORKFLOW)

    # Set by the first test of the class; shared by the others.
    policy_stacks = None
    policy_failure = None

    def setUp(self):
        super(SelfHealingScenarioTest, self).setUp()
        self.image = self.sh_conf.image_ref or self.conf.minimal_image_ref
        self.flavor = (self.sh_conf.flavor_ref or
                       self.conf.minimal_instance_type)
        if not (self.image and self.flavor):
            self.skipTest('no image or flavor for the test servers: set '
                          '[selfhealing] image_ref and flavor_ref')
        self.started_at = datetime.datetime.now(datetime.timezone.utc)
        cls = type(self)
        if cls.policy_failure:
            self.fail(cls.policy_failure)
        if cls.policy_stacks is None:
            try:
                cls.policy_stacks = self.deploy_policy()
            except Exception as e:
                cls.policy_failure = 'self-healing policy: %s' % e
                raise

    # -- the policy -----------------------------------------------------------

    def policy_parts(self):
        """[(part, its global names, build)] in deployment order; build()
        gives (template, files, environment, parameters).
        """
        lib = self.library

        def templates(*files):
            return {vitrage_template_name(lib.read(*f)) for f in files}

        def workflows(*files):
            return {n for f in files for n in workflow_names(lib.read(*f))}

        def host_policy():
            return lib.stack(HOST_POLICY) + (HOST_POLICY_PARAMS,)

        def heal_workflows():
            urls = {k: lib.file_url(*f) for k, f in HEAL_WORKFLOWS.items()}
            files = {lib.file_url(*f): lib.read(*f)
                     for f in HEAL_WORKFLOWS.values()}
            return HEAL_WORKFLOWS_STACK % urls, files, {}, {}

        def instance_policy():
            url = lib.file_url(*INSTANCE_POLICY)
            text = lib.read(*INSTANCE_POLICY)
            body = INSTANCE_POLICY_STACK % {
                'url': url, 'name': vitrage_template_name(text)}
            return body, {url: text}, {}, {}

        return [
            ('host-policy', templates(*HOST_TEMPLATES) |
             workflows(EVACUATION_WORKFLOWS), host_policy),
            ('heal-workflows', workflows(*HEAL_WORKFLOWS.values()),
             heal_workflows),
            ('instance-policy', templates(INSTANCE_POLICY), instance_policy),
        ]

    def public_workflows(self):
        return {w.name for w in self.admin.mistral.workflows.list()
                if w.scope == 'public'}

    def deploy_policy(self):
        """Deploy the parts the cloud lacks; return their stacks."""
        held = ({t['name'] for t in self.vitrage_templates()} |
                self.public_workflows())
        stacks = []
        for part, names, build in self.policy_parts():
            present = names & held
            if present == names:
                LOG.info('policy %s: using the cloud\'s %s', part,
                         ', '.join(sorted(names)))
                continue
            if not self.sh_conf.deploy_policy:
                raise self.failureException(
                    '[selfhealing] deploy_policy = false, but the cloud '
                    'lacks %s' % ', '.join(sorted(names - present)))
            if present:
                raise self.failureException(
                    'the cloud holds %s but not %s: a partial deployment of '
                    'the self-healing policy (%s)' % (
                        ', '.join(sorted(present)),
                        ', '.join(sorted(names - present)), part))
            stacks.append(self._create_class_stack(part, *build()))
        return stacks

    def _create_class_stack(self, role, body, files, env, params):
        """An admin stack kept until the class's last test is over."""
        name = test.rand_name('tempest-selfheal-' + role)
        self.client.stacks.create(stack_name=name, template=body,
                                  files=files, environment=env,
                                  parameters=params, disable_rollback=True)
        self.addClassResourceCleanup(_delete_stack, self.admin.heat,
                                     self.conf, name)
        stack = self.client.stacks.get(name, resolve_outputs=False)
        identifier = '%s/%s' % (name, stack.id)
        self._wait_for_stack_status(identifier, 'CREATE_COMPLETE')
        return identifier

    # -- the application stack ------------------------------------------------

    def create_app_stack(self, template, **params):
        """A shipped application stack, created as the admin; the policy
        holds the heal workflows already.
        """
        params.update({
            'image': self.image, 'flavor': self.flavor,
            'network': self.sh_conf.network or '',
            'install_workflows': False,
        })
        body, files, env = self.library.stack(template, [ENVIRONMENT])
        return self.stack_create(template=body, files=files, environment=env,
                                 parameters=params)

    def stack_servers(self, stack_identifier):
        """{id: server} of every OS::Nova::Server of the stack."""
        servers = {}
        for res in self.client.resources.list(stack_identifier,
                                              nested_depth=5):
            if (res.resource_type == 'OS::Nova::Server' and
                    res.physical_resource_id):
                server = self.admin.nova.servers.get(res.physical_resource_id)
                servers[server.id] = server
        return servers

    def wait_servers_active(self, stack_identifier):
        def all_active():
            servers = self.stack_servers(stack_identifier)
            if servers and all(s.status == 'ACTIVE'
                               for s in servers.values()):
                return servers
        return self.wait_for('the servers of %s ACTIVE' % stack_identifier,
                             all_active)

    def vitrage_ids(self, server_ids):
        """{server id: its Vitrage id} for the servers Vitrage knows."""
        return {r['id']: r['vitrage_id']
                for r in self.admin.vitrage.resource.list(
                    resource_type='nova.instance', all_tenants=True)
                if r.get('id') in server_ids}

    def wait_vitrage_sees(self, server_ids):
        self.wait_for('Vitrage to list instances %s' % sorted(server_ids),
                      lambda: len(self.vitrage_ids(server_ids)) ==
                      len(server_ids),
                      timeout=self.sh_conf.vitrage_timeout)

    # -- what Vitrage and Mistral did -----------------------------------------

    def alarms(self, name):
        """{Vitrage resource id: alarm} of the alarms ``name`` raised since
        the test started, active ones first: Vitrage's history (persistor)
        keeps those that were already cleared.
        """
        since = self.started_at.strftime('%Y-%m-%dT%H:%M:%SZ')
        found = {}
        vitrage = self.admin.vitrage.alarm
        for alarm in (vitrage.history(all_tenants=True, start=since) +
                      vitrage.list(vitrage_id='all', all_tenants=True)):
            if alarm.get('name') == name:
                found[alarm.get('vitrage_resource_id')] = alarm
        return found

    def wait_alarms(self, name, server_ids):
        """The Vitrage alarms ``name`` on each server, once all have one."""
        targets = self.vitrage_ids(server_ids)

        def raised():
            on = self.alarms(name)
            if all(targets[s] in on for s in server_ids):
                return [on[targets[s]] for s in server_ids]
        return self.wait_for('Vitrage alarm "%s" on %s' % (
            name, sorted(server_ids)), raised,
            timeout=self.sh_conf.vitrage_timeout)

    def causes(self, alarm):
        """Names of the alarms Vitrage's RCA gives for ``alarm``."""
        rca = self.admin.vitrage.rca.get(alarm['vitrage_id'],
                                         all_tenants=True)
        return {n.get('name') for n in rca.get('nodes', [])
                if n.get('vitrage_id') != alarm['vitrage_id']}

    def executions(self, workflow, **inputs):
        """Executions of ``workflow`` since the test started whose input
        holds ``inputs``.
        """
        since = self.started_at.strftime('%Y-%m-%d %H:%M:%S')
        found = []
        for ex in self.admin.mistral.executions.list(
                workflow_name=workflow, all_projects=True,
                created_at='gte:' + since, limit=1000):
            given = json.loads(ex.input or '{}')
            if all(given.get(k) == v for k, v in inputs.items()):
                found.append(ex)
        return found

    def wait_executions_done(self, workflow, **inputs):
        """The executions, once there is one and all have finished."""
        def finished():
            found = self.executions(workflow, **inputs)
            if found and all(e.state in ('SUCCESS', 'ERROR', 'CANCELLED')
                             for e in found):
                return found
        found = self.wait_for('finished executions of %s with %s' % (
            workflow, inputs), finished, timeout=self.sh_conf.heal_timeout)
        for ex in found:
            self.assertEqual('SUCCESS', ex.state, '%s %s: %s' % (
                workflow, ex.id,
                self.admin.mistral.executions.get(ex.id).state_info))
        return [self.admin.mistral.executions.get(e.id) for e in found]

    def assert_healed(self, heals):
        """selfheal.heal_stack_member replaced the member: this execution
        (healed) or another one's stack update (covered).
        """
        outcomes = {(json.loads(h.output or '{}').get('result') or {}
                     ).get('outcome') for h in heals}
        self.assertTrue(outcomes & set(HEALED),
                        'heal outcomes %s: %s' % (
                            sorted(map(str, outcomes)),
                            [h.output for h in heals]))

    def wait_server_gone(self, server_id):
        def gone():
            try:
                self.admin.nova.servers.get(server_id)
            except nova_exc.NotFound:
                return True
            return False
        self.wait_for('server %s deleted' % server_id, gone)

    # -- faults ---------------------------------------------------------------

    def post_doctor_event(self, host, status):
        """What a host monitor sends to Vitrage (Doctor datasource)."""
        now = datetime.datetime.now(datetime.timezone.utc)
        self.admin.vitrage.event.post(
            # Vitrage's Doctor datasource drops any other time format.
            event_time=now.strftime(DOCTOR_TIME_FORMAT),
            event_type=HOST_DOWN,
            details={'hostname': host, 'status': status, 'source': MONITOR,
                     'cause': 'tempest %s' % self.id(),
                     'severity': 'critical', 'monitor_id': MONITOR,
                     'monitor_event_id': '%s-%s-%d' % (
                         host, status, now.timestamp() * 1000)})

    def compute_service(self, host):
        services = self.admin.nova.services.list(host=host,
                                                 binary='nova-compute')
        if len(services) != 1:
            self.fail('Nova lists %d nova-compute services on host %s'
                      % (len(services), host))
        return services[0]

    def restore_host(self, host):
        """Host back in service: Doctor 'up', fencing and disable lifted.

        Nova refuses to lift fencing while finished evacuations of the
        host remain; then nova-compute on the host must restart first.
        """
        self.post_doctor_event(host, 'up')
        service = self.compute_service(host)
        if service.forced_down:
            self.admin.nova.services.force_down(service.id, False)
        if service.status == 'disabled':
            self.admin.nova.services.enable(service.id)
        LOG.info('host %s: Doctor up event posted, fencing lifted', host)


def _delete_stack(heat, heat_conf, name):
    """Delete a stack and wait; a class cleanup has no test to wait in."""
    heat.stacks.delete(name)
    deadline = time.monotonic() + heat_conf.build_timeout
    while time.monotonic() < deadline:
        try:
            stack = heat.stacks.get(name, resolve_outputs=False)
        except heat_exc.HTTPNotFound:
            return
        if stack.stack_status == 'DELETE_FAILED':
            raise Exception('stack %s: DELETE_FAILED: %s'
                            % (name, stack.stack_status_reason))
        time.sleep(heat_conf.build_interval)
    raise Exception('stack %s not deleted within %d s'
                    % (name, heat_conf.build_timeout))
