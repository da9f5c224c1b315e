//! History questions: aggregates over the events a query reads, and sequences, each answered at
//! most once per decision.

use super::value::scalar_val;
use super::{Eval, Val};
use crate::ast::AggOp;
use crate::context::Scalar;
use crate::history::{Packed, QueryRef};
use crate::program::{Program, Query, Question, SeqSpec};
use std::borrow::Cow;

impl<'a> Eval<'a> {
    /// The answer to question `id`, from this decision's earlier answer when it has one. Unknown
    /// answers are not kept: asked again, the question reports again what was missing.
    pub(super) fn ask(&mut self, id: u32) -> Val<'a> {
        let i = id as usize;
        if let Some(Some(known)) = self.answers.get(i) {
            return known.clone();
        }
        let prog: &'a Program = self.prog;
        let v = match prog.questions.get(i) {
            Some(Question::Agg(op, q)) => self.aggregate(*op, id, q),
            Some(Question::Sequence(spec)) => self.sequence(id, spec),
            None => Val::Unknown,
        };
        if v != Val::Unknown {
            if let Some(slot) = self.answers.get_mut(i) {
                *slot = Some(v.clone());
            }
        }
        v
    }

    /// The query a history question reads (a sequence's: `first` then `then`).
    fn query_ref(&self, question: u32, which: usize) -> QueryRef {
        self.plan.refs_of(question).get(which).copied().unwrap_or(NO_QUERY)
    }

    /// Answers an aggregate from the packed history: counts and whole-number sums from running
    /// totals, the newest and oldest match from the running counts; only min, max, top and
    /// fractional sums walk their window.
    fn aggregate(&mut self, op: AggOp, question: u32, q: &'a Query) -> Val<'a> {
        let hist: &'a Packed = self.hist;
        let r = self.query_ref(question, 0);
        let range = hist.range(&self.view, &r, None);
        // The oldest match in a window leaves it first; the answer can change then.
        if let Some(within) = r.within {
            if let Some(oldest) = hist.oldest_match(&r, range) {
                self.lasts(|_| hist.at(&r, oldest).saturating_add(within).saturating_add(1));
            }
        }
        if op == AggOp::SinceLast && hist.newest_match(&r, range).is_some() {
            self.lasts_an_instant();
        }
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
    fn sequence(&mut self, question: u32, spec: &SeqSpec) -> Val<'a> {
        let hist: &'a Packed = self.hist;
        let (first, then) = (self.query_ref(question, 0), self.query_ref(question, 1));
        let Some(a) = hist.newest_match(&first, hist.range(&self.view, &first, None)) else { return Val::Bool(false) };
        // Saturating: a loaded bundle's gap is not re-validated (compiled ones are bounded).
        let start = hist.at(&first, a);
        let end = start.saturating_add(spec.gap);
        // The start leaving its window ends the sequence; a negated one holds from `end` on.
        if let Some(within) = first.within {
            self.lasts(|_| start.saturating_add(within).saturating_add(1));
        }
        if spec.negated && end > self.view.now {
            self.lasts(|_| end);
        }
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

/// The query of a question the plan does not know (a crafted bundle): it reads nothing.
const NO_QUERY: QueryRef = QueryRef { group: u32::MAX, stream: None, within: None, num: None, val: None, sum: None };
