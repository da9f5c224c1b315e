//! Surfaces over the core. Each is behind a feature; the core modules never import them.

#[cfg(feature = "wasm")]
pub mod wasm;

#[cfg(feature = "worker")]
pub mod worker;
