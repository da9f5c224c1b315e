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
pub use error::{CompileError, ContextError, ErrorCode, LoadError, Location};
pub use program::Program;
pub use rules::ast;

use history::EventIds;

/// A loaded bundle, ready to decide. Cheap to share; build once per bundle.
#[derive(Debug, Clone)]
pub struct Engine {
    /// The compiled rules this engine decides with.
    pub program: Program,
    /// Event name → id for history indexing: the program's events, then the reserved ones.
    event_ids: EventIds,
    event_names: usize,
    exposure_id: u32,
    conversion_id: u32,
    /// Repeated history questions, found on the first decision (not at load: most of a
    /// load is decoding, and this table only pays off once deciding).
    shared: std::sync::OnceLock<eval::SharedScans>,
}

impl Engine {
    /// Wraps a compiled program (from [`rules::compile::compile`] or [`Program::from_bytes`]).
    pub fn new(program: Program) -> Engine {
        let mut event_ids: EventIds = program.events.iter().enumerate().map(|(i, n)| (n.clone(), i as u32)).collect();
        let mut reserve = |name: &str| {
            let next = event_ids.len() as u32;
            *event_ids.entry(name.to_owned()).or_insert(next)
        };
        let exposure_id = reserve(history::EXPOSURE);
        let conversion_id = reserve(history::CONVERSION);
        let event_names = event_ids.len();
        Engine { program, event_ids, event_names, exposure_id, conversion_id, shared: Default::default() }
    }

    /// Loads a compiled bundle (header, checksum, limits and structure are checked; rules are not
    /// re-validated). A signed bundle loads too, its signature unchecked: use
    /// [`Engine::load_verified`] where a signature is required.
    pub fn load(bytes: &[u8]) -> Result<Engine, LoadError> {
        Program::from_bytes(bytes).map(Engine::new)
    }

    /// Loads a bundle only if it is signed by `key` (docs/signing.md): an unsigned bundle, another
    /// key's, or any altered byte is refused with `E_BUNDLE_UNSIGNED`, `E_BUNDLE_KEY` or
    /// `E_BUNDLE_SIGNATURE` before anything is decoded.
    #[cfg(feature = "signing")]
    pub fn load_verified(bytes: &[u8], key: &signing::PublicKey) -> Result<Engine, LoadError> {
        let limit = limits::MAX_BUNDLE_BYTES + signing::HEADER_LEN;
        if bytes.len() > limit {
            return Err(LoadError::TooLarge { bytes: bytes.len(), limit });
        }
        Program::decode(key.verify(bytes)?).map(Engine::new)
    }

    /// Compiles an authored bundle.
    pub fn compile(bundle: &ast::Bundle) -> Result<Engine, CompileError> {
        rules::compile::compile(bundle).map(Engine::new)
    }
}
