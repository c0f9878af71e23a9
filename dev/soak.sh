#!/usr/bin/env bash
# Crash soak: the engine crash test (a child process writing through the engine, SIGKILLed at
# random moments, reopened and checked) and the server crash harness (the real `strata serve`
# under concurrent HTTP ingest, SIGKILLed, restarted and checked through /query), CYCLES
# kill/restart cycles each (default 1000), in release mode. Prints each test's summary line;
# full output goes to target/soak-*.log. Exits non-zero if either test fails.
#
#   dev/soak.sh [CYCLES]
#   ENGINE_CYCLES=300 SERVER_CYCLES=1000 dev/soak.sh
#
# The engine crash test keeps one data directory for all its cycles and each cycle opens
# every table, so its time grows with the square of the cycles (1,000 take over an hour on
# 2 cores); the server harness starts a fresh directory every 25 cycles (about 0.35 s per
# cycle). Record the result in docs/reliability.md ("Soak").
set -euo pipefail
cycles=${1:-1000}
engine_cycles=${ENGINE_CYCLES:-$cycles}
server_cycles=${SERVER_CYCLES:-$cycles}
cd "$(dirname "$0")/.."
mkdir -p target
status=0

run() {
  local name=$1 n=$2 log=$3 pattern=$4
  shift 4
  echo "== $name ($n cycles), log: $log"
  local start=$SECONDS
  if "$@" >"$log" 2>&1; then
    grep -E "$pattern" "$log" || true
    echo "   ok in $((SECONDS - start)) s"
  else
    grep -E "$pattern|panicked|FAILED" "$log" || tail -n 40 "$log"
    echo "   FAILED after $((SECONDS - start)) s"
    status=1
  fi
}

run "engine crash test" "$engine_cycles" target/soak-engine.log '^crash test:' \
  env STRATA_CRASH_CYCLES="$engine_cycles" \
  cargo test --release -p strata-engine --test crash -- --nocapture \
    sigkill_during_writes_flushes_and_compactions_loses_nothing_acknowledged

run "server crash harness" "$server_cycles" target/soak-server.log '^server crash soak:' \
  env STRATA_SOAK_CYCLES="$server_cycles" \
  cargo test --release -p strata --test crash_server -- --nocapture \
    sigkill_under_concurrent_http_ingest_loses_no_acknowledged_write

echo "== $(date -u +%Y-%m-%dT%H:%MZ) $(git rev-parse --short HEAD 2>/dev/null || echo '?'): $([ $status = 0 ] && echo passed || echo FAILED)"
exit $status
