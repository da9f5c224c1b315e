#!/usr/bin/env bash
# Sizes of what a page and the Worker download (gzip -9), written to target/size.json, and a
# twiggy breakdown of the page build to target/size-twiggy.txt (when twiggy is installed).
#   bash benches/size.sh          # builds what is missing first
set -euo pipefail
cd "$(dirname "$0")/.."
[ -f www/pkg/kairos_bg.wasm ] || bash scripts/build-wasm.sh
[ -f build/worker/index_bg.wasm ] || bash scripts/build-worker.sh
[ -x node_modules/.bin/esbuild ] || npm ci --no-audit --no-fund
mkdir -p target
node -e "import('./benches/size.mjs').then(({ measure, BUDGET }) => {
  const m = measure();
  require('fs').writeFileSync('target/size.json', JSON.stringify(m, null, 2) + '\n');
  console.log(JSON.stringify(m, null, 2));
  console.log('budget: page total ' + BUDGET.page_total_gz + ' B, worker wasm ' + BUDGET.worker_wasm_gz + ' B (gzip -9)');
})"
names=target/wasm/page-names.wasm
if command -v twiggy >/dev/null && [ -f "$names" ]; then
  # Before wasm-bindgen and wasm-opt, names kept: shares, not the shipped bytes.
  { echo "# twiggy top -n 40 $names"; twiggy top -n 40 "$names"; } > target/size-twiggy.txt
  echo "breakdown: target/size-twiggy.txt"
fi
