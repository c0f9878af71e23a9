#!/usr/bin/env bash
# Strata vs InfluxDB 1.6, Prometheus 2.42 and VictoriaMetrics 1.79 on TSBS cpu-only data,
# one table at the end (and one for Prometheus-shaped remote write, Strata vs
# VictoriaMetrics).
#
#   bench/compare.sh --scale 100 --duration 1d        # the small run, under 10 minutes
#   bench/compare.sh --help                           # every option (strata-bench compare)
#
# Installs Debian's influxdb, prometheus and victoria-metrics if they are missing, builds strata and
# strata-bench in release mode, runs `strata-bench compare` (which starts its own instances
# of the servers on loopback ports, with their data in a temp dir, and stops them), and
# saves the whole output to bench/results/compare-<date>.txt. See bench/README.md.
set -euo pipefail
cd "$(dirname "$0")/.."

for arg in "$@"; do
  if [[ "$arg" == "-h" || "$arg" == "--help" ]]; then
    cargo run --quiet --release -p strata-bench -- compare --help
    exit 0
  fi
done

missing=()
command -v influxd >/dev/null 2>&1 || missing+=(influxdb)
command -v prometheus >/dev/null 2>&1 || missing+=(prometheus)
command -v victoria-metrics >/dev/null 2>&1 || missing+=(victoria-metrics)
if ((${#missing[@]})); then
  sudo=()
  [[ "$(id -u)" -eq 0 ]] || sudo=(sudo)
  echo "installing ${missing[*]} (Debian packages)" >&2
  "${sudo[@]}" apt-get update
  DEBIAN_FRONTEND=noninteractive "${sudo[@]}" apt-get install -y "${missing[@]}"
fi


# The whole workspace, as the tests build it: one feature set, so neither rebuilds the other.
cargo build --release --workspace
target="${CARGO_TARGET_DIR:-target}"

mkdir -p bench/results
out="bench/results/compare-$(date -u +%Y-%m-%d).txt"
[[ -e "$out" ]] && out="bench/results/compare-$(date -u +%Y-%m-%d-%H%M%S).txt"
{
  echo "\$ bench/compare.sh $*"
  echo "# $(date -u +%Y-%m-%dT%H:%M:%SZ), $(uname -srm), nproc $(nproc)"
  free -g
  echo "# commit: $(git rev-parse --short HEAD 2>/dev/null || echo unknown) (plus the work tree's changes, if any)"
} | tee "$out"
# stdout (the report) goes to the file too; stderr keeps the progress bars on the terminal.
status=0
"$target/release/strata-bench" compare --strata-bin "$target/release/strata" "$@" | tee -a "$out" || status=$?
if [[ "$status" -ne 0 ]]; then
  echo "strata-bench compare exited with status $status (see the terminal for its error)" >>"$out"
fi
echo "saved to $out" >&2
exit "$status"
