#!/usr/bin/env bash
# Fuzzing with cargo-fuzz (libFuzzer) on the stable toolchain
# (--sanitizer none: no nightly here; Rust's own checks still catch
# panics, overflows in debug assertions, out-of-bounds indexing).
#
#   scripts/fuzz.sh [SECONDS] [TARGET...]   (default 600 s each, every target)
#
# Targets (fuzz/fuzz_targets/): event_line, signed_note, proof_bundle,
# tile_path, witness_request, and http_body (the service's JSON bodies:
# it builds the whole application, so CI leaves it out). Two run at once
# (one per core). The seed
# corpus is fuzz/corpus/<target> (written by `cargo run --example seed`);
# what a run finds goes to fuzz/target/corpus/<target>, crashes to
# fuzz/artifacts/<target>. Figures are appended to docs/fuzz.txt when
# SECONDS >= 60 (CI's short runs leave it alone); exit 1 on any crash.
set -euo pipefail
cd "$(dirname "$0")/../fuzz"
seconds=${1:-600}
shift || true
command -v cargo-fuzz >/dev/null || cargo install cargo-fuzz --locked --quiet
[ -d corpus ] || cargo run --quiet --example seed
targets=("$@")
[ ${#targets[@]} -gt 0 ] || mapfile -t targets < <(cargo fuzz list)
features() { if [ "$1" = http_body ]; then echo "--features=service"; fi; }
for t in "${targets[@]}"; do
  cargo fuzz build --sanitizer none $(features "$t") "$t"
done
logs=$(mktemp -d)
run() {
  mkdir -p "target/corpus/$1"
  cargo fuzz run --sanitizer none $(features "$1") "$1" "target/corpus/$1" "corpus/$1" -- \
    -max_total_time="$seconds" -rss_limit_mb=4096 -print_final_stats=1 >"$logs/$1.log" 2>&1
}
failed=0
for ((i = 0; i < ${#targets[@]}; i += 2)); do
  pids=()
  for t in "${targets[@]:i:2}"; do run "$t" & pids+=($!); done
  for p in "${pids[@]}"; do wait "$p" || failed=1; done
done
summary=""
for t in "${targets[@]}"; do
  runs=$(grep -o 'stat::number_of_executed_units: *[0-9]*' "$logs/$t.log" | grep -o '[0-9]*$' || echo "?")
  speed=$(grep -o 'stat::average_exec_per_sec: *[0-9]*' "$logs/$t.log" | grep -o '[0-9]*$' || echo "?")
  cov=$(grep -o 'cov: [0-9]*' "$logs/$t.log" | tail -1 | grep -o '[0-9]*' || echo "?")
  corpus=$(ls "target/corpus/$t" | wc -l)
  crash=$(ls "artifacts/$t" 2>/dev/null | wc -l)
  line=$(printf '%-16s %4ss  %12s runs  %8s/s  cov %5s  corpus %5s  crashes %s' "$t" "$seconds" "$runs" "$speed" "$cov" "$corpus" "$crash")
  echo "$line"
  summary+="$line"$'\n'
  [ "$crash" = 0 ] || { failed=1; tail -30 "$logs/$t.log"; }
done
if [ "$seconds" -ge 60 ]; then
  { echo "# $(date -u +%FT%RZ), $(nproc) cores, $(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2 | xargs), cargo-fuzz --sanitizer none"
    printf '%s\n' "$summary"; } >> ../docs/fuzz.txt
fi
exit $failed
