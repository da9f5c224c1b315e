#!/usr/bin/env bash
# Page-script size and timing budgets in headless Chromium (not a test: figures to report).
set -euo pipefail
cd "$(dirname "$0")/.."
[ -f www/pkg/kairos_bg.wasm ] || bash scripts/build-wasm.sh
cargo build -q --release -p kairos-cli
node benches/browser.mjs
