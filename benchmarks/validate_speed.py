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

"""How fast ``selfheal validate`` checks the shipped library.

Cold: a new ``selfheal validate`` process (imports included; Vitrage and
Mistral in its child processes) over the whole library, wall clock and CPU
time of the process and its children. Warm: the same files checked again in
one process, per file: once as shipped (the results of unchanged
definitions are memoised, as Mistral caches its specs) and once with those
results forgotten, so that Heat, Vitrage and Mistral run again.

The figures are printed, never asserted. The last line says whether the
budget is met: a median cold wall clock of at most 5 s, and at most 10 ms
per file warm (as shipped). Wall clock figures on a shared machine vary
with its load, which is printed too.

    python benchmarks/validate_speed.py [--runs N] [PATH...]
"""

import argparse
import os
import resource
import statistics
import subprocess
import sys
import time

COLD_BUDGET = 5.0           # seconds of wall clock, median
WARM_BUDGET = 10.0          # milliseconds of wall clock per file, median


def cold(paths, runs):
    walls, cpus = [], []
    for _ in range(runs):
        before = resource.getrusage(resource.RUSAGE_CHILDREN)
        start = time.perf_counter()
        done = subprocess.run(
            [sys.executable, '-m', 'selfheal.cli', 'validate'] + paths,
            capture_output=True, text=True)
        walls.append(time.perf_counter() - start)
        after = resource.getrusage(resource.RUSAGE_CHILDREN)
        cpus.append(after.ru_utime - before.ru_utime +
                    after.ru_stime - before.ru_stime)
        # The summary line, or the error that stopped the run.
        summary = (done.stdout.strip() or done.stderr.strip()).splitlines()[
            -1:]
    return walls, cpus, summary


def warm(paths, runs):
    """Per run: (wall, CPU) with results memoised, and without."""
    import logging
    import warnings
    logging.disable(logging.CRITICAL)
    warnings.simplefilter('ignore')
    from selfheal.validate import checker
    from selfheal.validate import hot
    from selfheal.validate import library
    from selfheal_checks import mistral
    from selfheal_checks import results

    mistral.import_mistral_in_process()
    files = library.expand(paths or library.default_paths())
    report = checker.Validation(files).run()     # imports, first use

    def timed(forget):
        times = []
        for _ in range(runs):
            if forget:
                results.forget()
                hot._stack_results.clear()
            wall, cpu = time.perf_counter(), time.process_time()
            checker.Validation(files).run()
            times.append((time.perf_counter() - wall,
                          time.process_time() - cpu))
        return times
    return report.files, timed(False), timed(True)


def _per_file(label, times, count):
    """Print the figures; return the median wall clock per file, in ms."""
    wall = statistics.median(t[0] for t in times)
    cpu = statistics.median(t[1] for t in times)
    print('%s: %d files, median wall %.1f ms (%.1f ms per file), CPU '
          '%.1f ms (%.1f ms per file)' % (
              label, count, wall * 1e3, wall * 1e3 / count, cpu * 1e3,
              cpu * 1e3 / count))
    return wall * 1e3 / count


def _verdict(figure, budget, unit):
    return '%.1f %s %s %g %s: %s' % (
        figure, unit, '<=' if figure <= budget else '>', budget, unit,
        'met' if figure <= budget else 'NOT MET')


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument('--runs', type=int, default=5)
    parser.add_argument('paths', nargs='*')
    args = parser.parse_args()

    print('load average before: %.2f %.2f %.2f (2 cores shared with other '
          'work inflate every figure)' % os.getloadavg())
    walls, cpus, summary = cold(args.paths, args.runs)
    print('cold, new process, %d runs: wall min %.2f s, median %.2f s; CPU '
          '(with its children) min %.2f s, median %.2f s  (%s)' % (
              len(walls), min(walls), statistics.median(walls), min(cpus),
              statistics.median(cpus), ' '.join(summary)))
    count, memoised, recomputed = warm(args.paths, args.runs)
    warm_ms = _per_file('warm, same process', memoised, count)
    _per_file('warm, results recomputed (imports and schemas cached)',
              recomputed, count)
    print('load average after: %.2f %.2f %.2f' % os.getloadavg())
    print('budget: cold median wall %s; warm per file %s' % (
        _verdict(statistics.median(walls), COLD_BUDGET, 's'),
        _verdict(warm_ms, WARM_BUDGET, 'ms')))


if __name__ == '__main__':
    main()
