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

"""Options of the heat-selfhealing tempest plugin.

Credentials, region, endpoint type, stack build timeout and poll interval
come from heat-tempest-plugin's ``[heat_plugin]`` group, which these tests
build on.
"""

from oslo_config import cfg

# [service_available]: vitrage-tempest-plugin and mistral-tempest-plugin
# declare the same two options; whichever registers first wins.
ServiceAvailableGroup = [
    cfg.BoolOpt('vitrage',
                default=True,
                help='Whether Vitrage (catalog type rca) is expected to be '
                     'available.'),
    cfg.BoolOpt('mistral',
                default=True,
                help='Whether Mistral (catalog type workflowv2) is expected '
                     'to be available.'),
]

selfhealing_group = cfg.OptGroup(
    name='selfhealing',
    title='Self-healing with Heat, Vitrage and Mistral')

SelfHealingGroup = [
    cfg.ListOpt('compute_hosts',
                default=[],
                help='Compute hosts the host-down scenario may fail and '
                     'evacuate to, at least two. The test posts a Doctor '
                     'compute.host.down event for one of them, so the '
                     'self-healing policy fences it (nova-compute forced '
                     'down) and moves its instances. Use hosts without '
                     'production instances: the test refuses a host that '
                     'runs instances it did not create. Empty skips the '
                     'host-down scenario.'),
    cfg.StrOpt('image_ref',
               help='Image (name or id) of the servers the scenario stacks '
                    'boot. Defaults to [heat_plugin] minimal_image_ref.'),
    cfg.StrOpt('flavor_ref',
               help='Flavor (name or id) of those servers. Defaults to '
                    '[heat_plugin] minimal_instance_type.'),
    cfg.StrOpt('network',
               help='Network (name or id) for the scenario servers. Empty '
                    'boots them without a NIC (allocate_network: none).'),
    cfg.StrOpt('library_dir',
               help='Directory holding the shipped templates/, '
                    'vitrage_templates/ and workflows/. Default: '
                    '$SELFHEAL_DATA_DIR, else the source checkout this '
                    'plugin runs from, else the '
                    '<prefix>/share/heat-selfhealing of its install '
                    '(see selfheal.data).'),
    cfg.BoolOpt('deploy_policy',
                default=True,
                help='Deploy the parts of the shipped self-healing policy '
                     '(host failure stack, heal workflows, instance heal '
                     'template) that the cloud lacks, through Heat stacks '
                     'deleted after the scenario tests. False: deploy '
                     'nothing and require the cloud to run the whole '
                     'policy already.'),
    cfg.StrOpt('vitrage_catalog_type',
               default='rca',
               help='Catalog type of Vitrage.'),
    cfg.StrOpt('mistral_catalog_type',
               default='workflowv2',
               help='Catalog type of Mistral.'),
    cfg.IntOpt('vitrage_timeout',
               default=180,
               help='Seconds for Vitrage to activate a template, to see a '
                    'new server or to raise an alarm.'),
    cfg.IntOpt('heal_timeout',
               default=900,
               help='Seconds from an injected fault until the stack is '
                    'healed and the workflows have finished.'),
]
