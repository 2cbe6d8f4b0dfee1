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

"""``selfheal validate``: the library checked offline by its owners' code.

HOT templates and environments go through Heat's template, environment and
resource schema code; Vitrage templates through Vitrage's validator; Mistral
definitions through Mistral's parser (selfheal_checks). Then the
cross-references between them are checked.

A new process checks Vitrage and Mistral definitions in child processes
while it loads Heat (workers), and loads the Heat resource types that the
files name (heat_environment).
"""
