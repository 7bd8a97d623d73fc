#!/usr/bin/env bash
# NATS JetStream intake under load (issue 22), on loopback, in one run:
#  1. JetStream alone: a producer publishing asynchronously while a pull
#     consumer fetches and acknowledges (one event per message, then 500);
#  2. the same load into `serve --nats --database` (an appender on a fresh
#     data directory): events/s from publish to acknowledged-in-log (the
#     service acknowledges a message only once its events are in a signed
#     checkpoint), unpaced, then paced below capacity for the latency;
#  3. read latency from a reading node (`serve --database --reader`) while
#     the appender ingests.
# Appends to docs/bench-nats.txt. Needs NATS (127.0.0.1:4222) and
# PostgreSQL (127.0.0.1:5432), as every machine here has.
#
#   scripts/bench-nats.sh [EVENTS_SINGLE] [EVENTS_BATCHED]   (default 200000 3000000)
set -euo pipefail
cd "$(dirname "$0")/.."
single=${1:-200000}
batched=${2:-3000000}
nats=nats://127.0.0.1:4222
cargo build --release --quiet --bin liveledger --example nats_load -p ledger -p liveledger
bin=$PWD/target/release/liveledger
load=$PWD/target/release/examples/nats_load
work=$(mktemp -d "${BENCH_DIR:-/tmp}/liveledger-nats.XXXXXX")
tag=bench$$
db=ll_$tag
cleanup() {
  # `start` runs in a command substitution (a subshell): its pids go to a file.
  for p in $(cat "$work/pids" 2>/dev/null); do kill "$p" 2>/dev/null || true; done
  sleep 0.5
  "$load" drop "$nats" "LL$tag" || true
  psql -q postgres://postgres@127.0.0.1:5432/test -c "DROP DATABASE IF EXISTS $db WITH (FORCE)" || true
  rm -rf "$work"
}
trap cleanup EXIT
psql -q postgres://postgres@127.0.0.1:5432/test -c "CREATE DATABASE $db"
url=postgres://postgres@127.0.0.1:5432/$db

start() { # name, args...: starts serve, prints its address
  local name=$1; shift
  "$bin" "$@" > "$work/$name.out" 2> "$work/$name.err" &
  echo $! >> "$work/pids"
  for _ in $(seq 300); do grep -q http "$work/$name.out" 2>/dev/null && break; sleep 0.1; done
  grep -o '127.0.0.1:[0-9]*' "$work/$name.out"
}

report=$work/report.txt
{
  echo "# NATS JetStream intake, $(date -u +%Y-%m-%dT%H:%MZ), $(nproc) cores, $(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2 | xargs), $(nats-server --version 2>/dev/null || echo nats-server)"
  echo "# ~150-byte events; latency from publish to acknowledgement"
  "$load" jetstream "$nats" "$single" 1
  "$load" jetstream "$nats" "$batched" 500
} > "$report"

# A fresh stream per run: the durable consumer starts at its beginning.
data=$work/data
"$bin" --data "$data" token issue --role regulator --name "bench-$$" --json \
  | python3 -c 'import json,sys; print(json.load(sys.stdin)["token"])' > "$work/token"
appender=$(start appender --data "$data" serve --listen 127.0.0.1:0 --database "$url" \
  --nats "$nats" --nats-stream "LL$tag" --nats-prefix "$tag")
reader=$(start reader --data "$work/r" serve --listen 127.0.0.1:0 --database "$url" --reader)
svc() { "$load" service "$nats" "LL$tag" "$tag" "$@"; }
{
  svc "$single" 1
  svc "$batched" 500
} >> "$report"
# Paced at about half the unpaced rates: the latency a producer sees
# when the service keeps up.
rate1=$(grep "service, 1 per" "$report" | grep -o '= [0-9]*' | tr -dc 0-9)
rate500=$(grep "service, 500 per" "$report" | grep -o '= [0-9]*' | tr -dc 0-9)
svc "$single" 1 $((rate1 / 2)) >> "$report"
# Reads from the reading node while batches are ingested.
svc "$batched" 500 $((rate500 / 2)) >> "$report" &
loader=$!
sleep 2
"$load" read "$reader" /v1/sessions "$(cat "$work/token")" 10 >> "$report"
"$load" read "$reader" /v1/alerts "$(cat "$work/token")" 5 >> "$report"
wait "$loader"
cat "$report"
cat "$report" >> docs/bench-nats.txt
echo >> docs/bench-nats.txt
