//! Three-valued evaluation of compiled expressions.
//!
//! A signal that is absent, stale or unusable is *unknown*, never false:
//! `and` is false if any part is false, unknown if any is unknown, else true;
//! `or` mirrors it; `not unknown` stays unknown. Each unknown leaf records what
//! was missing so the decision can say so.
//!
//! Here: the evaluator itself ([`Eval`]), memoised segments and tiers; `value` holds the values,
//! three-valued truth and comparison, `signal` reads the context's signals, and `aggregate`
//! answers history questions (each at most once per decision, however many nodes ask it).

mod aggregate;
mod signal;
#[cfg(all(test, feature = "json"))]
mod tests;
mod value;

pub use value::{compare, fmt_num, props_match, Tri, Val};
use value::{lit_val, scalar_val, tri_val};

use crate::ast::{ArithOp, CmpOp};
use crate::bucket::bucket;
use crate::context::{Context, Scalar};
use crate::history::{Packed, Plan, View};
use crate::program::{Node, Program};
use crate::signals::{self, Device, ZoneProblem};
use crate::time::{parse_timestamp, LocalTime, TimeZone, DAY_MS};
use std::borrow::Cow;

use crate::limits::MAX_EVAL_DEPTH;

/// A memoised result: not yet asked, being computed (a cycle if asked again), or known.
#[derive(Debug, Clone)]
enum Memo<T> {
    Todo,
    Busy,
    Done(T),
}

/// Evaluation state for one decision.
pub struct Eval<'a> {
    /// The bundle being evaluated.
    pub prog: &'a Program,
    /// The visitor being decided for.
    pub ctx: &'a Context,
    /// The visitor's history, packed for this bundle.
    pub hist: &'a Packed,
    /// What the bundle reads of it.
    pub plan: &'a Plan,
    /// The part of the history this decision reads.
    pub view: View,
    local: Result<LocalTime, ZoneProblem>,
    device: Device,
    /// Segment results for this decision (one Vec: state and value together).
    segments: Vec<Memo<Tri>>,
    /// Tier results, memoised like segments (and guarded the same way).
    tiers: Vec<Memo<Val<'a>>>,
    /// Known answers, by index into [`Program::questions`]: filled as rules ask them.
    answers: Vec<Option<Val<'a>>>,
    /// What unknown leaves were missing, in first-seen order, deduplicated.
    pub missing: Vec<String>,
    depth: u32,
    /// The first instant after `now` at which what this evaluation read could read differently
    /// with no new input (a window letting an event go, local time crossing a bound, a score
    /// going stale); `i64::MAX` when nothing read depends on the clock.
    #[cfg(feature = "stability")]
    pub until: i64,
}

impl<'a> Eval<'a> {
    /// Starts evaluating `prog` for `ctx` and its packed history.
    pub fn new(prog: &'a Program, plan: &'a Plan, ctx: &'a Context, hist: &'a Packed) -> Eval<'a> {
        Eval {
            prog,
            ctx,
            hist,
            plan,
            view: hist.view(ctx.now.0, prog.max_history as usize),
            local: signals::local_time(ctx, prog.default_timezone.as_deref()),
            device: Device::of(ctx),
            segments: vec![Memo::Todo; prog.segments.len()],
            tiers: vec![Memo::Todo; prog.tiers.len()],
            answers: vec![None; prog.questions.len()],
            missing: Vec::new(),
            depth: 0,
            // An event after `now` enters the view as time passes (a context's future events are
            // not packed: they are looked for in the context).
            #[cfg(feature = "stability")]
            until: ctx
                .events
                .0
                .iter()
                .map(|e| e.at)
                .filter(|&at| at > ctx.now.0)
                .chain(hist.first_after(ctx.now.0))
                .min()
                .unwrap_or(i64::MAX),
        }
    }

    /// Notes that what was just read holds until `until` at most (never before `now + 1`). A
    /// no-op, computed away, without the `stability` feature.
    #[inline]
    pub(crate) fn lasts(&mut self, _until: impl FnOnce(&Self) -> i64) {
        #[cfg(feature = "stability")]
        {
            let until = _until(self).max(self.ctx.now.0.saturating_add(1));
            self.until = self.until.min(until);
        }
    }

    /// A read that changes with every instant (`now`, a dwell, days until a date).
    #[inline]
    fn lasts_an_instant(&mut self) {
        self.lasts(|ev| ev.ctx.now.0.saturating_add(1));
    }

    fn miss(&mut self, what: impl Into<Cow<'static, str>>) -> Val<'a> {
        let what = what.into();
        if !self.missing.iter().any(|m| *m == what) {
            self.missing.push(what.into_owned());
        }
        Val::Unknown
    }

    /// Evaluates without reporting what was missing: the caller tests for absence itself.
    fn probe(&mut self, node: u32) -> Val<'a> {
        let before = self.missing.len();
        let v = self.val(node);
        self.missing.truncate(before);
        v
    }

    /// Whether the condition at `node` holds.
    pub fn truth(&mut self, node: u32) -> Tri {
        self.val(node).truth()
    }

    /// Evaluates a segment (memoised for this decision).
    pub fn segment(&mut self, id: u32) -> Tri {
        let i = id as usize;
        let Some(def) = self.prog.segments.get(i) else { return Tri::Unknown };
        match self.segments.get_mut(i) {
            Some(Memo::Done(t)) => return *t,
            Some(m @ Memo::Todo) => *m = Memo::Busy,
            // Only reachable from a crafted bundle: compile rejects cycles.
            _ => return Tri::Unknown,
        }
        let t = self.truth(def.root);
        if let Some(m) = self.segments.get_mut(i) {
            *m = Memo::Done(t);
        }
        t
    }

    /// The value of the expression at `node`.
    pub fn val(&mut self, node: u32) -> Val<'a> {
        let prog: &'a Program = self.prog;
        let Some(n) = prog.nodes.get(node as usize) else { return Val::Unknown };
        if self.depth >= MAX_EVAL_DEPTH {
            return Val::Unknown;
        }
        self.depth += 1;
        let out = self.node(n);
        self.depth -= 1;
        out
    }

    fn node(&mut self, n: &'a Node) -> Val<'a> {
        match n {
            Node::Lit(l) => lit_val(l),
            Node::Dur(ms) => Val::Num(*ms as f64),
            Node::List(_) => Val::Unknown,
            Node::All(kids) => {
                let mut out = Tri::True;
                for &k in kids {
                    match self.truth(k) {
                        Tri::False => return Val::Bool(false),
                        Tri::Unknown => out = Tri::Unknown,
                        Tri::True => {}
                    }
                }
                tri_val(out)
            }
            Node::Any(kids) => {
                let mut out = Tri::False;
                for &k in kids {
                    match self.truth(k) {
                        Tri::True => return Val::Bool(true),
                        Tri::Unknown => out = Tri::Unknown,
                        Tri::False => {}
                    }
                }
                tri_val(out)
            }
            Node::Not(k) => match self.truth(*k) {
                Tri::True => Val::Bool(false),
                Tri::False => Val::Bool(true),
                Tri::Unknown => Val::Unknown,
            },
            Node::Cmp(op, a, b) => {
                let (a, b) = (self.val(*a), self.val(*b));
                compare(*op, &a, &b)
            }
            Node::Between(x, lo, hi) => {
                let (x, lo, hi) = (self.val(*x), self.val(*lo), self.val(*hi));
                match (compare(CmpOp::Gte, &x, &lo).truth(), compare(CmpOp::Lte, &x, &hi).truth()) {
                    (Tri::True, Tri::True) => Val::Bool(true),
                    (Tri::False, _) | (_, Tri::False) => Val::Bool(false),
                    _ => Val::Unknown,
                }
            }
            Node::In(x, list) => {
                let x = self.val(*x);
                if x == Val::Unknown {
                    return Val::Unknown;
                }
                Val::Bool(list.iter().any(|l| compare(CmpOp::Eq, &x, &lit_val(l)) == Val::Bool(true)))
            }
            Node::Exists(x) => Val::Bool(self.probe(*x) != Val::Unknown),
            Node::Missing(x) => Val::Bool(self.probe(*x) == Val::Unknown),
            Node::Str(op, a, b) => match (self.val(*a), self.val(*b)) {
                (Val::Str(a), Val::Str(b)) => Val::Bool(op.test(&a, &b)),
                (Val::Unknown, _) | (_, Val::Unknown) => Val::Unknown,
                _ => Val::Bool(false),
            },
            Node::Lower(x) => match self.val(*x) {
                Val::Str(s) => Val::Str(Cow::Owned(crate::host::lowercase(&s))),
                other => other,
            },
            Node::Round(x, digits) => match self.val(*x) {
                Val::Num(n) => {
                    let scale = 10f64.powi(*digits as i32);
                    Val::Num((n * scale).round() / scale)
                }
                _ => Val::Unknown,
            },
            Node::Arith(op, kids) => self.arith(*op, kids),
            Node::Coalesce(kids) => {
                // Absences before the value chosen were handled by the rule: not reported.
                let before = self.missing.len();
                for &k in kids {
                    let v = self.val(k);
                    if v != Val::Unknown {
                        self.missing.truncate(before);
                        return v;
                    }
                }
                Val::Unknown
            }
            Node::Signal(s) => self.signal(*s),
            Node::Trigger(prop) => match self.ctx.event.as_ref().and_then(|e| e.prop(prop)) {
                Some(v) if *v != Scalar::Null => scalar_val(v),
                _ => self.miss(format!("event.{prop}")),
            },
            Node::Profile(name) => match self.ctx.profile.get(name) {
                Some(v) if *v != Scalar::Null => scalar_val(v),
                _ => self.miss(format!("profile.{name}")),
            },
            Node::Consent(flag) => Val::Bool(self.ctx.consent.get(flag).copied().unwrap_or(false)),
            Node::Score { name, max_age } => match self.ctx.scores.get(name) {
                Some(s) if self.ctx.now.0 - s.computed_at.0 <= *max_age => {
                    // Stale from then on (a stale score stays stale).
                    self.lasts(|_| s.computed_at.0.saturating_add(*max_age).saturating_add(1));
                    Val::Num(s.value.0)
                }
                Some(_) => {
                    self.miss(format!("score.{name} (stale: older than {})", crate::time::format_duration(*max_age)))
                }
                None => self.miss(format!("score.{name}")),
            },
            Node::LocalTimeBetween(from, to) => match self.local_time() {
                Some(lt) => {
                    let m = lt.minute_of_day;
                    // Next reached bound: 24 h away when local time is on it now.
                    let ahead = |bound: u32| match (i64::from(bound) - i64::from(m)).rem_euclid(1440) {
                        0 => 1440,
                        n => n as u32,
                    };
                    self.lasts(|ev| ev.local_change(&lt, ahead(*from).min(ahead(*to))));
                    Val::Bool(if from <= to { *from <= m && m < *to } else { m >= *from || m < *to })
                }
                None => Val::Unknown,
            },
            Node::WeekdayIn(mask) => match self.local_time() {
                Some(lt) => {
                    self.lasts(|ev| ev.local_change(&lt, 1440 - lt.minute_of_day.min(1439)));
                    Val::Bool(mask & (1 << lt.weekday) != 0)
                }
                None => Val::Unknown,
            },
            Node::DaysUntil(x) => {
                let ts = self.timestamp(*x);
                self.lasts_an_instant();
                ts.map_or(Val::Unknown, |t| Val::Num((t - self.ctx.now.0) as f64 / DAY_MS as f64))
            }
            Node::DaysSince(x) => {
                let ts = self.timestamp(*x);
                self.lasts_an_instant();
                ts.map_or(Val::Unknown, |t| Val::Num((self.ctx.now.0 - t) as f64 / DAY_MS as f64))
            }
            Node::Ask(question) => self.ask(*question),
            Node::Segment(id) => tri_val(self.segment(*id)),
            Node::Tier(id) => self.tier(*id),
            Node::Bucket(salt) => match self.ctx.bucketing_id() {
                Some(id) => Val::Num(f64::from(bucket(salt, &id.0))),
                None => self.miss("customer.id"),
            },
        }
    }

    fn timestamp(&mut self, node: u32) -> Option<i64> {
        match self.val(node) {
            Val::Num(n) if n.is_finite() && n.abs() < 1e15 => Some(n as i64),
            Val::Str(s) => match parse_timestamp(&s) {
                Ok(t) => Some(t),
                Err(_) => {
                    self.miss("timestamp (unreadable)");
                    None
                }
            },
            _ => None,
        }
    }

    fn arith(&mut self, op: ArithOp, kids: &[u32]) -> Val<'a> {
        let mut acc: Option<f64> = None;
        for &k in kids {
            let v = match self.val(k) {
                Val::Num(n) => n,
                _ => return Val::Unknown,
            };
            acc = Some(match acc {
                None => v,
                Some(a) => match op {
                    ArithOp::Add => a + v,
                    ArithOp::Sub => a - v,
                    ArithOp::Mul => a * v,
                    ArithOp::Div if v == 0.0 => return self.miss("division by zero"),
                    ArithOp::Div => a / v,
                },
            });
        }
        match acc {
            Some(n) if n.is_finite() => Val::Num(n),
            _ => Val::Unknown,
        }
    }

    fn tier(&mut self, id: u32) -> Val<'a> {
        let i = id as usize;
        match self.tiers.get_mut(i) {
            Some(Memo::Done(v)) => return v.clone(),
            Some(m @ Memo::Todo) => *m = Memo::Busy,
            // Only reachable from a crafted bundle: compile rejects cycles.
            _ => return Val::Unknown,
        }
        let v = self.tier_uncached(id);
        if let Some(m) = self.tiers.get_mut(i) {
            *m = Memo::Done(v.clone());
        }
        v
    }

    fn tier_uncached(&mut self, id: u32) -> Val<'a> {
        let prog: &'a Program = self.prog;
        let Some(def) = prog.tiers.get(id as usize) else { return Val::Unknown };
        for (name, when) in &def.levels {
            match when.map_or(Tri::True, |w| self.truth(w)) {
                Tri::True => return Val::Str(Cow::Borrowed(name.as_str())),
                Tri::Unknown => return Val::Unknown,
                Tri::False => {}
            }
        }
        self.miss(format!("tier {}: no level matched", def.name))
    }
}

// Called only through `lasts`: without the `stability` feature, dead code the build drops.
impl Eval<'_> {
    /// When local time, `lt` now, will have moved `minutes` minutes on from the start of this
    /// minute, or the zone's offset changes first (daylight saving moves local time by itself).
    fn local_change(&self, lt: &LocalTime, minutes: u32) -> i64 {
        let now = self.ctx.now.0;
        let local = now.saturating_add(i64::from(lt.offset_secs) * 1000);
        let minute_start = now.saturating_sub(local.rem_euclid(60_000));
        let at = minute_start.saturating_add(i64::from(minutes) * 60_000);
        match signals::zone(self.ctx, self.prog.default_timezone.as_deref()) {
            Ok(zone) => first_offset_change(&zone, now, at, lt.offset_secs).unwrap_or(at),
            Err(_) => now.saturating_add(1),
        }
    }
}

/// The first instant in `(now, before)` whose offset is not `offset`, when the offset differs by
/// `before` (searched to the second: zones change offset on whole seconds). Two changes that
/// cancel out within one span (at most a day here) are not seen; no zone does that.
fn first_offset_change(zone: &TimeZone, now: i64, before: i64, offset: i32) -> Option<i64> {
    let (mut same, mut changed) = (now.div_euclid(1000), before.saturating_sub(1).div_euclid(1000));
    if changed <= same || zone.offset_at(changed) == offset {
        return None;
    }
    while changed - same > 1 {
        let mid = same + (changed - same) / 2;
        if zone.offset_at(mid) == offset {
            same = mid;
        } else {
            changed = mid;
        }
    }
    Some(changed * 1000)
}
