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

"""Measure the lab's budgets and print them; never asserts.

    python benchmarks/lab_budgets.py                 # cold up + memory
    python benchmarks/lab_budgets.py --fresh-install # + install in a new home

Budgets (issue 4): ``up`` from installed and cold <= 150 s, total RSS
<= 5 GiB, ``install`` on a fresh machine <= 10 min.

- cold up: ``selfheal lab down``, then ``selfheal lab up`` timed (state and
  databases kept: the first ``up`` after ``install`` also migrates every
  database; run with a new SELFHEAL_LAB_HOME to time that one).
- memory: RSS summed over every process of every lab service, and PSS
  (shared pages divided between the processes that share them).
- fresh install: ``selfheal lab install`` into a new temporary
  SELFHEAL_LAB_HOME, so both venvs are built from nothing. Debian packages
  already installed are not reinstalled; pip's cache and this machine's
  wheel mirror make it faster than a machine that never saw the packages.
"""

import argparse
import os
import pathlib
import shutil
import subprocess
import sys
import tempfile
import time

from selfheal.lab import layout
from selfheal.lab import procs
from selfheal.lab import services

GiB = 1 << 30
BUDGETS = {'up': 150.0, 'rss': 5 * GiB, 'install': 600.0}


def selfheal_lab(*args, home=None):
    env = dict(os.environ)
    if home:
        env[layout.HOME_ENV] = str(home)
    started = time.monotonic()
    proc = subprocess.run([sys.executable, '-m', 'selfheal.cli', 'lab',
                           *args], env=env, capture_output=True, text=True)
    elapsed = time.monotonic() - started
    if proc.returncode:
        sys.exit('selfheal lab %s failed:\n%s' % (' '.join(args),
                                                  proc.stderr[-3000:]))
    return elapsed, proc.stdout


def pss_bytes(pids):
    total = 0
    for pid in pids:
        try:
            for line in pathlib.Path('/proc/%d/smaps_rollup' % pid
                                     ).read_text().splitlines():
                if line.startswith('Pss:'):
                    total += int(line.split()[1]) * 1024
        except OSError:
            pass
    return total


def memory(lab):
    rows = []
    for name in services.service_names(lab):
        pids = procs.session_members(procs.read_pidfile(lab.pidfile(name)))
        rows.append((name, len(pids), procs.rss_bytes(pids), pss_bytes(pids)))
    return rows


def verdict(value, budget):
    return 'within budget' if value <= budget else 'OVER BUDGET'


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument('--fresh-install', action='store_true')
    parser.add_argument('--no-cold-up', action='store_true',
                        help='measure memory of the running lab only')
    args = parser.parse_args()
    lab = layout.Lab.from_env()
    figures = []

    if args.fresh_install:
        home = pathlib.Path(tempfile.mkdtemp(prefix='selfheal-lab-bench-'))
        try:
            elapsed, _ = selfheal_lab('install', home=home)
        finally:
            shutil.rmtree(home, ignore_errors=True)
        figures.append(('install (fresh venvs)', '%.0f s' % elapsed,
                        '<= %.0f s' % BUDGETS['install'],
                        verdict(elapsed, BUDGETS['install'])))
    install_again, _ = selfheal_lab('install')
    figures.append(('install (second run)', '%.1f s' % install_again, '', ''))

    if not args.no_cold_up:
        selfheal_lab('down')
        elapsed, _ = selfheal_lab('up')
        figures.append(('up (installed, cold)', '%.0f s' % elapsed,
                        '<= %.0f s' % BUDGETS['up'],
                        verdict(elapsed, BUDGETS['up'])))
        again, _ = selfheal_lab('up')
        figures.append(('up (already running)', '%.0f s' % again, '', ''))

    rows = memory(lab)
    print('%-22s %5s %9s %9s' % ('service', 'procs', 'RSS MiB', 'PSS MiB'))
    for name, count, rss, pss in rows:
        print('%-22s %5d %9d %9d' % (name, count, rss >> 20, pss >> 20))
    rss = sum(r[2] for r in rows)
    pss = sum(r[3] for r in rows)
    print('%-22s %5d %9d %9d' % ('total', sum(r[1] for r in rows),
                                 rss >> 20, pss >> 20))
    figures.append(('total RSS', '%.2f GiB' % (rss / GiB),
                    '<= %.0f GiB' % (BUDGETS['rss'] / GiB),
                    verdict(rss, BUDGETS['rss'])))
    figures.append(('total PSS', '%.2f GiB' % (pss / GiB), '', ''))
    print()
    for row in figures:
        print('%-24s %10s  %-9s %s' % row)
    return 0


if __name__ == '__main__':
    sys.exit(main())
