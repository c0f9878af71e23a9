#!/usr/bin/env bash
# Bytes on disk for real scrape data, Strata vs VictoriaMetrics: Debian's prometheus scrapes
# itself and prometheus-node-exporter (this machine) every 5 s for MINUTES minutes and
# remote-writes every sample to a Strata and a VictoriaMetrics started for the run (loopback
# ports, data in a temp dir). Then VictoriaMetrics is flushed and merged, Strata flushes and
# compacts on its idle timers (10 s / 30 s), both are stopped and their data dirs sized (all
# of Strata's; VictoriaMetrics' without the caches it writes there on shutdown).
# The samples are also dumped from Prometheus' own TSDB to OUT.csv (series,timestamp,value),
# the input of `strata codec-report` and of a replay.
# Usage: bench/scrape_size.sh MINUTES [OUT.csv]
set -euo pipefail
minutes=${1:-60}
out=${2:-}
cd "$(dirname "$0")/.."
here=$(pwd)/bench
for bin in prometheus prometheus-node-exporter victoria-metrics; do
  command -v "$bin" >/dev/null || {
    sudo=(); [[ "$(id -u)" -eq 0 ]] || sudo=(sudo)
    "${sudo[@]}" apt-get install -y -qq prometheus prometheus-node-exporter victoria-metrics
    break
  }
done
cargo build --release --workspace
strata="${CARGO_TARGET_DIR:-target}/release/strata"
free_port() { python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])'; }
work=$(mktemp -d)
pids=()
trap 'kill "${pids[@]}" 2>/dev/null || true' EXIT
sp=$(free_port); vp=$(free_port); np=$(free_port); pp=$(free_port)
"$strata" serve --data-dir "$work/strata" --http-addr "127.0.0.1:$sp" \
  --flush-idle 10s --compact-idle 30s >"$work/strata.log" 2>&1 &
spid=$!; pids+=($spid)
mkdir -p "$work/vm"
victoria-metrics -storageDataPath="$work/vm" -httpListenAddr="127.0.0.1:$vp" \
  -retentionPeriod=100y -loggerLevel=WARN >"$work/vm.log" 2>&1 &
vpid=$!; pids+=($vpid)
prometheus-node-exporter --web.listen-address="127.0.0.1:$np" >"$work/node.log" 2>&1 &
pids+=($!)
cat > "$work/prometheus.yml" <<YML
global: {scrape_interval: 5s, evaluation_interval: 5s}
scrape_configs:
  - {job_name: prometheus, static_configs: [{targets: ['127.0.0.1:$pp']}]}
  - {job_name: node, static_configs: [{targets: ['127.0.0.1:$np']}]}
remote_write:
  - url: http://127.0.0.1:$sp/api/v1/write
  - url: http://127.0.0.1:$vp/api/v1/write
YML
sleep 2
prometheus --config.file="$work/prometheus.yml" --storage.tsdb.path="$work/prom" \
  --web.listen-address="127.0.0.1:$pp" >"$work/prom.log" 2>&1 &
ppid=$!; pids+=($ppid)
echo "scraping for $minutes minutes into $work" >&2
sleep $((minutes * 60))
sent() {
  curl -s "http://127.0.0.1:$pp/api/v1/query" --data-urlencode \
    'query=sum by (url) (prometheus_remote_storage_samples_total)' |
    python3 -c 'import json,sys; r=json.load(sys.stdin)["data"]["result"]; print(" ".join(x["metric"]["url"]+"="+x["value"][1] for x in r))'
}
echo "remote write sent: $(sent)"
kill -INT $ppid; wait $ppid 2>/dev/null || true
curl -sf "http://127.0.0.1:$vp/internal/force_flush" >/dev/null
curl -sf "http://127.0.0.1:$vp/internal/force_merge" >/dev/null
scalar() {  # scalar PORT QUERY: the value of a one-element instant vector
  curl -s "http://127.0.0.1:$1/api/v1/query" --data-urlencode "query=$2" |
    python3 -c 'import json,sys; b=sys.stdin.read(); print(json.loads(b)["data"]["result"][0]["value"][1]) if "result" in b else sys.exit("query failed: "+b)'
}
samples=$(scalar $vp 'sum(count_over_time({__name__=~".+"}[1y]))')
strata_samples=$(curl -s "http://127.0.0.1:$sp/metrics" | awk '/^strata_points_written_total/ {s += $2} END {print s}')
series=$(scalar $sp 'count({__name__=~".+"})')
echo "samples: VictoriaMetrics count_over_time $samples, Strata points written $strata_samples; series $series"
sleep 60   # Strata: idle flush after 10 s, compaction after 30 s; VictoriaMetrics' merge
kill -TERM $spid $vpid; wait $spid $vpid 2>/dev/null || true
# VictoriaMetrics writes its caches (`cache/`, rebuilt from the data when missing) into its
# data dir on shutdown: they are reported apart, not counted as its storage.
sb=$(du -sb "$work/strata" | cut -f1); vall=$(du -sb "$work/vm" | cut -f1)
vcache=$(du -sb "$work/vm/cache" 2>/dev/null | cut -f1 || echo 0); vb=$((vall - vcache))
python3 - "$sb" "$vb" "$strata_samples" "$vcache" <<'PY'
import sys
sb, vb, n, vc = int(sys.argv[1]), int(sys.argv[2]), int(float(sys.argv[3])), int(sys.argv[4])
print(f"| real scrapes, data dir on disk, bytes/sample | {sb/n:.3f} | {vb/n:.3f} | {sb/vb:.2f}x |")
print(f"({n} samples; Strata {sb} bytes, VictoriaMetrics {vb} bytes without its {vc}-byte cache/)")
PY
du -sb "$work/vm"/* | sort -n
"$strata" inspect --data-dir "$work/strata" | tail -n 20
if [[ -n "$out" ]]; then
  promtool tsdb dump "$work/prom" | python3 "$here/promtool_to_csv.py" > "$out"
  echo "wrote $(($(wc -l < "$out") - 1)) samples to $out"
fi
echo "data kept in $work"
