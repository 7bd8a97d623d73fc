#!/usr/bin/env bash
# Ingest benchmark: NDJSON file → log (fsync + signed checkpoint per batch)
# and id index, end to end through the release binary (`ingest --log-only`);
# then, on the first run, the step plain `ingest` adds: bringing the
# analysis level with the log and judging every session.
# Appends the results to docs/bench-ingest.txt (quoted in docs/PERFORMANCE.md).
#
# Usage: scripts/bench-ingest.sh [SIZES...]      (default: 1000000 10000000)
#   RUNS=N        runs per size (default 3; the analysis step is timed on the first)
#   BENCH_DIR=D   where the data directories go (default /tmp). The file
#                 system's history matters: see "Measuring on this machine"
#                 in docs/PERFORMANCE.md.
set -euo pipefail
cd "$(dirname "$0")/.."
sizes=("${@:-1000000 10000000}")
runs=${RUNS:-3}
cargo build --release --quiet --bin liveledger --example gen_events
bin=$PWD/target/release/liveledger
work=$(mktemp -d "${BENCH_DIR:-/tmp}/liveledger-bench.XXXXXX")
trap 'rm -rf "$work"' EXIT
out=docs/bench-ingest.txt
{
  echo
  echo "# ingest benchmark, $(date -u +%Y-%m-%dT%H:%MZ)"
  echo "# machine: $(nproc) cores, $(awk '/MemTotal/ {printf "%.0f GiB", $2/1048576}' /proc/meminfo), $(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2 | sed 's/^ //')"
  # The host behind "AMD EPYC" changes between sessions (one ran at half
  # another's speed): its clock and SHA-256 speed tell them apart.
  echo "# cpu: $(grep -m1 'cpu MHz' /proc/cpuinfo | cut -d: -f2 | tr -d ' ') MHz; openssl sha256 on 16 KiB blocks: $(openssl speed -seconds 1 -bytes 16384 -evp sha256 2>/dev/null | awk '/^sha256/ {print $NF}' || echo n/a)B/s"
  echo "# data on: $(df --output=source,fstype "$work" | tail -1 | tr -s ' ')"
  echo "# events  bytes  run  seconds  events/s  MB/s  peak_rss_MiB  analysis_level_seconds"
} >> "$out"
for n in ${sizes[@]}; do
  target/release/examples/gen_events "$n" > "$work/in.ndjson"
  bytes=$(stat -c %s "$work/in.ndjson")
  for run in $(seq 1 "$runs"); do
    data="$work/data-$n-$run"
    sync
    /usr/bin/time -f "%e %M" -o "$work/time" "$bin" --data "$data" ingest --log-only --json "$work/in.ndjson" > "$work/out.json"
    read -r secs rss_kb < "$work/time"
    accepted=$(grep -o '"accepted":[0-9]*' "$work/out.json" | cut -d: -f2)
    [ "$accepted" = "$n" ] || { echo "accepted $accepted of $n" >&2; exit 1; }
    "$bin" --data "$data" verify > /dev/null
    catchup=-
    if [ "$run" = 1 ]; then
      /usr/bin/time -f "%e" -o "$work/catchup" "$bin" --data "$data" ingest /dev/null > /dev/null
      catchup=$(cat "$work/catchup")
    fi
    awk -v n="$n" -v b="$bytes" -v r="$run" -v s="$secs" -v m="$rss_kb" -v c="$catchup" \
      'BEGIN { printf "%d  %d  %d  %.2f  %.0f  %.1f  %.0f  %s\n", n, b, r, s, n/s, b/s/1e6, m/1024, c }' | tee -a "$out"
  done
  # Data directories are removed only at exit: on ext4, creating files
  # soon after deleting many is slowed by inode reuse checks
  # (`recently_deleted`), which once made a run 3× slower.
  rm -f "$work/in.ndjson"
done
