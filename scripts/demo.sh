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
echo; echo "== kairos gen --exposures, then kairos lift: measured lift against the holdout, on a log whose true lift is +1.5 points (docs/measurement.md)"
$K gen --exposures --bundle target/www-bundles/demo.bin --customers 50000 --days 14 --seed 7 \
  --base-rate 0.05 --lift 0.015 --value-mean 40 -o target/demo-exposures.ndjson
$K lift --bundle target/www-bundles/demo.bin --events target/demo-exposures.ndjson \
  --conversion "Order Completed" --value revenue --within 7d
$K lift --bundle target/www-bundles/demo.bin --events target/demo-exposures.ndjson \
  --conversion "Order Completed" --value revenue --format svg -o target/demo-lift.svg
echo
# The shop is served twice: by its own static server (the origin, as wrangler.toml's ORIGIN says)
# and through the Worker under `wrangler dev` (workerd), which decides at the edge and hands its
# decision to the page script (docs/handoff.md). Demo keys only: never use these in production.
bash scripts/kv-upload.sh --rules examples/demo/rules.json > /dev/null
PORT="${PORT:-8080}" node www/serve.mjs & origin=$!
trap 'kill $origin 2>/dev/null' EXIT
echo "== the demo shop through the edge: open http://localhost:${EDGE_PORT:-8787}/ (the origin alone: http://127.0.0.1:${PORT:-8080}/, playground: /playground.html); Ctrl-C stops"
WRANGLER_SEND_METRICS=false npx wrangler dev --port "${EDGE_PORT:-8787}" \
  --var "ORIGIN:http://127.0.0.1:${PORT:-8080}" \
  --var HISTORY_KEY:demo-history-key-not-for-production-0123 --var IDENTITY_KEY:demo-identity-key-not-for-production-01
