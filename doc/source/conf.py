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
import sys

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)),
                                '_exts'))

project = 'heat-selfhealing'
copyright = 'heat-selfhealing developers'
extensions = [
    'selfheal_library',
    'selfheal_resources',
]
exclude_patterns = ['_build']
html_theme = 'alabaster'
# Commands and values are quoted from the code as they are: no curly
# quotes, no dashes made of "--".
smartquotes = False
