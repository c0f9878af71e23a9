#!/usr/bin/env bash
# The TSBS query types in their InfluxQL forms (as `strata-bench` writes them for InfluxDB),
# sent to Strata's InfluxQL /query and to InfluxDB 1.6.7 over the same line protocol (TSBS
# cpu-only: SCALE hosts x DURATION at 10 s, written to database `benchmark` of both).
# Latencies are `strata-bench query --target influxdb` percentiles, RUNS queries a type; the
# answers of both are printed side by side by `--show` only when asked (SHOW=1).
# Usage: bench/influxql_tsbs.sh [SCALE] [DURATION] [RUNS]   (default 100 1d 20; needs influxd)
set -euo pipefail
cd "$(dirname "$0")/.."
scale=${1:-100}; duration=${2:-1d}; runs=${3:-20}
cargo build --release --bin strata --bin strata-bench >/dev/null 2>&1
bin=target/release
work=$(mktemp -d /tmp/strata-influxql-tsbs-XXXX)
trap 'kill $(jobs -p) 2>/dev/null || true; rm -rf "$work"' EXIT
echo "# $(date -u +%FT%TZ), $(uname -srm), nproc $(nproc), commit $(git rev-parse --short HEAD), scale $scale, duration $duration"
port() { python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])'; }
sp=$(port); ip=$(port); rp=$(port)
$bin/strata serve --data-dir "$work/strata" --http-addr "127.0.0.1:$sp" 2>"$work/strata.log" &
cat > "$work/influxd.conf" <<CONF
reporting-disabled = true
bind-address = "127.0.0.1:$rp"
[meta]
  dir = "$work/influx/meta"
  logging-enabled = false
[data]
  dir = "$work/influx/data"
  wal-dir = "$work/influx/wal"
  query-log-enabled = false
[monitor]
  store-enabled = false
[http]
  bind-address = "127.0.0.1:$ip"
  log-enabled = false
[logging]
  suppress-logo = true
CONF
influxd -config "$work/influxd.conf" >"$work/influxd.log" 2>&1 &
sleep 3
for u in "$sp" "$ip"; do
  curl -sf -XPOST "http://127.0.0.1:$u/query" --data-urlencode 'q=CREATE DATABASE benchmark' >/dev/null
  $bin/strata-bench ingest --scale "$scale" --duration "$duration" --url "http://127.0.0.1:$u" \
    --path "/write?db=benchmark" | grep throughput
done
curl -sf -XPOST "http://127.0.0.1:$sp/api/v1/admin/compact" >/dev/null || true
sleep 5
for target in "$sp Strata" "$ip InfluxDB"; do
  set -- $target
  echo "== $2 (InfluxQL)"
  $bin/strata-bench query --scale "$scale" --duration "$duration" --target influxdb --db benchmark \
    --url "http://127.0.0.1:$1" --runs "$runs"
done
