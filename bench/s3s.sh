# Sourced by the cold-tier benchmarks: builds Strata, makes a work directory (removed on
# exit, with every background job killed) and starts a real S3 server on it.
#   start_s3s   -> $work (the work dir), $s3p (the S3 port), AWS_* exported for Strata;
#                  the bucket `bench` exists. Needs s3s-fs (dev/setup-test-clients.sh).
#   port        -> prints a free loopback port.
cargo build --release --bin strata --bin strata-bench >/dev/null 2>&1
bin=target/release
s3s=${CARGO_HOME:-$HOME/.cargo}/bin/s3s-fs
work=$(mktemp -d /tmp/strata-cold-bench-XXXX)
trap 'kill $(jobs -p) 2>/dev/null || true; rm -rf "$work"' EXIT
port() { python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])'; }
start_s3s() {
  s3p=$(port)
  rm -rf "$work/s3"; mkdir -p "$work/s3/bench"
  "$s3s" --host 127.0.0.1 --port "$s3p" --access-key bench --secret-key benchsecret "$work/s3" >/dev/null 2>&1 &
  s3pid=$!
  export AWS_ACCESS_KEY_ID=bench AWS_SECRET_ACCESS_KEY=benchsecret AWS_REGION=us-east-1 \
    AWS_ENDPOINT_URL="http://127.0.0.1:$s3p" AWS_ALLOW_HTTP=true
}
