//! The decision context: everything known about one visitor at one instant.
//! It is read with serde, so the same types accept JSON (CLI, worker) and JS
//! values (wasm, through serde-wasm-bindgen).
//!
//! The types are here; how they are read (the hand-written `Deserialize` impls, the bounds on
//! strings, instants and skipped values) is in `deserialize`.

mod deserialize;

pub(crate) use deserialize::field;
#[cfg(feature = "json")]
pub(crate) use deserialize::kept_props;
pub use deserialize::SESSION_FIELDS;
pub(crate) use deserialize::{check_len, check_ms, insert_prop};

use serde::Deserialize;
use std::collections::BTreeMap;

// The limits live in src/limits.rs.
/// Longest string accepted anywhere in a context (longer input is an error, not truncated).
pub use crate::limits::MAX_CONTEXT_STRING_BYTES as MAX_STRING_BYTES;
/// Most events accepted in one context; rules read at most the bundle's `max_history` newest.
pub use crate::limits::MAX_EVENTS;
/// Most bytes of event data (names, property keys and values) in one context.
pub use crate::limits::MAX_HISTORY_BYTES;

/// What one decision knows about one visitor at one instant: JSON or a JS object, all optional but `now`.
#[derive(Debug, Clone, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Context {
    /// Decision instant (epoch ms, or an RFC 3339 string). Required: the core never reads a clock.
    pub now: Timestamp,
    /// The customer's id, once known (a login): `customer.id` in rules, and what buckets hash.
    #[serde(default)]
    pub customer_id: Option<Text>,
    /// IANA zone (`Europe/Paris`).
    #[serde(default)]
    pub timezone: Option<Text>,
    /// Explicit UTC offset (`+05:30`) when no zone name is known.
    #[serde(default)]
    pub utc_offset: Option<Text>,
    /// Consent flags; personalisation needs `personalization: true`.
    #[serde(default)]
    pub consent: BTreeMap<String, bool>,
    /// This visit: device, page, referrer, UTM, views, searches, dwell times.
    #[serde(default)]
    pub session: Session,
    /// Where the visitor is, as the edge or the caller knows it.
    #[serde(default)]
    pub geo: Geo,
    /// Customer attributes (`profile.NAME` in rules).
    #[serde(default)]
    pub profile: BTreeMap<String, Scalar>,
    /// Cached model scores by name (`score` and `scores.NAME` in rules).
    #[serde(default)]
    pub scores: BTreeMap<String, CachedScore>,
    /// Past events, in any order: the newest `max_history` not after `now` are kept.
    #[serde(default)]
    pub events: Events,
    /// The event this decision answers (an email's triggering deposit attempt): `event.*` in rules and templates.
    #[serde(default)]
    pub event: Option<Event>,
    /// A first-party anonymous id that lasts across sessions (the page's and the edge's
    /// `kairos_aid`): what buckets hash when there is no `customer_id`. Never `customer.id`.
    #[serde(default)]
    pub anonymous_id: Option<Text>,
}

/// The current visit. Read by hand (in deserialize.rs) as a map, so a JS reader walks the keys
/// given rather than probing each of the fields; unknown and repeated keys are errors.
#[derive(Debug, Clone, Default)]
pub struct Session {
    /// mobile, tablet, desktop or unknown; derived from hints or the user agent when absent.
    pub device: Option<Text>,
    /// The `User-Agent` header, for the device class when neither `device` nor a hint says.
    pub user_agent: Option<Text>,
    /// User-agent client hints (`Sec-CH-UA-*`).
    pub client_hints: ClientHints,
    /// The viewport size in CSS pixels.
    pub viewport: Option<Viewport>,
    /// The referring URL.
    pub referrer: Option<Text>,
    /// Current page URL; UTM parameters are read from it when `utm` is absent.
    pub url: Option<Text>,
    /// UTM parameters by name (`source`, `medium`, …), overriding the URL's.
    pub utm: BTreeMap<String, Text>,
    /// Current page path or type (`/`, `home`, `checkout`).
    pub page: Option<Text>,
    /// Pages viewed this session.
    pub page_views: Option<u32>,
    /// Products viewed this session, oldest first.
    pub product_views: Vec<ProductView>,
    /// Searches this session, oldest first.
    pub searches: Vec<Search>,
    /// Time spent in the cart, in ms.
    pub cart_dwell_ms: Option<Finite>,
    /// Time spent in checkout, in ms.
    pub checkout_dwell_ms: Option<Finite>,
    /// Searches for coupons this session.
    pub coupon_searches: Option<u32>,
}

/// Read by hand (in deserialize.rs): unknown keys are skipped with a depth bound.
#[derive(Debug, Clone, Default)]
pub struct ClientHints {
    /// `Sec-CH-UA-Mobile` (`?1`/`?0`) or a boolean.
    pub mobile: Option<HintBool>,
    /// `Sec-CH-UA-Platform`, read but not a signal yet.
    pub platform: Option<Text>,
}

/// Read by hand (in deserialize.rs): unknown keys are skipped with a depth bound.
#[derive(Debug, Clone, Copy)]
pub struct Viewport {
    /// Width in CSS pixels.
    pub width: Finite,
    /// Height in CSS pixels.
    pub height: Finite,
}

/// One product view.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ProductView {
    /// The product's id.
    pub id: Text,
    /// Its category, when known.
    #[serde(default)]
    pub category: Option<Text>,
}

/// A search: a bare term, or `{term, category}`.
#[derive(Debug, Clone)]
pub struct Search {
    /// What was searched for.
    pub term: String,
    /// The category searched in, when known.
    pub category: Option<String>,
}

/// Where the visitor is.
#[derive(Debug, Clone, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Geo {
    /// Country, as the caller gives it (the edge: the two-letter code of the request's `cf` object).
    #[serde(default)]
    pub country: Option<Text>,
    /// Region or state.
    #[serde(default)]
    pub region: Option<Text>,
    /// City.
    #[serde(default)]
    pub city: Option<Text>,
    /// Latitude in degrees.
    #[serde(default)]
    pub lat: Option<Finite>,
    /// Longitude in degrees.
    #[serde(default)]
    pub lon: Option<Finite>,
}

/// A precomputed score with the time it was computed.
#[derive(Debug, Clone, Copy, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct CachedScore {
    /// The score.
    pub value: Finite,
    /// When it was computed: a score older than a rule's `max_age` is unknown.
    pub computed_at: Timestamp,
}

/// A profile or event property value.
#[derive(Debug, Clone, PartialEq)]
pub enum Scalar {
    /// JSON `null`: present, but no value.
    Null,
    /// A boolean.
    Bool(bool),
    /// A finite number.
    Num(f64),
    /// A string.
    Str(String),
}

/// One history event.
#[derive(Debug, Clone, PartialEq)]
pub struct Event {
    /// Normalised name: `Product Viewed` → `product_viewed`.
    pub name: String,
    /// When it happened, epoch ms.
    pub at: i64,
    /// Its properties (`p`), in written order.
    pub props: Vec<(String, Scalar)>,
}

impl Event {
    /// Approximate size, for the history byte bound: 8 bytes for the timestamp plus the text and numbers it holds.
    pub fn data_bytes(&self) -> usize {
        8 + self.name.len()
            + self.props.iter().map(|(k, v)| k.len() + if let Scalar::Str(s) = v { s.len() } else { 8 }).sum::<usize>()
    }

    /// The value of property `name`, if the event has it.
    pub fn prop(&self, name: &str) -> Option<&Scalar> {
        self.props.iter().find(|(k, _)| k == name).map(|(_, v)| v)
    }
}

/// Event history; at most `MAX_EVENTS`.
#[derive(Debug, Clone, Default)]
pub struct Events(pub Vec<Event>);

/// Epoch milliseconds, read from a number or an RFC 3339 string.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, PartialOrd, Ord)]
pub struct Timestamp(pub i64);

/// A finite number (NaN and infinities are rejected).
#[derive(Debug, Clone, Copy, Default, PartialEq, PartialOrd)]
pub struct Finite(pub f64);

/// A string of at most `MAX_STRING_BYTES`.
#[derive(Debug, Clone, Default, PartialEq, Eq, PartialOrd, Ord)]
pub struct Text(pub String);

/// A boolean that also accepts the structured-header forms `?1` / `?0`.
#[derive(Debug, Clone, Copy)]
pub struct HintBool(pub bool);

// Timestamps must fall in years 1000–9999 so arithmetic on them cannot overflow.
/// Earliest accepted instant: 1000-01-01T00:00:00Z.
pub const MIN_MS: i64 = -30_610_224_000_000;
/// Latest accepted instant: 9999-12-31T23:59:59.999Z.
pub const MAX_MS: i64 = 253_402_300_799_999;

/// `s` cut to at most `max` bytes, at a character boundary.
pub fn clip(s: &str, max: usize) -> &str {
    let mut end = s.len().min(max);
    while !s.is_char_boundary(end) {
        end -= 1;
    }
    &s[..end]
}

/// `Product Viewed`, `product-viewed` and `product_viewed` all name one event.
pub fn normalize_event_name(name: &str) -> String {
    if is_normal_event_name(name) {
        name.to_owned()
    } else {
        renamed(name)
    }
}

/// [`normalize_event_name`] of an owned name: kept as it is, without a copy, when it already is
/// (names sent by code usually are).
pub fn normalized_event_name(name: String) -> String {
    if is_normal_event_name(&name) {
        name
    } else {
        renamed(&name)
    }
}

/// Whether normalising leaves `name` as it is. Only ASCII bytes change (`to_ascii_lowercase`
/// leaves other characters be), so a byte scan decides.
/// Whether consent flags allow personalisation: `personalization: true`, nothing less. What a
/// context and a resident person both answer.
pub(crate) fn personalization_consented(consent: &BTreeMap<String, bool>) -> bool {
    consent.get("personalization").copied().unwrap_or(false)
}

pub(crate) fn is_normal_event_name(name: &str) -> bool {
    let changes = |b: &u8| matches!(b, b' ' | b'-' | b'.' | b'A'..=b'Z');
    !name.as_bytes().iter().any(changes) && name.trim().len() == name.len()
}

fn renamed(name: &str) -> String {
    name.trim().chars().map(|c| if c == ' ' || c == '-' || c == '.' { '_' } else { c.to_ascii_lowercase() }).collect()
}

impl Context {
    /// Personalisation is allowed only with explicit consent.
    pub fn has_consent(&self) -> bool {
        personalization_consented(&self.consent)
    }

    /// What holdout and A/B buckets hash: the customer's id, else the anonymous id
    /// (docs/bucketing.md). A visitor who identifies moves from one to the other.
    pub fn bucketing_id(&self) -> Option<&Text> {
        self.customer_id.as_ref().or(self.anonymous_id.as_ref())
    }
}
