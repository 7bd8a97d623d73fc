#!/usr/bin/env bash
# Answers at scale: simulate a head anchor's 3-hour session, ingest it (the
# log alone, then the analysis brought level), then time every query
# command, cold (page cache dropped, new process) and repeated — and beside them the
# yardstick: DuckDB loading the same NDJSON and reconciling views, unique
# viewers and placed / paid / refunded GMV per session (scripts/duckdb-yardstick.py;
# its figures must equal liveledger's). Appends to docs/bench-audit.txt.
#
#   BENCH_DIR=/mnt/bench scripts/bench-audit.sh [SCALE]
#
# SCALE 0.3 (the default) is 50.8M events, 8.0 GB of NDJSON; the data
# directory needs about as much again. Run as root to drop the page cache.
set -euo pipefail
cd "$(dirname "$0")/.."
scale=${1:-0.3}
work=$(mktemp -d "${BENCH_DIR:-/tmp}/liveledger-audit.XXXXXX")
trap 'rm -rf "$work"' EXIT
cargo build --release --quiet --bin liveledger
bin=$PWD/target/release/liveledger
data=$work/data
out=docs/bench-audit.txt
report=$work/report.txt

# One timed run: label, then the command; wall seconds and peak RSS.
timed() {
  local label=$1
  shift
  /usr/bin/time -o "$work/time" -f "%e s, peak RSS %M KB" "$@" > "$work/stdout" 2> "$work/stderr" \
    || { echo "$label failed:" >&2; cat "$work/stderr" >&2; exit 1; }
  printf '%-44s %s\n' "$label" "$(tail -1 "$work/time")" >> "$report"
}
cold() { sync; echo 3 > /proc/sys/vm/drop_caches 2>/dev/null || true; }

"$bin" simulate --scenario clean,bot-farm,brushing-ring --scale "$scale" --seed 50 \
  --session big -o "$work/big.ndjson" > /dev/null
events=$(wc -l < "$work/big.ndjson")
{
  echo "# audit benchmark, $(date -u +%Y-%m-%dT%H:%MZ), $(nproc) cores, $(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2 | xargs)"
  echo "# scale $scale: $events events, $(du -h "$work/big.ndjson" | cut -f1) of NDJSON"
} > "$report"

cold
timed "ingest --log-only (the log alone)" "$bin" --data "$data" ingest --log-only "$work/big.ndjson"
secs=$(cut -d' ' -f1 "$work/time")
cold
# Ingest ends by bringing the analysis level with the log; an empty input
# times that step alone.
timed "analysis brought level (ingest of nothing)" "$bin" --data "$data" ingest /dev/null
level=$(cut -d' ' -f1 "$work/time")
python3 -c "print(f'ingest: {$events / $secs:,.0f} events/s (log alone); {$events / ($secs + $level):,.0f} events/s with the analysis level ({$secs + $level:.1f} s)')" >> "$report"
echo "snapshot: $(du -h "$data/state/analysis.snap" | cut -f1); judged answers: $(du -h "$data/state/answers.bin" | cut -f1); log: $(du -sh "$data/log" | cut -f1)" >> "$report"

product=big-p1
case_id=$("$bin" --data "$data" --json cases | python3 -c 'import json,sys; print(json.load(sys.stdin)["cases"][0]["case"])')
event=$(head -1 "$work/big.ndjson" | python3 -c 'import json,sys; print(json.load(sys.stdin)["id"])')
order=$(grep -m1 '"order_placed"' "$work/big.ndjson" | python3 -c 'import json,sys; print(json.load(sys.stdin)["order"])')
queries=(
  "sessions|sessions"
  "report session|report session big"
  "report product|report product $product"
  "cases|cases"
  "case|case $case_id"
  "check listing|check listing --product $product --anchor big-anchor"
  "prove|prove $event"
  "export --order|export --order $order"
  "export --product|export --product $product -o /dev/null"
)
for q in "${queries[@]}"; do
  label=${q%%|*}
  read -r -a args <<< "${q#*|}"
  cold
  timed "$label (cold)" "$bin" --data "$data" --json "${args[@]}"
  timed "$label (repeated)" "$bin" --data "$data" --json "${args[@]}"
done
"$bin" --data "$data" --json report session big | python3 -c '
import json, sys
r = json.load(sys.stdin); v, s = r["viewers"], r["sales"]
print("liveledger figures: views %d, unique %d, placed_gmv %d, paid_gmv %d, refunded_gmv %d"
      % (v["observed_views"], v["observed_unique"], s["placed_gmv"], s["paid_gmv"], s["refunded_gmv"]))' >> "$report"

python3 -m venv "$work/venv"
"$work/venv/bin/pip" install --quiet duckdb
cold
"$work/venv/bin/python" scripts/duckdb-yardstick.py "$work/big.ndjson" >> "$report"

cat "$report" | tee -a "$out"
echo >> "$out"
