//! Operator names: each operator with its JSON name (and text symbol), and every operator name.

use super::{AggOp, ArithOp, CmpOp, StrOp};

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
