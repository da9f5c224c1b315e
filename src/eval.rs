//! Three-valued evaluation of compiled expressions.
//!
//! A signal that is absent, stale or unusable is *unknown*, never false:
//! `and` is false if any part is false, unknown if any is unknown, else true;
//! `or` mirrors it; `not unknown` stays unknown. Each unknown leaf records what
//! was missing so the decision can say so.

use crate::ast::{AggOp, ArithOp, CmpOp};
use crate::bucket::bucket;
use crate::context::{Context, Event, Scalar};
use crate::history::{History, NameHasher};
use crate::program::{Lit, Node, Program, PropTest, Query, Signal};
use crate::signals::{self, Device, ZoneProblem};
use crate::time::{parse_timestamp, LocalTime, DAY_MS, WEEKDAYS};
use std::borrow::Cow;
use std::collections::HashMap;
use std::hash::{BuildHasherDefault, Hash, Hasher};

use crate::limits::MAX_EVAL_DEPTH;

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
    fn truth(&self) -> Tri {
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

fn lit_val(l: &Lit) -> Val<'_> {
    match l {
        Lit::Num(n) => Val::Num(*n),
        Lit::Str(s) => Val::Str(Cow::Borrowed(s)),
        Lit::Bool(b) => Val::Bool(*b),
    }
}

fn scalar_val(s: &Scalar) -> Val<'_> {
    match s {
        Scalar::Null => Val::Unknown,
        Scalar::Bool(b) => Val::Bool(*b),
        Scalar::Num(n) => Val::Num(*n),
        Scalar::Str(s) => Val::Str(Cow::Borrowed(s)),
    }
}

/// Aggregates and sequences that ask the history the same question (same operator,
/// event, window, filter and property), found once per bundle so that a decision
/// answers each question once: rules in different slots often repeat one.
#[derive(Debug, Clone, Default)]
pub struct SharedScans {
    /// Per node: the index of its question, or `u32::MAX` for other nodes.
    slot: Vec<u32>,
    count: usize,
}

static NO_SHARING: SharedScans = SharedScans { slot: Vec::new(), count: 0 };

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
    /// The context's history, indexed.
    pub hist: &'a History<'a>,
    local: Result<LocalTime, ZoneProblem>,
    device: Device,
    /// Segment results for this decision (one Vec: state and value together).
    segments: Vec<Memo<Tri>>,
    /// Tier results, memoised like segments (and guarded the same way).
    tiers: Vec<Memo<Val<'a>>>,
    shared: &'a SharedScans,
    /// Known answers to shared questions (an unknown one is recomputed, so it reports what was missing).
    scans: Vec<Option<Val<'a>>>,
    /// What unknown leaves were missing, in first-seen order, deduplicated.
    pub missing: Vec<String>,
    depth: u32,
}

impl<'a> Eval<'a> {
    /// Starts evaluating `prog` for `ctx`, sharing nothing between questions.
    pub fn new(prog: &'a Program, ctx: &'a Context, hist: &'a History<'a>) -> Eval<'a> {
        Eval {
            prog,
            ctx,
            hist,
            local: signals::local_time(ctx, prog.default_timezone.as_deref()),
            device: Device::of(ctx),
            segments: vec![Memo::Todo; prog.segments.len()],
            tiers: vec![Memo::Todo; prog.tiers.len()],
            shared: &NO_SHARING,
            scans: Vec::new(),
            missing: Vec::new(),
            depth: 0,
        }
    }

    /// Answers each shared question once per decision (see [`SharedScans`]).
    pub fn sharing(mut self, shared: &'a SharedScans) -> Eval<'a> {
        self.shared = shared;
        self.scans = vec![None; shared.count];
        self
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
        let out = match n {
            Node::Agg(..) | Node::Sequence(..) => self.scan(node, n),
            _ => self.node(n),
        };
        self.depth -= 1;
        out
    }

    /// A history question, answered from this decision's earlier answer when it has one.
    fn scan(&mut self, node: u32, n: &'a Node) -> Val<'a> {
        let slot = self.shared.slot.get(node as usize).map(|&s| s as usize);
        if let Some(Some(v)) = slot.and_then(|s| self.scans.get(s)) {
            return v.clone();
        }
        let v = self.node(n);
        if v != Val::Unknown {
            if let Some(known) = slot.and_then(|s| self.scans.get_mut(s)) {
                *known = Some(v.clone());
            }
        }
        v
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
                Val::Str(s) => Val::Str(Cow::Owned(s.to_lowercase())),
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
                Some(s) if self.ctx.now.0 - s.computed_at.0 <= *max_age => Val::Num(s.value.0),
                Some(_) => {
                    self.miss(format!("score.{name} (stale: older than {})", crate::time::format_duration(*max_age)))
                }
                None => self.miss(format!("score.{name}")),
            },
            Node::LocalTimeBetween(from, to) => match self.local_time() {
                Some(lt) => {
                    let m = lt.minute_of_day;
                    Val::Bool(if from <= to { *from <= m && m < *to } else { m >= *from || m < *to })
                }
                None => Val::Unknown,
            },
            Node::WeekdayIn(mask) => match self.local_time() {
                Some(lt) => Val::Bool(mask & (1 << lt.weekday) != 0),
                None => Val::Unknown,
            },
            Node::DaysUntil(x) => {
                let ts = self.timestamp(*x);
                ts.map_or(Val::Unknown, |t| Val::Num((t - self.ctx.now.0) as f64 / DAY_MS as f64))
            }
            Node::DaysSince(x) => {
                let ts = self.timestamp(*x);
                ts.map_or(Val::Unknown, |t| Val::Num((self.ctx.now.0 - t) as f64 / DAY_MS as f64))
            }
            Node::Agg(op, q) => self.aggregate(*op, q),
            Node::Sequence(spec) => {
                let Some(a) = self.matching(&spec.first).next_back() else { return Val::Bool(false) };
                // Saturating: a loaded bundle's gap is not re-validated (compiled ones are bounded).
                let (start, end) = (a.at, a.at.saturating_add(spec.gap));
                let followed = self
                    .hist
                    .window(spec.then.event, Some(start))
                    .iter()
                    .any(|e| e.at > start && e.at <= end && props_match(e, &spec.then.filter));
                if spec.negated {
                    // Not abandoned until the whole gap has passed without the follow-up.
                    Val::Bool(end <= self.ctx.now.0 && !followed)
                } else {
                    Val::Bool(followed)
                }
            }
            Node::Segment(id) => tri_val(self.segment(*id)),
            Node::Tier(id) => self.tier(*id),
            Node::Bucket(salt) => match &self.ctx.customer_id {
                Some(id) => Val::Num(f64::from(bucket(salt, &id.0))),
                None => self.miss("customer.id"),
            },
        }
    }

    fn local_time(&mut self) -> Option<LocalTime> {
        match &self.local {
            Ok(lt) => Some(*lt),
            Err(ZoneProblem::NoZone) => {
                self.miss("timezone");
                None
            }
            Err(ZoneProblem::Unknown(why)) => {
                let why = format!("timezone ({why})");
                self.miss(why);
                None
            }
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

    fn signal(&mut self, s: Signal) -> Val<'a> {
        let ctx: &'a Context = self.ctx;
        let sess = &ctx.session;
        let text = |t: &'a Option<crate::context::Text>| t.as_ref().map(|t| Val::Str(Cow::Borrowed(t.0.as_str())));
        let found: Option<Val<'a>> = match s {
            Signal::Device => match self.device {
                Device::Unknown => None,
                d => Some(Val::Str(Cow::Borrowed(d.as_str()))),
            },
            Signal::ViewportWidth => sess.viewport.map(|v| Val::Num(v.width.0)),
            Signal::ViewportHeight => sess.viewport.map(|v| Val::Num(v.height.0)),
            Signal::Referrer => text(&sess.referrer),
            Signal::ReferrerHost => {
                sess.referrer.as_ref().and_then(|r| signals::url_host(&r.0)).map(|h| Val::Str(Cow::Owned(h)))
            }
            Signal::UtmSource => signals::utm(ctx, "source").map(|v| Val::Str(Cow::Owned(v))),
            Signal::UtmMedium => signals::utm(ctx, "medium").map(|v| Val::Str(Cow::Owned(v))),
            Signal::UtmCampaign => signals::utm(ctx, "campaign").map(|v| Val::Str(Cow::Owned(v))),
            Signal::UtmTerm => signals::utm(ctx, "term").map(|v| Val::Str(Cow::Owned(v))),
            Signal::UtmContent => signals::utm(ctx, "content").map(|v| Val::Str(Cow::Owned(v))),
            Signal::Page => text(&sess.page),
            Signal::PageViews => sess.page_views.map(|n| Val::Num(f64::from(n))),
            Signal::ProductViews => Some(Val::Num(sess.product_views.len() as f64)),
            Signal::LastViewedProduct => sess.product_views.last().map(|p| Val::Str(Cow::Borrowed(p.id.0.as_str()))),
            Signal::LastViewedCategory => sess
                .product_views
                .last()
                .and_then(|p| p.category.as_ref())
                .map(|c| Val::Str(Cow::Borrowed(c.0.as_str()))),
            Signal::SearchTerm => sess.searches.last().map(|s| Val::Str(Cow::Borrowed(s.term.as_str()))),
            Signal::SearchCategory => {
                sess.searches.last().and_then(|s| s.category.as_deref()).map(|c| Val::Str(Cow::Borrowed(c)))
            }
            Signal::SearchCount => Some(Val::Num(sess.searches.len() as f64)),
            Signal::CartDwell => sess.cart_dwell_ms.map(|d| Val::Num(d.0)),
            Signal::CheckoutDwell => sess.checkout_dwell_ms.map(|d| Val::Num(d.0)),
            Signal::CouponSearches => sess.coupon_searches.map(|n| Val::Num(f64::from(n))),
            Signal::Country => text(&ctx.geo.country),
            Signal::Region => text(&ctx.geo.region),
            Signal::City => text(&ctx.geo.city),
            Signal::Lat => ctx.geo.lat.map(|v| Val::Num(v.0)),
            Signal::Lon => ctx.geo.lon.map(|v| Val::Num(v.0)),
            Signal::CustomerId => text(&ctx.customer_id),
            Signal::LocalMinutes => {
                return self.local_time().map_or(Val::Unknown, |lt| Val::Num(f64::from(lt.minute_of_day)))
            }
            Signal::LocalHour => {
                return self.local_time().map_or(Val::Unknown, |lt| Val::Num(f64::from(lt.minute_of_day / 60)))
            }
            Signal::LocalWeekday => {
                return self
                    .local_time()
                    .map_or(Val::Unknown, |lt| Val::Str(Cow::Borrowed(WEEKDAYS[lt.weekday as usize % 7])))
            }
            Signal::Now => Some(Val::Num(ctx.now.0 as f64)),
        };
        match found {
            Some(v) => v,
            None => self.miss(s.name()),
        }
    }

    /// The events a query reads, filtered lazily: aggregates run for every rule of every
    /// decision, and most only count, sum or look at the newest, so no Vec is built.
    fn matching(&self, q: &'a Query) -> impl DoubleEndedIterator<Item = &'a Event> + Clone + 'a {
        let from = q.within.map(|w| self.ctx.now.0.saturating_sub(w));
        let hist: &'a History<'a> = self.hist;
        hist.window(q.event, from).iter().copied().filter(|e| props_match(e, &q.filter))
    }

    fn aggregate(&mut self, op: AggOp, q: &'a Query) -> Val<'a> {
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

fn tri_val<'a>(t: Tri) -> Val<'a> {
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
