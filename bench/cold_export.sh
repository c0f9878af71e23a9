#!/usr/bin/env bash
# The cold tier's export: TSBS cpu-only (SCALE hosts x DURATION at 10 s, from 2016-01-01, so
# every day is sealed) written to Strata, compacted, then exported to a real S3 server
# (s3s-fs on loopback) with `POST /api/v1/admin/export`. Prints the export's wall time and
# throughput, and the bytes per field value of the Parquet files beside the local SSTables.
# Usage: bench/cold_export.sh [SCALE] [DURATION] [RUNS]   (default 100 3d 3; needs s3s-fs)
set -euo pipefail
cd "$(dirname "$0")/.."
scale=${1:-100}; duration=${2:-3d}; runs=${3:-3}
# shellcheck source=bench/s3s.sh
. bench/s3s.sh
echo "# $(date -u +%FT%TZ), $(uname -srm), nproc $(nproc), commit $(git rev-parse --short HEAD), scale $scale, duration $duration"
for run in $(seq "$runs"); do
  sp=$(port)
  rm -rf "$work/strata"
  start_s3s
  $bin/strata serve --data-dir "$work/strata" --http-addr "127.0.0.1:$sp" \
    --object-store s3://bench/strata --cold-after 1h --cold-check-interval 1d 2>"$work/strata.log" &
  spid=$!
  sleep 2
  $bin/strata-bench ingest --scale "$scale" --duration "$duration" --url "http://127.0.0.1:$sp" \
    --no-progress >/dev/null
  compact=$(curl -sf -XPOST "http://127.0.0.1:$sp/api/v1/admin/compact")
  start=$(date +%s.%N)
  report=$(curl -sf -XPOST "http://127.0.0.1:$sp/api/v1/admin/export")
  end=$(date +%s.%N)
  python3 - "$compact" "$report" "$start" "$end" "$run" <<'PY'
import json, sys
compact, report = json.loads(sys.argv[1]), json.loads(sys.argv[2])
secs = float(sys.argv[4]) - float(sys.argv[3])
files = [f for d in report["databases"] for f in d["files"]]
rows = sum(f["rows"] for f in files)
pq = sum(f["bytes"] for f in files)
sst = sum(compact["bytes_per_level"])
# TSBS cpu: 10 fields per row.
values = rows * 10
print(f"run {sys.argv[5]}: exported {len(files)} files, {rows:,} rows ({values:,} field values) in {secs:.2f} s"
      f" = {values / secs / 1e6:.2f}M values/s; Parquet {pq:,} B = {pq / values:.3f} B/value;"
      f" local SSTables {sst:,} B = {sst / values:.3f} B/value (Parquet/SST {pq / sst:.2f}x)")
PY
  kill "$spid" "$s3pid"; wait "$spid" "$s3pid" 2>/dev/null || true
done
