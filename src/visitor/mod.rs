//! A resident visitor: what is known about one person, kept between decisions, with the history
//! packed for the bundle that reads it. `track` appends one event (no re-indexing), `decide` takes
//! only this moment's signals, and `save`/`restore` move it between page loads, the edge and KV as
//! compact, versioned bytes.
//!
//! A decision for a context ([`crate::Engine::decide`]) packs the context's events the same way
//! and runs the same evaluator, so the two paths cannot drift: tests/visitor.rs and the
//! `visitor` fuzz target check that they decide and explain alike.
//!
//! Here: [`Visitor`], [`Person`] and [`Moment`]; `resident` holds [`Resident`], a visitor's state
//! without its engine (what a replay keeps per customer); `saved` holds the byte form and its errors.

mod resident;
mod saved;
/// The saved form, for the decoder's differential tests (src/decode.rs).
#[cfg(test)]
pub(crate) mod saved_for_tests {
    pub(crate) use super::saved::{SavedVisitor, HEADER_LEN};
}

pub use resident::Resident;
pub use saved::{SaveError, FORMAT_VERSION, MAGIC};

use crate::context::{
    clip, is_normal_event_name, normalize_event_name, CachedScore, Context, Event, Geo, Scalar, Session, Text,
    Timestamp, MAX_MS, MIN_MS,
};
use crate::decide::{Decision, Options, RenderError, SlotDecision};
use crate::error::ErrorCode;
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
    /// Whether the person gave personalisation consent (as [`Context::has_consent`]).
    pub fn has_consent(&self) -> bool {
        crate::context::personalization_consented(&self.consent)
    }

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
/// moment, `save` between page loads. A [`Resident`] with its engine and a context to decide in.
#[derive(Debug, Clone)]
pub struct Visitor {
    engine: Arc<Engine>,
    resident: Resident,
    /// What decisions read: the moment last decided, the person lent to it while deciding.
    desk: Context,
}

impl Visitor {
    /// A visitor with no history yet.
    pub fn new(engine: Arc<Engine>, person: Person) -> Visitor {
        let resident = Resident::new(&engine, person);
        Visitor { engine, resident, desk: Context::default() }
    }

    /// The visitor a context describes, its history as of the context's `now` (later events are
    /// not kept, as a decision at that instant would not read them).
    pub fn from_context(engine: Arc<Engine>, ctx: &Context) -> Visitor {
        let resident = Resident::from_context(&engine, ctx);
        Visitor { engine, resident, desk: Context::default() }
    }

    /// Replaces what is known of the person (the history stays).
    pub fn set_person(&mut self, p: Person) {
        self.resident.person = p;
    }

    /// What is known of the person.
    pub fn person(&self) -> Person {
        self.resident.person.clone()
    }

    /// Whether the person gave personalisation consent (surfaces store nothing without it).
    pub fn has_consent(&self) -> bool {
        self.resident.person.has_consent()
    }

    /// The engine this visitor decides with.
    pub fn engine(&self) -> &Arc<Engine> {
        &self.engine
    }

    /// Appends one event, placed by its time. A refused event changes nothing. The visitor keeps
    /// the newest `max_history` events (older ones are forgotten in batches) and at most
    /// [`MAX_HISTORY_BYTES`] of property text.
    pub fn track(&mut self, event: Event) -> Result<(), EventError> {
        self.resident.track(&self.engine, event)
    }

    /// Appends events in the order given, all or none: the first refused one (its index, and
    /// why) leaves the visitor unchanged. For bulk loads (an event log, a batch from a queue).
    pub fn track_all(&mut self, events: Vec<Event>) -> Result<(), (usize, EventError)> {
        self.resident.track_all(&self.engine, events)
    }

    /// Decides every slot for this moment, reading the kept history.
    pub fn decide(&mut self, moment: Moment, opts: Options) -> Decision {
        self.resident.decide(&self.engine, &mut self.desk, moment, opts)
    }

    /// Decides for `moment` and returns one slot's decision: an email rendered at open time.
    pub fn render(&mut self, moment: Moment, slot: &str) -> Result<SlotDecision, RenderError> {
        let decision = self.decide(moment, Options::default());
        self.engine.slot_of(decision, slot)
    }

    /// How many events are kept.
    pub fn len(&self) -> usize {
        self.resident.len()
    }

    /// Whether no event is kept.
    pub fn is_empty(&self) -> bool {
        self.resident.is_empty()
    }

    /// Approximate bytes held: the packed history plus profile and scores.
    pub fn memory_bytes(&self) -> usize {
        std::mem::size_of::<Visitor>() - std::mem::size_of::<Resident>() + self.resident.memory_bytes()
    }
}

/// The checks a deserialised event already passed, for events built in Rust: a name, a time in
/// range, strings within bounds, finite numbers. Names are normalised as the reader does.
fn check_fields(e: &Event) -> Result<(), EventError> {
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
    Ok(())
}

/// Checks `e` ([`check_fields`]) and normalises it as the reader does: its name, and no `null`
/// properties. A borrowed event is copied only when that changes it.
pub(super) fn check_event(e: &mut impl EventSlot) -> Result<(), EventError> {
    check_fields(e.event())?;
    let event = e.event();
    if !is_normal_event_name(&event.name) || event.props.iter().any(|(_, v)| *v == Scalar::Null) {
        let e = e.owned();
        e.name = normalize_event_name(&e.name);
        e.props.retain(|(_, v)| *v != Scalar::Null);
    }
    Ok(())
}

/// An event to check in place: owned, or borrowed until it must change.
pub(super) trait EventSlot {
    fn event(&self) -> &Event;
    fn owned(&mut self) -> &mut Event;
}

impl EventSlot for Event {
    fn event(&self) -> &Event {
        self
    }
    fn owned(&mut self) -> &mut Event {
        self
    }
}

impl EventSlot for std::borrow::Cow<'_, Event> {
    fn event(&self) -> &Event {
        self
    }
    fn owned(&mut self) -> &mut Event {
        self.to_mut()
    }
}
