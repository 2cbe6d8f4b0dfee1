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
"""Heat policy defaults for the resource types that need admin rights.

Heat checks ``resource_types:<type>`` for every resource of a stack, but
only for rules it has registered: an operator's policy file line for an
unregistered type is ignored. The defaults are therefore added to the
list Heat registers from (heat.policies.resource_types) when heat-engine
imports this package, before its enforcers are built. They are also
published as the ``heat-selfhealing`` oslo.policy namespace, for
``oslopolicy-sample-generator``.
"""

from oslo_policy import policy

from heat.policies import base
from heat.policies import resource_types

# Vitrage templates are global and fire as Vitrage's service user.
ADMIN_ONLY_TYPES = ('SelfHealing::Vitrage::Template', 'OS::Vitrage::Template')

rules = [
    policy.RuleDefault(
        name=resource_types.POLICY_ROOT % type_name,
        check_str=base.RULE_PROJECT_ADMIN,
        description='Use %s in a stack: Vitrage templates are global and '
                    'act as Vitrage\'s service user.' % type_name,
        scope_types=['project'])
    for type_name in ADMIN_ONLY_TYPES]


def list_rules():
    return rules


def register(type_names):
    """Add our defaults for these types to the rules Heat registers.

    Only for types we provide: on Heat 16 to 26, Heat's own
    OS::Vitrage::Template keeps Heat's rules.
    """
    registered = resource_types.resource_types_policies
    known = {rule.name for rule in registered}
    wanted = {resource_types.POLICY_ROOT % name for name in type_names}
    registered.extend(rule for rule in rules
                      if rule.name in wanted and rule.name not in known)
