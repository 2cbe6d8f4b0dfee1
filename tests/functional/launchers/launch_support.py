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

"""What the one-process launchers share: port file, stop on signal or orphan.

Kept free of OpenStack imports. Until serve_until_stopped() installs its
handlers, SIGTERM simply ends a launcher that is still starting.
"""

import argparse
import os
import signal
import sys
import threading
import traceback

STOP_TIMEOUT = 5


def arg_parser(description):
    parser = argparse.ArgumentParser(description=description)
    parser.add_argument('--config-file', required=True)
    parser.add_argument('--port-file', required=True,
                        help='written with the bound port once listening')
    parser.add_argument('--parent-pid', type=int,
                        help='exit when this process is gone')
    return parser


def write_port(path, port):
    tmp = path + '.tmp'
    with open(tmp, 'w') as f:
        f.write('%d\n' % port)
    os.replace(tmp, path)


def _stop_and_exit(stoppers, log):
    # The services' stop() may block (Mistral's engine, Heat's thread
    # groups): give them a moment, then leave regardless.
    def stop_all():
        for stop in stoppers:
            try:
                stop()
            except Exception:
                log.exception('Error while stopping')

    worker = threading.Thread(target=stop_all, daemon=True)
    worker.start()
    worker.join(timeout=STOP_TIMEOUT)
    os._exit(0)


def serve_until_stopped(stoppers, log, parent_pid=None):
    """Block until SIGTERM/SIGINT or the parent's death, then stop and exit.

    ``stoppers`` are callables run in order. Never returns.
    """
    stop_requested = threading.Event()

    def on_signal(signum, frame):
        log.info('Signal %s: stopping', signum)
        stop_requested.set()

    for signum in (signal.SIGTERM, signal.SIGINT):
        signal.signal(signum, on_signal)

    while not stop_requested.wait(timeout=1):
        if parent_pid and os.getppid() != parent_pid:
            log.warning('Parent %s is gone: stopping', parent_pid)
            break
    _stop_and_exit(stoppers, log)


def run(main):
    """Run a launcher's main(); any failure ends the whole process.

    Threads started before the failure (API worker pools) would otherwise
    keep a half-started server alive.
    """
    try:
        main()
    except BaseException:
        traceback.print_exc()
        sys.stderr.flush()
        os._exit(1)
