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


# wasm-opt flags beyond the level, for every module (--converge, which repeats the passes until
# nothing shrinks, only where bytes are what matters: see WASM_OPT_CONVERGE); --low-memory-unused lets loads and stores fold constant offsets, assuming nothing lives
# below address 1024. That holds for rustc's wasm32 layout (wasm-ld --stack-first): the 1 MiB
# stack comes first and grows down towards 0, and data starts above it, so an address below 1024
# is only reached by a stack 1023 KiB deep (the core's depth limits keep it far shallower).
# `check_layout` refuses a module built otherwise. The producers and target-features sections are
# toolchain notes no engine reads. Page module: 3.5 KB gzipped smaller; Worker: 5.4 KB.
WASM_OPT_ASSUME=(--low-memory-unused --strip-producers --strip-target-features)
# For the page module and the Worker: about 0.5 KB gzipped for a minute of build time.
WASM_OPT_CONVERGE=--converge

check_layout() { # file.wasm: the first data segment and the stack's top must lie at or above 1024
  local low
  # The first global is the stack pointer; every data segment's offset counts.
  low=$(node_modules/.bin/wasm-dis "$1" | cut -c1-60 | awk '/^ \(global / && !g++ || /^ \(data /' \
    | grep -oE 'i32.const [0-9]+' | awk '{print $2}' | sort -n | head -n1)
  if [ -z "$low" ] || [ "$low" -lt 1024 ]; then
    echo "wasm-lib: $1 has data or a stack top below address 1024 ($low): --low-memory-unused would be unsound" >&2
    exit 1
  fi
}
