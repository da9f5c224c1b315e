//! The rule language as written: a bundle of segments, tiers and slots whose
//! conditions are expression trees. JSON is one spelling of this tree (see
//! docs/rules.md); every JSON operator object has exactly one key, the operator.

// The tree is defined here, with the derived serde spelling of its structs; `ops` holds the
// operators' names and `json` the hand-written JSON spelling of the enums (one-key operator
// objects, property tests, content). `json` uses `ops`, never the other way round.

mod json;
mod ops;

pub use ops::OPERATORS;

use serde::{Deserialize, Serialize};
use std::collections::BTreeMap;

/// A whole rule bundle, as authored.
#[derive(Debug, Clone, PartialEq, Deserialize, Serialize)]
#[serde(deny_unknown_fields)]
pub struct Bundle {
    /// Language version; must be 1.
    pub kairos: u32,
    /// A label for logs and explanations.
    #[serde(default, skip_serializing_if = "String::is_empty")]
    pub name: String,
    /// Zone used when a context has neither a time zone nor an offset.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub default_timezone: Option<String>,
    /// Share of customers who always get defaults, to measure lift.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub holdout: Option<Holdout>,
    /// Most recent events read from a context's history (older ones are dropped).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub max_history: Option<u32>,
    /// Named conditions that rules and other segments refer to (`{"segment": "name"}`).
    #[serde(default, skip_serializing_if = "BTreeMap::is_empty")]
    pub segments: BTreeMap<String, Expr>,
    /// Tier tables: named, ordered levels (`{"tier": "name"}` gives the first level that holds).
    #[serde(default, skip_serializing_if = "BTreeMap::is_empty")]
    pub tiers: BTreeMap<String, Vec<TierLevel>>,
    /// The slots a decision fills, each with a default and variants.
    pub slots: BTreeMap<String, Slot>,
}

/// Who is held out of personalisation.
#[derive(Debug, Clone, PartialEq, Deserialize, Serialize)]
#[serde(deny_unknown_fields)]
pub struct Holdout {
    /// Salt of the bucket that places a customer in the holdout (docs/bucketing.md).
    pub salt: String,
    /// 0–100, may be fractional (0.5 = one customer in two hundred).
    pub percent: f64,
}

/// One level of a tier table: the first level whose `when` holds names the tier.
#[derive(Debug, Clone, PartialEq, Deserialize, Serialize)]
#[serde(deny_unknown_fields)]
pub struct TierLevel {
    /// The level's name: the tier's value when this level is the first that holds.
    pub name: String,
    /// Condition; absent = catch-all (the last level, usually).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub when: Option<Expr>,
}

/// A place on a page or in an email that shows one variant.
#[derive(Debug, Clone, PartialEq, Deserialize, Serialize)]
#[serde(deny_unknown_fields)]
pub struct Slot {
    /// What everyone gets when no variant applies.
    pub default: DefaultVariant,
    /// Candidates, in order (the last tie-break).
    #[serde(default)]
    pub variants: Vec<Variant>,
}

/// A slot's fallback: always eligible, rendered without data.
#[derive(Debug, Clone, PartialEq, Deserialize, Serialize)]
#[serde(deny_unknown_fields)]
pub struct DefaultVariant {
    /// Its id, as decisions report it.
    pub id: String,
    /// What it shows; may not use templates.
    #[serde(default)]
    pub content: Json,
}

/// One candidate for a slot.
#[derive(Debug, Clone, PartialEq, Deserialize, Serialize)]
#[serde(deny_unknown_fields)]
pub struct Variant {
    /// Its id, unique in the slot: what exposures and conversions name.
    pub id: String,
    /// Eligibility; absent means always eligible.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub when: Option<Expr>,
    /// Higher wins among eligible variants (default 0).
    #[serde(default)]
    pub priority: i32,
    /// Ranks eligible variants of equal priority (higher wins).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub score: Option<Expr>,
    /// What it shows: JSON whose strings may hold `{{…}}` templates.
    #[serde(default)]
    pub content: Json,
    /// Values computed for the winner and substituted into `{{name}}` in content strings.
    #[serde(default, skip_serializing_if = "BTreeMap::is_empty")]
    pub vars: BTreeMap<String, Expr>,
    /// Frequency cap: not shown again past `max` exposures within a window.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub cap: Option<Cap>,
    /// Not shown again once a `$conversion` event names this variant.
    #[serde(default, skip_serializing_if = "std::ops::Not::not")]
    pub suppress_after_conversion: bool,
}

/// At most `max` exposures within `within` (a duration such as `7d`).
#[derive(Debug, Clone, PartialEq, Deserialize, Serialize)]
#[serde(deny_unknown_fields)]
pub struct Cap {
    /// Most exposures allowed in the window.
    pub max: u32,
    /// The window, a duration such as `7d`.
    pub within: String,
}

/// Content payloads: plain JSON, kept in a form postcard can store.
#[derive(Debug, Clone, PartialEq, Default)]
pub enum Json {
    /// `null`.
    #[default]
    Null,
    /// A boolean.
    Bool(bool),
    /// A number (finite).
    Num(f64),
    /// A string; may hold templates.
    Str(String),
    /// An array.
    Arr(Vec<Json>),
    /// An object, its keys in written order.
    Obj(Vec<(String, Json)>),
}

/// A literal value in a rule.
#[derive(Debug, Clone, PartialEq)]
pub enum Lit {
    /// A number (finite).
    Num(f64),
    /// A string.
    Str(String),
    /// A boolean.
    Bool(bool),
}

/// Comparison operators.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub enum CmpOp {
    /// `eq`: equal.
    Eq,
    /// `ne`: not equal.
    Ne,
    /// `gt`: greater than.
    Gt,
    /// `gte`: greater than or equal.
    Gte,
    /// `lt`: less than.
    Lt,
    /// `lte`: less than or equal.
    Lte,
}

/// String tests.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub enum StrOp {
    /// `starts_with`.
    StartsWith,
    /// `ends_with`.
    EndsWith,
    /// `contains`.
    Contains,
}

/// Arithmetic. Division by zero is unknown; `coalesce` picks a fallback.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub enum ArithOp {
    /// `add`: the sum.
    Add,
    /// `sub`: the first minus the others.
    Sub,
    /// `mul`: the product.
    Mul,
    /// `div`: the first divided by the others.
    Div,
}

/// Aggregates over the event history.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub enum AggOp {
    /// Number of matching events.
    Count,
    /// Sum of `prop` over matching events.
    Sum,
    /// Smallest `prop` of the matching events.
    Min,
    /// Largest `prop` of the matching events.
    Max,
    /// Mean `prop` of the matching events.
    Avg,
    /// Property of the most recent matching event.
    Last,
    /// Duration since the most recent matching event.
    SinceLast,
    /// True when no event matches (absence).
    None,
    /// Mean time between consecutive matching events.
    MeanInterval,
    /// Largest number of matching events sharing one value of `prop`.
    MaxCountBy,
    /// Most frequent value of `prop` (ties: the most recent).
    Top,
}

/// Which events an aggregate reads.
#[derive(Debug, Clone, PartialEq, Deserialize, Serialize)]
#[serde(deny_unknown_fields)]
pub struct EventQuery {
    /// Event name (normalised: case and separators do not matter).
    pub event: String,
    /// Only events this recent (a duration); absent = the whole history read.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub within: Option<String>,
    /// Property tests each event must pass (JSON `where`).
    #[serde(default, rename = "where", skip_serializing_if = "BTreeMap::is_empty")]
    pub filter: BTreeMap<String, PropTest>,
    /// The property aggregates read (`sum`, `avg`, `last`, `top`…).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub prop: Option<String>,
}

/// A test on one event property: a literal means equality.
#[derive(Debug, Clone, PartialEq)]
pub enum PropTest {
    /// Compares the property with a literal (a bare literal means `eq`).
    Cmp(CmpOp, Lit),
    /// The property is one of these literals.
    In(Vec<Lit>),
    /// A string test against the property.
    Str(StrOp, String),
}

/// `first` then (`then`, or no `then_not`) within `gap` after it.
#[derive(Debug, Clone, PartialEq, Deserialize, Serialize)]
#[serde(deny_unknown_fields)]
pub struct Sequence {
    /// The event that starts the sequence.
    pub first: EventQuery,
    /// An event that must follow `first` within `gap`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub then: Option<EventQuery>,
    /// An event that must not follow `first` within `gap` (abandonment).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub then_not: Option<EventQuery>,
    /// The longest time after `first`, a duration.
    pub gap: String,
}

/// A cached model score in the context (`{"score": {...}}`).
#[derive(Debug, Clone, PartialEq, Deserialize, Serialize)]
#[serde(deny_unknown_fields)]
pub struct ScoreRef {
    /// The score's name in the context's `scores`.
    pub name: String,
    /// Oldest accepted score, a duration: an older one is unknown.
    pub max_age: String,
}

/// An expression: a condition (true/false/unknown) or a value.
#[derive(Debug, Clone, PartialEq)]
pub enum Expr {
    /// A literal value.
    Lit(Lit),
    /// A list of literals (the right side of `in`).
    List(Vec<Lit>),
    /// `all`: true when every operand is.
    All(Vec<Expr>),
    /// `any`: true when some operand is.
    Any(Vec<Expr>),
    /// `not`: negation; unknown stays unknown.
    Not(Box<Expr>),
    /// A comparison of two values.
    Cmp(CmpOp, Box<Expr>, Box<Expr>),
    /// `between`: `lo <= x <= hi`, as (x, lo, hi).
    Between(Box<Expr>, Box<Expr>, Box<Expr>),
    /// `in`: whether a value is one of the literals.
    In(Box<Expr>, Vec<Lit>),
    /// `exists`: whether a value is known (never unknown itself).
    Exists(Box<Expr>),
    /// `missing`: whether a value is unknown (never unknown itself).
    Missing(Box<Expr>),
    /// A string test: (op, haystack, needle).
    Str(StrOp, Box<Expr>, Box<Expr>),
    /// `lower`: a string lower-cased.
    Lower(Box<Expr>),
    /// `{"round": [x, digits]}`: half away from zero, 0–6 decimal places (money: 2).
    Round(Box<Expr>, u32),
    /// Arithmetic, left to right over the operands.
    Arith(ArithOp, Vec<Expr>),
    /// `coalesce`: the first known operand.
    Coalesce(Vec<Expr>),
    /// `var`: a signal or context path (`session.device`, `profile.tier`).
    Var(String),
    /// `score`: a cached model score, if fresh enough.
    Score(ScoreRef),
    /// `local_time_between`: local wall time in `[from, to)`, `HH:MM`; wraps midnight when from > to.
    LocalTimeBetween(String, String),
    /// `weekday_in`: the local weekday is one of these (`mon`…`sun`).
    WeekdayIn(Vec<String>),
    /// `days_until`: fractional days from now until a timestamp.
    DaysUntil(Box<Expr>),
    /// `days_since`: fractional days since a timestamp.
    DaysSince(Box<Expr>),
    /// `duration`: a duration literal such as `30d`.
    Duration(String),
    /// An aggregate over the event history.
    Agg(AggOp, EventQuery),
    /// `sequence`: one event followed (or not) by another.
    Sequence(Box<Sequence>),
    /// `segment`: a named condition of the bundle.
    Segment(String),
    /// `tier`: the first level of a tier table that holds.
    Tier(String),
    /// `bucket`: the customer's bucket 0–9999 for a salt.
    Bucket(String),
}
