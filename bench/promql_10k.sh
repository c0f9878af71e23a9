#!/usr/bin/env bash
# PromQL over 10,000 series for 24 h, Strata against Prometheus 2.42 and VictoriaMetrics 1.79
# on the same samples (one metric `x`, a counter per series, one sample a minute):
#   - Strata and VictoriaMetrics take the data as line protocol (`x,host=..,region=.. value=..`;
#     VictoriaMetrics with -influxSkipSingleField so the metric is `x` there too),
#   - Prometheus gets it backfilled with `promtool tsdb create-blocks-from openmetrics`.
# Then each query runs RUNS times on each server (range queries over the 24 h at a 5-minute
# step, and instant queries at the end), and the medians are printed, with whether Strata's
# answer equals Prometheus'. VictoriaMetrics runs with -search.disableCache (it would otherwise
# answer a repeated range query from its rollup cache in about a millisecond).
# Usage: bench/promql_10k.sh [RUNS]   (needs prometheus, promtool, victoria-metrics, python3)
set -euo pipefail
cd "$(dirname "$0")/.."
runs=${1:-10}
cargo build --release --bin strata >/dev/null
work=$(mktemp -d /tmp/strata-promql-bench-XXXX)
trap 'kill $(jobs -p) 2>/dev/null || true; rm -rf "$work"' EXIT
start=1767225600  # 2026-01-01T00:00:00Z
echo "# $(date -u +%FT%TZ), $(uname -srm), nproc $(nproc), commit $(git rev-parse --short HEAD)"
echo "generating 10,000 series x 1,440 samples ..."
python3 - "$work" "$start" <<'PY'
import sys, random
work, start = sys.argv[1], int(sys.argv[2])
random.seed(1)
series = [(f"h{i:05}", f"r{i % 20}") for i in range(10000)]
vals = [0.0] * len(series)
lp = open(f"{work}/data.lp", "w")
om = open(f"{work}/data.om", "w")
for k in range(1440):
    t = start + k * 60
    lines, olines = [], []
    for i, (h, r) in enumerate(series):
        vals[i] += random.randint(0, 100)
        lines.append(f"x,host={h},region={r} value={vals[i]:.0f} {t}000000000\n")
        olines.append(f'x{{host="{h}",region="{r}"}} {vals[i]:.0f} {t}\n')
    lp.write("".join(lines))
    om.write("".join(olines))
om.write("# EOF\n")
PY
split -l 200000 "$work/data.lp" "$work/lp-"
port() { python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])'; }
sp=$(port); vp=$(port); pp=$(port)
target/release/strata serve --data-dir "$work/strata" --http-addr "127.0.0.1:$sp" 2>"$work/strata.log" &
victoria-metrics -storageDataPath "$work/vm" -httpListenAddr "127.0.0.1:$vp" -retentionPeriod 100y \
  -influxSkipSingleField -search.latencyOffset 0 -search.disableCache >"$work/vm.log" 2>&1 &
echo "backfilling Prometheus (promtool) ..."
mkdir -p "$work/prom"
( cd "$work" && promtool tsdb create-blocks-from openmetrics data.om prom >/dev/null )
printf 'global:\n  scrape_interval: 1m\n' > "$work/prometheus.yml"
prometheus --config.file "$work/prometheus.yml" --storage.tsdb.path "$work/prom" \
  --storage.tsdb.retention.time 100y --web.listen-address "127.0.0.1:$pp" >"$work/prom.log" 2>&1 &
sleep 3
echo "writing line protocol to Strata and VictoriaMetrics ..."
for f in "$work"/lp-*; do
  curl -sf -XPOST --data-binary @"$f" "http://127.0.0.1:$sp/write?precision=ns" >/dev/null
  curl -sf -XPOST --data-binary @"$f" "http://127.0.0.1:$vp/write" >/dev/null
done
curl -sf -XPOST "http://127.0.0.1:$sp/api/v1/admin/compact" >/dev/null || true
curl -sf "http://127.0.0.1:$vp/internal/force_flush" >/dev/null || true
for u in "$sp" "$pp" "$vp"; do
  until curl -sf "http://127.0.0.1:$u/api/v1/query?query=count(x)&time=$((start + 86340))" | grep -q '"10000"'; do sleep 1; done
done
end=$((start + 86340))
median() { sort -n | awk '{a[NR]=$1} END {print a[int((NR+1)/2)]}'; }
run() { # port path params... -> median ms
  local p=$1 path=$2; shift 2
  for _ in $(seq "$runs"); do
    curl -s -o /dev/null -w '%{time_total}\n' -G "http://127.0.0.1:$p$path" "$@"
  done | awk '{print $1*1000}' | median
}
printf '%-58s %10s %10s %10s %8s %8s %s\n' query strata_ms prom_ms vm_ms s/prom s/vm equal
for q in 'sum by (region) (rate(x[5m]))' 'sum(rate(x[5m]))' 'max by (region) (x)' \
         'topk(5, rate(x[10m]))' 'histogram_quantile(0.9, sum by (le) (rate(x[5m])))' \
         'count(x > 1000)' 'avg_over_time(x[30m])'; do
  for kind in range instant; do
    if [ $kind = range ]; then
      path=/api/v1/query_range; args=(--data-urlencode "query=$q" -d "start=$start" -d "end=$end" -d step=300)
    else
      path=/api/v1/query; args=(--data-urlencode "query=$q" -d "time=$end")
    fi
    s=$(run "$sp" $path "${args[@]}"); p=$(run "$pp" $path "${args[@]}"); v=$(run "$vp" $path "${args[@]}")
    eq=$(python3 - "$sp" "$pp" "$path" "${args[@]}" <<'PY'
import sys, json, subprocess
sp, pp, path, args = sys.argv[1], sys.argv[2], sys.argv[3], sys.argv[4:]
def get(p):
    out = subprocess.run(["curl", "-s", "-G", f"http://127.0.0.1:{p}{path}", *args], capture_output=True, text=True).stdout
    d = json.loads(out)["data"]["result"]
    norm = lambda s: (json.dumps(s["metric"], sort_keys=True), [(float(t), float(v)) for t, v in s.get("values", [s.get("value")])])
    return sorted(map(norm, d))
a, b = get(sp), get(pp)
ok = len(a) == len(b) and all(x[0] == y[0] and len(x[1]) == len(y[1]) and all(
    p[0] == q[0] and (p[1] == q[1] or abs(p[1] - q[1]) <= 1e-9 * max(abs(p[1]), abs(q[1]))) for p, q in zip(x[1], y[1])) for x, y in zip(a, b))
print("yes" if ok else "NO")
PY
)
    printf '%-58s %10.1f %10.1f %10.1f %8.2f %8.2f %s\n' "$kind $q" "$s" "$p" "$v" "$(echo "$s/$p" | bc -l)" "$(echo "$s/$v" | bc -l)" "$eq"
  done
done
echo "RSS after queries (MiB): strata $(($(ps -o rss= -p "$(pgrep -f "strata serve --data-dir $work" | head -1)") / 1024)), prometheus $(($(ps -o rss= -p "$(pgrep -f "storage.tsdb.path $work" | head -1)") / 1024)), victoria-metrics $(($(ps -o rss= -p "$(pgrep -f "storageDataPath $work" | head -1)") / 1024))"
