#!/usr/bin/env bash
# The test suite. Installs the third-party peers the tests drive (boto3, the AWS CLI, moto and
# aws-kinesis-agg from PyPI into ./.venv; kinesalite from npm into bench/node_modules, the AWS
# SDK for JavaScript v3 into tests/peers/node_modules;
# redis-server, influxdb, promtool (package prometheus) and chromium from Debian's packages) when they
# are missing, starts a redis-server, a moto_server (DynamoDB, Lambda), kinesalite and an
# InfluxDB 1.x server on free loopback ports, then runs every test of the workspace. Set
# STREAMWATCH_TEST_REDIS_URL, STREAMWATCH_TEST_DYNAMODB_ENDPOINT,
# STREAMWATCH_TEST_KINESALITE_ENDPOINT or STREAMWATCH_TEST_INFLUXDB_URL beforehand to use
# servers of your own instead.
set -euo pipefail
cd "$(dirname "$0")/.."

[[ -x .venv/bin/python3 ]] || python3 -m venv .venv
# pip checks each pinned requirement and downloads only what is missing or at another version.
.venv/bin/pip install --quiet --disable-pip-version-check -r tests/peers/requirements.txt

# botocore 1.34.89, the last release whose SQS model speaks the query protocol, for the test
# of that protocol (tests/peers/botocore_sqs_query.py); beside the current one, not over it.
[[ -f .venv/botocore-sqs-query/botocore/__init__.py ]] ||
  .venv/bin/pip install --quiet --disable-pip-version-check --no-deps \
    --target .venv/botocore-sqs-query botocore==1.34.89

[[ -d bench/node_modules/kinesalite ]] || npm ci --prefix bench --silent --no-audit --no-fund
# The AWS SDK for JavaScript v3, for the HTTP/2 SubscribeToShard test (crates/streamwatch/tests/peers.rs),
# and esbuild, which bundles it for the CORS browser test (crates/streamwatch/tests/pipeline/cors_browser.rs).
[[ -d tests/peers/node_modules/@aws-sdk/client-kinesis && -x tests/peers/node_modules/.bin/esbuild ]] ||
  npm ci --prefix tests/peers --silent --no-audit --no-fund

missing_debs=()
command -v redis-server >/dev/null || missing_debs+=(redis-server)
command -v influxd >/dev/null || missing_debs+=(influxdb)
command -v promtool >/dev/null || missing_debs+=(prometheus)
# The web console's browser tests drive a headless chromium (STREAMWATCH_CHROMIUM overrides).
[[ -n "${STREAMWATCH_CHROMIUM:-}" ]] || command -v chromium >/dev/null || missing_debs+=(chromium)
if ((${#missing_debs[@]})); then
  apt-get update -qq
  DEBIAN_FRONTEND=noninteractive apt-get install -y -qq "${missing_debs[@]}" >/dev/null
fi

# Servers for the checkpointer tests, stopped on exit.
peers_dir="$(mktemp -d)"
peer_pids=()
stop_peers() {
  local pid
  for pid in "${peer_pids[@]}"; do
    kill "$pid" 2>/dev/null || true
  done
  for pid in "${peer_pids[@]}"; do
    wait "$pid" 2>/dev/null || true
  done
  rm -rf "$peers_dir"
}
trap stop_peers EXIT

free_port() {
  python3 -c 'import socket; s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])'
}

# Waits up to 60 s for "$@" to succeed; on timeout prints the log $1 names and fails.
wait_for() {
  local what="$1" log="$2"
  shift 2
  for _ in $(seq 600); do
    if "$@" >/dev/null 2>&1; then
      return 0
    fi
    sleep 0.1
  done
  echo "test.sh: $what did not start; its log:" >&2
  cat "$log" >&2 || true
  return 1
}

if [[ -z "${STREAMWATCH_TEST_REDIS_URL:-}" ]]; then
  redis_port="$(free_port)"
  redis-server --port "$redis_port" --bind 127.0.0.1 --save '' --appendonly no \
    --daemonize no --dir "$peers_dir" >"$peers_dir/redis.log" 2>&1 &
  peer_pids+=($!)
  wait_for redis-server "$peers_dir/redis.log" redis-cli -h 127.0.0.1 -p "$redis_port" ping
  export STREAMWATCH_TEST_REDIS_URL="redis://127.0.0.1:$redis_port/"
fi

if [[ -z "${STREAMWATCH_TEST_DYNAMODB_ENDPOINT:-}" ]]; then
  moto_port="$(free_port)"
  # Single-threaded, so conditional writes are atomic as on DynamoDB (see the script).
  .venv/bin/python tests/peers/moto_dynamodb.py "$moto_port" >"$peers_dir/moto.log" 2>&1 &
  peer_pids+=($!)
  wait_for moto_server "$peers_dir/moto.log" \
    .venv/bin/python -c "import urllib.request; urllib.request.urlopen('http://127.0.0.1:$moto_port/moto-api/', timeout=1)"
  export STREAMWATCH_TEST_DYNAMODB_ENDPOINT="http://127.0.0.1:$moto_port"
fi

if [[ -z "${STREAMWATCH_TEST_KINESALITE_ENDPOINT:-}" ]]; then
  kinesalite_port="$(free_port)"
  node bench/node_modules/kinesalite/cli.js --port "$kinesalite_port" --createStreamMs 0 \
    --deleteStreamMs 0 --updateStreamMs 0 --shardLimit 1000 >"$peers_dir/kinesalite.log" 2>&1 &
  peer_pids+=($!)
  wait_for kinesalite "$peers_dir/kinesalite.log" \
    .venv/bin/python -c "import socket; socket.create_connection(('127.0.0.1', $kinesalite_port), timeout=1)"
  export STREAMWATCH_TEST_KINESALITE_ENDPOINT="http://127.0.0.1:$kinesalite_port"
fi

if [[ -z "${STREAMWATCH_TEST_INFLUXDB_URL:-}" ]]; then
  influx_port="$(free_port)"
  influx_rpc_port="$(free_port)"
  cat >"$peers_dir/influxdb.conf" <<CONF
reporting-disabled = true
bind-address = "127.0.0.1:$influx_rpc_port"
[meta]
  dir = "$peers_dir/influxdb/meta"
[data]
  dir = "$peers_dir/influxdb/data"
  wal-dir = "$peers_dir/influxdb/wal"
  query-log-enabled = false
[http]
  bind-address = "127.0.0.1:$influx_port"
  log-enabled = false
[monitor]
  store-enabled = false
CONF
  influxd -config "$peers_dir/influxdb.conf" >"$peers_dir/influxdb.log" 2>&1 &
  peer_pids+=($!)
  wait_for influxd "$peers_dir/influxdb.log" \
    .venv/bin/python -c "import urllib.request; urllib.request.urlopen('http://127.0.0.1:$influx_port/ping', timeout=1)"
  export STREAMWATCH_TEST_INFLUXDB_URL="http://127.0.0.1:$influx_port"
fi

cargo test --workspace "$@"
