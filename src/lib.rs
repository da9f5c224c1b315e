//! kairos: a real-time contextual personalisation engine.
//!
//! Marketers write rules (segments, tiers, slots with variants) as JSON; kairos
//! compiles them once into a compact, validated [`Program`] stored as postcard
//! bytes, and then decides, for one visitor at one instant ([`Context`]), which
//! variant every slot shows and why ([`Decision`]).
//!
//! The layout follows the data: [`context`] holds what is known about the visitor (signals such
//! as device and local time are derived from it), [`rules`] compiles what marketers wrote into a
//! [`program`], [`Engine`] evaluates it with three-valued logic and [`decide`] chooses, and
//! [`html`] projects a decision onto a page, an email or a terminal. A [`Visitor`] keeps one
//! person resident between decisions, its history packed for the bundle (a [`Resident`] is the
//! same without its engine, for holders of many people at once: replays); a context's own events
//! are packed the same way per call, so all run one evaluator. The public API is those
//! namespaces plus the items re-exported here; the machinery behind them stays private.
//!
//! The surfaces (edge, wasm, Worker, CLI, replay) are sibling crates under `crates/` that depend on
//! this one; nothing here may import them, and the manifest makes that a compile error rather than
//! a convention. The core never reads a clock, never logs, and never panics on input: every
//! fallible step returns a located error, and a bad or missing signal makes a rule *unknown*,
//! which falls back to the slot's default.

#![forbid(unsafe_code)]
#![warn(missing_docs)]

// The public namespaces: what goes in (context, rules), the compiled bundle (program), what
// comes out (decide, html), and the services around them (json, wire, signing, preview,
// template, time, limits).
pub mod context;
pub mod decide;
pub mod exposure;
pub mod host;
pub mod html;
#[cfg(feature = "json")]
pub mod json;
pub mod limits;
pub mod preview;
pub mod program;
pub mod rules;
pub mod signing;
pub mod template;
pub mod time;
pub mod visitor;
pub mod wire;

// The machinery: private, its few items of use outside re-exported below.
mod bucket;
mod decode;
mod describe;
mod engine;
mod error;
mod escape;
mod eval;
mod history;
mod signals;
mod suggest;

pub use bucket::{bucket, BUCKETS};
pub use context::Context;
pub use decide::{Decision, Options};
pub use engine::Engine;
pub use error::{CompileError, ContextError, ErrorCode, LoadError, Location};
pub use escape::{push_html_escaped, safe_url, HtmlScanner, HtmlSpot, Sink};
pub use eval::{fmt_num, Tri};
pub use history::{NameHasher, CONVERSION, EXPOSURE};
pub use program::Program;
pub use rules::ast;
pub use signals::{percent_decode, query_param, Device, ZoneProblem};
pub use visitor::{Moment, Person, Resident, Visitor};
