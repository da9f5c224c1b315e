#!/usr/bin/env bash
# One-time, idempotent set-up of everything the build and tests need, from nothing:
#   - a wasm32 standard library: an installed rustup target if present, else Debian's
#     rust-web (Rust + std sources, built with -Zbuild-std) and lld-19 (docs/build.md);
#   - wasm-bindgen-cli at exactly the version in Cargo.lock;
#   - Debian's chromium for the browser tests;
#   - npm dev tools (binaryen's wasm-opt, ajv, playwright-core) from package-lock.json;
#   - a Python venv (target/python) with tests/python/requirements.txt from PyPI;
#   - Debian's Java 17 runtime for Spark in local mode (tests/python/test_spark.py);
#   - the kairos Python package (crates/kairos-py) built into that venv with maturin.
# Nothing is downloaded at build time beyond crates.io, npm and Debian's apt.
set -euo pipefail
cd "$(dirname "$0")/.."

log() { echo "setup: $*"; }
SUDO=""
[ "$(id -u)" = 0 ] || SUDO="sudo"

apt_install() {
  log "apt-get install $*"
  if ! $SUDO env DEBIAN_FRONTEND=noninteractive apt-get install -y -qq "$@" >/dev/null; then
    $SUDO apt-get update -qq
    $SUDO env DEBIAN_FRONTEND=noninteractive apt-get install -y -qq "$@" >/dev/null
  fi
}

# 1. wasm32 std
libdir=$(rustc --print target-libdir --target wasm32-unknown-unknown 2>/dev/null || true)
if [ -n "$libdir" ] && ls "$libdir"/libcore-*.rlib >/dev/null 2>&1; then
  log "wasm32-unknown-unknown target installed"
else
  missing=()
  [ -x /usr/bin/cargo ] || missing+=(cargo-web)
  [ -x /usr/bin/rustc ] || missing+=(rustc-web)
  [ -d /usr/lib/rustlib/src/rust/library ] || missing+=(rust-web-src)
  command -v wasm-ld-19 >/dev/null || missing+=(lld-19)
  if [ ${#missing[@]} -gt 0 ]; then apt_install "${missing[@]}"; else log "Debian rust-web toolchain present"; fi
fi

# 1b. Debian's Chromium for the browser tests (driven by playwright-core; never a downloaded browser)
if [ -x "${CHROMIUM:-/usr/bin/chromium}" ]; then log "chromium present"; else apt_install chromium; fi

# 2. wasm-bindgen-cli pinned to Cargo.lock
want=$(awk '/^name = "wasm-bindgen"$/ { getline; gsub(/version = |"/, ""); print; exit }' Cargo.lock)
have=$( (wasm-bindgen --version 2>/dev/null || "$HOME/.cargo/bin/wasm-bindgen" --version 2>/dev/null || true) | awk '{print $2}')
if [ "$have" = "$want" ]; then
  log "wasm-bindgen-cli $want present"
else
  log "cargo install wasm-bindgen-cli $want (a few minutes, once)"
  # --locked fails against this registry (docs/build.md); the version pin is what matters.
  cargo install -q wasm-bindgen-cli --version "$want"
fi

# 3. npm tools
if [ ! -x node_modules/.bin/wasm-opt ] || [ package-lock.json -nt node_modules/.package-lock.json ]; then
  log "npm ci"
  npm ci --no-audit --no-fund --loglevel=error
else
  log "node_modules up to date"
fi
# 4. Python: a venv, so Debian's system Python stays untouched (PEP 668)
py=target/python
if [ -x $py/bin/python ] && [ $py/installed -nt tests/python/requirements.txt ]; then
  log "python venv up to date"
else
  command -v python3 >/dev/null || apt_install python3
  python3 -c 'import ensurepip' 2>/dev/null || apt_install python3-venv
  log "python venv $py: pip install -r tests/python/requirements.txt (about 60 s, once: pyspark is 320 MB)"
  python3 -m venv $py
  $py/bin/pip install -q --disable-pip-version-check -r tests/python/requirements.txt
  touch $py/installed
fi

# 5. Java for Spark in local mode: PySpark 4 runs on Java 17 or later; Debian's headless JRE
#    (about 40 s from apt) only where there is no java at all.
if command -v java >/dev/null; then log "java present"; else apt_install openjdk-17-jre-headless; fi

# 6. The kairos Python package, rebuilt when it or a crate it wraps changed. A dev-profile build
#    (kairos and kairos-replay are optimised in it, Cargo.toml): about 3.5 min of a fresh CI
#    clone's build, most of it crates `cargo test` needs anyway, against about 5 min and nothing
#    shared for `--release`. Wheels for clusters: `maturin build --release` (docs/python.md).
stamp=$py/kairos-installed
changed() { find Cargo.toml Cargo.lock src crates/kairos-replay crates/kairos-py -newer $stamp -print -quit; }
if [ -f $stamp ] && [ -z "$(changed)" ]; then
  log "kairos Python package up to date"
else
  log "pip install ./crates/kairos-py (maturin, dev profile)"
  PATH="$PWD/$py/bin:$PATH" MATURIN_PEP517_ARGS="--profile dev" $py/bin/pip install -q --disable-pip-version-check \
    --no-build-isolation --no-deps --force-reinstall ./crates/kairos-py
  touch $stamp
fi
log "done"
