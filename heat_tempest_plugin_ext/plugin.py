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

import os

from oslo_config import cfg
from tempest import config
from tempest.test_discover import plugins

from heat_tempest_plugin_ext import config as selfhealing_config


class SelfHealingTempestPlugin(plugins.TempestPlugin):
    """Tests of self-healing with Heat, Vitrage and Mistral.

    Registered through the ``tempest.test_plugins`` entry point.
    """

    def load_tests(self):
        package = os.path.dirname(os.path.abspath(__file__))
        return os.path.join(package, 'tests'), os.path.dirname(package)

    def register_opts(self, conf):
        for opt in selfhealing_config.ServiceAvailableGroup:
            try:
                conf.register_opt(opt, group=config.service_available_group)
            except cfg.DuplicateOptError:
                # Declared by the service's own tempest plugin.
                pass
        config.register_opt_group(conf, selfhealing_config.selfhealing_group,
                                  selfhealing_config.SelfHealingGroup)

    def get_opt_lists(self):
        return [
            (config.service_available_group.name,
             selfhealing_config.ServiceAvailableGroup),
            (selfhealing_config.selfhealing_group.name,
             selfhealing_config.SelfHealingGroup),
        ]
