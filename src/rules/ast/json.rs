//! The JSON spelling written by hand: expressions as one-key operator objects, literals,
//! property tests and content, read with depth limits and written back canonically.

use super::{AggOp, ArithOp, CmpOp, Expr, Json, Lit, PropTest, StrOp, OPERATORS};
use crate::limits::{Nesting, MAX_CONTENT_DEPTH, MAX_EXPR_DEPTH};
use serde::de::{self, Deserializer, MapAccess, SeqAccess, Visitor};
use serde::{Deserialize, Serialize};
use std::fmt;

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
