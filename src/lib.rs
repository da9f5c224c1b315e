//! kairos: a real-time contextual personalisation engine.
//!
//! Marketers write rules (segments, tiers, slots with variants) as JSON; kairos
//! compiles them once into a compact, validated [`Program`] stored as postcard
//! bytes, and then decides, for one visitor at one instant ([`Context`]), which
//! variant every slot shows and why ([`Decision`]).
//!
//! The layout follows the data: [`context`] and [`signals`] read what is known
//! about the visitor, [`rules`] compiles what marketers wrote, [`eval`] and
//! [`decide`] choose, [`html`] projects a decision onto a page. The surfaces (edge, wasm,
//! Worker, CLI, replay) are sibling crates under `crates/` that depend on this one; nothing here
//! may import them, and the manifest makes that a compile error rather than a convention. The core never
//! reads a clock, never logs, and never panics on input: every fallible step
//! returns a located error, and a bad or missing signal makes a rule *unknown*,
//! which falls back to the slot's default.

#![forbid(unsafe_code)]
#![warn(missing_docs)]

pub mod bucket;
pub mod context;
pub mod decide;
mod describe;
mod engine;
pub mod error;
pub mod escape;
pub mod eval;
pub mod history;
pub mod html;
#[cfg(feature = "json")]
pub mod json;
pub mod limits;
pub mod program;
pub mod rules;
pub mod signals;
pub mod signing;
mod suggest;
pub mod template;
pub mod time;

pub use context::Context;
pub use decide::{Decision, Options};
pub use engine::Engine;
pub use error::{CompileError, ContextError, ErrorCode, LoadError, Location};
pub use program::Program;
pub use rules::ast;
