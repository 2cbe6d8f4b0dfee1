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

"""``python -m selfheal_checks list-mistral-actions|serve``."""

import json
import sys

from selfheal_checks import mistral_actions
from selfheal_checks import server


def main(argv):
    server.quiet()
    if argv == ['list-mistral-actions']:
        print(json.dumps(mistral_actions.list_mistral_actions()))
    elif argv == ['serve']:
        return server.main()
    else:
        sys.stderr.write('usage: python -m selfheal_checks '
                         '{list-mistral-actions|serve}\n')
        return 2
    return 0


if __name__ == '__main__':
    sys.exit(main(sys.argv[1:]))
