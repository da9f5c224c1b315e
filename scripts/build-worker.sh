#!/usr/bin/env bash
# Builds the Cloudflare Worker into build/worker/: shim.mjs (entry), index.js (wasm-bindgen
# glue), index_bg.wasm. Does what worker-build does (wasm-bindgen --target module with the
# reset-state hook, a JS entry) without its downloads, so it runs offline (docs/edge.md).
set -euo pipefail
cd "$(dirname "$0")/.."
source scripts/wasm-lib.sh

OUT=build/worker
# panic_immediate_abort, as the page module: a panic is a bare trap, which shim.mjs answers with a
# 500 and a fresh instance; the panic's text and its formatting machinery are not shipped.
WASM_STD_FEATURES=panic_immediate_abort cargo_wasm kairos-worker
rm -rf "$OUT" && mkdir -p "$OUT"
"$WASM_BINDGEN" --target module --out-dir "$OUT" --out-name index --no-typescript \
  --experimental-reset-state-function --force-enable-abort-handler "$WASM"
# workerd imports .wasm modules as WebAssembly.Module without the source-phase keyword.
sed -i 's/^import source /import /' "$OUT/index.js"
if [ -x node_modules/.bin/wasm-opt ]; then
  check_layout "$OUT/index_bg.wasm"
  node_modules/.bin/wasm-opt -Oz "$WASM_OPT_CONVERGE" "${WASM_OPT_ASSUME[@]}" --enable-bulk-memory --enable-nontrapping-float-to-int --enable-sign-ext \
    --enable-mutable-globals --enable-reference-types --enable-multivalue --enable-exception-handling "$OUT/index_bg.wasm" -o "$OUT/index_bg.wasm"
fi
cp crates/kairos-worker/js/shim.mjs crates/kairos-worker/js/handler.mjs crates/kairos-worker/js/handler.d.ts "$OUT/"
echo "build-worker: $OUT/index_bg.wasm $(stat -c %s "$OUT/index_bg.wasm") bytes, $(gzip -9c "$OUT/index_bg.wasm" | wc -c) gzipped"
