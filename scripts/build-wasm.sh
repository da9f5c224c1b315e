#!/usr/bin/env bash
# Builds the wasm module and its JS glue:
#   pkg/node        (CommonJS, for Node)       crates/kairos-wasm, json         → pkg/node
#   pkg/web         (ES module, for browsers)  crates/kairos-wasm               → copied to www/pkg
#   pkg/playground  (ES module, for browsers)  crates/kairos-wasm, playground   → copied to www/playground-pkg
# Uses an installed wasm32 target when there is one; otherwise Debian's rust-web
# (Rust + std sources) with -Zbuild-std, linked by wasm-ld (see docs/build.md).
set -euo pipefail
cd "$(dirname "$0")/.."

source scripts/wasm-lib.sh

bindgen() { # target out-dir [wasm-opt level] [extra wasm-opt flag]
  rm -rf "$2"
  "$WASM_BINDGEN" --target "$1" --out-dir "$2" --out-name kairos "$WASM"
  # npm's binaryen: Debian's wasm-opt 108 breaks wasm-bindgen's externref table (docs/build.md).
  if [ -x node_modules/.bin/wasm-opt ]; then
    check_layout "$2/kairos_bg.wasm"
    node_modules/.bin/wasm-opt "${3:--Oz}" ${4:-} "${WASM_OPT_ASSUME[@]}" --enable-bulk-memory --enable-nontrapping-float-to-int --enable-sign-ext \
      --enable-mutable-globals --enable-reference-types --enable-multivalue "$2/kairos_bg.wasm" -o "$2/kairos_bg.wasm"
  fi
  # The classes declare `[Symbol.dispose]`: say which lib that needs, so a project on an older
  # `lib` still type-checks them (tests/package).
  sed -i '1i /// <reference lib="esnext.disposable" />' "$2/kairos.d.ts"
  echo "build-wasm: $2/kairos_bg.wasm $(stat -c %s "$2/kairos_bg.wasm") bytes"
}

sysroot_has_wasm && echo "build-wasm: using the installed $TARGET target" \
  || echo "build-wasm: no $TARGET std installed; building std from Debian's rust-web sources"

# The page module leaves the zone and case tables out and asks the JS engine (crates/kairos-wasm
# src/host.rs); Node and the playground keep them.
# Node also gets `Kairos.decideJson` on whole contexts (serde_json inside); every module reads
# everything else with kairos::wire. Node is built for speed (profile wasm-speed), the page for size.
WASM_PROFILE=wasm-speed cargo_wasm kairos-wasm json,tables
bindgen nodejs pkg/node -O3
# The page module's std is built with panic_immediate_abort: a panic is a trap without its
# message or the formatting behind it (about 11 KB gzipped). The page never relies on a panic's
# text: a trap leaves the page on its defaults, as any failure does. Applies where std is built
# from source (the Debian fallback, which CI uses); an installed wasm32 std cannot do it.
WASM_STD_FEATURES=panic_immediate_abort cargo_wasm kairos-wasm
# The page build before wasm-bindgen and wasm-opt, names kept: what benches/size.sh breaks down
# with twiggy (the playground build below overwrites $WASM).
cp "$WASM" "$CARGO_TARGET_DIR/page-names.wasm"
bindgen web pkg/web -Oz "$WASM_OPT_CONVERGE"
# The repo's package.json says "type": "module"; the nodejs glue is CommonJS, and it require()s
# the inline JS snippets, which wasm-bindgen writes as ES modules: Node 20 cannot require those,
# so they are rewritten as CommonJS (each is ours: `export function NAME(` only).
echo '{ "type": "commonjs" }' > pkg/node/package.json
for snippet in pkg/node/snippets/*/*.js; do
  sed -i -E 's/^export function ([A-Za-z_][A-Za-z0-9_]*)\(/exports.\1 = function \1(/' "$snippet"
  if grep -q '^export ' "$snippet"; then echo "build-wasm: $snippet: an export other than a function" >&2; exit 1; fi
done
rm -rf www/pkg && cp -r pkg/web www/pkg
# What the tag imports: the runtime, the glue and its snippets as one module, so the page waits
# for one module request instead of three in a row (docs/page-script.md).
node_modules/.bin/esbuild www/kairos.mjs --bundle --format=esm --minify --log-level=warning --outfile=www/kairos.min.mjs

cargo_wasm kairos-wasm playground,tables
bindgen web pkg/playground
rm -rf www/playground-pkg && cp -r pkg/playground www/playground-pkg
