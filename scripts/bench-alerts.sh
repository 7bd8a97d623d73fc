#!/usr/bin/env bash
# Alert latency under load (issue 23): starts the service on a fresh data
# directory, streams a clean background session at RATE events/s over HTTP
# while a probe session that tips VIEWER_INFLATION is sent every second,
# and measures ack → alert at an SSE client and at a webhook.
# Appends to docs/bench-alerts.txt.
#
#   scripts/bench-alerts.sh [SECONDS] [RATE]     (default 30 100000)
set -euo pipefail
cd "$(dirname "$0")/.."
seconds=${1:-30}
rate=${2:-100000}
cargo build --release --quiet --bin liveledger
bin=$PWD/target/release/liveledger
work=$(mktemp -d "${BENCH_DIR:-/tmp}/liveledger-alerts.XXXXXX")
trap 'kill $server 2>/dev/null || true; rm -rf "$work"' EXIT
data=$work/data
# Enough background for the run (a clean session: it raises no alert).
scale=$(python3 -c "print(max(0.002, $seconds * $rate / 120e6 * 1.2))")
"$bin" simulate --scenario clean --scale "$scale" --seed 7 --session background -o "$work/bg.ndjson" > /dev/null
hook_port=$(python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])')
"$bin" --data "$data" webhook add "http://127.0.0.1:$hook_port/hook" --role regulator --allow-private --name bench > /dev/null
token=$("$bin" --data "$data" --json token issue --role regulator --name bench | python3 -c 'import json,sys; print(json.load(sys.stdin)["token"])')
feed=$("$bin" --data "$data" --json token issue --role producer --scope douyin --name feed | python3 -c 'import json,sys; print(json.load(sys.stdin)["token"])')
"$bin" --data "$data" serve --listen 127.0.0.1:0 > "$work/serve.out" 2> "$work/serve.err" &
server=$!
for _ in $(seq 50); do grep -q http "$work/serve.out" 2>/dev/null && break; sleep 0.1; done
addr=$(grep -o '127.0.0.1:[0-9]*' "$work/serve.out")
{
  echo "# alert latency, $(date -u +%Y-%m-%dT%H:%MZ), $(nproc) cores, $(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2 | xargs)"
  echo "# $seconds s, background target $rate events/s in batches every 100 ms on 4 connections, a probe every second"
  python3 scripts/bench-alerts.py "$addr" "$token" "$feed" "$work/bg.ndjson" "$hook_port" "$seconds" "$rate"
  echo
} | tee -a docs/bench-alerts.txt
