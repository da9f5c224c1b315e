//! Step boundaries: every customer seen within the lookback decided once, the others
//! forgotten, and what was decided counted into a row of the report.

use super::options::{MAX_MISSING_SIGNALS, MAX_STEPS, OTHER_SIGNALS};
use super::Replay;
use crate::ids::{FastMap, IdKey};
use crate::report::{Report, SegmentCount, StepRow};
use kairos::context::Timestamp;
use kairos::Tri;
use kairos::{Moment, Options};

/// Whether to go on reading.
#[derive(PartialEq, Eq)]
pub(super) enum Flow {
    Go,
    Stop,
}

impl Replay<'_> {
    /// Counts every step boundary before `at`; `Stop` once `at` is past `to`.
    pub(super) fn advance(&mut self, at: i64) -> Result<Flow, String> {
        let step = self.opts.step;
        let mut next = *self.next.get_or_insert_with(|| self.opts.from.unwrap_or(at.div_euclid(step) * step + step));
        let to = self.opts.to.unwrap_or(i64::MAX);
        while next < at && next <= to {
            if self.rows.len() >= MAX_STEPS {
                self.done = true;
                return Err(format!("more than {MAX_STEPS} steps: use a longer step"));
            }
            self.count(next);
            next = next.saturating_add(step);
        }
        self.next = Some(next);
        if at > to {
            self.done = true;
            return Ok(Flow::Stop);
        }
        Ok(Flow::Go)
    }

    /// Counts the remaining boundaries and returns the report. The replay keeps its customers.
    pub fn finish(&mut self) -> Report {
        let step = self.opts.step;
        // Without `to`: the first boundary at or after the last line.
        let next = match (self.next, self.latest) {
            (Some(next), Some(last)) => Some((
                next,
                self.opts.to.unwrap_or_else(|| {
                    next.max(
                        next + (last - next).div_euclid(step) * step
                            + if (last - next).rem_euclid(step) == 0 { 0 } else { step },
                    )
                }),
            )),
            (None, _) => self.opts.from.zip(self.opts.to),
            (Some(next), None) => self.opts.to.map(|to| (next, to)),
        };
        if let Some((mut next, to)) = next {
            while next <= to && self.rows.len() < MAX_STEPS {
                self.count(next);
                next = next.saturating_add(step);
            }
            self.next = Some(next);
        }
        self.stats.peak_resident = self.resident_at_steps.iter().copied().max().unwrap_or(0).max(self.stats.resident);
        self.canonical_missing();
        let prog = &self.engine.program;
        Report {
            bundle: prog.name.clone(),
            step: self.opts.step,
            lookback: self.lookback,
            lookback_source: self.lookback_source,
            session_timeout: self.opts.session_timeout,
            segments: prog.segments.iter().map(|s| s.name.clone()).collect(),
            slots: prog
                .slots
                .iter()
                .map(|s| {
                    let variants = std::iter::once(&s.default_id).chain(s.variants.iter().map(|v| &v.id));
                    (s.name.clone(), variants.cloned().collect())
                })
                .collect(),
            missing: std::mem::take(&mut self.missing_names),
            missing_totals: std::mem::take(&mut self.missing_totals),
            rows: std::mem::take(&mut self.rows),
            stats: self.stats.clone(),
        }
    }

    /// Counts the step at `at`: every customer seen within the lookback, the others forgotten.
    /// Only customers that can have changed are visited (a line came, or their wake time
    /// passed); the others count as they did, through the standing totals.
    fn count(&mut self, at: i64) {
        self.resident_at_steps.push(self.stats.resident);
        let prog = &self.engine.program;
        let mut row = StepRow {
            at,
            active: 0,
            evicted: 0,
            segments: vec![SegmentCount::default(); prog.segments.len()],
            variants: Vec::new(),
            missing: Vec::new(),
        };
        let mut due = self.waking.due(at);
        if self.opts.decide_all {
            due = (0..self.customers.len() as u32).collect();
        }
        let decided_before = self.decided;
        for slot in due {
            self.visit(slot, at, &mut row);
        }
        let standing = &self.standing;
        for (seg, (size, unknown)) in row.segments.iter_mut().zip(standing.size.iter().zip(&standing.unknown)) {
            seg.size = *size;
            seg.unknown = *unknown;
        }
        row.variants.clone_from(&standing.variants);
        row.missing.clone_from(&standing.missing);
        row.missing.resize(self.missing_names.len(), 0);
        for (total, n) in self.missing_totals.iter_mut().zip(&row.missing) {
            *total += n;
        }
        row.active = self.stats.resident as u64;
        self.stats.decisions += row.active;
        self.stats.reused += row.active - (self.decided - decided_before);
        self.counted = Some(at);
        self.rows.push(row);
    }

    /// Brings one customer up to `at`: forgotten if not seen within the lookback, else its
    /// history trimmed and its decision taken again when it can have changed, its counts moved
    /// from what it was to what it is, and its next wake time set.
    fn visit(&mut self, slot: u32, at: i64, row: &mut StepRow) {
        let Some(entry) = self.customers.get_mut(slot as usize) else { return };
        let Some(c) = entry else { return };
        if c.visited == at {
            return;
        }
        c.visited = at;
        let prog = &self.engine.program;
        let (timeout, max_history) = (self.opts.session_timeout, prog.max_history as usize);
        self.standing.remove(&c.last);
        if c.last_seen < at.saturating_sub(self.lookback) {
            for (seg, was) in row.segments.iter_mut().zip(&c.member) {
                seg.left += u64::from(*was);
            }
            self.stats.held_events = self.stats.held_events.saturating_sub(c.resident.len());
            self.waking.forget(slot);
            if let Some(old) = entry.take() {
                if let Some(id) = &old.resident.person.customer_id {
                    self.index.remove(&IdKey::new(&id.0));
                }
            }
            self.free.push(slot);
            row.evicted += 1;
            self.stats.evicted += 1;
            self.stats.resident -= 1;
            return;
        }
        // Each event is kept as long as some rule can read it: for its name's longest window,
        // at most the lookback. Nothing goes before `kept_until` unless a line came.
        let kept_for = &self.kept_for;
        let kept_for = |g: u32| kept_for.get(g as usize).copied().unwrap_or(self.lookback);
        if c.dirty || at >= c.kept_until {
            let before = c.resident.len();
            c.resident.forget_before(self.engine, |g| at.saturating_sub(kept_for(g)), max_history);
            self.stats.held_events = self.stats.held_events.saturating_sub(before - c.resident.len());
            c.kept_until = c.resident.first_forgotten(kept_for);
        }
        if c.dirty || at >= c.last.until || self.opts.decide_all {
            // Time changes a customer's context in three ways: what the rules read (the
            // engine's `until`), the session ending, and events leaving the kept history.
            let kept_until = c.kept_until;
            let session_until = c.session.ends(at, timeout).unwrap_or(i64::MAX);
            let (session, geo) = c.session.context(at, timeout).unwrap_or_default();
            let moment = Moment { now: Timestamp(at), session, geo, ..Moment::default() };
            let (decision, truths, until) =
                c.resident.decide_counted(self.engine, &mut self.desk, moment, Options::default(), self.content);
            let last = &mut c.last;
            last.until = until.min(session_until).min(kept_until);
            last.truths = truths;
            last.variants.clear();
            last.variants.extend(decision.slots.iter().zip(&prog.slots).map(|(d, def)| match d.is_default {
                true => 0,
                false => def.variants.iter().position(|v| v.id == d.variant).map_or(0, |p| p as u32 + 1),
            }));
            last.missing.clear();
            for m in decision.missing {
                let id = missing_id(&mut self.missing_names, &mut self.missing_ids, &mut self.missing_totals, m);
                last.missing.push(id);
            }
            c.dirty = false;
            self.decided += 1;
        }
        self.standing.add(&c.last);
        for ((seg, t), was) in row.segments.iter_mut().zip(&c.last.truths).zip(c.member.iter_mut()) {
            let now_in = *t == Tri::True;
            seg.entered += u64::from(now_in && !*was);
            seg.left += u64::from(!now_in && *was);
            *was = now_in;
        }
        // Wake again when time alone can change something: the decision, the kept history, or
        // the customer being forgotten.
        let forgotten = c.last_seen.saturating_add(self.lookback).saturating_add(1);
        let wake = c.last.until.min(c.kept_until).min(forgotten);
        self.waking.schedule(slot, wake, at);
    }
}

impl Replay<'_> {
    /// Missing signals sorted by name ([`missing_order`]), every row with a count for each: first-seen order would
    /// depend on which customer came first, and so on how customers are sharded.
    fn canonical_missing(&mut self) {
        let mut order: Vec<usize> = (0..self.missing_names.len()).collect();
        order.sort_by(|&a, &b| missing_order(&self.missing_names[a], &self.missing_names[b]));
        self.missing_names = order.iter().map(|&i| std::mem::take(&mut self.missing_names[i])).collect();
        self.missing_totals = order.iter().map(|&i| self.missing_totals[i]).collect();
        for row in &mut self.rows {
            row.missing = order.iter().map(|&i| row.missing.get(i).copied().unwrap_or(0)).collect();
        }
        self.missing_ids = self.missing_names.iter().enumerate().map(|(i, m)| (m.clone(), i as u32)).collect();
    }
}

/// The id of a missing signal, added to the table if new. Texts can quote input (an unknown zone
/// name): past [`MAX_MISSING_SIGNALS`] new ones are counted together.
fn missing_id(names: &mut Vec<String>, ids: &mut FastMap<String, u32>, totals: &mut Vec<u64>, m: String) -> u32 {
    let m = if names.len() >= MAX_MISSING_SIGNALS && !ids.contains_key(&m) { OTHER_SIGNALS.to_owned() } else { m };
    if let Some(&id) = ids.get(&m) {
        return id;
    }
    let id = names.len() as u32;
    ids.insert(m.clone(), id);
    names.push(m);
    totals.push(0);
    id
}

/// How missing signals are listed: by name, the signals counted together last.
pub(super) fn missing_order(a: &str, b: &str) -> std::cmp::Ordering {
    (a == OTHER_SIGNALS, a).cmp(&(b == OTHER_SIGNALS, b))
}
