//! Every limit kairos enforces, in one place (the table in docs/rules.md lists them too).
//!
//! Limits bound what hostile or mistaken input can cost: memory, time and, above all, stack.
//! kairos runs as WebAssembly with a fixed 1 MiB stack and no guard page of its own, so no input
//! may drive recursion without bound: every recursive reader or walker below stops at a depth
//! limit and answers with a located error, never a stack overflow. Exceeding a limit is always an
//! error with a code (`E_LIMIT`, `E_DEPTH`, `E_NAME`, `E_BUNDLE_TOO_LARGE`, `E_CONTEXT`) and a
//! location, never a silent truncation — except for rendered content, whose variant is not shown
//! (the slot falls back to its default and the explanation says why).

use serde::de;
use std::cell::Cell;

// ---- bundles -------------------------------------------------------------------------------

/// Largest compiled bundle accepted by [`crate::Program::from_bytes`] (`E_BUNDLE_TOO_LARGE`).
pub const MAX_BUNDLE_BYTES: usize = 4 << 20;
/// Largest JSON text accepted: rules, contexts, customer records (`E_SYNTAX` / `E_CONTEXT`).
pub const MAX_JSON_BYTES: usize = 8 << 20;
/// Most slots in a bundle (`E_LIMIT`).
pub const MAX_SLOTS: usize = 256;
/// Most variants in one slot (`E_LIMIT`).
pub const MAX_VARIANTS: usize = 1_000;
/// Most variants in a whole bundle: the rules a decision may have to evaluate (`E_LIMIT`).
pub const MAX_TOTAL_VARIANTS: usize = 10_000;
/// Most segments in a bundle (`E_LIMIT`).
pub const MAX_SEGMENTS: usize = 1_000;
/// Most tier tables in a bundle (`E_LIMIT`).
pub const MAX_TIERS: usize = 256;
/// Most levels in one tier table (`E_LIMIT`).
pub const MAX_TIER_LEVELS: usize = 64;
/// Most expression nodes in a compiled bundle (`E_LIMIT`).
pub const MAX_NODES: usize = 50_000;
/// Most distinct history questions (aggregates, sequences) in a compiled bundle: each is asked by
/// at least one node, so the compiler never makes more than [`MAX_NODES`]; checked at load
/// (`E_BUNDLE_LIMIT`).
pub const MAX_QUESTIONS: usize = MAX_NODES;

// ---- nesting -------------------------------------------------------------------------------

/// Deepest expression nesting (`{"not": {"not": …}}` counts one level per operator), checked
/// while rules are read and again by the compiler and at load (`E_DEPTH`).
pub const MAX_EXPR_DEPTH: usize = 32;
/// Deepest content nesting (objects and arrays inside a variant's content) (`E_DEPTH`).
pub const MAX_CONTENT_DEPTH: usize = 64;
/// Deepest nesting of values a context carries but rules never read (analytics payloads,
/// nested event properties), which are skipped (`E_CONTEXT`). JSON text has serde_json's own
/// limit of 128 levels; JavaScript values (wasm) have no other.
pub const MAX_SKIPPED_DEPTH: usize = 32;
/// Deepest evaluation recursion (expressions through segment and tier references). Compiled
/// bundles stay below it; a crafted one that reaches it evaluates to *unknown*.
pub const MAX_EVAL_DEPTH: u32 = 96;

// ---- strings -------------------------------------------------------------------------------

/// Longest name in a rule: event, property, attribute, score and consent names, salts (`E_NAME`).
pub const MAX_NAME_BYTES: usize = 256;
/// Longest identifier: segment, tier, level, slot, variant and var names (`E_NAME`).
pub const MAX_IDENT_BYTES: usize = 64;
/// Longest string literal in an expression (`E_LIMIT`).
pub const MAX_LITERAL_BYTES: usize = 4096;
/// Longest string in content (a template, an HTML fragment); Gmail clips messages past 102 KB,
/// so a longer email body is a mistake anyway (`E_LIMIT`).
pub const MAX_CONTENT_STRING_BYTES: usize = 64 << 10;
/// Largest rendered content of one slot, after templates are filled and values escaped. A
/// variant whose content would render larger is not shown (explained as excluded).
pub const MAX_RENDERED_BYTES: usize = 256 << 10;

// ---- contexts and history ------------------------------------------------------------------

/// Longest string anywhere in a context (`E_CONTEXT`).
pub const MAX_CONTEXT_STRING_BYTES: usize = 4096;
/// Most events in one context or customer record (`E_CONTEXT`); rules read at most the
/// bundle's `max_history` newest.
pub const MAX_EVENTS: usize = 10_000;
/// Most bytes of event data (names, property keys and values) in one context or record (`E_CONTEXT`).
pub const MAX_HISTORY_BYTES: usize = 1 << 20;
/// Largest `max_history` a bundle may ask for (`E_LIMIT`).
pub const MAX_HISTORY: u32 = 10_000;

// ---- the nesting guard ---------------------------------------------------------------------

/// Input nested deeper than a limit: which reader refused, and at how many levels. Carried by the
/// errors of every reader (rules, contexts, loaded bundles) so that callers tell depth errors by
/// type, never by their wording.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct TooDeep {
    /// What was nested: `expression`, `content`, `value`, `rules`, `JSON`.
    pub what: &'static str,
    /// The deepest nesting allowed.
    pub limit: usize,
}

impl std::fmt::Display for TooDeep {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        // The one wording of every depth error.
        write!(f, "{} nested deeper than {} levels", self.what, self.limit)
    }
}

impl std::error::Error for TooDeep {}

thread_local! {
    /// Levels of recursive values being read right now on this thread.
    static NESTING: Cell<usize> = const { Cell::new(0) };
    /// The limit a guard refused last, until [`watch_depth`] takes it: serde errors carry only
    /// text, so this is how the depth error's type crosses a deserializer.
    static REFUSED: Cell<Option<TooDeep>> = const { Cell::new(None) };
}

/// Held while a recursive reader (an expression, content, a skipped value) reads one nested
/// level: creating it fails past `limit` levels, dropping it leaves the level. One counter serves
/// every reader, because none of those values nests inside another kind.
pub(crate) struct Nesting(());

impl Nesting {
    /// Enters one more level, or fails with "WHAT nested deeper than LIMIT levels".
    pub(crate) fn enter<E: de::Error>(limit: usize, what: &'static str) -> Result<Nesting, E> {
        let depth = NESTING.with(Cell::get) + 1;
        if depth > limit {
            let refused = TooDeep { what, limit };
            REFUSED.with(|r| r.set(Some(refused)));
            return Err(E::custom(refused));
        }
        NESTING.with(|n| n.set(depth));
        Ok(Nesting(()))
    }
}

impl Drop for Nesting {
    fn drop(&mut self) {
        NESTING.with(|n| n.set(n.get().saturating_sub(1)));
    }
}

/// Runs `read`, a deserialization into kairos types (rules, contexts), and on failure also returns
/// the depth limit that made it fail, if one did. A refusing guard fails the whole read (no
/// kairos reader recovers from an inner error), so a refusal seen during a failed read is its cause.
pub fn watch_depth<T, E>(read: impl FnOnce() -> Result<T, E>) -> Result<T, (E, Option<TooDeep>)> {
    let before = REFUSED.with(|r| r.take());
    let out = read();
    let refused = REFUSED.with(|r| r.replace(before));
    out.map_err(|e| (e, refused))
}
