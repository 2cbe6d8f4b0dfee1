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

import json

from heat_tempest_plugin_ext.tests.scenario import scenario_base

HOST_ATTR = 'OS-EXT-SRV-ATTR:host'


class SelfHealingTest(scenario_base.SelfHealingScenarioTest):
    """Both stories share one policy and run one after the other: they
    fail things a whole cloud sees.
    """

    def _usable_hosts(self):
        hosts = self.sh_conf.compute_hosts
        if len(hosts) < 2:
            self.skipTest('[selfhealing] compute_hosts names %d host(s); the '
                          'host-down scenario needs two it may fail and '
                          'evacuate to' % len(hosts))
        for host in hosts:
            service = self.compute_service(host)
            if (service.state != 'up' or service.status != 'enabled' or
                    service.forced_down):
                self.fail('compute host %s is not in service (nova-compute '
                          '%s, %s%s); the scenario needs every host of '
                          '[selfhealing] compute_hosts healthy' % (
                              host, service.state, service.status,
                              ', forced down' if service.forced_down else ''))
        return hosts

    def _pick_failed_host(self, hosts, servers):
        """A configured host running some of the stack's servers and no
        instance the test did not create; most servers first.
        """
        refused = []
        for host in sorted(hosts, key=lambda h: -len(self._on(h, servers))):
            mine = self._on(host, servers)
            if not mine:
                continue
            foreign = [s.id for s in self.admin.nova.servers.list(
                search_opts={'host': host, 'all_tenants': True})
                if s.id not in servers]
            if not foreign:
                return host, mine
            refused.append('%s runs instances this test did not create (%s)'
                           % (host, ', '.join(foreign)))
        self.skipTest('no host to fail: %s' % (
            '; '.join(refused) or 'the stack has no server on %s'
            % ', '.join(hosts)))

    @staticmethod
    def _on(host, servers):
        return [s for s in servers.values() if getattr(s, HOST_ATTR) == host]

    def test_host_down_heals_stack(self):
        """A host reported down is fenced, its stack members get deduced
        alarms and are replaced on another host, and the stack is
        COMPLETE again.
        """
        hosts = self._usable_hosts()
        failed_hosts = []
        self.addCleanup(lambda: [self.restore_host(h) for h in failed_hosts])
        stack_id = self.create_app_stack('autohealing_group.yaml', count=2)
        servers = self.wait_servers_active(stack_id)
        host, victims = self._pick_failed_host(hosts, servers)
        victim_ids = [s.id for s in victims]
        self.wait_vitrage_sees(servers)

        failed_hosts.append(host)
        self.post_doctor_event(host, 'down')

        # Vitrage: each instance on the host is down because the host is.
        alarms = self.wait_alarms('Instance Down', victim_ids)
        for alarm in alarms:
            self.assertIn(scenario_base.HOST_DOWN, self.causes(alarm))
        # Mistral: the host fenced, each member healed through Heat.
        evacuation = self.wait_executions_done('selfheal.evacuate_host',
                                               host=host)
        for instance_id in victim_ids:
            self.assert_healed(self.wait_executions_done(
                'selfheal.heal_stack_member', instance_id=instance_id))
        self.assertTrue(self.compute_service(host).forced_down,
                        'the policy did not fence %s' % host)
        self.assertEqual(
            host, _report(evacuation[0]).get('host'),
            'evacuation report: %s' % evacuation[0].output)

        # Heat and Nova: the stack holds as many servers, all ACTIVE on
        # other hosts, the failed ones replaced.
        self._wait_for_stack_status(stack_id, 'UPDATE_COMPLETE')
        healed = self.wait_servers_active(stack_id)
        self.assertEqual(len(servers), len(healed))
        self.assertEqual(set(), set(victim_ids) & set(healed))
        for server in healed.values():
            self.assertNotEqual(host, getattr(server, HOST_ATTR))
        for old_id in victim_ids:
            self.wait_server_gone(old_id)

    def test_instance_in_error_is_replaced(self):
        """A server Nova reports in ERROR gets a deduced alarm and Heat
        replaces it, leaving the stack COMPLETE.
        """
        stack_id = self.create_app_stack('autohealing_server.yaml')
        servers = self.wait_servers_active(stack_id)
        self.assertEqual(1, len(servers))
        old_id = list(servers)[0]
        self.wait_vitrage_sees(servers)

        self.admin.nova.servers.reset_state(old_id, 'error')

        self.wait_alarms('Instance Error', [old_id])
        self.assert_healed(self.wait_executions_done(
            'selfheal.heal_stack_member', instance_id=old_id))

        self._wait_for_stack_status(stack_id, 'UPDATE_COMPLETE')
        healed = self.wait_servers_active(stack_id)
        self.assertEqual(1, len(healed))
        new_id = list(healed)[0]
        self.assertNotEqual(old_id, new_id)
        self.assertEqual(new_id, self.outputs(stack_id)['server_id'])
        self.wait_server_gone(old_id)


def _report(execution):
    return json.loads(execution.output or '{}').get('report') or {}
