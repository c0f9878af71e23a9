#!/usr/bin/env bash
# The TSBS query types in their PromQL forms (as `strata-bench` writes them for Prometheus),
# sent to Strata's /api/v1/query_range and to Prometheus 2.42 and VictoriaMetrics 1.79 over the
# same remote-written data (TSBS cpu-only: SCALE hosts x DURATION at 10 s, 10 metrics
# cpu_<field>). Strata and Prometheus get the Prometheus dialect (closed windows),
# VictoriaMetrics its own; latencies are `strata-bench query` percentiles, 20 queries a type.
# Usage: bench/promql_tsbs.sh [SCALE] [DURATION]   (default 100 1d)
set -euo pipefail
cd "$(dirname "$0")/.."
scale=${1:-100}; duration=${2:-1d}
cargo build --release --bin strata --bin strata-bench >/dev/null 2>&1
bin=target/release
work=$(mktemp -d /tmp/strata-promql-tsbs-XXXX)
trap 'kill $(jobs -p) 2>/dev/null || true; rm -rf "$work"' EXIT
echo "# $(date -u +%FT%TZ), $(uname -srm), nproc $(nproc), commit $(git rev-parse --short HEAD), scale $scale, duration $duration"
port() { python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])'; }
sp=$(port); vp=$(port); pp=$(port)
$bin/strata serve --data-dir "$work/strata" --http-addr "127.0.0.1:$sp" 2>"$work/strata.log" &
victoria-metrics -storageDataPath "$work/vm" -httpListenAddr "127.0.0.1:$vp" -retentionPeriod 100y \
  -search.latencyOffset 0 -search.disableCache >"$work/vm.log" 2>&1 &
printf 'global:\n  scrape_interval: 1m\n' > "$work/prometheus.yml"
prometheus --config.file "$work/prometheus.yml" --storage.tsdb.path "$work/prom" --web.enable-remote-write-receiver \
  --storage.tsdb.retention.time 100y --web.listen-address "127.0.0.1:$pp" >"$work/prom.log" 2>&1 &
sleep 3
for u in "$sp" "$pp" "$vp"; do
  # One worker: Prometheus takes samples in order only.
  $bin/strata-bench ingest --scale "$scale" --duration "$duration" --format remote-write --workers 1 \
    --url "http://127.0.0.1:$u" | grep throughput
done
curl -sf -XPOST "http://127.0.0.1:$sp/api/v1/admin/compact" >/dev/null || true
curl -sf "http://127.0.0.1:$vp/internal/force_flush" >/dev/null || true
sleep 5
for target in "prometheus $sp Strata" "prometheus $pp Prometheus" "victoriametrics $vp VictoriaMetrics"; do
  set -- $target
  echo "== $3 (PromQL, $1 dialect)"
  $bin/strata-bench query --scale "$scale" --duration "$duration" --target "$1" --url "http://127.0.0.1:$2" --runs 20
done
