//! [`Bundle`] → canonical text. Whatever the printer writes, the parser reads
//! back to the same bundle: parentheses keep every grouping, words that could
//! be read as keywords are quoted, and numbers print in their shortest exact form.
//! The printer stays one file (under 400 lines) because it is read as a whole against the
//! parser: its precedence levels, parentheses and quoting each mirror a rule of the grammar.

use super::lex::quote;
use super::words::{alias_of, is_bare_path, is_simple_word};
use crate::rules::ast::*;
use std::fmt::Write;

/// Comment lines to print before an item (`header`, `segment:x`, `slot:y`, `variant:y:0`, `end`).
pub type Comments = [(String, Vec<String>)];

pub fn bundle(b: &Bundle, comments: &Comments) -> String {
    let mut out = String::new();
    let note = |out: &mut String, key: &str, indent: &str| {
        for (k, lines) in comments {
            if k == key {
                for line in lines {
                    let _ = writeln!(out, "{indent}{line}");
                }
            }
        }
    };
    note(&mut out, "header", "");
    let _ = writeln!(out, "kairos {}", b.kairos);
    if !b.name.is_empty() {
        let _ = writeln!(out, "name {}", quote(&b.name));
    }
    if let Some(tz) = &b.default_timezone {
        let _ = writeln!(out, "timezone {}", quote(tz));
    }
    if let Some(h) = &b.holdout {
        let _ = writeln!(out, "holdout {}% salt {}", num(h.percent), name(&h.salt));
    }
    if let Some(n) = b.max_history {
        let _ = writeln!(out, "max history {n}");
    }
    for (n, e) in &b.segments {
        out.push('\n');
        note(&mut out, &format!("segment:{n}"), "");
        let _ = writeln!(out, "segment {}:", name(n));
        block(&mut out, e, "  ", "  ");
    }
    for (n, levels) in &b.tiers {
        out.push('\n');
        note(&mut out, &format!("tier:{n}"), "");
        let _ = writeln!(out, "tier {}:", name(n));
        for level in levels {
            match &level.when {
                Some(e) => block(&mut out, e, &format!("  {} when ", name(&level.name)), "    "),
                None => {
                    let _ = writeln!(out, "  {} otherwise", name(&level.name));
                }
            }
        }
    }
    for (n, slot) in &b.slots {
        out.push('\n');
        note(&mut out, &format!("slot:{n}"), "");
        let _ = writeln!(out, "slot {}:", name(n));
        let _ = writeln!(out, "  default {}", name(&slot.default.id));
        if slot.default.content != Json::Null {
            content(&mut out, &slot.default.content, "    ");
        }
        for (i, v) in slot.variants.iter().enumerate() {
            note(&mut out, &format!("variant:{n}:{i}"), "  ");
            variant(&mut out, v);
        }
    }
    note(&mut out, "end", "");
    out
}

fn variant(out: &mut String, v: &Variant) {
    let _ = writeln!(out, "  variant {}:", name(&v.id));
    if let Some(e) = &v.when {
        block(out, e, "    when ", "      ");
    }
    if v.priority != 0 {
        let _ = writeln!(out, "    priority {}", v.priority);
    }
    if let Some(e) = &v.score {
        let _ = writeln!(out, "    score {}", expr(e, 0));
    }
    for (k, e) in &v.vars {
        let _ = writeln!(out, "    set {} = {}", name(k), expr(e, 0));
    }
    if let Some(cap) = &v.cap {
        let _ = writeln!(out, "    cap {} per {}", cap.max, duration(&cap.within));
    }
    if v.suppress_after_conversion {
        out.push_str("    suppress after conversion\n");
    }
    if v.content != Json::Null {
        content(out, &v.content, "    ");
    }
}

/// A condition on its own lines: a top-level `and`/`or` chain puts one part per line.
fn block(out: &mut String, e: &Expr, first: &str, indent: &str) {
    let (word, items) = match e {
        Expr::All(items) if items.len() >= 2 => ("and", items),
        Expr::Any(items) if items.len() >= 2 => ("or", items),
        _ => {
            let _ = writeln!(out, "{first}{}", expr(e, 0));
            return;
        }
    };
    let min = if word == "and" { 2 } else { 1 };
    for (i, item) in items.iter().enumerate() {
        if i == 0 {
            let _ = writeln!(out, "{first}{}", expr(item, min));
        } else {
            let _ = writeln!(out, "{indent}{word} {}", expr(item, min));
        }
    }
}

fn content(out: &mut String, json: &Json, indent: &str) {
    out.push_str(indent);
    out.push_str("content ");
    json_value(out, json, indent);
    out.push('\n');
}

fn json_value(out: &mut String, j: &Json, indent: &str) {
    match j {
        Json::Null => out.push_str("null"),
        Json::Bool(b) => out.push_str(if *b { "true" } else { "false" }),
        Json::Num(n) => out.push_str(&num(*n)),
        Json::Str(s) => out.push_str(&quote(s)),
        Json::Arr(items) if items.is_empty() => out.push_str("[]"),
        Json::Obj(entries) if entries.is_empty() => out.push_str("{}"),
        Json::Arr(items) => {
            let inner = format!("{indent}  ");
            out.push('[');
            for (i, item) in items.iter().enumerate() {
                out.push_str(if i == 0 { "\n" } else { ",\n" });
                out.push_str(&inner);
                json_value(out, item, &inner);
            }
            let _ = write!(out, "\n{indent}]");
        }
        Json::Obj(entries) => {
            let inner = format!("{indent}  ");
            out.push('{');
            for (i, (k, v)) in entries.iter().enumerate() {
                out.push_str(if i == 0 { "\n" } else { ",\n" });
                let _ = write!(out, "{inner}{}: ", quote(k));
                json_value(out, v, &inner);
            }
            let _ = write!(out, "\n{indent}}}");
        }
    }
}

/// Shortest text that parses back to exactly `n` (Rust prints no exponent).
fn num(n: f64) -> String {
    format!("{n}")
}

/// A name: bare when the lexer reads it back as that one word, quoted otherwise.
fn name(s: &str) -> String {
    if is_simple_word(s) {
        s.to_owned()
    } else {
        quote(s)
    }
}

/// Durations as written when they read back as one duration token (`48h`, `1h30m`).
fn is_bare_duration(s: &str) -> bool {
    let digits = s.bytes().take_while(u8::is_ascii_digit).count();
    let rest = &s.as_bytes()[digits..];
    digits > 0
        && rest.first().is_some_and(|c| c.is_ascii_alphabetic())
        && !(matches!(rest.first(), Some(b'e' | b'E')) && rest.get(1).is_some_and(|c| c.is_ascii_digit()))
        && rest.iter().all(u8::is_ascii_alphanumeric)
}

fn duration(s: &str) -> String {
    if is_bare_duration(s) {
        s.to_owned()
    } else {
        quote(s)
    }
}

fn is_clock(s: &str) -> bool {
    let b = s.as_bytes();
    let digits = b.iter().take_while(|c| c.is_ascii_digit()).count();
    digits > 0 && b.len() == digits + 3 && b[digits] == b':' && b[digits + 1..].iter().all(u8::is_ascii_digit)
}

/// A literal where bare words are strings (after `is`, in lists and event filters).
fn literal(l: &Lit) -> String {
    match l {
        Lit::Num(n) => num(*n),
        Lit::Bool(b) => b.to_string(),
        Lit::Str(s) => name(s),
    }
}

fn list(items: &[Lit]) -> String {
    let parts: Vec<String> = items.iter().map(literal).collect();
    format!("[{}]", parts.join(", "))
}

/// Binding strength: 0 or, 1 and, 2 not, 3 tests, 4 + -, 5 * /, 6 everything else.
fn level(e: &Expr) -> u8 {
    match e {
        Expr::Any(v) if v.len() >= 2 => 0,
        Expr::All(v) if v.len() >= 2 => 1,
        Expr::Not(inner) if !matches!(**inner, Expr::In(..)) => 2,
        Expr::Not(_)
        | Expr::Cmp(..)
        | Expr::Between(..)
        | Expr::In(..)
        | Expr::Exists(_)
        | Expr::Missing(_)
        | Expr::Str(..)
        | Expr::LocalTimeBetween(..)
        | Expr::WeekdayIn(_) => 3,
        Expr::Arith(op, v) if infix(*op, v.len()) => match op {
            ArithOp::Add | ArithOp::Sub => 4,
            _ => 5,
        },
        _ => 6,
    }
}

fn infix(op: ArithOp, n: usize) -> bool {
    match op {
        ArithOp::Add | ArithOp::Mul => n >= 2,
        ArithOp::Sub | ArithOp::Div => n == 2,
    }
}

fn args(items: &[Expr]) -> String {
    items.iter().map(|e| expr(e, 0)).collect::<Vec<_>>().join(", ")
}

/// `e` printed where only expressions binding at least as tightly as `min` may stand.
pub fn expr(e: &Expr, min: u8) -> String {
    let text = bare(e);
    if level(e) < min {
        format!("({text})")
    } else {
        text
    }
}

fn bare(e: &Expr) -> String {
    match e {
        Expr::Lit(Lit::Num(n)) => num(*n),
        Expr::Lit(Lit::Bool(b)) => b.to_string(),
        Expr::Lit(Lit::Str(s)) => quote(s),
        Expr::List(items) => list(items),
        Expr::Any(v) if v.len() >= 2 => v.iter().map(|x| expr(x, 1)).collect::<Vec<_>>().join(" or "),
        Expr::All(v) if v.len() >= 2 => v.iter().map(|x| expr(x, 2)).collect::<Vec<_>>().join(" and "),
        Expr::Any(v) => format!("any({})", args(v)),
        Expr::All(v) => format!("all({})", args(v)),
        Expr::Not(inner) => match &**inner {
            Expr::In(x, l) => format!("{} not in {}", expr(x, 4), list(l)),
            other => format!("not {}", expr(other, 2)),
        },
        Expr::Cmp(op, a, b) => match (op, &**b) {
            (CmpOp::Eq, Expr::Lit(l)) => format!("{} is {}", expr(a, 4), literal(l)),
            (CmpOp::Ne, Expr::Lit(l)) => format!("{} is not {}", expr(a, 4), literal(l)),
            _ => format!("{} {} {}", expr(a, 4), op.symbol(), expr(b, 4)),
        },
        Expr::Between(x, lo, hi) => format!("{} between {} and {}", expr(x, 4), expr(lo, 4), expr(hi, 4)),
        Expr::In(x, l) => format!("{} in {}", expr(x, 4), list(l)),
        Expr::Exists(x) => format!("{} is present", expr(x, 4)),
        Expr::Missing(x) => format!("{} is missing", expr(x, 4)),
        Expr::Str(op, a, b) => {
            let word = match op {
                StrOp::Contains => "contains",
                StrOp::StartsWith => "starts with",
                StrOp::EndsWith => "ends with",
            };
            format!("{} {word} {}", expr(a, 4), expr(b, 4))
        }
        Expr::Lower(x) => format!("lower({})", expr(x, 0)),
        Expr::Round(x, d) => format!("round({}, {d})", expr(x, 0)),
        Expr::Arith(op, v) if infix(*op, v.len()) => {
            let (sym, min) = match op {
                ArithOp::Add => (" + ", 5),
                ArithOp::Sub => (" - ", 5),
                ArithOp::Mul => (" * ", 6),
                ArithOp::Div => (" / ", 6),
            };
            v.iter().map(|x| expr(x, min)).collect::<Vec<_>>().join(sym)
        }
        Expr::Arith(op, v) => format!("{}({})", op.name(), args(v)),
        Expr::Coalesce(v) => format!("coalesce({})", args(v)),
        Expr::Var(path) => match alias_of(path) {
            Some(alias) => alias.to_owned(),
            None if is_bare_path(path) => path.clone(),
            None => format!("var({})", quote(path)),
        },
        Expr::Score(s) => format!("score {} max age {}", name(&s.name), duration(&s.max_age)),
        Expr::LocalTimeBetween(a, b) => {
            let clock = |s: &str| if is_clock(s) { s.to_owned() } else { quote(s) };
            format!("local_time between {} and {}", clock(a), clock(b))
        }
        Expr::WeekdayIn(days) => {
            let days: Vec<String> = days.iter().map(|d| name(d)).collect();
            format!("weekday in [{}]", days.join(", "))
        }
        Expr::DaysUntil(x) => format!("days until {}", expr(x, 6)),
        Expr::DaysSince(x) => format!("days since {}", expr(x, 6)),
        Expr::Duration(d) if is_bare_duration(d) => d.clone(),
        Expr::Duration(d) => format!("duration({})", quote(d)),
        Expr::Agg(op, q) => format!("{}({})", op.name(), query(q)),
        Expr::Sequence(s) => {
            let mut parts = vec![query(&s.first)];
            if let Some(t) = &s.then {
                parts.push(format!("followed by {}", query(t)));
            }
            if let Some(t) = &s.then_not {
                parts.push(format!("not followed by {}", query(t)));
            }
            parts.push(format!("within {}", duration(&s.gap)));
            format!("sequence({})", parts.join(", "))
        }
        Expr::Segment(n) => format!("segment {}", name(n)),
        Expr::Tier(n) => format!("tier {}", name(n)),
        Expr::Bucket(n) => format!("bucket {}", name(n)),
    }
}

fn query(q: &EventQuery) -> String {
    let mut out = String::new();
    if let Some(p) = &q.prop {
        let _ = write!(out, "{} of ", name(p));
    }
    out.push_str(&name(&q.event));
    for (i, (prop, test)) in q.filter.iter().enumerate() {
        out.push_str(if i == 0 { " where " } else { " and " });
        out.push_str(&name(prop));
        match test {
            PropTest::Cmp(CmpOp::Eq, l) => {
                let _ = write!(out, " is {}", literal(l));
            }
            PropTest::Cmp(CmpOp::Ne, l) => {
                let _ = write!(out, " is not {}", literal(l));
            }
            PropTest::Cmp(op, l) => {
                let _ = write!(out, " {} {}", op.symbol(), literal(l));
            }
            PropTest::In(l) => {
                let _ = write!(out, " in {}", list(l));
            }
            PropTest::Str(op, s) => {
                let word = match op {
                    StrOp::Contains => "contains",
                    StrOp::StartsWith => "starts with",
                    StrOp::EndsWith => "ends with",
                };
                let _ = write!(out, " {word} {}", quote(s));
            }
        }
    }
    if let Some(w) = &q.within {
        let _ = write!(out, " within {}", duration(w));
    }
    out
}
