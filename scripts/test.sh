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
step "cargo clippy (wasm bindings, worker)"
cargo clippy --lib --no-default-features --features wasm -- -D warnings
cargo clippy --lib --no-default-features --features worker -- -D warnings
step "fuzz targets type-check (about 45 s; running them is scripts/fuzz.sh, docs/fuzzing.md)"
cargo check -q --manifest-path fuzz/Cargo.toml --bins
step "cargo test (core, CLI, edge signals, HTML rewrite)"
cargo test
step "build wasm and the worker"
bash scripts/build-wasm.sh
bash scripts/build-worker.sh
step "node tests (wasm in Node, JSON Schema), browser tests (headless Chromium), worker tests (workerd)"
cargo build --bin kairos
node --test tests/node/ tests/browser/ tests/worker/
echo; echo "all tests passed"
