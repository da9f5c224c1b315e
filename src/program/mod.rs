//! The compiled bundle: a flat, validated program that evaluates without
//! re-checking, stored as postcard bytes behind a small header.
//!
//! Expressions live in one arena (`nodes`) where every child index is smaller
//! than its parent's. Loading checks that single invariant (cheap, linear), so a
//! corrupt or hostile bundle can neither loop nor recurse without bound; no
//! semantic validation is redone.
//!
//! History questions (aggregates and sequences) live in their own table (`questions`), each
//! distinct question once: the nodes that ask one ([`Node::Ask`]) name it by index, so rules in
//! different slots that repeat a question share its answer within a decision while the node
//! arena stays a tree.
//!
//! The compiled types are here; `signal` names the signals rules read, and `bytes` encodes and
//! decodes the stored form and runs the load-time checks.

mod bytes;
mod decode;
pub(crate) use bytes::fnv1a32;
mod signal;

pub use signal::{Signal, SIGNALS};

use crate::rules::ast::{AggOp, ArithOp, CmpOp, StrOp};
use serde::{Deserialize, Serialize};

/// Bytes every compiled bundle starts with.
pub const MAGIC: &[u8; 6] = b"KAIROS";
/// Format version of the postcard payload; bump on any layout change.
pub const FORMAT_VERSION: u16 = 2;
/// Header: magic, version (u16 LE), payload length (u32 LE), FNV-1a 32 checksum of the payload (u32 LE).
pub const HEADER_LEN: usize = 6 + 2 + 4 + 4;
/// Largest compiled bundle accepted ([`crate::limits::MAX_BUNDLE_BYTES`]).
pub use crate::limits::MAX_BUNDLE_BYTES;
/// Deepest content nesting accepted (content is serialised recursively).
pub use crate::limits::MAX_CONTENT_DEPTH;

/// A compiled, ready-to-evaluate bundle.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Program {
    /// The bundle's `name`, for logs and explanations.
    pub name: String,
    /// IANA zone for contexts that carry neither a zone nor an offset.
    pub default_timezone: Option<String>,
    /// Customers held out of personalisation (always shown defaults), to measure lift.
    pub holdout: Option<HoldoutSpec>,
    /// How many of a context's newest events the rules may read.
    pub max_history: u32,
    /// Interned event names referenced by the rules (normalised).
    pub events: Vec<String>,
    /// Every expression node; children come before their parents.
    pub nodes: Vec<Node>,
    /// Every distinct history question the rules ask, once ([`Node::Ask`] indexes it).
    pub questions: Vec<Question>,
    /// Named conditions, in name order (rules refer to them by index).
    pub segments: Vec<SegmentDef>,
    /// Tier tables, in name order.
    pub tiers: Vec<TierDef>,
    /// Slots, in bundle order: what a decision fills.
    pub slots: Vec<SlotDef>,
}

/// The compiled holdout: who is held out of personalisation.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct HoldoutSpec {
    /// Salt of the bucket ([`crate::bucket`]) that places a customer in or out.
    pub salt: String,
    /// Buckets 0..threshold (of 10,000) are held out.
    pub threshold: u32,
}

impl HoldoutSpec {
    /// The share of customers held out (0–1): what a sample-ratio check expects.
    pub fn share(&self) -> f64 {
        f64::from(self.threshold) / crate::BUCKETS as f64
    }
}

/// A named condition.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct SegmentDef {
    /// The name rules and explanations use.
    pub name: String,
    /// Index of its condition in [`Program::nodes`].
    pub root: u32,
}

/// A tier table: ordered levels, the first whose condition holds names the tier.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct TierDef {
    /// The name rules and explanations use.
    pub name: String,
    /// (level name, condition; `None` = catch-all)
    pub levels: Vec<(String, Option<u32>)>,
}

/// A slot: a default and the variants that may replace it.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct SlotDef {
    /// The slot's name, as pages and emails ask for it.
    pub name: String,
    /// Id of what everyone gets when no variant applies.
    pub default_id: String,
    /// The default's content (no templates: it renders without data).
    pub default_content: Content,
    /// Candidates, in bundle order (the tie-break).
    pub variants: Vec<VariantDef>,
}

impl SlotDef {
    /// What `id` names in this slot: `Some(None)` its default, `Some(Some(i))` variant `i`, or
    /// None when the slot shows nothing of that id.
    pub fn choice(&self, id: &str) -> Option<Option<usize>> {
        if self.default_id == id {
            return Some(None);
        }
        self.variants.iter().position(|v| v.id == id).map(Some)
    }
}

/// A compiled variant.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct VariantDef {
    /// Its id, unique in the slot: what exposures and conversions name.
    pub id: String,
    /// Eligibility condition node; `None` = always eligible.
    pub when: Option<u32>,
    /// Higher wins among eligible variants.
    pub priority: i32,
    /// Node of the score that ranks variants of equal priority (higher wins).
    pub score: Option<u32>,
    /// What the slot shows when this variant wins.
    pub content: Content,
    /// Values the content's templates need: (var name or canonical hole text, value node).
    pub vars: Vec<(String, u32)>,
    /// Frequency cap: at most `.0` exposures within `.1` milliseconds.
    pub cap: Option<(u32, i64)>,
    /// Not shown again once a conversion names this variant.
    pub suppress_after_conversion: bool,
}

/// Content JSON as a flat token list (no recursion when decoding). Shared: every decision that
/// picks a variant carries its content, and a clone is then a reference count.
#[derive(Debug, Clone, PartialEq, Default, Serialize, Deserialize)]
pub struct Content(pub std::sync::Arc<[Tok]>);

/// One token of [`Content`].
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub enum Tok {
    /// JSON `null`.
    Null,
    /// A boolean.
    Bool(bool),
    /// A number.
    Num(f64),
    /// A string: a value, or an object's key (templates are filled when deciding).
    Str(String),
    /// An array of the next `n` values.
    Arr(u32),
    /// An object of the next `n` key/value pairs (each key a `Str`).
    Obj(u32),
}

/// A literal in compiled form.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub enum Lit {
    /// A number.
    Num(f64),
    /// A string.
    Str(String),
    /// A boolean.
    Bool(bool),
}

/// Which events an aggregate reads, resolved.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Query {
    /// Index into `Program::events`.
    pub event: u32,
    /// Window length in ms; `None` = the whole (bounded) history.
    pub within: Option<i64>,
    /// Property tests every counted event must pass (`where`).
    pub filter: Vec<(String, PropTest)>,
    /// The property the aggregate reads (`sum`, `avg`, `top`…).
    pub prop: Option<String>,
}

/// A test on one event property, compiled.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub enum PropTest {
    /// Compares the property with a literal.
    Cmp(CmpOp, Lit),
    /// The property is one of these literals.
    In(Vec<Lit>),
    /// A string test (prefix, suffix, substring) against the property.
    Str(StrOp, String),
}

/// A question to the event history. The compiler keeps one of each (equal by `PartialEq`; a NaN
/// literal in a filter is never equal, so such a question is simply not shared).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub enum Question {
    /// An aggregate over the events a query reads.
    Agg(AggOp, Query),
    /// An ordered pair of events with a gap.
    Sequence(SeqSpec),
}

/// A compiled `sequence`: a `first` event, then (or never) a `then` event within `gap`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct SeqSpec {
    /// The event that starts the sequence.
    pub first: Query,
    /// The event that must follow it (or, negated, must not).
    pub then: Query,
    /// True: `then` must be absent in the gap (abandonment); false: present.
    pub negated: bool,
    /// Longest time after `first`, in ms.
    pub gap: i64,
}

/// One expression node; children are indices of earlier nodes.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub enum Node {
    /// A literal.
    Lit(Lit),
    /// A duration literal in ms (kept apart from numbers so explanations print `30d`).
    Dur(i64),
    /// A list of literals (the right side of `in`).
    List(Vec<Lit>),
    /// True when every child is; false when any is false; else unknown.
    All(Vec<u32>),
    /// True when any child is; false when every one is false; else unknown.
    Any(Vec<u32>),
    /// Negation (unknown stays unknown).
    Not(u32),
    /// Compares two values.
    Cmp(CmpOp, u32, u32),
    /// `lo <= x <= hi`: (x, lo, hi).
    Between(u32, u32, u32),
    /// Whether a value is one of the literals.
    In(u32, Vec<Lit>),
    /// Whether a value is known (never unknown itself).
    Exists(u32),
    /// Whether a value is unknown (never unknown itself).
    Missing(u32),
    /// A string test: (op, haystack, needle).
    Str(StrOp, u32, u32),
    /// A string lower-cased.
    Lower(u32),
    /// A number rounded half away from zero to `.1` decimal places.
    Round(u32, u32),
    /// Arithmetic over the children, left to right; division by zero is unknown.
    Arith(ArithOp, Vec<u32>),
    /// The first known child.
    Coalesce(Vec<u32>),
    /// A session, geo or time signal.
    Signal(Signal),
    /// A profile attribute (`profile.NAME`).
    Profile(String),
    /// A consent flag (`consent.FLAG`), false when absent.
    Consent(String),
    /// A cached model score, unknown when older than `max_age`.
    Score {
        /// The score's name in the context's `scores`.
        name: String,
        /// Oldest accepted score, in ms (`i64::MAX`: any age).
        max_age: i64,
    },
    /// Minutes since midnight, half-open `[from, to)`, wrapping past midnight when `from > to`.
    LocalTimeBetween(u32, u32),
    /// Bit `d` set = weekday `d` (0 = Sunday).
    WeekdayIn(u8),
    /// Fractional days from now until a timestamp.
    DaysUntil(u32),
    /// Fractional days since a timestamp.
    DaysSince(u32),
    /// A history question, by index into [`Program::questions`] (several nodes may ask one).
    Ask(u32),
    /// A segment's condition, by index into [`Program::segments`].
    Segment(u32),
    /// A tier table's level name, by index into [`Program::tiers`].
    Tier(u32),
    /// The customer's bucket 0–9999 for this salt; unknown without a customer id.
    Bucket(String),
    /// A property of the triggering event (`event.amount`): the context's `event`, if any.
    Trigger(String),
}

impl Node {
    /// Child node indices, for the load-time ordering check.
    pub fn children(&self) -> Vec<u32> {
        self.children_in(&mut [0; 3]).to_vec()
    }

    /// Child node indices without allocating (loading visits every node): lists are
    /// borrowed, fixed-arity children are copied into `buf`.
    fn children_in<'s>(&'s self, buf: &'s mut [u32; 3]) -> &'s [u32] {
        let n = match self {
            Node::All(v) | Node::Any(v) | Node::Arith(_, v) | Node::Coalesce(v) => return v,
            Node::Not(a)
            | Node::Exists(a)
            | Node::Missing(a)
            | Node::Lower(a)
            | Node::Round(a, _)
            | Node::DaysUntil(a)
            | Node::DaysSince(a)
            | Node::In(a, _) => {
                *buf = [*a, 0, 0];
                1
            }
            Node::Cmp(_, a, b) | Node::Str(_, a, b) => {
                *buf = [*a, *b, 0];
                2
            }
            Node::Between(a, b, c) => {
                *buf = [*a, *b, *c];
                3
            }
            _ => 0,
        };
        buf.get(..n).unwrap_or_default()
    }
}

impl Program {
    /// How far before `now` any rule of this bundle reads the history, in ms: the longest
    /// aggregate window, sequence start window (`first.within`: the follow-up is only read after
    /// the start) or frequency-cap window; 0 for a bundle that reads no history. `None` when some
    /// rule reads the whole (bounded) history: an aggregate or a sequence start without `within`,
    /// or `suppress_after_conversion`. Events older than this can never change a decision, which
    /// is what lets a replay (src/replay/) forget them.
    pub fn longest_window_ms(&self) -> Option<i64> {
        let mut longest = 0i64;
        for question in &self.questions {
            let within = match question {
                Question::Agg(_, q) => q.within,
                Question::Sequence(s) => s.first.within,
            };
            longest = longest.max(within?);
        }
        for v in self.slots.iter().flat_map(|s| &s.variants) {
            if v.suppress_after_conversion {
                return None;
            }
            if let Some((_, within)) = v.cap {
                longest = longest.max(within);
            }
        }
        Some(longest)
    }
}
