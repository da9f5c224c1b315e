#!/usr/bin/env bash
# Everything CI checks, in order: format, lints (core and bindings), native tests,
# the wasm build, and the wasm module under real Node. Starts with the (idempotent) set-up.
set -euo pipefail
cd "$(dirname "$0")/.."
step() { echo; echo "== $*"; }

step "set-up"
bash scripts/setup.sh

step "cargo fmt --check"
cargo fmt --all -- --check
step "cargo clippy (every crate, every target)"
cargo clippy --workspace --all-targets -- -D warnings
step "cargo clippy (the core as the page and Worker build it, and with the playground)"
cargo clippy -p kairos --lib --no-default-features -- -D warnings
cargo clippy -p kairos --lib --no-default-features --features signing -- -D warnings
cargo clippy -p kairos-wasm --lib -- -D warnings
cargo clippy -p kairos-wasm --lib --features playground,tables -- -D warnings
cargo clippy -p kairos-wasm --lib --features json,tables -- -D warnings
step "cargo doc (every crate, warnings denied)"
RUSTDOCFLAGS="-D warnings" cargo doc -q --workspace --no-deps
step "the core's dependency tree has no surface crate (scripts/check-layout.sh)"
bash scripts/check-layout.sh
step "fuzz targets type-check (about 45 s; running them is scripts/fuzz.sh, docs/fuzzing.md)"
cargo check -q --manifest-path fuzz/Cargo.toml --bins
step "cargo test (every crate)"
cargo test --workspace
step "build wasm and the worker"
bash scripts/build-wasm.sh
bash scripts/build-worker.sh
step "the CLI for the Python and Node tests"
cargo build -p kairos-cli --bin kairos
step "python tests (kairos lift against statsmodels and SciPy; the kairos package; Spark in local mode, about 35 s)"
target/python/bin/python -m pytest -q tests/python
step "node tests (wasm in Node, JSON Schema), browser tests (headless Chromium), worker tests (workerd), the npm package (tests/package)"
node --test tests/node/ tests/browser/ tests/worker/ tests/package/
echo; echo "all tests passed"
