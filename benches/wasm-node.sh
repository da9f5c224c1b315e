#!/usr/bin/env bash
# The wasm decision benchmark under Node, on the same generated inputs as `cargo bench --bench decide`.
set -euo pipefail
cd "$(dirname "$0")/.."
[ -f pkg/node/kairos.js ] || bash scripts/build-wasm.sh
cargo run -q --release --example gen_bench_inputs
node benches/wasm-node.mjs
