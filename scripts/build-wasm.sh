#!/usr/bin/env bash
# Builds the wasm module and its JS glue into pkg/{node,web}.
# Uses an installed wasm32 target when there is one; otherwise Debian's rust-web
# (Rust + std sources) with -Zbuild-std, linked by wasm-ld (see docs/build.md).
set -euo pipefail
cd "$(dirname "$0")/.."

TARGET=wasm32-unknown-unknown
export CARGO_TARGET_DIR="${CARGO_TARGET_DIR_WASM:-target/wasm}"
FEATURES=(--lib --no-default-features --features wasm --profile wasm --target "$TARGET")

sysroot_has_wasm() {
  local dir
  dir=$(rustc --print target-libdir --target "$TARGET" 2>/dev/null) || return 1
  ls "$dir"/libcore-*.rlib >/dev/null 2>&1
}

if sysroot_has_wasm; then
  echo "build-wasm: using the installed $TARGET target"
  cargo build "${FEATURES[@]}"
else
  echo "build-wasm: no $TARGET std installed; building std from Debian's rust-web sources"
  LINKER=$(command -v wasm-ld-19 || command -v wasm-ld || true)
  if [ -z "$LINKER" ]; then
    LINKER=$(ls ~/.rustup/toolchains/*/lib/rustlib/x86_64-unknown-linux-gnu/bin/rust-lld 2>/dev/null | head -n1 || true)
  fi
  [ -n "$LINKER" ] || { echo "build-wasm: no wasm linker (install lld-19: scripts/setup.sh)" >&2; exit 1; }
  [ -x /usr/bin/cargo ] || { echo "build-wasm: /usr/bin/cargo missing (install cargo-web: scripts/setup.sh)" >&2; exit 1; }
  # /usr/bin first for this command only: rustup's proxies would otherwise pick the toolchain without wasm std.
  PATH="/usr/bin:$PATH" RUSTC=/usr/bin/rustc RUSTC_BOOTSTRAP=1 \
    CARGO_TARGET_WASM32_UNKNOWN_UNKNOWN_LINKER="$LINKER" \
    /usr/bin/cargo build -Zbuild-std=std,panic_abort "${FEATURES[@]}"
fi

WASM="$CARGO_TARGET_DIR/$TARGET/wasm/kairos.wasm"
WASM_BINDGEN=$(command -v wasm-bindgen || echo "$HOME/.cargo/bin/wasm-bindgen")
for target in nodejs web; do
  out=pkg/${target/nodejs/node}
  rm -rf "$out"
  "$WASM_BINDGEN" --target "$target" --out-dir "$out" "$WASM"
  # npm's binaryen: Debian's wasm-opt 108 breaks wasm-bindgen's externref table (docs/build.md).
  if [ -x node_modules/.bin/wasm-opt ]; then
    node_modules/.bin/wasm-opt -Oz --enable-bulk-memory --enable-nontrapping-float-to-int --enable-sign-ext --enable-mutable-globals --enable-reference-types --enable-multivalue \
      "$out/kairos_bg.wasm" -o "$out/kairos_bg.wasm"
  fi
done
# The page runtime (www/) loads the web build from www/pkg/.
rm -rf www/pkg && cp -r pkg/web www/pkg
# The repo's package.json says "type": "module"; the nodejs glue is CommonJS.
echo '{ "type": "commonjs" }' > pkg/node/package.json
ls -l pkg/node/kairos_bg.wasm pkg/web/kairos_bg.wasm | awk '{print "build-wasm: " $9 " " $5 " bytes"}'
