#!/usr/bin/env bash
# Sets everything up, builds everything, decides the bundled demo natively, then serves the
# demo shop (hero, CTA and offer change with what you do) and the playground on localhost.
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/setup.sh
cargo build --release -p kairos-cli
bash scripts/build-wasm.sh
bash scripts/build-worker.sh
K=target/release/kairos
mkdir -p target/www-bundles
echo; echo "== kairos check examples/demo/rules.json"; $K check examples/demo/rules.json
echo; echo "== kairos compile"; $K compile examples/demo/rules.json -o target/www-bundles/demo.bin
echo; echo "== kairos decide --explain (native, the bundled context)"
$K decide --bundle target/www-bundles/demo.bin --context examples/demo/context.json --explain
echo; echo "== kairos rewrite (what the edge Worker does to a page, docs/edge.md)"
$K rewrite --bundle target/www-bundles/demo.bin --context examples/demo/context.json examples/edge/page.html
echo; echo "== kairos render (an email body at open time, docs/email.md)"
$K render --bundle examples/email/rules.json --context examples/email/context.json --slot email_body
echo
echo "== serving the demo shop: open http://127.0.0.1:${PORT:-8080}/ (playground: /playground.html); Ctrl-C stops"
PORT="${PORT:-8080}" exec node www/serve.mjs
