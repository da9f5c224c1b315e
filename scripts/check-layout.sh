#!/usr/bin/env bash
# The architecture as a check: the core crate's dependency tree (any features, native and
# wasm32) holds no binding or runtime crate (JS or Python), and no surface crate of this workspace.
set -euo pipefail
cd "$(dirname "$0")/.."
forbidden='^(wasm-bindgen|js-sys|web-sys|worker|lol_html|serde-wasm-bindgen|pyo3|kairos-edge|kairos-wasm|kairos-worker|kairos-cli|kairos-replay|kairos-py) '
for target in x86_64-unknown-linux-gnu wasm32-unknown-unknown; do
  tree=$(cargo tree -p kairos --all-features --edges normal,build --prefix none --target "$target" | sort -u)
  if bad=$(grep -E "$forbidden" <<<"$tree"); then
    echo "check-layout: the core depends on a surface crate ($target):" >&2
    echo "$bad" >&2
    exit 1
  fi
done
echo "check-layout: kairos (core) depends on none of the surface or binding crates"
