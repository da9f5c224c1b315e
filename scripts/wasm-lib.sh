# Shared by build-wasm.sh and build-worker.sh (sourced, not run): how to build a surface crate
# for wasm32 with an installed target, or with Debian's rust-web and -Zbuild-std (docs/build.md).

TARGET=wasm32-unknown-unknown
export CARGO_TARGET_DIR="${CARGO_TARGET_DIR_WASM:-target/wasm}"
WASM_BINDGEN=$(command -v wasm-bindgen || echo "$HOME/.cargo/bin/wasm-bindgen")

sysroot_has_wasm() {
  local dir
  dir=$(rustc --print target-libdir --target "$TARGET" 2>/dev/null) || return 1
  ls "$dir"/libcore-*.rlib >/dev/null 2>&1
}

# Builds one surface crate's cdylib and sets WASM to its .wasm file. Profile `wasm` (small: what
# a page downloads) unless WASM_PROFILE says otherwise (`wasm-speed`: the Node module).
cargo_wasm() { # package [features]
  local profile=${WASM_PROFILE:-wasm}
  local args=(-p "$1" --lib --profile "$profile" --target "$TARGET")
  [ -n "${2:-}" ] && args+=(--features "$2")
  WASM="$CARGO_TARGET_DIR/$TARGET/$profile/${1//-/_}.wasm"
  if sysroot_has_wasm; then
    cargo build "${args[@]}"
  else
    local linker
    linker=$(command -v wasm-ld-19 || command -v wasm-ld || ls ~/.rustup/toolchains/*/lib/rustlib/x86_64-unknown-linux-gnu/bin/rust-lld 2>/dev/null | head -n1 || true)
    [ -n "$linker" ] || { echo "build-wasm: no wasm linker (install lld-19: scripts/setup.sh)" >&2; exit 1; }
    [ -x /usr/bin/cargo ] || { echo "build-wasm: /usr/bin/cargo missing (install cargo-web: scripts/setup.sh)" >&2; exit 1; }
    # /usr/bin first for this command only: rustup's proxies would pick the toolchain without wasm std.
    PATH="/usr/bin:$PATH" RUSTC=/usr/bin/rustc RUSTC_BOOTSTRAP=1 CARGO_TARGET_WASM32_UNKNOWN_UNKNOWN_LINKER="$linker" \
      /usr/bin/cargo build -Zbuild-std=std,panic_abort ${WASM_STD_FEATURES:+-Zbuild-std-features=$WASM_STD_FEATURES} "${args[@]}"
  fi
}

