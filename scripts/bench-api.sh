#!/usr/bin/env bash
# The service under load (issue 21): wrk (Debian) on loopback against a
# data directory, 200 connections, for a session report, the case list and
# a proof (each read also commits its `access` record); then HTTP ingest:
# a fresh simulated evening POSTed in 100,000-line batches by `ingest --url` (its default --batch).
# Appends to docs/bench-api.txt.
#
#   DATA=/path/to/data scripts/bench-api.sh [SECONDS]   (default 20)
#
# DATA: a data directory made by scripts/bench-audit.sh's ingest (session
# `big`); without it, one is simulated and ingested at SCALE (default 0.3,
# 50.8M events: minutes, and ~20 GB in BENCH_DIR).
set -euo pipefail
cd "$(dirname "$0")/.."
seconds=${1:-20}
cargo build --release --quiet --bin liveledger
bin=$PWD/target/release/liveledger
work=$(mktemp -d "${BENCH_DIR:-/tmp}/liveledger-api.XXXXXX")
server=
trap '[ -n "$server" ] && kill "$server" 2>/dev/null; rm -rf "$work"' EXIT
data=${DATA:-}
if [ -z "$data" ]; then
  data=$work/data
  "$bin" simulate --scenario clean,bot-farm,brushing-ring --scale "${SCALE:-0.3}" --seed 50 \
    --session big -o "$work/big.ndjson" > /dev/null
  "$bin" --data "$data" ingest "$work/big.ndjson" > /dev/null
fi
token() {
  "$bin" --data "$data" --json token issue --role "$1" ${2:+--scope "$2"} --name "bench-$1-$$" \
    | python3 -c 'import json,sys; print(json.load(sys.stdin)["token"])'
}
regulator=$(token regulator)
feed=$(token producer douyin)
start=$(date +%s.%N)
"$bin" --data "$data" serve --listen 127.0.0.1:0 > "$work/serve.out" 2> "$work/serve.err" &
server=$!
for _ in $(seq 1200); do grep -q http "$work/serve.out" 2>/dev/null && break; sleep 0.1; done
addr=$(grep -o '127.0.0.1:[0-9]*' "$work/serve.out")
ready=$(python3 -c "import time; print(f'{time.time() - $start:.1f}')")
size=$(curl -s "http://$addr/healthz" | python3 -c 'import json,sys; print(json.load(sys.stdin)["size"])')
proof_id=$(curl -s -H "Authorization: Bearer $regulator" "http://$addr/v1/sessions/big/report" \
  | python3 -c 'import json,sys; print(json.load(sys.stdin)["flags"][0]["evidence"][0]["event"])')
report=$work/report.txt
{
  echo "# API under load, $(date -u +%Y-%m-%dT%H:%MZ), $(nproc) cores, $(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2 | xargs)"
  echo "# log of $size entries; service ready in $ready s; wrk -t2 -c200 -d${seconds}s"
} > "$report"

for what in "session report|/v1/sessions/big/report" "case list, 50|/v1/cases?limit=50" "proof|/v1/proofs/$proof_id"; do
  label=${what%%|*}
  path=${what#*|}
  curl -s -o /dev/null -w '%{http_code}' -H "Authorization: Bearer $regulator" "http://$addr$path" | grep -q 200 \
    || { echo "$path does not answer 200" >&2; exit 1; }
  wrk -t2 -c200 -d"${seconds}s" --latency -H "Authorization: Bearer $regulator" "http://$addr$path" > "$work/wrk.txt"
  python3 - "$label" "$work/wrk.txt" >> "$report" <<'EOF'
import re, sys
label, text = sys.argv[1], open(sys.argv[2]).read()
rps = re.search(r"Requests/sec:\s+([\d.]+)", text).group(1)
lat = dict(re.findall(r"^\s+(50|99)%\s+(\S+)", text, re.M))
errors = re.search(r"Non-2xx or 3xx responses: (\d+)", text)
bad = f", {errors.group(1)} non-2xx" if errors else ""
sock = re.search(r"Socket errors: (.*)", text)
print(f"{label:<17} {float(rps):>9,.0f} requests/s  p50 {lat['50']:>8}  p99 {lat['99']:>8}{bad}{', socket errors ' + sock.group(1) if sock else ''}")
EOF
done

# HTTP ingest: a fresh evening (other ids) on the same platform.
"$bin" simulate --scenario clean --scale "${INGEST_SCALE:-0.02}" --seed 77 --session http-ingest -o "$work/ingest.ndjson" > /dev/null
events=$(wc -l < "$work/ingest.ndjson")
/usr/bin/time -o "$work/time" -f "%e" "$bin" ingest --url "http://$addr" --token "$feed" "$work/ingest.ndjson" > "$work/ingest.out"
secs=$(cat "$work/time")
python3 -c "print(f'HTTP ingest       {$events:,} events in {$secs} s = {$events / $secs:,.0f} events/s (one client, 100,000-line batches, each acknowledged after its signed checkpoint)')" >> "$report"
echo >> "$report"
cat "$report" | tee -a docs/bench-api.txt
