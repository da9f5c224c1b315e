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
step "cargo clippy (core, CLI, tests, benches)"
cargo clippy --all-targets -- -D warnings
step "cargo clippy (wasm bindings)"
cargo clippy --lib --no-default-features --features wasm -- -D warnings
step "cargo test"
cargo test
step "build wasm"
bash scripts/build-wasm.sh
step "node tests (wasm in Node, JSON Schema) and browser tests (headless Chromium)"
cargo build --bin kairos
node --test tests/node/ tests/browser/
echo; echo "all tests passed"
