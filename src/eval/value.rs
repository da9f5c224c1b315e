//! Values during evaluation, three-valued truth, and how values compare.

use crate::ast::CmpOp;
use crate::context::{Event, Scalar};
use crate::program::{Lit, PropTest};
use std::borrow::Cow;

/// A value during evaluation.
#[derive(Debug, Clone, PartialEq)]
pub enum Val<'a> {
    /// A number.
    Num(f64),
    /// A string, borrowed from the context where it can be.
    Str(Cow<'a, str>),
    /// A boolean.
    Bool(bool),
    /// Missing, unusable or undecidable: a rule over it is unknown.
    Unknown,
}

/// Three-valued truth.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Tri {
    /// Holds.
    True,
    /// Does not hold.
    False,
    /// Cannot be decided: a signal it needs is missing.
    Unknown,
}

impl Tri {
    /// `true`, `false` or `unknown`, as explanations print it.
    pub fn as_str(self) -> &'static str {
        match self {
            Tri::True => "true",
            Tri::False => "false",
            Tri::Unknown => "unknown",
        }
    }
}

impl From<bool> for Tri {
    fn from(b: bool) -> Tri {
        if b {
            Tri::True
        } else {
            Tri::False
        }
    }
}

impl Val<'_> {
    pub(super) fn truth(&self) -> Tri {
        match self {
            Val::Bool(b) => Tri::from(*b),
            _ => Tri::Unknown,
        }
    }
    /// Display form for explanations and content.
    pub fn render(&self) -> String {
        match self {
            Val::Num(n) => fmt_num(*n),
            Val::Str(s) => s.to_string(),
            Val::Bool(b) => b.to_string(),
            Val::Unknown => "unknown".into(),
        }
    }
}

/// A number as rules and templates print it: whole numbers without a fraction.
pub fn fmt_num(n: f64) -> String {
    if n.fract() == 0.0 && n.abs() < 1e15 {
        format!("{}", n as i64)
    } else {
        format!("{n}")
    }
}

pub(super) fn lit_val(l: &Lit) -> Val<'_> {
    match l {
        Lit::Num(n) => Val::Num(*n),
        Lit::Str(s) => Val::Str(Cow::Borrowed(s)),
        Lit::Bool(b) => Val::Bool(*b),
    }
}

pub(super) fn scalar_val(s: &Scalar) -> Val<'_> {
    match s {
        Scalar::Null => Val::Unknown,
        Scalar::Bool(b) => Val::Bool(*b),
        Scalar::Num(n) => Val::Num(*n),
        Scalar::Str(s) => Val::Str(Cow::Borrowed(s)),
    }
}

pub(super) fn tri_val<'a>(t: Tri) -> Val<'a> {
    match t {
        Tri::True => Val::Bool(true),
        Tri::False => Val::Bool(false),
        Tri::Unknown => Val::Unknown,
    }
}

/// Numbers compare numerically, strings exactly (ordering by bytes), booleans by equality;
/// a numeric string compares as its number. Other mixed kinds are unequal, and ordering them is unknown.
pub fn compare(op: CmpOp, a: &Val, b: &Val) -> Val<'static> {
    use std::cmp::Ordering;
    let ord: Option<Ordering> = match (a, b) {
        (Val::Unknown, _) | (_, Val::Unknown) => return Val::Unknown,
        (Val::Num(x), Val::Num(y)) => x.partial_cmp(y),
        (Val::Str(x), Val::Str(y)) => Some(x.cmp(y)),
        (Val::Bool(x), Val::Bool(y)) if matches!(op, CmpOp::Eq | CmpOp::Ne) => Some(x.cmp(y)),
        // Profiles often carry numbers as strings ("120.00"): compare those numerically.
        (Val::Num(x), Val::Str(y)) => y.trim().parse::<f64>().ok().and_then(|y| x.partial_cmp(&y)),
        (Val::Str(x), Val::Num(y)) => x.trim().parse::<f64>().ok().and_then(|x| x.partial_cmp(y)),
        _ => None,
    };
    // Ordering values of different kinds has no answer: unknown, never a silent false.
    if ord.is_none() && !matches!(op, CmpOp::Eq | CmpOp::Ne) {
        return Val::Unknown;
    }
    Val::Bool(match (op, ord) {
        (CmpOp::Eq, o) => o == Some(Ordering::Equal),
        (CmpOp::Ne, o) => o != Some(Ordering::Equal),
        (_, None) => false,
        (CmpOp::Gt, Some(o)) => o == Ordering::Greater,
        (CmpOp::Gte, Some(o)) => o != Ordering::Less,
        (CmpOp::Lt, Some(o)) => o == Ordering::Less,
        (CmpOp::Lte, Some(o)) => o != Ordering::Greater,
    })
}

/// Property filters: every listed property must pass; an absent property fails.
pub fn props_match(e: &Event, filter: &[(String, PropTest)]) -> bool {
    filter.iter().all(|(name, test)| {
        let Some(v) = e.prop(name) else { return false };
        let v = scalar_val(v);
        match test {
            // `compare` equates numeric strings with numbers: analytics tools send ids either way.
            PropTest::Cmp(op, l) => compare(*op, &v, &lit_val(l)) == Val::Bool(true),
            PropTest::In(list) => list.iter().any(|l| compare(CmpOp::Eq, &v, &lit_val(l)) == Val::Bool(true)),
            PropTest::Str(op, s) => match &v {
                Val::Str(x) => op.test(x, s),
                _ => false,
            },
        }
    })
}
