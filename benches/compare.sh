#!/usr/bin/env bash
# kairos (native, and wasm in Node) against json-logic-js and GrowthBook's JS SDK, in one run, on
# the same generated rules and contexts: agreement check, latency per decision, cold start, sizes.
# Results: stdout and target/compare/results.md (copied by hand into docs/BENCHMARKS.md).
# Not part of the tests. Needs the wasm module (scripts/build-wasm.sh) and the npm dev tools.
set -euo pipefail
cd "$(dirname "$0")/.."
out=${1:-target/compare}
[ -f pkg/node/kairos.js ] || bash scripts/build-wasm.sh
if [ ! -d node_modules/json-logic-js ] || [ ! -d node_modules/@growthbook/growthbook ]; then
  npm ci --no-audit --no-fund --loglevel=error
fi
echo "compare: load average $(cut -d' ' -f1-3 /proc/loadavg)"
node benches/compare/generate.mjs "$out"
cargo bench -q --bench compare -- "$out"
node benches/compare/run.mjs "$out"
