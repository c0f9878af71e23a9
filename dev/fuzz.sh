#!/usr/bin/env bash
# Runs every cargo-fuzz target for SECONDS seconds each (default 60) and reports the result.
# Needs cargo-fuzz (`cargo install cargo-fuzz`); RUSTC_BOOTSTRAP lets it use nightly flags on
# the stable toolchain.
set -euo pipefail
secs=${1:-60}
cd "$(dirname "$0")/../fuzz"
export RUSTC_BOOTSTRAP=1
for target in $(cargo fuzz list); do
  echo "== $target (${secs}s)"
  # New inputs go to work/ (ignored by git); corpus/ holds the committed seeds.
  mkdir -p "work/$target" "corpus/$target"
  cargo fuzz run "$target" "work/$target" "corpus/$target" -- -max_total_time="$secs" -rss_limit_mb=2048 2>&1 | grep -E '^Done|ERROR|panicked' || true
done
