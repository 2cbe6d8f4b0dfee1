#!/usr/bin/env bash
# Tempest against the selfheal lab: the heat_tempest_plugin_ext tests, run
# the way an operator runs them against a cloud. The lab must be up
# (selfheal lab up). Fails when tempest fails, runs no test, or skips one:
# the lab has every service the tests need.
set -euo pipefail
cd "$(dirname "$0")/.."

VENV=${VENV:-.venv}
WORKSPACE=${TEMPEST_WORKSPACE:-$PWD/.tempest}
export PATH="$PWD/$VENV/bin:$PATH"

log() { printf '== %s\n' "$*"; }

log "tempest workspace $WORKSPACE"
rm -rf "$WORKSPACE" "$WORKSPACE.yaml"
tempest init --workspace-path "$WORKSPACE.yaml" "$WORKSPACE" >/dev/null

log "tempest.conf from selfheal lab env"
python -m heat_tempest_plugin_ext.tools.tempest_conf --lab \
    -o "$WORKSPACE/etc/tempest.conf"

log "tempest run --regex heat_tempest_plugin_ext"
cd "$WORKSPACE"
set +e
# Serial: the scenarios fail hosts the whole cloud sees.
tempest run --serial --regex heat_tempest_plugin_ext 2>&1 | tee run.log
rc=${PIPESTATUS[0]}
set -e

if grep -q '\.\.\. SKIPPED' run.log; then
    log "skipped tests (the lab should run them all):"
    grep '\.\.\. SKIPPED' run.log
    [ "$rc" -ne 0 ] || rc=1
fi
if ! grep -Eq '^ - Passed: [1-9]' run.log; then
    log "no test passed"
    [ "$rc" -ne 0 ] || rc=1
fi
log "tempest log: $WORKSPACE/logs/tempest.log"
exit "$rc"
