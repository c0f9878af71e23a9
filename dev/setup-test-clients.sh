#!/usr/bin/env bash
# Installs the real clients the integration tests drive, when they are missing:
#   - the `influxdb-client` Python package (writes through /api/v2/write),
#   - Debian's `prometheus` 2.42 (sends remote write to /api/v1/write),
#   - Debian's `influxdb` 1.6.7 (the InfluxQL differential test's peer),
#   - Debian's `chromium` and `chromium-driver` with the `selenium` Python package (the web
#     console's browser test),
#   - `s3s-fs` 0.14.1 (crates.io; a real S3 server on a local directory) and the outside
#     Parquet readers `pyarrow`, `duckdb` 1.5.5 with its `duckdb-extension-httpfs` wheel, and
#     `datafusion` (PyPI) for the cold-tier tests.
# Tests whose client cannot be installed print a loud SKIPPED line instead of failing.
set -uo pipefail

if ! python3 -c "import influxdb_client" 2>/dev/null; then
  echo "setup: installing influxdb-client (pip)"
  python3 -m pip install --quiet --disable-pip-version-check influxdb-client \
    || echo "setup: WARNING: could not install influxdb-client; its test will be skipped" >&2
fi

if ! python3 -c "import selenium" 2>/dev/null; then
  echo "setup: installing selenium (pip)"
  python3 -m pip install --quiet --disable-pip-version-check selenium \
    || echo "setup: WARNING: could not install selenium; the browser test will be skipped" >&2
fi

if ! python3 -c "import pyarrow, duckdb_extension_httpfs, datafusion" 2>/dev/null; then
  echo "setup: installing pyarrow, duckdb, duckdb-extension-httpfs, datafusion (pip)"
  python3 -m pip install --quiet --disable-pip-version-check pyarrow "duckdb==1.5.5" \
    "duckdb-extension-httpfs==1.5.5" datafusion \
    || echo "setup: WARNING: could not install the Parquet readers; the cold-tier test will skip them" >&2
fi

if [ ! -x "${CARGO_HOME:-$HOME/.cargo}/bin/s3s-fs" ]; then
  echo "setup: installing s3s-fs 0.14.1 (cargo install; a few minutes)"
  cargo install --quiet s3s-fs --version 0.14.1 --features binary --locked \
    || echo "setup: WARNING: could not install s3s-fs; the cold-tier test will be skipped" >&2
fi

if ! command -v prometheus >/dev/null 2>&1; then
  if [ "$(id -u)" = 0 ] && command -v apt-get >/dev/null 2>&1; then
    echo "setup: installing prometheus (apt-get)"
    (apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends prometheus >/dev/null) \
      || echo "setup: WARNING: could not install prometheus; its test will be skipped" >&2
  else
    echo "setup: WARNING: prometheus missing and apt-get unavailable (not root?); its test will be skipped" >&2
  fi
fi
if ! command -v influxd >/dev/null 2>&1; then
  if [ "$(id -u)" = 0 ] && command -v apt-get >/dev/null 2>&1; then
    echo "setup: installing influxdb (apt-get)"
    (apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends influxdb >/dev/null) \
      || echo "setup: WARNING: could not install influxdb; its test will be skipped" >&2
  else
    echo "setup: WARNING: influxdb missing and apt-get unavailable (not root?); its test will be skipped" >&2
  fi
fi
if ! { [ -x /usr/bin/chromium ] && [ -x /usr/bin/chromedriver ]; }; then
  if [ "$(id -u)" = 0 ] && command -v apt-get >/dev/null 2>&1; then
    echo "setup: installing chromium and chromium-driver (apt-get)"
    (apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends chromium chromium-driver >/dev/null) \
      || echo "setup: WARNING: could not install chromium; the browser test will be skipped" >&2
  else
    echo "setup: WARNING: chromium missing and apt-get unavailable (not root?); the browser test will be skipped" >&2
  fi
fi
# The Debian packages start nothing here (no systemd), but stop their services if they run.
if command -v systemctl >/dev/null 2>&1; then
  systemctl stop prometheus >/dev/null 2>&1 || true
  systemctl stop influxdb >/dev/null 2>&1 || true
fi
exit 0
