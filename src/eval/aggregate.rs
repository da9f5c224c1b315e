//! History questions: aggregates over the events a query reads, and the questions that
//! several nodes of a bundle share.

use super::value::scalar_val;
use super::{Eval, Val};
use crate::ast::AggOp;
use crate::context::Scalar;
use crate::history::{NameHasher, Packed, QueryRef};
use crate::program::{Lit, Node, Program, PropTest, Query, SeqSpec};
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
    /// The query a history node asks (a sequence's: `first` then `then`).
    pub(super) fn query_ref(&self, node: u32, which: usize) -> QueryRef {
        self.plan.refs_of(node).get(which).copied().unwrap_or(NO_QUERY)
    }

    /// Answers an aggregate from the packed history: counts and whole-number sums from running
    /// totals, the newest and oldest match from the running counts; only min, max, top and
    /// fractional sums walk their window.
    pub(super) fn aggregate(&mut self, op: AggOp, node: u32, q: &'a Query) -> Val<'a> {
        let hist: &'a Packed = self.hist;
        let r = self.query_ref(node, 0);
        let range = hist.range(&self.view, &r, None);
        let nums = || hist.matching(&r, range).map(|i| hist.num(&r, i)).filter(|n| !n.is_nan());
        let any = || hist.count(&r, range) > 0;
        let prop = q.prop.as_deref().unwrap_or("");
        let found = match op {
            AggOp::Count => Some(Val::Num(hist.count(&r, range) as f64)),
            AggOp::None => Some(Val::Bool(!any())),
            AggOp::Sum => Some(Val::Num(match hist.running_sum(&r, range) {
                Some((total, n)) if n > 0 => total,
                _ => nums().sum(),
            })),
            AggOp::Min => nums().reduce(f64::min).map(Val::Num),
            AggOp::Max => nums().reduce(f64::max).map(Val::Num),
            AggOp::Avg => {
                let (sum, n) = hist
                    .running_sum(&r, range)
                    .unwrap_or_else(|| nums().fold((0.0, 0usize), |(s, n), v| (s + v, n + 1)));
                (n > 0).then(|| Val::Num(sum / n as f64))
            }
            // The newest matching event's value: an older event's value would be stale.
            AggOp::Last => hist
                .newest_match(&r, range)
                .and_then(|i| hist.val(&r, i))
                .map(scalar_val)
                .filter(|v| *v != Val::Unknown),
            AggOp::SinceLast => hist.newest_match(&r, range).map(|i| Val::Num((self.view.now - hist.at(&r, i)) as f64)),
            AggOp::MeanInterval => {
                let n = hist.count(&r, range);
                match (hist.oldest_match(&r, range), hist.newest_match(&r, range)) {
                    (Some(a), Some(b)) if n >= 2 => {
                        Some(Val::Num((hist.at(&r, b) - hist.at(&r, a)) as f64 / (n - 1) as f64))
                    }
                    _ => None,
                }
            }
            AggOp::MaxCountBy | AggOp::Top => {
                // (key, value, count, latest position) per distinct value; `42` and `"42"` are one value.
                // String values (the usual case) are their own key: no String per event.
                let mut groups: Vec<(Cow<'a, str>, &Scalar, usize, usize)> = Vec::new();
                for (i, e) in hist.matching(&r, range).enumerate() {
                    let Some(v) = hist.val(&r, e) else { continue };
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
                    AggOp::Last | AggOp::Min | AggOp::Max | AggOp::Avg | AggOp::Top if any() => {
                        return self.miss(format!("history: {}.{prop} has no value", self.event_name(q)));
                    }
                    _ => "no",
                };
                self.miss(format!("history: {what} {} event(s) in window", self.event_name(q)))
            }
        }
    }

    /// A sequence: the newest `first` in its window, then (or never) a `then` within the gap.
    pub(super) fn sequence(&mut self, node: u32, spec: &SeqSpec) -> Val<'a> {
        let hist: &'a Packed = self.hist;
        let (first, then) = (self.query_ref(node, 0), self.query_ref(node, 1));
        let Some(a) = hist.newest_match(&first, hist.range(&self.view, &first, None)) else { return Val::Bool(false) };
        // Saturating: a loaded bundle's gap is not re-validated (compiled ones are bounded).
        let start = hist.at(&first, a);
        let end = start.saturating_add(spec.gap);
        let window = hist.range(&self.view, &then, Some(start));
        let followed = hist.matching(&then, window).any(|i| {
            let at = hist.at(&then, i);
            at > start && at <= end
        });
        if spec.negated {
            // Not abandoned until the whole gap has passed without the follow-up.
            Val::Bool(end <= self.view.now && !followed)
        } else {
            Val::Bool(followed)
        }
    }

    fn event_name(&self, q: &Query) -> String {
        self.prog.events.get(q.event as usize).cloned().unwrap_or_default()
    }
}

/// The query of a node the plan does not know (a crafted bundle): it reads nothing.
const NO_QUERY: QueryRef = QueryRef { group: u32::MAX, stream: None, within: None, num: None, val: None, sum: None };
