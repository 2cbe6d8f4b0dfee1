#!/usr/bin/env bash
# The test command of README.rst. On a fresh machine it installs what the
# tests need (apt packages included), then runs, in order:
#   flake8, selfheal validate on the shipped library,
#   the unit and functional tests (real Heat engine, real Heat and Mistral),
#   then on the lab (real OpenStack on 127.0.0.1) the lab tests, tempest
#   with heat_tempest_plugin_ext, the healing scenarios, and finally the
#   `lab down` tests.
# --no-lab stops after the unit and functional tests.
set -euo pipefail
cd "$(dirname "$0")/.."

VENV=${VENV:-.venv}
PYTHON=${PYTHON:-python3}
WITH_LAB=1
[ "${1:-}" = "--no-lab" ] && { WITH_LAB=0; shift; }

log() { printf '== %s\n' "$*"; }

if ! "$PYTHON" -c 'import venv, ensurepip' >/dev/null 2>&1; then
    log "installing python3-venv"
    apt-get update -qq && apt-get install -y -qq python3-venv >/dev/null
fi
if [ ! -x "$VENV/bin/python" ]; then
    log "creating $VENV"
    "$PYTHON" -m venv "$VENV"
fi
log "installing heat-selfhealing with its test requirements"
"$VENV/bin/pip" install -q --upgrade pip
"$VENV/bin/pip" install -q -r requirements.txt -r test-requirements.txt \
    -r doc/requirements.txt
"$VENV/bin/pip" install -q -e .

export PATH="$PWD/$VENV/bin:$PATH"

log "flake8 (hacking)"
flake8 heat_plugins selfheal selfheal_checks heat_tempest_plugin_ext tests \
    benchmarks doc/source/_exts

log "docs and release notes (sphinx -W: a warning fails)"
sphinx-build -q -W -b html doc/source doc/build/html
sphinx-build -q -a -E -W -d releasenotes/build/doctrees -b html \
    releasenotes/source releasenotes/build/html

log "selfheal validate (the shipped library)"
selfheal validate templates vitrage_templates workflows

log "pytest: unit and functional"
pytest -p no:cacheprovider -q -rs tests \
    --ignore=tests/lab --ignore=tests/scenarios "$@"

[ "$WITH_LAB" = 1 ] || exit 0

# The tests get a lab of their own, not the developer's.
export SELFHEAL_LAB_HOME=${SELFHEAL_LAB_HOME:-$PWD/.lab}
trap 'selfheal lab down >/dev/null 2>&1 || true' EXIT

log "selfheal lab install"
selfheal lab install

# A failed lab stage shows the services' latest errors: the lab's logs
# are gone with the CI machine.
lab_errors() {
    local log
    for log in "$SELFHEAL_LAB_HOME"/state/logs/*.log; do
        grep -E ' (ERROR|CRITICAL) |Traceback' "$log" | tail -n 8 |
            sed "s|^|$(basename "$log"): |" || true
    done
}

# Every stage runs, so one failure does not hide the others.
rc=0
log "pytest: the lab (brought up once)"
SELFHEAL_LAB_REQUIRED=1 pytest -p no:cacheprovider -q -rs tests/lab \
    -m "not lab_teardown" || { rc=1; lab_errors; }

log "tempest: heat_tempest_plugin_ext against the lab"
bash tools/tempest-against-lab.sh || { rc=1; lab_errors; }

log "pytest: the healing scenarios on the lab"
SELFHEAL_LAB_REQUIRED=1 pytest -p no:cacheprovider -q -rs tests/scenarios \
    || { rc=1; lab_errors; }

log "pytest: down leaves nothing behind"
SELFHEAL_LAB_REQUIRED=1 pytest -p no:cacheprovider -q -rs tests/lab \
    -m lab_teardown || rc=1
exit "$rc"
