//! Human-readable descriptions of compiled conditions, for explanations:
//! `count(cart_viewed within 48h) >= 2`, not node indices.

use crate::eval::{fmt_num, Eval, Tri};
use crate::program::{Lit, Node, Program, PropTest, Query, Question};
use crate::time::{format_duration, WEEKDAYS};

fn lit(l: &Lit) -> String {
    match l {
        Lit::Num(n) => fmt_num(*n),
        Lit::Str(s) => format!("{s:?}"),
        Lit::Bool(b) => b.to_string(),
    }
}

fn clock(m: u32) -> String {
    format!("{:02}:{:02}", m / 60, m % 60)
}

fn query(p: &Program, q: &Query) -> String {
    let mut s = p.events.get(q.event as usize).cloned().unwrap_or_default();
    if let Some(prop) = &q.prop {
        s = format!("{s}.{prop}");
    }
    for (k, t) in &q.filter {
        let t = match t {
            PropTest::Cmp(op, l) => format!("{k} {} {}", op.symbol(), lit(l)),
            PropTest::In(l) => format!("{k} in [{}]", l.iter().map(lit).collect::<Vec<_>>().join(", ")),
            PropTest::Str(op, v) => format!("{k} {} {v:?}", op.name()),
        };
        s = format!("{s} where {t}");
    }
    if let Some(w) = q.within {
        s = format!("{s} within {}", format_duration(w));
    }
    s
}

/// A history question as the rules wrote it, whichever node asks it.
fn question(p: &Program, id: u32) -> String {
    match p.questions.get(id as usize) {
        Some(Question::Agg(op, q)) => format!("{}({})", op.name(), query(p, q)),
        Some(Question::Sequence(s)) => format!(
            "{} then {}{} within {}",
            query(p, &s.first),
            if s.negated { "no " } else { "" },
            query(p, &s.then),
            format_duration(s.gap)
        ),
        None => "?".into(),
    }
}

/// One-line description of a node.
pub fn describe(p: &Program, node: u32) -> String {
    describe_depth(p, node, 0)
}

fn describe_depth(p: &Program, node: u32, depth: usize) -> String {
    let Some(n) = p.nodes.get(node as usize) else { return "?".into() };
    if depth > 8 {
        return "…".into();
    }
    let d = |k: &u32| describe_depth(p, *k, depth + 1);
    let join = |ks: &[u32], sep: &str| ks.iter().map(d).collect::<Vec<_>>().join(sep);
    match n {
        Node::Lit(l) => lit(l),
        Node::Dur(ms) => format_duration(*ms),
        Node::List(l) => format!("[{}]", l.iter().map(lit).collect::<Vec<_>>().join(", ")),
        Node::All(ks) => format!("({})", join(ks, " and ")),
        Node::Any(ks) => format!("({})", join(ks, " or ")),
        Node::Not(k) => format!("not {}", d(k)),
        Node::Cmp(op, a, b) => format!("{} {} {}", d(a), op.symbol(), d(b)),
        Node::Between(x, lo, hi) => format!("{} between {} and {}", d(x), d(lo), d(hi)),
        Node::In(x, l) => format!("{} in [{}]", d(x), l.iter().map(lit).collect::<Vec<_>>().join(", ")),
        Node::Exists(x) => format!("{} exists", d(x)),
        Node::Missing(x) => format!("{} is missing", d(x)),
        Node::Str(op, a, b) => format!("{} {} {}", d(a), op.name(), d(b)),
        Node::Lower(x) => format!("lower({})", d(x)),
        Node::Round(x, digits) => format!("round({}, {digits})", d(x)),
        Node::Arith(op, ks) => format!(
            "({})",
            join(
                ks,
                match op {
                    crate::ast::ArithOp::Add => " + ",
                    crate::ast::ArithOp::Sub => " - ",
                    crate::ast::ArithOp::Mul => " × ",
                    crate::ast::ArithOp::Div => " ÷ ",
                }
            )
        ),
        Node::Coalesce(ks) => format!("coalesce({})", join(ks, ", ")),
        Node::Signal(s) => s.name().into(),
        Node::Profile(a) => format!("profile.{a}"),
        Node::Trigger(p) => format!("event.{p}"),
        Node::Consent(f) => format!("consent.{f}"),
        Node::Score { name, max_age } => format!("score {name} (max age {})", format_duration(*max_age)),
        Node::LocalTimeBetween(f, t) => format!("local time between {} and {}", clock(*f), clock(*t)),
        Node::WeekdayIn(mask) => {
            let days: Vec<&str> = (0..7).filter(|d| mask & (1 << d) != 0).map(|d| WEEKDAYS[d]).collect();
            format!("weekday in [{}]", days.join(", "))
        }
        Node::DaysUntil(x) => format!("days until {}", d(x)),
        Node::DaysSince(x) => format!("days since {}", d(x)),
        Node::Ask(id) => question(p, *id),
        Node::Segment(id) => format!("segment {}", p.segments.get(*id as usize).map_or("?", |s| s.name.as_str())),
        Node::Tier(id) => format!("tier {}", p.tiers.get(*id as usize).map_or("?", |t| t.name.as_str())),
        Node::Bucket(salt) => format!("bucket({salt:?})"),
    }
}

/// Why a condition did not hold: the deciding leaf, with the values it saw.
pub fn why_not(ev: &mut Eval, node: u32) -> String {
    why_depth(ev, node, 0)
}

fn why_depth(ev: &mut Eval, node: u32, depth: usize) -> String {
    let p = ev.prog;
    let Some(n) = p.nodes.get(node as usize) else { return "?".into() };
    if depth > 16 {
        return describe(p, node);
    }
    match n {
        Node::All(ks) => {
            let t: Vec<Tri> = ks.iter().map(|k| ev.truth(*k)).collect();
            let pick = t.iter().position(|x| *x == Tri::False).or_else(|| t.iter().position(|x| *x == Tri::Unknown));
            match pick {
                Some(i) => why_depth(ev, ks[i], depth + 1),
                None => format!("{} was true", describe(p, node)),
            }
        }
        Node::Any(ks) => {
            let parts: Vec<String> = ks.iter().map(|k| why_depth(ev, *k, depth + 1)).collect();
            format!("none held: {}", parts.join("; "))
        }
        Node::Segment(id) => {
            let root = p.segments.get(*id as usize).map(|s| s.root);
            let inner = root.map(|r| why_depth(ev, r, depth + 1)).unwrap_or_default();
            format!("{}: {inner}", describe(p, node))
        }
        Node::Cmp(_, a, b) | Node::Str(_, a, b) => {
            let t = ev.truth(node);
            let (va, vb) = (ev.val(*a).render(), ev.val(*b).render());
            format!("{} was {} ({va} vs {vb})", describe(p, node), t.as_str())
        }
        Node::Between(x, ..) => {
            let t = ev.truth(node);
            let v = ev.val(*x).render();
            format!("{} was {} (value {v})", describe(p, node), t.as_str())
        }
        _ => {
            let t = ev.truth(node);
            format!("{} was {}", describe(p, node), t.as_str())
        }
    }
}
