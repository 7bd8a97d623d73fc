#!/usr/bin/env bash
# Proof and verification benchmark: builds a log of N events (default 10M),
# then measures `verify` of the whole log (time, peak memory) and inclusion
# proofs / bundle verifications per second. Appends to docs/bench-proofs.txt.
set -euo pipefail
cd "$(dirname "$0")/.."
n=${1:-10000000}
cargo build --release --quiet --bin liveledger --example gen_events --example bench_proofs
bin=target/release/liveledger
work=$(mktemp -d /tmp/liveledger-bench.XXXXXX)
trap 'rm -rf "$work"' EXIT
target/release/examples/gen_events "$n" > "$work/in.ndjson"
"$bin" --data "$work/data" ingest "$work/in.ndjson" > /dev/null
rm "$work/in.ndjson"
sync; echo 3 > /proc/sys/vm/drop_caches 2>/dev/null || true
out=docs/bench-proofs.txt
{
  echo "# proofs benchmark, $(date -u +%Y-%m-%dT%H:%MZ), $(nproc) cores, log of $n entries"
  /usr/bin/time -f "verify: %e s, peak RSS %M KB" "$bin" --data "$work/data" verify 2>&1 | tail -1
  target/release/examples/bench_proofs "$work/data" 20000
} | tee -a "$out"
