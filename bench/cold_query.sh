#!/usr/bin/env bash
# Cold-query latency: TSBS cpu-only (SCALE hosts x DURATION at 10 s from 2016-01-01) written
# to Strata, compacted and timed locally; then exported to a real S3 server (s3s-fs on
# loopback) with --local-retention 1h, so every partition's local copy is dropped, and the
# same queries timed again from the cold tier:
#   - cold:      server restarted with the disk cache emptied (files fetched from the store),
#   - disk-warm: server restarted, disk cache kept (files mapped from the local cache),
#   - warm:      the query repeated in the same process (opened files and row groups cached).
# Each figure is the median of RUNS. Queries (JSON API, 24 h of the second day):
#   one-series:  one host's 10 fields, raw (8,640 rows),
#   agg-all:     mean of usage_user per hour over every host, grouped by hostname.
# Usage: bench/cold_query.sh [SCALE] [DURATION] [RUNS]   (default 100 3d 5; needs s3s-fs)
set -euo pipefail
cd "$(dirname "$0")/.."
scale=${1:-100}; duration=${2:-3d}; runs=${3:-5}
# shellcheck source=bench/s3s.sh
. bench/s3s.sh
echo "# $(date -u +%FT%TZ), $(uname -srm), nproc $(nproc), commit $(git rev-parse --short HEAD), scale $scale, duration $duration, runs $runs"
sp=$(port)
start_s3s
spid=
start_server() {
  $bin/strata serve --data-dir "$work/strata" --http-addr "127.0.0.1:$sp" \
    --object-store s3://bench/strata --cold-after 1h --local-retention 1h \
    --cold-check-interval 1d 2>>"$work/strata.log" >/dev/null &
  spid=$!
  for _ in $(seq 100); do curl -sf "http://127.0.0.1:$sp/ready" >/dev/null && return; sleep 0.1; done
  echo "server did not start"; cat "$work/strata.log"; exit 1
}
stop_server() { kill "$spid"; wait "$spid" 2>/dev/null || true; }
start_server
$bin/strata-bench ingest --scale "$scale" --duration "$duration" --url "http://127.0.0.1:$sp" \
  --no-progress >/dev/null
curl -sf -XPOST "http://127.0.0.1:$sp/api/v1/admin/compact" >/dev/null

day=$((1451606400000 + 86400000))
q_one="{\"measurement\":\"cpu\",\"filters\":{\"hostname\":\"host_7\"},\"start\":$day,\"end\":$((day + 86400000))}"
q_agg="{\"measurement\":\"cpu\",\"fields\":[\"usage_user\"],\"group_by\":[\"hostname\"],\"aggregate\":{\"function\":\"mean\",\"every\":3600000},\"start\":$day,\"end\":$((day + 86400000))}"
# Seconds of one query; checks the answer's size.
timed() {
  curl -s -o "$work/out.json" -w '%{http_code} %{time_total}\n' -XPOST -H 'Content-Type: application/json' \
    --data "$2" "http://127.0.0.1:$sp/query" >"$work/t"
  read -r code secs <"$work/t"
  [ "$code" = 200 ] || { echo "query $1 failed: $code $(cat "$work/out.json")"; exit 1; }
  md5sum <"$work/out.json" | cut -c1-12 >"$work/sum-$1-$3"
  echo "$secs"
}
median() { sort -g | awk '{a[NR]=$1} END {print a[int((NR+1)/2)]}'; }
declare -A res
for q in one agg; do
  var="q_$q"; timed "$q" "${!var}" local >/dev/null
  res[$q-local]=$(for _ in $(seq "$runs"); do timed "$q" "${!var}" local; done | median)
done
report=$(curl -sf -XPOST "http://127.0.0.1:$sp/api/v1/admin/export")
python3 -c 'import json,sys; r=json.loads(sys.argv[1])["databases"][0]; print("exported", len(r["files"]), "files, offloaded", r["offloaded"], "partitions")' "$report"
for q in one agg; do
  var="q_$q"
  cold=(); disk=()
  for _ in $(seq "$runs"); do
    stop_server; rm -rf "$work/strata/cold-cache"; start_server
    cold+=("$(timed "$q" "${!var}" cold)")
    stop_server; start_server
    disk+=("$(timed "$q" "${!var}" cold)")
  done
  res[$q-cold]=$(printf '%s\n' "${cold[@]}" | median)
  res[$q-disk]=$(printf '%s\n' "${disk[@]}" | median)
  timed "$q" "${!var}" cold >/dev/null
  res[$q-warm]=$(for _ in $(seq "$runs"); do timed "$q" "${!var}" cold; done | median)
  cmp -s "$work/sum-$q-local" "$work/sum-$q-cold" || { echo "query $q: cold answer differs from local"; exit 1; }
done
printf '%-12s %12s %12s %12s %12s\n' query local_ms cold_ms disk_warm_ms warm_ms
for q in one agg; do
  printf '%-12s %12.1f %12.1f %12.1f %12.1f\n' "$q" \
    "$(echo "${res[$q-local]} * 1000" | bc -l)" "$(echo "${res[$q-cold]} * 1000" | bc -l)" \
    "$(echo "${res[$q-disk]} * 1000" | bc -l)" "$(echo "${res[$q-warm]} * 1000" | bc -l)"
done
curl -sf "http://127.0.0.1:$sp/api/v1/status" | python3 -c 'import json,sys; print("cache:", json.load(sys.stdin)["cold"]["cache"])'
stop_server
