#!/usr/bin/env bash
# Ingest benchmark: NDJSON file → log (fsync + signed checkpoint per batch)
# and id index, end to end through the release binary; then the first query
# (`prove`), which brings the SQLite projection level with the log.
# Appends the results to docs/bench-ingest.txt (quoted in docs/PERFORMANCE.md). Usage: scripts/bench-ingest.sh [SIZES...]
set -euo pipefail
cd "$(dirname "$0")/.."
sizes=("${@:-1000000 10000000}")
cargo build --release --quiet --bin liveledger --example gen_events
bin=target/release/liveledger
work=$(mktemp -d /tmp/liveledger-bench.XXXXXX)
trap 'rm -rf "$work"' EXIT
out=docs/bench-ingest.txt
{
  echo
  echo "# ingest benchmark, $(date -u +%Y-%m-%dT%H:%MZ)"
  echo "# machine: $(nproc) cores, $(awk '/MemTotal/ {printf "%.0f GiB", $2/1048576}' /proc/meminfo), $(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2 | sed 's/^ //')"
  echo "# events  bytes  seconds  events/s  MB/s  peak_rss_MiB  projection_catch_up_seconds"
} >> "$out"
for n in ${sizes[@]}; do
  target/release/examples/gen_events "$n" > "$work/in.ndjson"
  bytes=$(stat -c %s "$work/in.ndjson")
  sync
  /usr/bin/time -f "%e %M" -o "$work/time" "$bin" --data "$work/data-$n" ingest --json "$work/in.ndjson" > "$work/out.json"
  read -r secs rss_kb < "$work/time"
  accepted=$(grep -o '"accepted":[0-9]*' "$work/out.json" | cut -d: -f2)
  [ "$accepted" = "$n" ] || { echo "accepted $accepted of $n" >&2; exit 1; }
  "$bin" --data "$work/data-$n" verify > /dev/null
  /usr/bin/time -f "%e" -o "$work/catchup" "$bin" --data "$work/data-$n" prove b1-1 > /dev/null
  awk -v n="$n" -v b="$bytes" -v s="$secs" -v r="$rss_kb" -v c="$(cat "$work/catchup")" \
    'BEGIN { printf "%d  %d  %.2f  %.0f  %.1f  %.0f  %.2f\n", n, b, s, n/s, b/s/1e6, r/1024, c }' | tee -a "$out"
  # Data directories are removed only at exit: on ext4 without a journal,
  # creating files within minutes of deleting many is slowed by inode reuse
  # checks (`recently_deleted`: 5 s, or 5 min while the inode table block is
  # dirty), which once made a run 3× slower. Leave minutes between runs.
  rm -f "$work/in.ndjson"
done
