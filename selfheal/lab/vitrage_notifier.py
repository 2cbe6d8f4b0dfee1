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

"""vitrage-notifier that posts to the lab's Mistral, not localhost:8989.

A shim the lab needs, run by the Vitrage venv's python (this file
imports only the standard library, vitrage and mistralclient).

Upstream reason: Vitrage 15's ``os_clients.mistral_client()`` builds
``mistralclient...v2.client.Client(session=..., region_name=...)`` without
``mistral_url``. Every python-mistralclient release then uses its hard-coded
``_DEFAULT_MISTRAL_URL`` (http://localhost:8989/v2) instead of the Keystone
catalog, so the notifier reaches whatever listens on port 8989 (on
devstack, by luck, Mistral itself). No version pin changes this.

The fix: set that default to ``$SELFHEAL_LAB_MISTRAL_URL`` before vitrage
creates its client, then run the stock ``vitrage-notifier`` entry point.
"""

import os
import sys

URL_ENV = 'SELFHEAL_LAB_MISTRAL_URL'


def target_mistral(url):
    """Make clients created without ``mistral_url`` use ``url``."""
    from mistralclient.api.v2 import client
    client._DEFAULT_MISTRAL_URL = url


def main():
    url = os.environ.get(URL_ENV)
    if not url:
        sys.exit('%s is not set: refusing to let vitrage-notifier post to '
                 'http://localhost:8989' % URL_ENV)
    target_mistral(url)
    from vitrage.cli.notifier import main as notifier_main
    sys.argv[0] = 'vitrage-notifier'
    return notifier_main()


if __name__ == '__main__':
    sys.exit(main())
