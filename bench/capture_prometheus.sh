#!/usr/bin/env bash
# Captures real metrics for the codec report: Debian's prometheus scrapes itself and
# prometheus-node-exporter (this machine) every 5 s for MINUTES minutes, then
# `promtool tsdb dump` prints every sample, converted to CSV series,timestamp,value (ms).
# Usage: bench/capture_prometheus.sh MINUTES OUT.csv
set -euo pipefail
minutes=${1:-90}
out=${2:-real.csv}
here=$(cd "$(dirname "$0")" && pwd)
command -v prometheus >/dev/null || apt-get install -y -qq prometheus prometheus-node-exporter
work=$(mktemp -d)
cat > "$work/prometheus.yml" <<YML
global: {scrape_interval: 5s, evaluation_interval: 5s}
scrape_configs:
  - {job_name: prometheus, static_configs: [{targets: ['127.0.0.1:19090']}]}
  - {job_name: node, static_configs: [{targets: ['127.0.0.1:19100']}]}
YML
prometheus-node-exporter --web.listen-address=127.0.0.1:19100 >"$work/node.log" 2>&1 &
node=$!
prometheus --config.file="$work/prometheus.yml" --storage.tsdb.path="$work/data" \
  --web.listen-address=127.0.0.1:19090 >"$work/prom.log" 2>&1 &
prom=$!
trap 'kill $prom $node 2>/dev/null || true' EXIT
sleep $((minutes * 60))
kill $prom; wait $prom 2>/dev/null || true
promtool tsdb dump "$work/data" | python3 "$here/promtool_to_csv.py" > "$out"
echo "wrote $(($(wc -l < "$out") - 1)) samples to $out"
