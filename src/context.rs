//! The decision context: everything known about one visitor at one instant.
//! It is read with serde, so the same types accept JSON (CLI, worker) and JS
//! values (wasm, through serde-wasm-bindgen).

use crate::limits::{Nesting, MAX_SKIPPED_DEPTH};
use crate::time::parse_timestamp;
use serde::de::{self, Deserializer, MapAccess, Visitor};
use serde::Deserialize;
use std::collections::BTreeMap;
use std::fmt;

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
    /// The visitor's stable id: holdout and bucketing need it.
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
}

/// The current visit.
#[derive(Debug, Clone, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Session {
    /// mobile, tablet, desktop or unknown; derived from hints or the user agent when absent.
    #[serde(default)]
    pub device: Option<Text>,
    /// The `User-Agent` header, for the device class when neither `device` nor a hint says.
    #[serde(default)]
    pub user_agent: Option<Text>,
    /// User-agent client hints (`Sec-CH-UA-*`).
    #[serde(default)]
    pub client_hints: ClientHints,
    /// The viewport size in CSS pixels.
    #[serde(default)]
    pub viewport: Option<Viewport>,
    /// The referring URL.
    #[serde(default)]
    pub referrer: Option<Text>,
    /// Current page URL; UTM parameters are read from it when `utm` is absent.
    #[serde(default)]
    pub url: Option<Text>,
    /// UTM parameters by name (`source`, `medium`, …), overriding the URL's.
    #[serde(default)]
    pub utm: BTreeMap<String, Text>,
    /// Current page path or type (`/`, `home`, `checkout`).
    #[serde(default)]
    pub page: Option<Text>,
    /// Pages viewed this session.
    #[serde(default)]
    pub page_views: Option<u32>,
    /// Products viewed this session, oldest first.
    #[serde(default)]
    pub product_views: Vec<ProductView>,
    /// Searches this session, oldest first.
    #[serde(default)]
    pub searches: Vec<Search>,
    /// Time spent in the cart, in ms.
    #[serde(default)]
    pub cart_dwell_ms: Option<Finite>,
    /// Time spent in checkout, in ms.
    #[serde(default)]
    pub checkout_dwell_ms: Option<Finite>,
    /// Searches for coupons this session.
    #[serde(default)]
    pub coupon_searches: Option<u32>,
}

/// Read by hand (below): unknown keys are skipped with a depth bound.
#[derive(Debug, Clone, Default)]
pub struct ClientHints {
    /// `Sec-CH-UA-Mobile` (`?1`/`?0`) or a boolean.
    pub mobile: Option<HintBool>,
    /// `Sec-CH-UA-Platform`, read but not a signal yet.
    pub platform: Option<Text>,
}

/// Read by hand (below): unknown keys are skipped with a depth bound.
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

fn check_ms<E: de::Error>(ms: i64) -> Result<i64, E> {
    if (MIN_MS..=MAX_MS).contains(&ms) {
        Ok(ms)
    } else {
        Err(E::custom(format!("timestamp {ms} is outside years 1000–9999")))
    }
}

impl<'de> Deserialize<'de> for Timestamp {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        struct V;
        impl Visitor<'_> for V {
            type Value = Timestamp;
            fn expecting(&self, f: &mut fmt::Formatter) -> fmt::Result {
                f.write_str("a timestamp: epoch milliseconds or an RFC 3339 string")
            }
            fn visit_i64<E: de::Error>(self, v: i64) -> Result<Timestamp, E> {
                check_ms(v).map(Timestamp)
            }
            fn visit_u64<E: de::Error>(self, v: u64) -> Result<Timestamp, E> {
                check_ms(i64::try_from(v).unwrap_or(i64::MAX)).map(Timestamp)
            }
            fn visit_f64<E: de::Error>(self, v: f64) -> Result<Timestamp, E> {
                if !v.is_finite() || v.abs() > 1e15 {
                    return Err(E::custom("expected a finite timestamp in epoch milliseconds"));
                }
                check_ms(v as i64).map(Timestamp)
            }
            fn visit_str<E: de::Error>(self, v: &str) -> Result<Timestamp, E> {
                parse_timestamp(v).map_err(|e| E::custom(e.message)).and_then(check_ms).map(Timestamp)
            }
        }
        d.deserialize_any(V)
    }
}

impl<'de> Deserialize<'de> for Finite {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        let v = f64::deserialize(d)?;
        if v.is_finite() {
            Ok(Finite(v))
        } else {
            Err(de::Error::custom("expected a finite number, found NaN or infinity"))
        }
    }
}

impl<'de> Deserialize<'de> for Text {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        let s = String::deserialize(d)?;
        check_len(&s)?;
        Ok(Text(s))
    }
}

/// `s` cut to at most `max` bytes, at a character boundary.
pub fn clip(s: &str, max: usize) -> &str {
    let mut end = s.len().min(max);
    while !s.is_char_boundary(end) {
        end -= 1;
    }
    &s[..end]
}

fn check_len<E: de::Error>(s: &str) -> Result<(), E> {
    if s.len() > MAX_STRING_BYTES {
        Err(E::custom(format!("string of {} bytes exceeds the {MAX_STRING_BYTES}-byte limit", s.len())))
    } else {
        Ok(())
    }
}

impl<'de> Deserialize<'de> for HintBool {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        struct V;
        impl Visitor<'_> for V {
            type Value = HintBool;
            fn expecting(&self, f: &mut fmt::Formatter) -> fmt::Result {
                f.write_str("a boolean or a client-hint flag `?1`/`?0`")
            }
            fn visit_bool<E: de::Error>(self, v: bool) -> Result<HintBool, E> {
                Ok(HintBool(v))
            }
            fn visit_str<E: de::Error>(self, v: &str) -> Result<HintBool, E> {
                match v {
                    "?1" | "true" => Ok(HintBool(true)),
                    "?0" | "false" => Ok(HintBool(false)),
                    _ => Err(E::custom("expected `?1` or `?0`")),
                }
            }
        }
        d.deserialize_any(V)
    }
}

impl<'de> Deserialize<'de> for Scalar {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        d.deserialize_any(ScalarVisitor)
    }
}

struct ScalarVisitor;

impl<'de> Visitor<'de> for ScalarVisitor {
    type Value = Scalar;
    fn expecting(&self, f: &mut fmt::Formatter) -> fmt::Result {
        f.write_str("a number, string, boolean or null")
    }
    fn visit_unit<E: de::Error>(self) -> Result<Scalar, E> {
        Ok(Scalar::Null)
    }
    fn visit_none<E: de::Error>(self) -> Result<Scalar, E> {
        Ok(Scalar::Null)
    }
    fn visit_bool<E: de::Error>(self, v: bool) -> Result<Scalar, E> {
        Ok(Scalar::Bool(v))
    }
    fn visit_i64<E: de::Error>(self, v: i64) -> Result<Scalar, E> {
        Ok(Scalar::Num(v as f64))
    }
    fn visit_u64<E: de::Error>(self, v: u64) -> Result<Scalar, E> {
        Ok(Scalar::Num(v as f64))
    }
    fn visit_f64<E: de::Error>(self, v: f64) -> Result<Scalar, E> {
        if v.is_finite() {
            Ok(Scalar::Num(v))
        } else {
            Err(E::custom("expected a finite number, found NaN or infinity"))
        }
    }
    fn visit_str<E: de::Error>(self, v: &str) -> Result<Scalar, E> {
        check_len(v)?;
        Ok(Scalar::Str(v.to_owned()))
    }
    // Nested values in analytics payloads (product arrays, context objects) are
    // not readable by rules; they are skipped rather than rejected.
    fn visit_seq<A: de::SeqAccess<'de>>(self, mut seq: A) -> Result<Scalar, A::Error> {
        while seq.next_element::<Skip>()?.is_some() {}
        Ok(Scalar::Null)
    }
    fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<Scalar, A::Error> {
        while map.next_entry::<Skip, Skip>()?.is_some() {}
        Ok(Scalar::Null)
    }
}

/// A value a context carries but rules never read (analytics payloads, nested properties):
/// skipped, at most [`MAX_SKIPPED_DEPTH`] levels deep. Walked value by value rather than with
/// serde_json's own skipping, so that JSON text and JS values (wasm, where nothing else bounds
/// the recursion) are refused alike, with the same error.
struct Skip;

impl<'de> Deserialize<'de> for Skip {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        d.deserialize_any(Skip)
    }
}

impl<'de> Visitor<'de> for Skip {
    type Value = Skip;
    fn expecting(&self, f: &mut fmt::Formatter) -> fmt::Result {
        f.write_str("any value")
    }
    fn visit_bool<E: de::Error>(self, _: bool) -> Result<Skip, E> {
        Ok(Skip)
    }
    fn visit_i64<E: de::Error>(self, _: i64) -> Result<Skip, E> {
        Ok(Skip)
    }
    fn visit_u64<E: de::Error>(self, _: u64) -> Result<Skip, E> {
        Ok(Skip)
    }
    fn visit_f64<E: de::Error>(self, _: f64) -> Result<Skip, E> {
        Ok(Skip)
    }
    fn visit_str<E: de::Error>(self, _: &str) -> Result<Skip, E> {
        Ok(Skip)
    }
    fn visit_bytes<E: de::Error>(self, _: &[u8]) -> Result<Skip, E> {
        Ok(Skip)
    }
    fn visit_unit<E: de::Error>(self) -> Result<Skip, E> {
        Ok(Skip)
    }
    fn visit_none<E: de::Error>(self) -> Result<Skip, E> {
        Ok(Skip)
    }
    fn visit_some<D: Deserializer<'de>>(self, d: D) -> Result<Skip, D::Error> {
        Skip::deserialize(d)
    }
    fn visit_newtype_struct<D: Deserializer<'de>>(self, d: D) -> Result<Skip, D::Error> {
        Skip::deserialize(d)
    }
    fn visit_seq<A: de::SeqAccess<'de>>(self, mut seq: A) -> Result<Skip, A::Error> {
        let _level = Nesting::enter(MAX_SKIPPED_DEPTH, "value")?;
        while seq.next_element::<Skip>()?.is_some() {}
        Ok(Skip)
    }
    fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<Skip, A::Error> {
        let _level = Nesting::enter(MAX_SKIPPED_DEPTH, "value")?;
        while map.next_entry::<Skip, Skip>()?.is_some() {}
        Ok(Skip)
    }
    fn visit_enum<A: de::EnumAccess<'de>>(self, data: A) -> Result<Skip, A::Error> {
        use de::VariantAccess;
        data.variant::<Skip>()?.1.newtype_variant::<Skip>()
    }
}

impl<'de> Deserialize<'de> for ClientHints {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        struct V;
        impl<'de> Visitor<'de> for V {
            type Value = ClientHints;
            fn expecting(&self, f: &mut fmt::Formatter) -> fmt::Result {
                f.write_str("client hints: {\"mobile\", \"platform\"}")
            }
            fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<ClientHints, A::Error> {
                let mut out = ClientHints::default();
                while let Some(key) = map.next_key::<Text>()? {
                    match key.0.as_str() {
                        "mobile" => out.mobile = map.next_value()?,
                        "platform" => out.platform = map.next_value()?,
                        // Other hints (brands, architecture …) are not signals.
                        _ => {
                            map.next_value::<Skip>()?;
                        }
                    }
                }
                Ok(out)
            }
        }
        d.deserialize_map(V)
    }
}

impl<'de> Deserialize<'de> for Viewport {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        struct V;
        impl<'de> Visitor<'de> for V {
            type Value = Viewport;
            fn expecting(&self, f: &mut fmt::Formatter) -> fmt::Result {
                f.write_str("a viewport: {\"width\", \"height\"}")
            }
            fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<Viewport, A::Error> {
                let (mut width, mut height) = (None, None);
                while let Some(key) = map.next_key::<Text>()? {
                    match key.0.as_str() {
                        "width" => width = Some(map.next_value()?),
                        "height" => height = Some(map.next_value()?),
                        _ => {
                            map.next_value::<Skip>()?;
                        }
                    }
                }
                Ok(Viewport {
                    width: width.ok_or_else(|| de::Error::missing_field("width"))?,
                    height: height.ok_or_else(|| de::Error::missing_field("height"))?,
                })
            }
        }
        d.deserialize_map(V)
    }
}

impl<'de> Deserialize<'de> for Search {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        #[derive(Deserialize)]
        #[serde(deny_unknown_fields)]
        struct Full {
            term: Text,
            #[serde(default)]
            category: Option<Text>,
        }
        struct V;
        impl<'de> Visitor<'de> for V {
            type Value = Search;
            fn expecting(&self, f: &mut fmt::Formatter) -> fmt::Result {
                f.write_str("a search term string or {\"term\", \"category\"}")
            }
            fn visit_str<E: de::Error>(self, v: &str) -> Result<Search, E> {
                check_len(v)?;
                Ok(Search { term: v.to_owned(), category: None })
            }
            fn visit_map<A: MapAccess<'de>>(self, map: A) -> Result<Search, A::Error> {
                let full = Full::deserialize(de::value::MapAccessDeserializer::new(map))?;
                Ok(Search { term: full.term.0, category: full.category.map(|c| c.0) })
            }
        }
        d.deserialize_any(V)
    }
}

/// `Product Viewed`, `product-viewed` and `product_viewed` all name one event.
pub fn normalize_event_name(name: &str) -> String {
    name.trim().chars().map(|c| if c == ' ' || c == '-' || c == '.' { '_' } else { c.to_ascii_lowercase() }).collect()
}

impl<'de> Deserialize<'de> for Event {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        d.deserialize_map(EventVisitor)
    }
}

struct EventVisitor;

/// Properties map, scalars only.
struct Props(Vec<(String, Scalar)>);

impl<'de> Deserialize<'de> for Props {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        let map: BTreeMap<String, Scalar> = BTreeMap::deserialize(d)?;
        Ok(Props(map.into_iter().filter(|(_, v)| *v != Scalar::Null).collect()))
    }
}

impl<'de> Visitor<'de> for EventVisitor {
    type Value = Event;
    fn expecting(&self, f: &mut fmt::Formatter) -> fmt::Result {
        f.write_str(
            "an event: {\"event\", \"properties\", \"timestamp\"} (analytics track) or {\"e\", \"p\", \"t\"} (compact)",
        )
    }
    fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<Event, A::Error> {
        let (mut name, mut at, mut props, mut kind) = (None, None, Vec::new(), None::<String>);
        while let Some(key) = map.next_key::<String>()? {
            match key.as_str() {
                "event" | "e" | "name" => name = Some(map.next_value::<Text>()?.0),
                "timestamp" | "t" | "ts" | "time" => at = Some(map.next_value::<Timestamp>()?.0),
                "properties" | "p" | "props" => props = map.next_value::<Props>()?.0,
                "type" => kind = Some(map.next_value::<Text>()?.0),
                // Analytics envelopes carry much more (messageId, context, userId …): ignored.
                _ => {
                    map.next_value::<Skip>()?;
                }
            }
        }
        let name = match (name, kind.as_deref()) {
            (Some(n), _) => n,
            (None, Some("page")) => "page_viewed".into(),
            (None, Some("identify")) => "identify".into(),
            _ => return Err(de::Error::missing_field("event")),
        };
        let at = at.ok_or_else(|| de::Error::missing_field("timestamp"))?;
        Ok(Event { name: normalize_event_name(&name), at, props })
    }
}

impl<'de> Deserialize<'de> for Events {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        struct V;
        impl<'de> Visitor<'de> for V {
            type Value = Events;
            fn expecting(&self, f: &mut fmt::Formatter) -> fmt::Result {
                write!(f, "a list of at most {MAX_EVENTS} events")
            }
            fn visit_seq<A: de::SeqAccess<'de>>(self, mut seq: A) -> Result<Events, A::Error> {
                let mut out: Vec<Event> = Vec::new();
                let mut bytes = 0usize;
                while let Some(e) = seq.next_element::<Event>()? {
                    if out.len() == MAX_EVENTS {
                        return Err(de::Error::custom(format!("more than {MAX_EVENTS} events")));
                    }
                    bytes += e.data_bytes();
                    if bytes > MAX_HISTORY_BYTES {
                        return Err(de::Error::custom(format!("event history exceeds {MAX_HISTORY_BYTES} bytes")));
                    }
                    out.push(e);
                }
                Ok(Events(out))
            }
        }
        d.deserialize_seq(V)
    }
}

impl Context {
    /// Personalisation is allowed only with explicit consent.
    pub fn has_consent(&self) -> bool {
        self.consent.get("personalization").copied().unwrap_or(false)
    }
}
