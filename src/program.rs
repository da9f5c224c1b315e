//! The compiled bundle: a flat, validated program that evaluates without
//! re-checking, stored as postcard bytes behind a small header.
//!
//! Expressions live in one arena (`nodes`) where every child index is smaller
//! than its parent's. Loading checks that single invariant (cheap, linear), so a
//! corrupt or hostile bundle can neither loop nor recurse without bound; no
//! semantic validation is redone.

use crate::error::LoadError;
use crate::rules::ast::{AggOp, ArithOp, CmpOp, StrOp};
use serde::{Deserialize, Serialize};

/// Bytes every compiled bundle starts with.
pub const MAGIC: &[u8; 6] = b"KAIROS";
/// Format version of the postcard payload; bump on any layout change.
pub const FORMAT_VERSION: u16 = 1;
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

/// Content JSON as a flat token list (no recursion when decoding).
#[derive(Debug, Clone, PartialEq, Default, Serialize, Deserialize)]
pub struct Content(pub Vec<Tok>);

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

/// Session and request signals a rule can read by name.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub enum Signal {
    /// `session.device`: `mobile`, `tablet` or `desktop` (explicit, else client hint, else user agent).
    Device,
    /// `session.viewport_width`, in CSS pixels.
    ViewportWidth,
    /// `session.viewport_height`, in CSS pixels.
    ViewportHeight,
    /// `session.referrer`: the referring URL.
    Referrer,
    /// `session.referrer_host`: the referring URL's host, lower-cased.
    ReferrerHost,
    /// `session.utm_source`: from `session.utm`, else the page URL's parameters.
    UtmSource,
    /// `session.utm_medium`, like `utm_source`.
    UtmMedium,
    /// `session.utm_campaign`, like `utm_source`.
    UtmCampaign,
    /// `session.utm_term`, like `utm_source`.
    UtmTerm,
    /// `session.utm_content`, like `utm_source`.
    UtmContent,
    /// `session.page`: the page being shown.
    Page,
    /// `session.page_views`: pages viewed this session.
    PageViews,
    /// `session.product_views`: products viewed this session.
    ProductViews,
    /// `session.last_viewed_product`: the latest of the session's product views.
    LastViewedProduct,
    /// `session.last_viewed_category`: that product view's category.
    LastViewedCategory,
    /// `session.search_term`: the latest search of the session.
    SearchTerm,
    /// `session.search_category`: that search's category.
    SearchCategory,
    /// `session.search_count`: searches this session.
    SearchCount,
    /// `session.cart_dwell`: time spent in the cart (a duration).
    CartDwell,
    /// `session.checkout_dwell`: time spent in checkout (a duration).
    CheckoutDwell,
    /// `session.coupon_searches`: searches for coupons this session.
    CouponSearches,
    /// `geo.country`.
    Country,
    /// `geo.region`.
    Region,
    /// `geo.city`.
    City,
    /// `geo.lat`: latitude in degrees.
    Lat,
    /// `geo.lon`: longitude in degrees.
    Lon,
    /// `customer.id`: the context's `customer_id`.
    CustomerId,
    /// `local.minutes`: minutes since local midnight in the visitor's zone.
    LocalMinutes,
    /// `local.hour`: the local hour, 0–23.
    LocalHour,
    /// `local.weekday`: `sun` … `sat`, locally.
    LocalWeekday,
    /// `now`: the decision instant, epoch milliseconds.
    Now,
}

/// Signal names as rules write them (`{"var": "session.device"}`), and whether each is a duration.
pub const SIGNALS: &[(&str, Signal)] = &[
    ("session.device", Signal::Device),
    ("session.viewport_width", Signal::ViewportWidth),
    ("session.viewport_height", Signal::ViewportHeight),
    ("session.referrer", Signal::Referrer),
    ("session.referrer_host", Signal::ReferrerHost),
    ("session.utm_source", Signal::UtmSource),
    ("session.utm_medium", Signal::UtmMedium),
    ("session.utm_campaign", Signal::UtmCampaign),
    ("session.utm_term", Signal::UtmTerm),
    ("session.utm_content", Signal::UtmContent),
    ("session.page", Signal::Page),
    ("session.page_views", Signal::PageViews),
    ("session.product_views", Signal::ProductViews),
    ("session.last_viewed_product", Signal::LastViewedProduct),
    ("session.last_viewed_category", Signal::LastViewedCategory),
    ("session.search_term", Signal::SearchTerm),
    ("session.search_category", Signal::SearchCategory),
    ("session.search_count", Signal::SearchCount),
    ("session.cart_dwell", Signal::CartDwell),
    ("session.checkout_dwell", Signal::CheckoutDwell),
    ("session.coupon_searches", Signal::CouponSearches),
    ("geo.country", Signal::Country),
    ("geo.region", Signal::Region),
    ("geo.city", Signal::City),
    ("geo.lat", Signal::Lat),
    ("geo.lon", Signal::Lon),
    ("customer.id", Signal::CustomerId),
    ("local.minutes", Signal::LocalMinutes),
    ("local.hour", Signal::LocalHour),
    ("local.weekday", Signal::LocalWeekday),
    ("now", Signal::Now),
];

impl Signal {
    /// The name rules write (`session.device`).
    pub fn name(self) -> &'static str {
        SIGNALS.iter().find(|(_, s)| *s == self).map_or("?", |(n, _)| n)
    }
    /// Whether its value is a duration (compared with `30m`, printed as one).
    pub fn is_duration(self) -> bool {
        matches!(self, Signal::CartDwell | Signal::CheckoutDwell)
    }
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
    /// An aggregate over the event history.
    Agg(AggOp, Query),
    /// An ordered pair of events with a gap.
    Sequence(Box<SeqSpec>),
    /// A segment's condition, by index into [`Program::segments`].
    Segment(u32),
    /// A tier table's level name, by index into [`Program::tiers`].
    Tier(u32),
    /// The customer's bucket 0–9999 for this salt; unknown without a customer id.
    Bucket(String),
    /// A property of the triggering event (`event.amount`): the context's `event`, if any.
    /// Last in the enum so bundles compiled before it keep their encoding.
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

/// FNV-1a 32-bit: a checksum against truncation and bit rot, not an authenticity check.
fn fnv1a32(bytes: &[u8]) -> u32 {
    bytes.iter().fold(0x811c_9dc5u32, |h, b| (h ^ u32::from(*b)).wrapping_mul(0x0100_0193))
}

impl Program {
    /// Encodes as header + postcard payload.
    pub fn to_bytes(&self) -> Vec<u8> {
        let payload = postcard::to_allocvec(self).unwrap_or_default();
        let mut out = Vec::with_capacity(HEADER_LEN + payload.len());
        out.extend_from_slice(MAGIC);
        out.extend_from_slice(&FORMAT_VERSION.to_le_bytes());
        out.extend_from_slice(&(payload.len() as u32).to_le_bytes());
        out.extend_from_slice(&fnv1a32(&payload).to_le_bytes());
        out.extend_from_slice(&payload);
        out
    }

    /// Decodes a compiled bundle, checking header, checksum, limits and structure. A signed
    /// envelope is opened without checking its signature: see [`crate::Engine::load_verified`].
    pub fn from_bytes(bytes: &[u8]) -> Result<Program, LoadError> {
        Program::decode(crate::signing::unwrap(bytes)?)
    }

    /// Decodes a plain compiled bundle (no envelope).
    pub(crate) fn decode(bytes: &[u8]) -> Result<Program, LoadError> {
        if bytes.len() > MAX_BUNDLE_BYTES {
            return Err(LoadError::TooLarge { bytes: bytes.len(), limit: MAX_BUNDLE_BYTES });
        }
        if bytes.starts_with(crate::signing::MAGIC) {
            return Err(LoadError::BadSignature("a signed envelope inside a signed envelope".into()));
        }
        if bytes.len() < HEADER_LEN || &bytes[..6] != MAGIC {
            return Err(LoadError::NotABundle);
        }
        let version = u16::from_le_bytes([bytes[6], bytes[7]]);
        if version != FORMAT_VERSION {
            return Err(LoadError::WrongVersion { found: version, expected: FORMAT_VERSION });
        }
        let len = u32::from_le_bytes([bytes[8], bytes[9], bytes[10], bytes[11]]) as usize;
        let sum = u32::from_le_bytes([bytes[12], bytes[13], bytes[14], bytes[15]]);
        let payload = &bytes[HEADER_LEN..];
        if payload.len() != len {
            return Err(LoadError::Corrupt(format!("payload is {} bytes, header says {len}", payload.len())));
        }
        if fnv1a32(payload) != sum {
            return Err(LoadError::Corrupt("checksum mismatch".into()));
        }
        let program: Program =
            postcard::from_bytes(payload).map_err(|e| LoadError::Corrupt(format!("undecodable payload: {e}")))?;
        program.check_limits()?;
        program.check_structure()?;
        Ok(program)
    }

    /// The counts of src/limits.rs, which the compiler enforces, hold for loaded bundles too.
    fn check_limits(&self) -> Result<(), LoadError> {
        use crate::limits::*;
        let variants: usize = self.slots.iter().map(|s| s.variants.len()).sum();
        let widest = self.slots.iter().map(|s| s.variants.len()).max().unwrap_or(0);
        let levels = self.tiers.iter().map(|t| t.levels.len()).max().unwrap_or(0);
        let counts = [
            ("slots", self.slots.len(), MAX_SLOTS),
            ("variants in a slot", widest, MAX_VARIANTS),
            ("variants", variants, MAX_TOTAL_VARIANTS),
            ("segments", self.segments.len(), MAX_SEGMENTS),
            ("tier tables", self.tiers.len(), MAX_TIERS),
            ("levels in a tier table", levels, MAX_TIER_LEVELS),
            ("expression nodes", self.nodes.len(), MAX_NODES),
            ("max_history", self.max_history as usize, MAX_HISTORY as usize),
        ];
        for (what, n, limit) in counts {
            if n > limit {
                return Err(LoadError::OverLimit(format!("{n} {what}, the limit is {limit}")));
            }
        }
        Ok(())
    }

    /// The invariants evaluation relies on: children before parents, references in range,
    /// bounded content depth. Linear in the bundle size.
    fn check_structure(&self) -> Result<(), LoadError> {
        let n = self.nodes.len() as u32;
        let bad = |what: String| Err(LoadError::Corrupt(what));
        // Compiled expressions are trees: a node shared by two parents could make
        // evaluation exponential in a crafted bundle, so sharing is rejected.
        let mut has_parent = vec![false; self.nodes.len()];
        // Levels of the tree each node roots: the compiler's nesting limit holds for loaded
        // bundles too, so a crafted chain of 100,000 `Not`s is refused here, not evaluated.
        let mut depth = vec![0u8; self.nodes.len()];
        let mut buf = [0; 3];
        for (i, node) in self.nodes.iter().enumerate() {
            let mut below = 0;
            for &c in node.children_in(&mut buf) {
                if c >= i as u32 {
                    return bad(format!("node {i} refers forward"));
                }
                if std::mem::replace(&mut has_parent[c as usize], true) {
                    return bad(format!("node {c} has two parents"));
                }
                below = below.max(depth[c as usize]);
            }
            if usize::from(below) >= crate::limits::MAX_EXPR_DEPTH {
                let depth = crate::limits::TooDeep { what: "expression", limit: crate::limits::MAX_EXPR_DEPTH };
                return Err(LoadError::TooDeep { node: i, depth });
            }
            depth[i] = below + 1;
            let query_ok = |q: &Query| (q.event as usize) < self.events.len();
            let ok = match node {
                Node::Agg(_, q) => query_ok(q),
                Node::Sequence(s) => query_ok(&s.first) && query_ok(&s.then),
                Node::Segment(s) => (*s as usize) < self.segments.len(),
                Node::Tier(t) => (*t as usize) < self.tiers.len(),
                _ => true,
            };
            if !ok {
                return bad(format!("node {i} refers to a missing event, segment or tier"));
            }
        }
        let root_ok = |r: &u32| *r < n;
        let roots_ok = self.segments.iter().all(|s| root_ok(&s.root))
            && self.tiers.iter().all(|t| t.levels.iter().all(|(_, w)| w.as_ref().is_none_or(root_ok)))
            && self.slots.iter().all(|s| {
                s.variants.iter().all(|v| {
                    v.when.as_ref().is_none_or(root_ok)
                        && v.score.as_ref().is_none_or(root_ok)
                        && v.vars.iter().all(|(_, r)| root_ok(r))
                })
            });
        if !roots_ok {
            return bad("a rule refers past the end of the node table".into());
        }
        // One stack for every content check: a bundle has a content per variant.
        let mut owed = Vec::with_capacity(MAX_CONTENT_DEPTH + 2);
        for slot in &self.slots {
            check_content(&slot.default_content, &mut owed)?;
            for v in &slot.variants {
                check_content(&v.content, &mut owed)?;
            }
        }
        Ok(())
    }
}

/// Content must be exactly one well-formed value, nested at most `MAX_CONTENT_DEPTH`.
fn check_content(content: &Content, owed: &mut Vec<u64>) -> Result<(), LoadError> {
    // Each stack entry: values still owed by an open container.
    owed.clear();
    owed.push(1);
    let mut toks = content.0.iter();
    if content.0.is_empty() {
        return Ok(());
    }
    while let Some(top) = owed.last_mut() {
        if *top == 0 {
            owed.pop();
            continue;
        }
        *top -= 1;
        let tok = toks.next().ok_or_else(|| LoadError::Corrupt("content ends early".into()))?;
        match tok {
            Tok::Arr(n) => owed.push(u64::from(*n)),
            Tok::Obj(n) => owed.push(u64::from(*n) * 2),
            _ => {}
        }
        if owed.len() > MAX_CONTENT_DEPTH + 1 {
            return Err(LoadError::Corrupt("content nested too deeply".into()));
        }
    }
    if toks.next().is_some() {
        return Err(LoadError::Corrupt("content has trailing tokens".into()));
    }
    Ok(())
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
        for node in &self.nodes {
            let within = match node {
                Node::Agg(_, q) => q.within,
                Node::Sequence(s) => s.first.within,
                _ => continue,
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
