//! A resident visitor: what is known about one person, kept between decisions, with the history
//! packed for the bundle that reads it. `track` appends one event (no re-indexing), `decide` takes
//! only this moment's signals, and `save`/`restore` move it between page loads, the edge and KV as
//! compact, versioned bytes.
//!
//! A decision for a context ([`crate::Engine::decide`]) packs the context's events the same way
//! and runs the same evaluator, so the two paths cannot drift: tests/visitor.rs and the
//! `visitor` fuzz target check that they decide and explain alike.
//!
//! Here: [`Visitor`], [`Person`] and [`Moment`]; `saved` holds the byte form and its errors.

mod saved;
/// The saved form, for the decoder's differential tests (src/decode.rs).
#[cfg(test)]
pub(crate) mod saved_for_tests {
    pub(crate) use super::saved::{SavedVisitor, HEADER_LEN};
}

pub use saved::{SaveError, FORMAT_VERSION, MAGIC};

use crate::context::{
    clip, normalize_event_name, CachedScore, Context, Event, Geo, Scalar, Session, Text, Timestamp, MAX_MS, MIN_MS,
};
use crate::decide::{Decider, Decision, Options, RenderError, SlotDecision};
use crate::error::ErrorCode;
use crate::history::Packed;
use crate::limits::{MAX_CONTEXT_STRING_BYTES, MAX_HISTORY_BYTES};
use crate::Engine;
use serde::Deserialize;
use std::collections::BTreeMap;
use std::fmt;
use std::sync::Arc;

/// A field given as `null` (or, from JS, `undefined`) reads as its default, as if absent: JS
/// callers write `{ scores: ctx.scores }` whether or not there are scores.
fn or_default<'de, D: serde::Deserializer<'de>, T: Deserialize<'de> + Default>(d: D) -> Result<T, D::Error> {
    Option::<T>::deserialize(d).map(Option::unwrap_or_default)
}

/// What is known about a person between moments: identity, consent, profile and scores.
#[derive(Debug, Clone, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Person {
    /// The customer's id, once known: `customer.id` in rules, and what buckets hash.
    #[serde(default)]
    pub customer_id: Option<Text>,
    /// Consent flags; personalisation needs `personalization: true`.
    #[serde(default, deserialize_with = "or_default")]
    pub consent: BTreeMap<String, bool>,
    /// Customer attributes (`profile.NAME`).
    #[serde(default, deserialize_with = "or_default")]
    pub profile: BTreeMap<String, Scalar>,
    /// Cached model scores by name.
    #[serde(default, deserialize_with = "or_default")]
    pub scores: BTreeMap<String, CachedScore>,
    /// IANA zone, used when a moment names none.
    #[serde(default)]
    pub timezone: Option<Text>,
    /// UTC offset, used when a moment gives neither zone nor offset.
    #[serde(default)]
    pub utc_offset: Option<Text>,
    /// The first-party anonymous id (`kairos_aid`): what buckets hash without a `customer_id`.
    #[serde(default)]
    pub anonymous_id: Option<Text>,
}

/// This moment's signals: all a resident visitor's decision needs besides what it keeps. Read
/// by hand as a map (a JS reader then walks the keys given instead of probing every field, on
/// every decision); unknown and repeated keys are errors, `null` fields are absent.
#[derive(Debug, Clone, Default)]
pub struct Moment {
    /// The decision instant (epoch ms or RFC 3339). Required: the core never reads a clock.
    pub now: Timestamp,
    /// This visit's signals.
    pub session: Session,
    /// Where the visitor is now.
    pub geo: Geo,
    /// IANA zone now (overrides the person's).
    pub timezone: Option<Text>,
    /// UTC offset now (overrides the person's).
    pub utc_offset: Option<Text>,
    /// The event this decision answers (`event.*` in rules).
    pub event: Option<Event>,
}

/// The keys a moment object may have (the JSON form of [`Moment`]).
pub const MOMENT_FIELDS: &[&str] = &["now", "session", "geo", "timezone", "utc_offset", "event"];

impl<'de> Deserialize<'de> for Moment {
    fn deserialize<D: serde::Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        use serde::de::{self, MapAccess, Visitor};
        struct V;
        impl<'de> Visitor<'de> for V {
            type Value = Moment;
            fn expecting(&self, f: &mut fmt::Formatter) -> fmt::Result {
                f.write_str("a moment: {now, session?, geo?, timezone?, utc_offset?, event?}")
            }
            fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<Moment, A::Error> {
                let (mut out, mut now, mut seen) = (Moment::default(), None, 0u32);
                while let Some(key) = map.next_key::<Text>()? {
                    match crate::context::field(MOMENT_FIELDS, &key.0, &mut seen)? {
                        "now" => now = map.next_value::<Option<Timestamp>>()?,
                        "session" => out.session = map.next_value::<Option<Session>>()?.unwrap_or_default(),
                        "geo" => out.geo = map.next_value::<Option<Geo>>()?.unwrap_or_default(),
                        "timezone" => out.timezone = map.next_value()?,
                        "utc_offset" => out.utc_offset = map.next_value()?,
                        _ => out.event = map.next_value()?,
                    }
                }
                out.now = now.ok_or_else(|| de::Error::missing_field("now"))?;
                Ok(out)
            }
        }
        d.deserialize_map(V)
    }
}

impl Person {
    /// The person a context describes (identity, consent, profile, scores, zone).
    pub fn of(ctx: &Context) -> Person {
        Person {
            customer_id: ctx.customer_id.clone(),
            anonymous_id: ctx.anonymous_id.clone(),
            consent: ctx.consent.clone(),
            profile: ctx.profile.clone(),
            scores: ctx.scores.clone(),
            timezone: ctx.timezone.clone(),
            utc_offset: ctx.utc_offset.clone(),
        }
    }
}

impl Moment {
    /// The moment a context describes (its `now`, session, geo, zone and triggering event).
    pub fn of(ctx: &Context) -> Moment {
        Moment {
            now: ctx.now,
            session: ctx.session.clone(),
            geo: ctx.geo.clone(),
            timezone: ctx.timezone.clone(),
            utc_offset: ctx.utc_offset.clone(),
            event: ctx.event.clone(),
        }
    }
}

/// An event `track` refused; the visitor is unchanged.
#[derive(Debug, Clone, PartialEq)]
pub struct EventError {
    /// The field at fault: `name`, `timestamp` or `properties.KEY`.
    pub field: String,
    /// What is wrong.
    pub message: String,
}

impl EventError {
    /// The code of refused events.
    pub const CODE: ErrorCode = ErrorCode::Event;
    /// Always [`EventError::CODE`].
    pub fn code(&self) -> ErrorCode {
        Self::CODE
    }
}

impl fmt::Display for EventError {
    fn fmt(&self, f: &mut fmt::Formatter) -> fmt::Result {
        write!(f, "event {}: {}", self.field, self.message)
    }
}

impl std::error::Error for EventError {}

/// One person, resident: create from an [`Engine`], `track` events as they happen, `decide` per
/// moment, `save` between page loads.
#[derive(Debug, Clone)]
pub struct Visitor {
    engine: Arc<Engine>,
    /// The person, and the moment last decided; its `events` stay empty (the history is `hist`).
    ctx: Context,
    /// The person's own zone and offset, which a moment may override.
    zone: (Option<Text>, Option<Text>),
    hist: Packed,
}

impl Visitor {
    /// A visitor with no history yet.
    pub fn new(engine: Arc<Engine>, person: Person) -> Visitor {
        let hist = Packed::new(&engine.plan);
        let mut v = Visitor { engine, ctx: Context::default(), zone: (None, None), hist };
        v.set_person(person);
        v
    }

    /// The visitor a context describes, its history as of the context's `now` (later events are
    /// not kept, as a decision at that instant would not read them).
    pub fn from_context(engine: Arc<Engine>, ctx: &Context) -> Visitor {
        let max = engine.program.max_history as usize;
        let hist = Packed::from_events(&engine.plan, &ctx.events.0, ctx.now.0, max);
        let mut v = Visitor { engine, ctx: Context::default(), zone: (None, None), hist };
        v.set_person(Person::of(ctx));
        v
    }

    /// Replaces what is known of the person (the history stays).
    pub fn set_person(&mut self, p: Person) {
        self.ctx.customer_id = p.customer_id;
        self.ctx.anonymous_id = p.anonymous_id;
        self.ctx.consent = p.consent;
        self.ctx.profile = p.profile;
        self.ctx.scores = p.scores;
        self.zone = (p.timezone, p.utc_offset);
    }

    /// What is known of the person.
    pub fn person(&self) -> Person {
        Person {
            customer_id: self.ctx.customer_id.clone(),
            anonymous_id: self.ctx.anonymous_id.clone(),
            consent: self.ctx.consent.clone(),
            profile: self.ctx.profile.clone(),
            scores: self.ctx.scores.clone(),
            timezone: self.zone.0.clone(),
            utc_offset: self.zone.1.clone(),
        }
    }

    /// Whether the person gave personalisation consent (surfaces store nothing without it).
    pub fn has_consent(&self) -> bool {
        self.ctx.has_consent()
    }

    /// The engine this visitor decides with.
    pub fn engine(&self) -> &Arc<Engine> {
        &self.engine
    }

    /// Appends one event, placed by its time. A refused event changes nothing. The visitor keeps
    /// the newest `max_history` events (older ones are forgotten in batches) and at most
    /// [`MAX_HISTORY_BYTES`] of property text.
    pub fn track(&mut self, mut event: Event) -> Result<(), EventError> {
        check_event(&mut event)?;
        self.append(&event);
        Ok(())
    }

    /// Keeps a checked event, within the bundle's `max_history` and the history byte bound.
    fn append(&mut self, event: &Event) {
        let keep = self.engine.program.max_history as usize;
        self.hist.track(&self.engine.plan, event, keep, MAX_HISTORY_BYTES);
    }

    /// Appends events in the order given, all or none: the first refused one (its index, and
    /// why) leaves the visitor unchanged. For bulk loads (an event log, a batch from a queue).
    pub fn track_all(&mut self, mut events: Vec<Event>) -> Result<(), (usize, EventError)> {
        for (i, e) in events.iter_mut().enumerate() {
            check_event(e).map_err(|err| (i, err))?;
        }
        for e in &events {
            self.append(e);
        }
        Ok(())
    }

    /// Decides every slot for this moment, reading the kept history.
    pub fn decide(&mut self, moment: Moment, opts: Options) -> Decision {
        self.ctx.now = moment.now;
        self.ctx.session = moment.session;
        self.ctx.geo = moment.geo;
        self.ctx.event = moment.event;
        // A moment's zone or offset wins over the person's; an offset alone replaces a zone.
        let (zone, offset) = match (moment.timezone, moment.utc_offset) {
            (None, None) => self.zone.clone(),
            (tz, off) => (tz, off),
        };
        self.ctx.timezone = zone;
        self.ctx.utc_offset = offset;
        Decider { engine: &self.engine }.decide_inner(&self.ctx, Some(&self.hist), opts, None, true)
    }

    /// Decides for `moment` and returns one slot's decision: an email rendered at open time.
    pub fn render(&mut self, moment: Moment, slot: &str) -> Result<SlotDecision, RenderError> {
        let decision = self.decide(moment, Options::default());
        self.engine.slot_of(decision, slot)
    }

    /// How many events are kept.
    pub fn len(&self) -> usize {
        self.hist.len()
    }

    /// Whether no event is kept.
    pub fn is_empty(&self) -> bool {
        self.hist.is_empty()
    }

    /// Approximate bytes held: the packed history plus profile and scores.
    pub fn memory_bytes(&self) -> usize {
        let text = |m: &BTreeMap<String, Scalar>| {
            m.iter().map(|(k, v)| k.len() + 32 + if let Scalar::Str(s) = v { s.len() } else { 0 }).sum::<usize>()
        };
        std::mem::size_of::<Visitor>()
            + self.hist.memory_bytes()
            + text(&self.ctx.profile)
            + self.ctx.scores.keys().map(|k| k.len() + 48).sum::<usize>()
            + self.ctx.consent.keys().map(|k| k.len() + 24).sum::<usize>()
    }
}

/// The checks a deserialised event already passed, for events built in Rust: a name, a time in
/// range, strings within bounds, finite numbers. Names are normalised as the reader does.
fn check_event(e: &mut Event) -> Result<(), EventError> {
    let bad = |field: &str, message: &str| EventError { field: field.to_owned(), message: message.to_owned() };
    if e.name.trim().is_empty() {
        return Err(bad("name", "an event needs a name"));
    }
    if e.name.len() > MAX_CONTEXT_STRING_BYTES {
        return Err(bad("name", &format!("longer than {MAX_CONTEXT_STRING_BYTES} bytes")));
    }
    if !(MIN_MS..=MAX_MS).contains(&e.at) {
        return Err(bad("timestamp", "outside years 1000 to 9999"));
    }
    for (k, v) in &e.props {
        let field = || format!("properties.{}", clip(k, 64));
        if k.len() > MAX_CONTEXT_STRING_BYTES {
            return Err(EventError {
                field: field(),
                message: format!("key longer than {MAX_CONTEXT_STRING_BYTES} bytes"),
            });
        }
        match v {
            Scalar::Num(n) if !n.is_finite() => {
                return Err(EventError { field: field(), message: "not a finite number".into() })
            }
            Scalar::Str(s) if s.len() > MAX_CONTEXT_STRING_BYTES => {
                return Err(EventError {
                    field: field(),
                    message: format!("longer than {MAX_CONTEXT_STRING_BYTES} bytes"),
                })
            }
            _ => {}
        }
    }
    if e.data_bytes() > MAX_HISTORY_BYTES {
        return Err(bad("properties", &format!("more than {MAX_HISTORY_BYTES} bytes")));
    }
    let normal = normalize_event_name(&e.name);
    if normal != e.name {
        e.name = normal;
    }
    e.props.retain(|(_, v)| *v != Scalar::Null);
    Ok(())
}
