#!/usr/bin/env bash
# Sets everything up, then decides the bundled demo: natively (CLI) and in wasm under Node.
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/setup.sh
cargo build --release --bin kairos
bash scripts/build-wasm.sh
K=target/release/kairos
echo; echo "== kairos check examples/demo/rules.json"; $K check examples/demo/rules.json
echo; echo "== kairos compile"; $K compile examples/demo/rules.json -o target/demo.bin
echo; echo "== kairos decide --explain (native)"; $K decide --bundle target/demo.bin --context examples/demo/context.json --explain
echo; echo "== the same bundle and context in wasm, under Node"
node -e '
const k = require("./pkg/node/kairos.js");
const fs = require("fs");
const d = k.decide(fs.readFileSync("target/demo.bin"), JSON.parse(fs.readFileSync("examples/demo/context.json", "utf8")), false);
for (const [slot, s] of Object.entries(d.slots)) console.log(`${slot}: ${s.variant} (${s.reason}) ${JSON.stringify(s.content)}`);
'
