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

"""Offline checks of Vitrage templates and Mistral definitions.

The checks are done by the owners' code: Vitrage's template validator and
Mistral's DSL parser, plus the action list that Mistral and mistral-extra
generate. Only what they let through is checked here (function names in
Vitrage actions, action names in Mistral tasks, template parameters).

``selfheal validate`` calls these modules directly; heat-engine reaches
them through heat_plugins.definition_checks, which runs ``server`` in
child processes.
"""
