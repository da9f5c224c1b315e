//! What a visitor keeps between moments, without its engine: the person and the packed history.
//! A [`Visitor`](super::Visitor) is a resident with its engine and a context to decide in; a
//! replay holds one resident per customer (tens of thousands at once) and lends each in turn to
//! its one engine and one context, so a resident costs only what it knows.
//!
//! The history is packed for one engine's bundle: pass every method that engine (or one whose
//! [`Engine::fingerprint`] is equal). Another engine reads the columns wrongly; it cannot panic.

use super::{check_event, EventError, Moment, Person};
use crate::context::{Context, Event};
use crate::decide::{Decider, Decision, Options};
use crate::history::Packed;
use crate::limits::MAX_HISTORY_BYTES;
use crate::Engine;
use std::borrow::Cow;
use std::mem::swap;

/// A person and their history, packed for one bundle, kept between decisions.
#[derive(Debug, Clone)]
pub struct Resident {
    /// What is known of the person: identity, consent, profile, scores and zone.
    pub person: Person,
    hist: Packed,
}

impl Resident {
    /// A resident with no history yet.
    pub fn new(engine: &Engine, person: Person) -> Resident {
        Resident { person, hist: Packed::new(&engine.plan) }
    }

    /// The resident a context describes, its history as of the context's `now` (later events are
    /// not kept, as a decision at that instant would not read them).
    pub fn from_context(engine: &Engine, ctx: &Context) -> Resident {
        let max = engine.program.max_history as usize;
        Resident { person: Person::of(ctx), hist: Packed::from_events(&engine.plan, &ctx.events.0, ctx.now.0, max) }
    }

    pub(super) fn from_parts(person: Person, hist: Packed) -> Resident {
        Resident { person, hist }
    }

    pub(super) fn history(&self) -> &Packed {
        &self.hist
    }

    /// How many events are kept.
    pub fn len(&self) -> usize {
        self.hist.len()
    }

    /// Whether no event is kept.
    pub fn is_empty(&self) -> bool {
        self.hist.is_empty()
    }

    /// Appends one event, placed by its time (see [`super::Visitor::track`]).
    pub fn track(&mut self, engine: &Engine, mut event: Event) -> Result<(), EventError> {
        check_event(&mut event)?;
        self.append(engine, &event);
        Ok(())
    }

    /// [`Resident::track`] for a borrowed event: a caller that refills one event per line (a
    /// replay) keeps its strings. Copied only when its name needs normalising or it has nulls.
    pub fn track_ref(&mut self, engine: &Engine, event: &Event) -> Result<(), EventError> {
        let mut checked = Cow::Borrowed(event);
        check_event(&mut checked)?;
        self.append(engine, &checked);
        Ok(())
    }

    /// Appends checked events in order, all or none (see [`super::Visitor::track_all`]).
    pub fn track_all(&mut self, engine: &Engine, mut events: Vec<Event>) -> Result<(), (usize, EventError)> {
        for (i, e) in events.iter_mut().enumerate() {
            check_event(e).map_err(|err| (i, err))?;
        }
        for e in &events {
            self.append(engine, e);
        }
        Ok(())
    }

    /// Keeps a checked event, within the bundle's `max_history` and the history byte bound.
    fn append(&mut self, engine: &Engine, event: &Event) {
        let keep = engine.program.max_history as usize;
        self.hist.track(&engine.plan, event, keep, MAX_HISTORY_BYTES);
    }

    /// Forgets the events of each history group older than `cutoff(group)`, then the oldest
    /// beyond the newest `max` ([`Engine::history_group`] names the groups). For holders that
    /// bound memory by time: a replay forgets what no rule's window reaches any more.
    pub fn forget_before(&mut self, engine: &Engine, cutoff: impl Fn(u32) -> i64, max: usize) {
        self.hist.forget_before(&engine.plan, cutoff, max);
    }

    /// When [`Resident::forget_before`] would first forget an event, time alone: the earliest
    /// `at + kept_for(group) + 1` over the kept events; `i64::MAX` for none.
    pub fn first_forgotten(&self, kept_for: impl Fn(u32) -> i64) -> i64 {
        self.hist.first_leaving(kept_for)
    }

    /// Decides every slot for `moment` in `desk`: the person is lent to it (swapped, not copied)
    /// and taken back. Reuse one desk for many residents; what it held is overwritten.
    pub fn decide(&mut self, engine: &Engine, desk: &mut Context, moment: Moment, opts: Options) -> Decision {
        let lent_zone = self.lend(desk, moment);
        let decision = Decider { engine }.decide_inner(desk, Some(&self.hist), opts, None, true);
        self.take_back(desk, lent_zone);
        decision
    }

    /// [`Engine::decide_counted`] for this resident at `moment`: the decision, every segment's
    /// truth, and until when time alone cannot change them.
    #[cfg(feature = "stability")]
    pub fn decide_counted(
        &mut self,
        engine: &Engine,
        desk: &mut Context,
        moment: Moment,
        opts: Options,
        content: bool,
    ) -> (Decision, Vec<crate::Tri>, i64) {
        let lent_zone = self.lend(desk, moment);
        let mut counted = crate::decide::Counted::new(engine.program.segments.len());
        let decision = Decider { engine }.decide_inner(desk, Some(&self.hist), opts, Some(&mut counted), content);
        self.take_back(desk, lent_zone);
        (decision, counted.segments, counted.until)
    }

    /// Sets `desk` to this moment and lends it the person. A moment's zone or offset wins over
    /// the person's (an offset alone replaces a zone); returns whether the person's were lent.
    fn lend(&mut self, desk: &mut Context, moment: Moment) -> bool {
        desk.now = moment.now;
        desk.session = moment.session;
        desk.geo = moment.geo;
        desk.event = moment.event;
        desk.events.0.clear();
        self.swap_person(desk);
        match (moment.timezone, moment.utc_offset) {
            (None, None) => {
                swap(&mut self.person.timezone, &mut desk.timezone);
                swap(&mut self.person.utc_offset, &mut desk.utc_offset);
                true
            }
            (zone, offset) => {
                (desk.timezone, desk.utc_offset) = (zone, offset);
                false
            }
        }
    }

    fn take_back(&mut self, desk: &mut Context, lent_zone: bool) {
        self.swap_person(desk);
        if lent_zone {
            swap(&mut self.person.timezone, &mut desk.timezone);
            swap(&mut self.person.utc_offset, &mut desk.utc_offset);
        }
    }

    fn swap_person(&mut self, desk: &mut Context) {
        let p = &mut self.person;
        swap(&mut p.customer_id, &mut desk.customer_id);
        swap(&mut p.anonymous_id, &mut desk.anonymous_id);
        swap(&mut p.consent, &mut desk.consent);
        swap(&mut p.profile, &mut desk.profile);
        swap(&mut p.scores, &mut desk.scores);
    }

    /// Approximate bytes held: the packed history plus profile, scores and consent.
    pub fn memory_bytes(&self) -> usize {
        let p = &self.person;
        let profile = p
            .profile
            .iter()
            .map(|(k, v)| k.len() + 32 + if let crate::context::Scalar::Str(s) = v { s.len() } else { 0 });
        std::mem::size_of::<Resident>()
            + self.hist.memory_bytes()
            + profile.sum::<usize>()
            + p.scores.keys().map(|k| k.len() + 48).sum::<usize>()
            + p.consent.keys().map(|k| k.len() + 24).sum::<usize>()
    }
}
