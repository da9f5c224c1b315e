//! History questions: aggregates over the events a query reads, and the questions that
//! several nodes of a bundle share.

use super::value::{props_match, scalar_val};
use super::{Eval, Val};
use crate::ast::AggOp;
use crate::context::{Event, Scalar};
use crate::history::{History, NameHasher};
use crate::program::{Lit, Node, Program, PropTest, Query};
use std::borrow::Cow;
use std::collections::HashMap;
use std::hash::{BuildHasherDefault, Hash, Hasher};

/// Aggregates and sequences that ask the history the same question (same operator,
/// event, window, filter and property), found once per bundle so that a decision
/// answers each question once: rules in different slots often repeat one.
#[derive(Debug, Clone, Default)]
pub struct SharedScans {
    /// Per node: the index of its question, or `u32::MAX` for other nodes.
    pub(super) slot: Vec<u32>,
    pub(super) count: usize,
}

pub(super) static NO_SHARING: SharedScans = SharedScans { slot: Vec::new(), count: 0 };

impl SharedScans {
    /// Finds the history questions that several nodes of `prog` ask, so each is answered once.
    pub fn of(prog: &Program) -> SharedScans {
        // Digest → the first node with it, and its question. A later node with that digest
        // shares the question only if it is equal (a NaN literal never is: it is just not shared).
        let mut seen: HashMap<u64, (usize, u32), BuildHasherDefault<NameHasher>> = HashMap::default();
        let mut count = 0;
        let slot = prog
            .nodes
            .iter()
            .enumerate()
            .map(|(i, n)| {
                let Some(d) = digest(n) else { return u32::MAX };
                match seen.get(&d) {
                    Some(&(first, q)) if prog.nodes.get(first) == Some(n) => return q,
                    Some(_) => {}
                    None => {
                        seen.insert(d, (i, count));
                    }
                }
                count += 1;
                count - 1
            })
            .collect();
        SharedScans { slot, count: count as usize }
    }
}

/// A digest of a history question (equal questions, equal digests); `None` for other nodes.
fn digest(n: &Node) -> Option<u64> {
    fn query(h: &mut NameHasher, q: &Query) {
        (q.event, q.within, &q.prop, q.filter.len()).hash(h);
        for (name, test) in &q.filter {
            name.hash(h);
            match test {
                PropTest::Cmp(op, l) => {
                    (0u8, *op as u8).hash(h);
                    lit(h, l);
                }
                PropTest::In(list) => {
                    (1u8, list.len()).hash(h);
                    list.iter().for_each(|l| lit(h, l));
                }
                PropTest::Str(op, s) => (2u8, *op as u8, s).hash(h),
            }
        }
    }
    fn lit(h: &mut NameHasher, l: &Lit) {
        match l {
            Lit::Num(n) => (0u8, n.to_bits()).hash(h),
            Lit::Str(s) => (1u8, s).hash(h),
            Lit::Bool(b) => (2u8, b).hash(h),
        }
    }
    let mut h = NameHasher::default();
    match n {
        Node::Agg(op, q) => {
            (*op as u8).hash(&mut h);
            query(&mut h, q);
        }
        Node::Sequence(s) => {
            (u8::MAX, s.negated, s.gap).hash(&mut h);
            query(&mut h, &s.first);
            query(&mut h, &s.then);
        }
        _ => return None,
    }
    Some(h.finish())
}

impl<'a> Eval<'a> {
    /// The events a query reads, filtered lazily: aggregates run for every rule of every
    /// decision, and most only count, sum or look at the newest, so no Vec is built.
    pub(super) fn matching(&self, q: &'a Query) -> impl DoubleEndedIterator<Item = &'a Event> + Clone + 'a {
        let from = q.within.map(|w| self.ctx.now.0.saturating_sub(w));
        let hist: &'a History<'a> = self.hist;
        hist.window(q.event, from).iter().copied().filter(|e| props_match(e, &q.filter))
    }

    pub(super) fn aggregate(&mut self, op: AggOp, q: &'a Query) -> Val<'a> {
        let events = self.matching(q);
        let prop = q.prop.as_deref().unwrap_or("");
        let nums = || {
            events.clone().filter_map(|e| match e.prop(prop) {
                Some(Scalar::Num(n)) => Some(*n),
                Some(Scalar::Str(s)) => s.parse::<f64>().ok().filter(|n| n.is_finite()),
                _ => None,
            })
        };
        let found = match op {
            AggOp::Count => Some(Val::Num(events.clone().count() as f64)),
            AggOp::None => Some(Val::Bool(events.clone().next().is_none())),
            AggOp::Sum => Some(Val::Num(nums().sum())),
            AggOp::Min => nums().reduce(f64::min).map(Val::Num),
            AggOp::Max => nums().reduce(f64::max).map(Val::Num),
            AggOp::Avg => {
                let (sum, n) = nums().fold((0.0, 0usize), |(s, n), v| (s + v, n + 1));
                (n > 0).then(|| Val::Num(sum / n as f64))
            }
            // The newest matching event's value: an older event's value would be stale.
            AggOp::Last => {
                events.clone().next_back().and_then(|e| e.prop(prop)).map(scalar_val).filter(|v| *v != Val::Unknown)
            }
            AggOp::SinceLast => events.clone().next_back().map(|e| Val::Num((self.ctx.now.0 - e.at) as f64)),
            AggOp::MeanInterval => {
                // (oldest, newest, count) in one pass.
                let (first, last, n) = events
                    .clone()
                    .fold((None, None, 0usize), |(first, _, n), e| (first.or(Some(e.at)), Some(e.at), n + 1));
                match (first, last) {
                    (Some(a), Some(b)) if n >= 2 => Some(Val::Num((b - a) as f64 / (n - 1) as f64)),
                    _ => None,
                }
            }
            AggOp::MaxCountBy | AggOp::Top => {
                // (key, value, count, latest position) per distinct value; `42` and `"42"` are one value.
                // String values (the usual case) are their own key: no String per event.
                let mut groups: Vec<(Cow<'a, str>, &Scalar, usize, usize)> = Vec::new();
                for (i, e) in events.clone().enumerate() {
                    let Some(v) = e.prop(prop) else { continue };
                    let key = match v {
                        Scalar::Str(s) => Cow::Borrowed(s.as_str()),
                        v => Cow::Owned(scalar_val(v).render()),
                    };
                    match groups.iter_mut().find(|g| g.0 == key) {
                        Some(g) => {
                            g.2 += 1;
                            g.3 = i;
                        }
                        None => groups.push((key, v, 1, i)),
                    }
                }
                let best = groups.iter().max_by_key(|g| (g.2, g.3));
                match op {
                    AggOp::MaxCountBy => Some(Val::Num(best.map_or(0, |b| b.2) as f64)),
                    _ => best.map(|b| scalar_val(b.1)),
                }
            }
        };
        match found {
            Some(v) => v,
            None => {
                let what = match op {
                    AggOp::MeanInterval => "fewer than 2",
                    AggOp::Last | AggOp::Min | AggOp::Max | AggOp::Avg | AggOp::Top
                        if events.clone().next().is_some() =>
                    {
                        return self.miss(format!("history: {}.{prop} has no value", self.event_name(q)));
                    }
                    _ => "no",
                };
                self.miss(format!("history: {what} {} event(s) in window", self.event_name(q)))
            }
        }
    }

    fn event_name(&self, q: &Query) -> String {
        self.prog.events.get(q.event as usize).cloned().unwrap_or_default()
    }
}
