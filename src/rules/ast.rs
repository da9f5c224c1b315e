//! The rule language as written: a bundle of segments, tiers and slots whose
//! conditions are expression trees. JSON is one spelling of this tree (see
//! docs/rules.md); every JSON operator object has exactly one key, the operator.

use crate::limits::{Nesting, MAX_CONTENT_DEPTH, MAX_EXPR_DEPTH};
use serde::de::{self, Deserializer, MapAccess, SeqAccess, Visitor};
use serde::{Deserialize, Serialize};
use std::collections::BTreeMap;
use std::fmt;

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

impl CmpOp {
    /// Each operator with its JSON name.
    pub const ALL: [(CmpOp, &'static str); 6] = [
        (CmpOp::Eq, "eq"),
        (CmpOp::Ne, "ne"),
        (CmpOp::Gt, "gt"),
        (CmpOp::Gte, "gte"),
        (CmpOp::Lt, "lt"),
        (CmpOp::Lte, "lte"),
    ];
    /// The JSON name (`gte`).
    pub fn name(self) -> &'static str {
        CmpOp::ALL.iter().find(|(op, _)| *op == self).map_or("eq", |(_, n)| n)
    }
    /// The text language's symbol (`>=`).
    pub fn symbol(self) -> &'static str {
        match self {
            CmpOp::Eq => "==",
            CmpOp::Ne => "!=",
            CmpOp::Gt => ">",
            CmpOp::Gte => ">=",
            CmpOp::Lt => "<",
            CmpOp::Lte => "<=",
        }
    }
}

impl StrOp {
    /// Whether `haystack` passes this test against `needle` (case-sensitive).
    pub fn test(self, haystack: &str, needle: &str) -> bool {
        match self {
            StrOp::StartsWith => haystack.starts_with(needle),
            StrOp::EndsWith => haystack.ends_with(needle),
            StrOp::Contains => haystack.contains(needle),
        }
    }

    /// Each test with its JSON name.
    pub const ALL: [(StrOp, &'static str); 3] =
        [(StrOp::StartsWith, "starts_with"), (StrOp::EndsWith, "ends_with"), (StrOp::Contains, "contains")];
    /// The JSON name (`starts_with`).
    pub fn name(self) -> &'static str {
        StrOp::ALL.iter().find(|(op, _)| *op == self).map_or("contains", |(_, n)| n)
    }
}

impl ArithOp {
    /// Each operator with its JSON name.
    pub const ALL: [(ArithOp, &'static str); 4] =
        [(ArithOp::Add, "add"), (ArithOp::Sub, "sub"), (ArithOp::Mul, "mul"), (ArithOp::Div, "div")];
    /// The JSON name (`div`).
    pub fn name(self) -> &'static str {
        ArithOp::ALL.iter().find(|(op, _)| *op == self).map_or("add", |(_, n)| n)
    }
}

impl AggOp {
    /// Each aggregate with its JSON name.
    pub const ALL: [(AggOp, &'static str); 11] = [
        (AggOp::Count, "count"),
        (AggOp::Sum, "sum"),
        (AggOp::Min, "min"),
        (AggOp::Max, "max"),
        (AggOp::Avg, "avg"),
        (AggOp::Last, "last"),
        (AggOp::SinceLast, "since_last"),
        (AggOp::None, "none"),
        (AggOp::MeanInterval, "mean_interval"),
        (AggOp::MaxCountBy, "max_count_by"),
        (AggOp::Top, "top"),
    ];
    /// The JSON name (`since_last`).
    pub fn name(self) -> &'static str {
        AggOp::ALL.iter().find(|(op, _)| *op == self).map_or("count", |(_, n)| n)
    }
    /// Aggregates that read a property value and so need `prop`.
    pub fn needs_prop(self) -> bool {
        matches!(self, AggOp::Sum | AggOp::Min | AggOp::Max | AggOp::Avg | AggOp::Last | AggOp::MaxCountBy | AggOp::Top)
    }
}

/// Every operator name, for "did you mean" and the JSON Schema test.
pub const OPERATORS: &[&str] = &[
    "all",
    "and",
    "any",
    "or",
    "not",
    "eq",
    "ne",
    "gt",
    "gte",
    "lt",
    "lte",
    "between",
    "in",
    "exists",
    "missing",
    "starts_with",
    "ends_with",
    "contains",
    "lower",
    "round",
    "add",
    "sub",
    "mul",
    "div",
    "coalesce",
    "var",
    "score",
    "local_time_between",
    "weekday_in",
    "days_until",
    "days_since",
    "duration",
    "count",
    "sum",
    "min",
    "max",
    "avg",
    "last",
    "since_last",
    "none",
    "mean_interval",
    "max_count_by",
    "top",
    "sequence",
    "segment",
    "tier",
    "bucket",
];

// ---- JSON spelling -------------------------------------------------------

impl<'de> Deserialize<'de> for Expr {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        d.deserialize_any(ExprVisitor)
    }
}

struct ExprVisitor;

fn finite<E: de::Error>(v: f64) -> Result<f64, E> {
    if v.is_finite() {
        Ok(v)
    } else {
        Err(E::custom("expected a finite number"))
    }
}

impl<'de> Visitor<'de> for ExprVisitor {
    type Value = Expr;
    fn expecting(&self, f: &mut fmt::Formatter) -> fmt::Result {
        f.write_str("a literal (number, string, boolean), a list, or an operator object like {\"gte\": [a, b]}")
    }
    fn visit_bool<E: de::Error>(self, v: bool) -> Result<Expr, E> {
        Ok(Expr::Lit(Lit::Bool(v)))
    }
    fn visit_i64<E: de::Error>(self, v: i64) -> Result<Expr, E> {
        Ok(Expr::Lit(Lit::Num(v as f64)))
    }
    fn visit_u64<E: de::Error>(self, v: u64) -> Result<Expr, E> {
        Ok(Expr::Lit(Lit::Num(v as f64)))
    }
    fn visit_f64<E: de::Error>(self, v: f64) -> Result<Expr, E> {
        Ok(Expr::Lit(Lit::Num(finite(v)?)))
    }
    fn visit_str<E: de::Error>(self, v: &str) -> Result<Expr, E> {
        Ok(Expr::Lit(Lit::Str(v.to_owned())))
    }
    fn visit_seq<A: SeqAccess<'de>>(self, seq: A) -> Result<Expr, A::Error> {
        let _level = Nesting::enter(MAX_EXPR_DEPTH, "expression")?;
        Ok(Expr::List(LitListVisitor.visit_seq(seq)?))
    }
    fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<Expr, A::Error> {
        // Readers of JS values (wasm) have no recursion limit of their own: this is the one.
        let _level = Nesting::enter(MAX_EXPR_DEPTH, "expression")?;
        let op: String = map.next_key()?.ok_or_else(|| de::Error::custom("empty object: expected one operator key"))?;
        let expr = parse_operator(&op, &mut map)?;
        if map.next_key::<de::IgnoredAny>()?.is_some() {
            return Err(de::Error::custom(format!("operator object `{op}` must have exactly one key")));
        }
        Ok(expr)
    }
}

fn args<'de, A: MapAccess<'de>>(map: &mut A, op: &str, n: usize) -> Result<Vec<Expr>, A::Error> {
    let v: Vec<Expr> = map.next_value()?;
    if v.len() != n {
        return Err(de::Error::custom(format!("`{op}` takes {n} arguments, got {}", v.len())));
    }
    Ok(v)
}

fn parse_operator<'de, A: MapAccess<'de>>(op: &str, map: &mut A) -> Result<Expr, A::Error> {
    let b = Box::new;
    if let Some((cmp, _)) = CmpOp::ALL.iter().find(|(_, n)| *n == op) {
        let mut v = args(map, op, 2)?;
        let rhs = v.pop().unwrap_or(Expr::Lit(Lit::Bool(false)));
        let lhs = v.pop().unwrap_or(Expr::Lit(Lit::Bool(false)));
        return Ok(Expr::Cmp(*cmp, b(lhs), b(rhs)));
    }
    if let Some((sop, _)) = StrOp::ALL.iter().find(|(_, n)| *n == op) {
        let mut v = args(map, op, 2)?.into_iter();
        let (x, y) = (v.next(), v.next());
        return Ok(Expr::Str(
            *sop,
            b(x.unwrap_or(Expr::Lit(Lit::Bool(false)))),
            b(y.unwrap_or(Expr::Lit(Lit::Bool(false)))),
        ));
    }
    if let Some((aop, _)) = ArithOp::ALL.iter().find(|(_, n)| *n == op) {
        let v: Vec<Expr> = map.next_value()?;
        if v.len() < 2 || (matches!(aop, ArithOp::Sub | ArithOp::Div) && v.len() != 2) {
            return Err(de::Error::custom(format!(
                "`{op}` takes {} arguments, got {}",
                if matches!(aop, ArithOp::Sub | ArithOp::Div) { "2" } else { "2 or more" },
                v.len()
            )));
        }
        return Ok(Expr::Arith(*aop, v));
    }
    if let Some((agg, _)) = AggOp::ALL.iter().find(|(_, n)| *n == op) {
        return Ok(Expr::Agg(*agg, map.next_value()?));
    }
    Ok(match op {
        "all" | "and" => Expr::All(map.next_value()?),
        "any" | "or" => Expr::Any(map.next_value()?),
        "not" => Expr::Not(b(map.next_value()?)),
        "between" => {
            let mut v = args(map, op, 3)?.into_iter();
            let mut next = || b(v.next().unwrap_or(Expr::Lit(Lit::Bool(false))));
            Expr::Between(next(), next(), next())
        }
        "in" => {
            let (x, list): (Expr, LitList) = map.next_value()?;
            Expr::In(b(x), list.0)
        }
        "exists" => Expr::Exists(b(map.next_value()?)),
        "missing" => Expr::Missing(b(map.next_value()?)),
        "lower" => Expr::Lower(b(map.next_value()?)),
        "round" => {
            let (x, digits): (Expr, u32) = map.next_value()?;
            if digits > 6 {
                return Err(de::Error::custom(format!("`round` keeps 0–6 decimal places, not {digits}")));
            }
            Expr::Round(b(x), digits)
        }
        "coalesce" => Expr::Coalesce(map.next_value()?),
        "var" => Expr::Var(map.next_value()?),
        "score" => Expr::Score(map.next_value()?),
        "local_time_between" => {
            let (from, to): (String, String) = map.next_value()?;
            Expr::LocalTimeBetween(from, to)
        }
        "weekday_in" => Expr::WeekdayIn(map.next_value()?),
        "days_until" => Expr::DaysUntil(b(map.next_value()?)),
        "days_since" => Expr::DaysSince(b(map.next_value()?)),
        "duration" => Expr::Duration(map.next_value()?),
        "sequence" => Expr::Sequence(Box::new(map.next_value()?)),
        "segment" => Expr::Segment(map.next_value()?),
        "tier" => Expr::Tier(map.next_value()?),
        "bucket" => Expr::Bucket(map.next_value()?),
        other => {
            let hint = crate::suggest::nearest(other, OPERATORS.iter().copied())
                .map(|s| format!(" (did you mean `{s}`?)"))
                .unwrap_or_default();
            return Err(de::Error::custom(format!("unknown operator `{other}`{hint}")));
        }
    })
}

struct LitList(Vec<Lit>);
struct LitListVisitor;

impl<'de> Visitor<'de> for LitListVisitor {
    type Value = Vec<Lit>;
    fn expecting(&self, f: &mut fmt::Formatter) -> fmt::Result {
        f.write_str("a list of literals")
    }
    fn visit_seq<A: SeqAccess<'de>>(self, mut seq: A) -> Result<Vec<Lit>, A::Error> {
        let mut out = Vec::new();
        while let Some(l) = seq.next_element()? {
            out.push(l);
        }
        Ok(out)
    }
}

impl<'de> Deserialize<'de> for LitList {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        d.deserialize_seq(LitListVisitor).map(LitList)
    }
}

impl<'de> Deserialize<'de> for Lit {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        match Expr::deserialize(d)? {
            Expr::Lit(l) => Ok(l),
            _ => Err(de::Error::custom("expected a literal (number, string or boolean)")),
        }
    }
}

impl<'de> Deserialize<'de> for PropTest {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        d.deserialize_any(PropTestVisitor)
    }
}

struct PropTestVisitor;

impl<'de> Visitor<'de> for PropTestVisitor {
    type Value = PropTest;
    fn expecting(&self, f: &mut fmt::Formatter) -> fmt::Result {
        f.write_str(
            "a literal (equality), a list (one of), or a one-key test like {\"gte\": 100} or {\"contains\": \"shoe\"}",
        )
    }
    fn visit_bool<E: de::Error>(self, v: bool) -> Result<PropTest, E> {
        Ok(PropTest::Cmp(CmpOp::Eq, Lit::Bool(v)))
    }
    fn visit_i64<E: de::Error>(self, v: i64) -> Result<PropTest, E> {
        Ok(PropTest::Cmp(CmpOp::Eq, Lit::Num(v as f64)))
    }
    fn visit_u64<E: de::Error>(self, v: u64) -> Result<PropTest, E> {
        Ok(PropTest::Cmp(CmpOp::Eq, Lit::Num(v as f64)))
    }
    fn visit_f64<E: de::Error>(self, v: f64) -> Result<PropTest, E> {
        Ok(PropTest::Cmp(CmpOp::Eq, Lit::Num(finite(v)?)))
    }
    fn visit_str<E: de::Error>(self, v: &str) -> Result<PropTest, E> {
        Ok(PropTest::Cmp(CmpOp::Eq, Lit::Str(v.to_owned())))
    }
    fn visit_seq<A: SeqAccess<'de>>(self, seq: A) -> Result<PropTest, A::Error> {
        Ok(PropTest::In(LitListVisitor.visit_seq(seq)?))
    }
    fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<PropTest, A::Error> {
        let op: String = map.next_key()?.ok_or_else(|| de::Error::custom("empty object: expected one test key"))?;
        let test = if let Some((cmp, _)) = CmpOp::ALL.iter().find(|(_, n)| *n == op) {
            PropTest::Cmp(*cmp, map.next_value()?)
        } else if let Some((sop, _)) = StrOp::ALL.iter().find(|(_, n)| *n == op) {
            PropTest::Str(*sop, map.next_value()?)
        } else if op == "in" {
            PropTest::In(map.next_value::<LitList>()?.0)
        } else {
            return Err(de::Error::custom(format!(
                "unknown property test `{op}`: expected eq, ne, gt, gte, lt, lte, in, starts_with, ends_with or contains"
            )));
        };
        if map.next_key::<de::IgnoredAny>()?.is_some() {
            return Err(de::Error::custom("a property test has exactly one key"));
        }
        Ok(test)
    }
}

impl<'de> Deserialize<'de> for Json {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        d.deserialize_any(JsonVisitor)
    }
}

struct JsonVisitor;

impl<'de> Visitor<'de> for JsonVisitor {
    type Value = Json;
    fn expecting(&self, f: &mut fmt::Formatter) -> fmt::Result {
        f.write_str("JSON content")
    }
    fn visit_unit<E: de::Error>(self) -> Result<Json, E> {
        Ok(Json::Null)
    }
    fn visit_none<E: de::Error>(self) -> Result<Json, E> {
        Ok(Json::Null)
    }
    fn visit_bool<E: de::Error>(self, v: bool) -> Result<Json, E> {
        Ok(Json::Bool(v))
    }
    fn visit_i64<E: de::Error>(self, v: i64) -> Result<Json, E> {
        Ok(Json::Num(v as f64))
    }
    fn visit_u64<E: de::Error>(self, v: u64) -> Result<Json, E> {
        Ok(Json::Num(v as f64))
    }
    fn visit_f64<E: de::Error>(self, v: f64) -> Result<Json, E> {
        Ok(Json::Num(finite(v)?))
    }
    fn visit_str<E: de::Error>(self, v: &str) -> Result<Json, E> {
        Ok(Json::Str(v.to_owned()))
    }
    fn visit_seq<A: SeqAccess<'de>>(self, mut seq: A) -> Result<Json, A::Error> {
        let _level = Nesting::enter(MAX_CONTENT_DEPTH, "content")?;
        let mut out = Vec::new();
        while let Some(v) = seq.next_element()? {
            out.push(v);
        }
        Ok(Json::Arr(out))
    }
    fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<Json, A::Error> {
        let _level = Nesting::enter(MAX_CONTENT_DEPTH, "content")?;
        let mut out = Vec::new();
        while let Some((k, v)) = map.next_entry()? {
            out.push((k, v));
        }
        Ok(Json::Obj(out))
    }
}

// Serialization back to the JSON spelling (for `kairos fmt` and round trips).

impl Serialize for Lit {
    fn serialize<S: serde::Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        match self {
            Lit::Num(n) => s.serialize_f64(*n),
            Lit::Str(v) => s.serialize_str(v),
            Lit::Bool(v) => s.serialize_bool(*v),
        }
    }
}

impl Serialize for PropTest {
    fn serialize<S: serde::Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        use serde::ser::SerializeMap;
        match self {
            PropTest::Cmp(CmpOp::Eq, l) => l.serialize(s),
            PropTest::Cmp(op, l) => {
                let mut m = s.serialize_map(Some(1))?;
                m.serialize_entry(op.name(), l)?;
                m.end()
            }
            PropTest::In(list) => list.serialize(s),
            PropTest::Str(op, v) => {
                let mut m = s.serialize_map(Some(1))?;
                m.serialize_entry(op.name(), v)?;
                m.end()
            }
        }
    }
}

impl Serialize for Json {
    fn serialize<S: serde::Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        use serde::ser::{SerializeMap, SerializeSeq};
        match self {
            Json::Null => s.serialize_unit(),
            Json::Bool(v) => s.serialize_bool(*v),
            // Whole numbers print without `.0`; -0 keeps its sign so it reads back as written.
            Json::Num(n) if n.fract() == 0.0 && n.abs() < 9e15 && !(*n == 0.0 && n.is_sign_negative()) => {
                s.serialize_i64(*n as i64)
            }
            Json::Num(n) => s.serialize_f64(*n),
            Json::Str(v) => s.serialize_str(v),
            Json::Arr(items) => {
                let mut seq = s.serialize_seq(Some(items.len()))?;
                for item in items {
                    seq.serialize_element(item)?;
                }
                seq.end()
            }
            Json::Obj(entries) => {
                let mut m = s.serialize_map(Some(entries.len()))?;
                for (k, v) in entries {
                    m.serialize_entry(k, v)?;
                }
                m.end()
            }
        }
    }
}

impl Serialize for Expr {
    fn serialize<S: serde::Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        use serde::ser::SerializeMap;
        fn one<S: serde::Serializer, V: Serialize + ?Sized>(s: S, k: &str, v: &V) -> Result<S::Ok, S::Error> {
            let mut m = s.serialize_map(Some(1))?;
            m.serialize_entry(k, v)?;
            m.end()
        }
        match self {
            Expr::Lit(l) => l.serialize(s),
            Expr::List(l) => l.serialize(s),
            Expr::All(v) => one(s, "all", v),
            Expr::Any(v) => one(s, "any", v),
            Expr::Not(e) => one(s, "not", e),
            Expr::Cmp(op, a, b) => one(s, op.name(), &[a, b]),
            Expr::Between(x, lo, hi) => one(s, "between", &[x, lo, hi]),
            Expr::In(x, list) => one(s, "in", &(x, list)),
            Expr::Exists(e) => one(s, "exists", e),
            Expr::Missing(e) => one(s, "missing", e),
            Expr::Str(op, a, b) => one(s, op.name(), &[a, b]),
            Expr::Lower(e) => one(s, "lower", e),
            Expr::Round(e, d) => one(s, "round", &(e, d)),
            Expr::Arith(op, v) => one(s, op.name(), v),
            Expr::Coalesce(v) => one(s, "coalesce", v),
            Expr::Var(v) => one(s, "var", v),
            Expr::Score(r) => one(s, "score", r),
            Expr::LocalTimeBetween(a, b) => one(s, "local_time_between", &[a, b]),
            Expr::WeekdayIn(v) => one(s, "weekday_in", v),
            Expr::DaysUntil(e) => one(s, "days_until", e),
            Expr::DaysSince(e) => one(s, "days_since", e),
            Expr::Duration(d) => one(s, "duration", d),
            Expr::Agg(op, q) => one(s, op.name(), q),
            Expr::Sequence(q) => one(s, "sequence", q),
            Expr::Segment(n) => one(s, "segment", n),
            Expr::Tier(n) => one(s, "tier", n),
            Expr::Bucket(n) => one(s, "bucket", n),
        }
    }
}
