#!/usr/bin/env bash
# RUSTC_WRAPPER for the Debian rust-web fallback only (scripts/wasm-lib.sh). Debian's rustc
# (1.85) predates stable let-chains (1.88), which lol_html uses; under RUSTC_BOOTSTRAP the
# same syntax is available as a feature, so registry crates get `#![feature(let_chains)]`.
# The standard library and kairos itself are compiled unchanged.
rustc="$1"; shift
for arg in "$@"; do
  case "$arg" in
    */.cargo/registry/src/*) exec "$rustc" "$@" -Zcrate-attr='feature(let_chains)' ;;
  esac
done
exec "$rustc" "$@"
