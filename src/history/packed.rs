//! The packed history: per event name, times in (time, order) order and the columns the plan asks
//! for; per filter, running match counts; per `sum`/`avg`, running sums. A window is two binary
//! searches, a count is a subtraction, and a whole-number sum is a subtraction too.
//!
//! Appending in time order (the usual case) touches only the ends of the vectors; an event older
//! than the newest is inserted in place (its group's running counts after it shift by one). Order
//! between events of one instant is the order they were told (`seq`), as a context's position is.

use super::plan::{GroupPlan, Plan, QueryRef};
use crate::context::{Event, Scalar};
use crate::eval::props_match;

/// Sums stay exact while every value is a whole number and the sum of magnitudes is below this:
/// then every running total, and every difference of two, is exact in an f64.
const EXACT_LIMIT: f64 = 9_007_199_254_740_992.0; // 2^53

/// One kept event's place: (time, order told), the sort key, and its group.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(super) struct Key {
    pub(super) at: i64,
    pub(super) seq: u32,
    /// The event name's group, or `u32::MAX` for a name no rule reads.
    pub(super) group: u32,
}

impl Key {
    fn order(&self) -> (i64, u32) {
        (self.at, self.seq)
    }
}

/// A running sum of one property over one filter's events.
#[derive(Debug, Clone)]
pub(super) struct RunningSum {
    /// `total[i]`: the sum of the first `i` events' numbers.
    total: Vec<f64>,
    /// `count[i]`: how many of the first `i` events had a number (and matched).
    count: Vec<u32>,
    /// Sum of magnitudes, for exactness.
    magnitude: f64,
    /// Whether every value so far was a whole number (and not -0).
    whole: bool,
}

impl RunningSum {
    fn new() -> RunningSum {
        RunningSum { total: vec![0.0], count: vec![0], magnitude: 0.0, whole: true }
    }
    pub(super) fn exact(&self) -> bool {
        self.whole && self.magnitude < EXACT_LIMIT
    }

    /// What one event adds (0 unless it counts), noting whether sums stay exact.
    fn add(&mut self, counted: bool, v: f64) -> f64 {
        if !counted {
            return 0.0;
        }
        self.magnitude += v.abs();
        self.whole &= is_whole(v);
        v
    }
}

/// A whole number other than -0 (whose sum with +0 would lose its sign in a running total).
pub(super) fn is_whole(v: f64) -> bool {
    v.fract() == 0.0 && !(v == 0.0 && v.is_sign_negative())
}

/// The kept events of one name.
#[derive(Debug, Clone, Default)]
pub(super) struct Group {
    pub(super) at: Vec<i64>,
    pub(super) seq: Vec<u32>,
    /// Per filter: `matched[s][i]` events among the first `i` passed it.
    pub(super) matched: Vec<Vec<u32>>,
    /// Per numeric column: the value, NaN when the event has no number there.
    pub(super) nums: Vec<Vec<f64>>,
    /// Per value column: the value, if the event has one.
    pub(super) vals: Vec<Vec<Option<Scalar>>>,
    sums: Vec<RunningSum>,
}

/// What one event contributes to its group, worked out before anything is changed.
pub(super) struct Row {
    pub(super) matches: Vec<bool>,
    pub(super) nums: Vec<f64>,
    pub(super) vals: Vec<Option<Scalar>>,
}

impl Row {
    /// The row for `e` under `plan`: filters tested, properties read, exactly as a context's event.
    pub(super) fn of(plan: &GroupPlan, e: &Event) -> Row {
        let num = |name: &str| match e.prop(name) {
            Some(Scalar::Num(n)) => *n,
            Some(Scalar::Str(s)) => s.parse::<f64>().ok().filter(|n| n.is_finite()).unwrap_or(f64::NAN),
            _ => f64::NAN,
        };
        Row {
            matches: plan.streams.iter().map(|f| props_match(e, f)).collect(),
            nums: plan.nums.iter().map(|p| num(p)).collect(),
            vals: plan.vals.iter().map(|p| e.prop(p).filter(|v| **v != Scalar::Null).cloned()).collect(),
        }
    }

    pub(super) fn value_bytes(&self) -> usize {
        self.vals.iter().map(|v| if let Some(Scalar::Str(s)) = v { s.len() } else { 0 }).sum()
    }
}

impl Group {
    pub(super) fn new(plan: &GroupPlan) -> Group {
        Group {
            at: Vec::new(),
            seq: Vec::new(),
            matched: vec![vec![0]; plan.streams.len()],
            nums: vec![Vec::new(); plan.nums.len()],
            vals: vec![Vec::new(); plan.vals.len()],
            sums: (0..plan.sums.len()).map(|_| RunningSum::new()).collect(),
        }
    }

    pub(super) fn len(&self) -> usize {
        self.at.len()
    }

    /// Whether event `i` passes filter `stream` (`None`: every event does).
    pub(super) fn passes(&self, stream: Option<u32>, i: usize) -> bool {
        match stream {
            None => true,
            Some(s) => match self.matched.get(s as usize) {
                Some(m) => m.get(i + 1).zip(m.get(i)).is_some_and(|(b, a)| b > a),
                None => false,
            },
        }
    }

    /// Places `row` at `pos` (the first event ordered after it).
    fn insert(&mut self, plan: &GroupPlan, pos: usize, at: i64, seq: u32, row: Row) {
        self.at.insert(pos, at);
        self.seq.insert(pos, seq);
        for (m, hit) in self.matched.iter_mut().zip(&row.matches) {
            shift_in(m, pos, u32::from(*hit));
        }
        for (col, v) in self.nums.iter_mut().zip(&row.nums) {
            col.insert(pos, *v);
        }
        for (col, v) in self.vals.iter_mut().zip(row.vals) {
            col.insert(pos, v);
        }
        for (sum, &(stream, num)) in self.sums.iter_mut().zip(&plan.sums) {
            let hit = stream.is_none_or(|s| row.matches.get(s as usize).copied().unwrap_or(false));
            let v = row.nums.get(num as usize).copied().unwrap_or(f64::NAN);
            let counted = hit && !v.is_nan();
            let add = sum.add(counted, v);
            let before = sum.total.get(pos).copied().unwrap_or(0.0);
            sum.total.insert(pos + 1, before + add);
            for t in sum.total.iter_mut().skip(pos + 2) {
                *t += add;
            }
            shift_in(&mut sum.count, pos, u32::from(counted));
        }
    }

    /// Forgets the `n` oldest events, and rebuilds the running sums so exactness is judged afresh.
    fn drop_oldest(&mut self, plan: &GroupPlan, n: usize) {
        let n = n.min(self.len());
        if n == 0 {
            return;
        }
        let hits: Vec<Vec<bool>> = (0..self.matched.len() as u32)
            .map(|s| (n..self.len()).map(|i| self.passes(Some(s), i)).collect())
            .collect();
        self.at.drain(..n);
        self.seq.drain(..n);
        for m in &mut self.matched {
            let base = m.get(n).copied().unwrap_or(0);
            m.drain(..n);
            m.iter_mut().for_each(|c| *c -= base);
        }
        self.nums.iter_mut().for_each(|c| drop(c.drain(..n)));
        self.vals.iter_mut().for_each(|c| drop(c.drain(..n)));
        for (sum, &(stream, num)) in self.sums.iter_mut().zip(&plan.sums) {
            *sum = RunningSum::new();
            let col = self.nums.get(num as usize);
            for i in 0..self.at.len() {
                let hit = stream.is_none_or(|s| hits.get(s as usize).and_then(|h| h.get(i)).copied().unwrap_or(false));
                let v = col.and_then(|c| c.get(i)).copied().unwrap_or(f64::NAN);
                let counted = hit && !v.is_nan();
                let add = sum.add(counted, v);
                let last = sum.total.last().copied().unwrap_or(0.0);
                sum.total.push(last + add);
                let c = sum.count.last().copied().unwrap_or(0);
                sum.count.push(c + u32::from(counted));
            }
        }
    }
}

/// Inserts a running count's step at `pos`: entry `pos + 1` is the count up to the new event.
fn shift_in(m: &mut Vec<u32>, pos: usize, add: u32) {
    let before = m.get(pos).copied().unwrap_or(0);
    m.insert(pos + 1, before + add);
    if add > 0 {
        for c in m.iter_mut().skip(pos + 2) {
            *c += add;
        }
    }
}

/// The history packed for one bundle's plan.
#[derive(Debug, Clone, Default)]
pub struct Packed {
    /// Every kept event, of every name, in (time, order) order: `max_history` counts them all.
    pub(super) keys: Vec<Key>,
    pub(super) groups: Vec<Group>,
    pub(super) next_seq: u32,
    /// Bytes of text held in value columns.
    pub(super) value_bytes: usize,
}

/// Which part of the packed history one decision reads: events not after `now`, and of those the
/// newest `max_history` (everything at or after `cut`).
#[derive(Debug, Clone, Copy)]
pub struct View {
    /// The decision instant.
    pub now: i64,
    cut: Option<(i64, u32)>,
}

/// A window of one group: events `lo..hi`.
#[derive(Debug, Clone, Copy)]
pub struct Range {
    /// The first event in the window.
    pub lo: usize,
    /// One past the last.
    pub hi: usize,
}

impl Packed {
    /// An empty history for `plan`. Its groups are made with its first event: a replay holds
    /// many customers who never do anything the rules read.
    pub fn new(_plan: &Plan) -> Packed {
        Packed { keys: Vec::new(), groups: Vec::new(), next_seq: 0, value_bytes: 0 }
    }

    /// Every group of `plan`, empty ones too: made once an event comes.
    pub(super) fn make_groups(&mut self, plan: &Plan) {
        if self.groups.len() < plan.groups.len() {
            let made = self.groups.len();
            self.groups.extend(plan.groups.iter().skip(made).map(Group::new));
        }
    }

    /// A context's history: the newest `max` events not after `now` (ties: later in the input is
    /// newer), packed in one pass in time order.
    pub fn from_events(plan: &Plan, events: &[Event], now: i64, max: usize) -> Packed {
        let mut packed = Packed::new(plan);
        let mut order: Vec<(i64, u32)> =
            events.iter().enumerate().filter(|(_, e)| e.at <= now).map(|(i, e)| (e.at, i as u32)).collect();
        // Histories usually arrive in time order: no sort then. Positions are unique keys.
        if !order.is_sorted() {
            order.sort_unstable();
        }
        let skip = order.len().saturating_sub(max);
        for &(_, i) in order.get(skip..).unwrap_or_default() {
            if let Some(e) = events.get(i as usize) {
                packed.place(plan, e, i);
            }
        }
        packed.next_seq = events.len() as u32;
        packed
    }

    /// How many events are kept.
    pub fn len(&self) -> usize {
        self.keys.len()
    }

    /// Whether no event is kept.
    pub fn is_empty(&self) -> bool {
        self.keys.is_empty()
    }

    /// Appends `e` as the newest told (placed by its time), keeping at most `keep` events (plus a
    /// slack, so forgetting is done in batches) and at most `max_value_bytes` of column text.
    pub fn track(&mut self, plan: &Plan, e: &Event, keep: usize, max_value_bytes: usize) {
        if self.next_seq == u32::MAX {
            self.renumber();
        }
        let seq = self.next_seq;
        self.next_seq += 1;
        self.place(plan, e, seq);
        let slack = (keep / 4).max(16);
        if self.keys.len() > keep.saturating_add(slack) {
            self.forget_oldest(plan, self.keys.len() - keep);
        }
        while self.value_bytes > max_value_bytes && !self.keys.is_empty() {
            let n = (self.keys.len() / 8).max(1);
            self.forget_oldest(plan, n);
        }
    }

    fn place(&mut self, plan: &Plan, e: &Event, seq: u32) {
        let group = plan.ids.get(e.name.as_str()).copied().filter(|&g| (g as usize) < plan.groups.len());
        let key = Key { at: e.at, seq, group: group.unwrap_or(u32::MAX) };
        let at = self.keys.partition_point(|k| k.order() <= key.order());
        self.keys.insert(at, key);
        let (Some(g), Some(gp)) = (group, group.and_then(|g| plan.groups.get(g as usize))) else { return };
        let row = Row::of(gp, e);
        self.insert_row(plan, g, key, row);
    }

    pub(super) fn insert_row(&mut self, plan: &Plan, g: u32, key: Key, row: Row) {
        let Some(gp) = plan.groups.get(g as usize) else { return };
        self.make_groups(plan);
        self.value_bytes += row.value_bytes();
        if let Some(group) = self.groups.get_mut(g as usize) {
            let pos = position(group, key.order());
            group.insert(gp, pos, key.at, key.seq, row);
        }
    }

    /// Forgets the `n` oldest events of every name.
    fn forget_oldest(&mut self, plan: &Plan, n: usize) {
        let n = n.min(self.keys.len());
        let mut per_group = vec![0usize; self.groups.len()];
        for k in self.keys.drain(..n) {
            if let Some(c) = per_group.get_mut(k.group as usize) {
                *c += 1;
            }
        }
        for ((group, gp), n) in self.groups.iter_mut().zip(&plan.groups).zip(per_group) {
            group.drop_oldest(gp, n);
        }
        self.recount_value_bytes();
    }

    /// Forgets the events of each group older than `cutoff(group)`, then the oldest beyond the
    /// newest `max`: what a holder that bounds memory by time keeps (a replay, per step).
    pub fn forget_before(&mut self, plan: &Plan, cutoff: impl Fn(u32) -> i64, max: usize) {
        // Called for every customer at every step: nothing is allocated unless something goes.
        let expired = |g: usize, group: &Group| group.at.first().is_some_and(|&t| t < cutoff(g as u32));
        if self.groups.iter().enumerate().any(|(g, group)| expired(g, group)) {
            self.keys.retain(|k| k.group == u32::MAX || k.at >= cutoff(k.group));
            for (g, (group, gp)) in self.groups.iter_mut().zip(&plan.groups).enumerate() {
                let before = cutoff(g as u32);
                let n = group.at.partition_point(|&t| t < before);
                group.drop_oldest(gp, n);
            }
            self.recount_value_bytes();
        }
        if self.keys.len() > max {
            self.forget_oldest(plan, self.keys.len() - max);
        }
        if self.keys.is_empty() && self.keys.capacity() > 0 {
            // Do not hold buffers for someone who went quiet.
            *self = Packed { next_seq: self.next_seq, ..Packed::new(plan) };
        }
    }

    /// When [`Packed::forget_before`] would first forget an event as time passes, if each event
    /// of group `g` stays `kept_for(g)` after it happened: `i64::MAX` for none.
    pub fn first_leaving(&self, kept_for: impl Fn(u32) -> i64) -> i64 {
        let oldest = self.groups.iter().enumerate().filter_map(|(g, group)| {
            let at = *group.at.first()?;
            Some(at.saturating_add(kept_for(g as u32)).saturating_add(1))
        });
        oldest.min().unwrap_or(i64::MAX)
    }

    /// Counts the text held in value columns afresh, after events were forgotten.
    fn recount_value_bytes(&mut self) {
        self.value_bytes = self.groups.iter().flat_map(|g| &g.vals).flatten().map(value_len).sum();
    }

    /// Renumbers the order told as ranks (same order), so numbering can go on.
    fn renumber(&mut self) {
        let mut old: Vec<u32> = self.keys.iter().map(|k| k.seq).collect();
        old.sort_unstable();
        let rank = |s: u32| old.binary_search(&s).map_or(0, |r| r as u32);
        for g in &mut self.groups {
            g.seq.iter_mut().for_each(|s| *s = rank(*s));
        }
        for k in &mut self.keys {
            k.seq = rank(k.seq);
        }
        self.next_seq = self.keys.len() as u32;
    }

    /// The part of the history a decision at `now` reads, keeping the newest `max`.
    pub fn view(&self, now: i64, max: usize) -> View {
        let past = self.keys.partition_point(|k| k.at <= now);
        let dropped = past.saturating_sub(max);
        let cut = if dropped == 0 {
            None
        } else {
            // With nothing to keep (`max` 0) the cut is past every event.
            Some(self.keys.get(dropped).map_or((i64::MAX, u32::MAX), Key::order))
        };
        View { now, cut }
    }

    /// The first event time after `now`: a later decision's view takes it in.
    #[cfg(feature = "stability")]
    pub fn first_after(&self, now: i64) -> Option<i64> {
        self.keys.get(self.keys.partition_point(|k| k.at <= now)).map(|k| k.at)
    }

    /// When event `i` of group `g` happened (0 for none).
    pub fn at_in(&self, g: u32, i: usize) -> i64 {
        self.group(g).and_then(|g| g.at.get(i)).copied().unwrap_or(0)
    }

    pub(super) fn group(&self, g: u32) -> Option<&Group> {
        self.groups.get(g as usize)
    }

    /// Events of `q`'s name in its window (`from` overrides the window's start), in `view`.
    pub fn range(&self, view: &View, q: &QueryRef, from: Option<i64>) -> Range {
        self.range_in(view, q.group, from.or_else(|| q.within.map(|w| view.now.saturating_sub(w))))
    }

    /// Events of group `g` from `from` (`None`: all kept) to `view.now`.
    pub fn range_in(&self, view: &View, g: u32, from: Option<i64>) -> Range {
        let Some(group) = self.group(g) else { return Range { lo: 0, hi: 0 } };
        let hi = group.at.partition_point(|&t| t <= view.now);
        let mut lo = from.map_or(0, |f| group.at.partition_point(|&t| t < f));
        if let Some(cut) = view.cut {
            lo = lo.max(position(group, cut));
        }
        Range { lo: lo.min(hi), hi }
    }

    /// How many events in `r` pass `q`'s filter.
    pub fn count(&self, q: &QueryRef, r: Range) -> usize {
        match (q.stream, self.group(q.group)) {
            (None, _) => r.hi - r.lo,
            (Some(s), Some(g)) => match g.matched.get(s as usize) {
                Some(m) => m.get(r.hi).zip(m.get(r.lo)).map_or(0, |(b, a)| (b - a) as usize),
                None => 0,
            },
            _ => 0,
        }
    }

    /// Indices of the events in `r` that pass `q`'s filter, oldest first.
    pub fn matching<'p>(&'p self, q: &QueryRef, r: Range) -> impl DoubleEndedIterator<Item = usize> + Clone + 'p {
        let group = self.group(q.group);
        let stream = q.stream;
        (r.lo..r.hi).filter(move |&i| group.is_some_and(|g| g.passes(stream, i)))
    }

    /// The newest event in `r` passing `q`'s filter: found from the running counts, not by a scan.
    pub fn newest_match(&self, q: &QueryRef, r: Range) -> Option<usize> {
        let g = self.group(q.group)?;
        if r.lo >= r.hi {
            return None;
        }
        let Some(s) = q.stream else { return Some(r.hi - 1) };
        let m = g.matched.get(s as usize)?;
        let total = *m.get(r.hi)?;
        if total == *m.get(r.lo)? {
            return None;
        }
        // The first i in lo..hi with m[i + 1] == total is the newest match.
        let first = m.get(r.lo + 1..=r.hi)?.partition_point(|&c| c < total);
        Some(r.lo + first)
    }

    /// The oldest event in `r` passing `q`'s filter.
    pub fn oldest_match(&self, q: &QueryRef, r: Range) -> Option<usize> {
        let g = self.group(q.group)?;
        if r.lo >= r.hi {
            return None;
        }
        let Some(s) = q.stream else { return Some(r.lo) };
        let m = g.matched.get(s as usize)?;
        let base = *m.get(r.lo)?;
        if *m.get(r.hi)? == base {
            return None;
        }
        let first = m.get(r.lo + 1..=r.hi)?.partition_point(|&c| c == base);
        Some(r.lo + first)
    }

    /// Time of event `i` of `q`'s group.
    pub fn at(&self, q: &QueryRef, i: usize) -> i64 {
        self.group(q.group).and_then(|g| g.at.get(i)).copied().unwrap_or(0)
    }

    /// The number `q` reads of event `i` (NaN: none).
    pub fn num(&self, q: &QueryRef, i: usize) -> f64 {
        let col = q.num.and_then(|c| self.group(q.group)?.nums.get(c as usize));
        col.and_then(|c| c.get(i)).copied().unwrap_or(f64::NAN)
    }

    /// The value `q` reads of event `i`.
    pub fn val(&self, q: &QueryRef, i: usize) -> Option<&Scalar> {
        let col = q.val.and_then(|c| self.group(q.group)?.vals.get(c as usize));
        col.and_then(|c| c.get(i)).and_then(Option::as_ref)
    }

    /// The value of column `col` of group `g` for event `i` (the reserved groups' `variant`/`slot`).
    pub fn column(&self, g: u32, col: u32, i: usize) -> Option<&Scalar> {
        self.group(g)?.vals.get(col as usize)?.get(i)?.as_ref()
    }

    /// (sum, how many numbers) of `q`'s property over `r`, when the running sum is exact; `None`
    /// when the numbers have to be added one by one (fractions: the order of additions counts).
    pub fn running_sum(&self, q: &QueryRef, r: Range) -> Option<(f64, usize)> {
        let sum = self.group(q.group)?.sums.get(q.sum? as usize)?;
        if !sum.exact() {
            return None;
        }
        let total = sum.total.get(r.hi)? - sum.total.get(r.lo)?;
        let count = sum.count.get(r.hi)? - sum.count.get(r.lo)?;
        Some((total, count as usize))
    }

    /// Approximate bytes this history holds in memory.
    pub fn memory_bytes(&self) -> usize {
        use std::mem::size_of;
        let mut bytes = self.keys.capacity() * size_of::<Key>();
        for g in &self.groups {
            bytes += g.at.capacity() * 8 + g.seq.capacity() * 4;
            bytes += g.matched.iter().map(|m| m.capacity() * 4).sum::<usize>();
            bytes += g.nums.iter().map(|c| c.capacity() * 8).sum::<usize>();
            bytes += g.vals.iter().map(|c| c.capacity() * size_of::<Option<Scalar>>()).sum::<usize>();
            bytes += g.sums.iter().map(|s| s.total.capacity() * 8 + s.count.capacity() * 4).sum::<usize>();
        }
        bytes + self.value_bytes
    }
}

fn value_len(v: &Option<Scalar>) -> usize {
    if let Some(Scalar::Str(s)) = v {
        s.len()
    } else {
        0
    }
}

/// The first event of `group` ordered at or after `key`.
fn position(group: &Group, key: (i64, u32)) -> usize {
    let (at, seq) = key;
    let first = group.at.partition_point(|&t| t < at);
    // Among events at the same instant, order by the order told.
    let same = group.at.get(first..).map_or(0, |rest| rest.partition_point(|&t| t == at));
    let seqs = group.seq.get(first..first + same).unwrap_or_default();
    first + seqs.partition_point(|&s| s < seq)
}
