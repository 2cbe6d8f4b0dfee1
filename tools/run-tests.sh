#!/usr/bin/env bash
# The test command of README.rst: installs what the tests need on a fresh
# machine (apt packages included), then runs them. Idempotent.
set -euo pipefail
cd "$(dirname "$0")/.."

VENV=${VENV:-.venv}
PYTHON=${PYTHON:-python3}

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
"$VENV/bin/pip" install -q -r requirements.txt -r test-requirements.txt
"$VENV/bin/pip" install -q -e .

export PATH="$PWD/$VENV/bin:$PATH"

log "flake8 (hacking)"
flake8 heat_plugins selfheal heat_tempest_plugin_ext tests benchmarks

log "selfheal validate (the shipped library)"
selfheal validate templates vitrage_templates workflows

log "pytest"
pytest -p no:cacheprovider "$@"
