#!/usr/bin/env bash
# The web console's figures for BENCHMARKS.md: runs the browser test (headless Chromium) N
# times (default 5) and prints the draw time of a 10,000-point result and the first load's
# asset bytes of each run, then their medians.
#   dev/console-bench.sh [N]
set -euo pipefail
cd "$(dirname "$0")/.."
n=${1:-5}
cargo build --release -p strata --tests -q
draws=(); bytes=()
for i in $(seq "$n"); do
  line=$(cargo nextest run --release -p strata --test console_browser --no-capture \
           console_in_a_real_browser 2>&1 | grep -o 'console measurements: .*' | tail -1)
  draw=$(sed -E 's/.*"draw_10k_points_ms":([0-9.]+).*/\1/' <<<"$line")
  load=$(sed -E 's/.*"first_load_bytes":([0-9]+).*/\1/' <<<"$line")
  echo "run $i: draw_10k_points_ms=$draw first_load_bytes=$load"
  draws+=("$draw"); bytes+=("$load")
done
median() { printf '%s\n' "$@" | sort -g | awk '{a[NR]=$1} END {print (NR%2 ? a[(NR+1)/2] : (a[NR/2]+a[NR/2+1])/2)}'; }
echo "median: draw_10k_points_ms=$(median "${draws[@]}") first_load_bytes=$(median "${bytes[@]}")"
