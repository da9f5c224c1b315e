#!/usr/bin/env bash
# Runs the libFuzzer targets in fuzz/ (docs/fuzzing.md), one at a time.
#
#   bash scripts/fuzz.sh                      # every target, 10 million executions each
#   bash scripts/fuzz.sh decide               # one target
#   bash scripts/fuzz.sh render 100000        # one target, a number of executions
#   FUZZ_TIME=600 bash scripts/fuzz.sh decide # one target, for 600 seconds instead
#   FUZZ_SANITIZER=address bash scripts/fuzz.sh bundle_load   # with AddressSanitizer (slower)
#
# Stable Rust: cargo-fuzz needs nightly flags (-Zsanitizer, coverage instrumentation), so it runs
# with RUSTC_BOOTSTRAP=1. Builds are optimised with debug assertions on (overflow checks: an
# integer overflow is a crash). The sanitizer defaults to none: the core is
# `#![forbid(unsafe_code)]`, so AddressSanitizer only guards the dependencies, at a third of the
# speed. New corpus entries go to fuzz/work/<target> (ignored by git); the committed seeds in
# fuzz/corpus/<target> are read, never written; crashes land in fuzz/artifacts/<target>.
set -euo pipefail
cd "$(dirname "$0")/.."

TARGETS=(bundle_load compile_json compile_text decide render edge_request visitor_restore wire_read preview_token parquet_input replay_lines)
runs=${2:-10000000}
sanitizer=${FUZZ_SANITIZER:-none}

if ! cargo fuzz --version >/dev/null 2>&1; then
  echo "fuzz: cargo install cargo-fuzz (once, about 3 minutes)"
  cargo install -q cargo-fuzz
fi

# Largest input per target: whole bundles, rules and Parquet files (a footer with its Arrow
# schema is 1-2 KB) need room, generated contexts and templates less.
max_len() {
  case "$1" in
    bundle_load | compile_json | compile_text | parquet_input) echo 16384 ;;
    *) echo 4096 ;;
  esac
}

run() {
  local t=$1
  mkdir -p "fuzz/work/$t"
  local limit=(-runs="$runs")
  [ -n "${FUZZ_TIME:-}" ] && limit=(-max_total_time="$FUZZ_TIME")
  local dict=()
  case "$t" in
    compile_json) dict=(-dict=fuzz/dict/rules.dict) ;;
    bundle_load) dict=(-dict=fuzz/dict/postcard.dict) ;;
    compile_text) dict=(-dict=fuzz/dict/text.dict) ;;
    parquet_input) dict=(-dict=fuzz/dict/parquet.dict) ;;
  esac
  echo "fuzz: $t (${limit[*]}, sanitizer $sanitizer)"
  RUSTC_BOOTSTRAP=1 cargo fuzz run --sanitizer "$sanitizer" -O --debug-assertions "$t" \
    "fuzz/work/$t" "fuzz/corpus/$t" -- \
    "${limit[@]}" -max_len="$(max_len "$t")" -timeout=10 -rss_limit_mb=2048 -print_final_stats=1 "${dict[@]}"
}

if [ $# -ge 1 ] && [ "$1" != all ]; then
  run "$1"
else
  for t in "${TARGETS[@]}"; do run "$t"; done
fi
