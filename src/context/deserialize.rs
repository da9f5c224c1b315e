//! Reading a context: the `Deserialize` impls written by hand, and the checks they make
//! (instants in range, finite numbers, string lengths, bounded skipping of unread values).

use super::{
    normalized_event_name, ClientHints, Event, Events, Finite, HintBool, Scalar, Search, Session, Text, Timestamp,
    Viewport, MAX_EVENTS, MAX_HISTORY_BYTES, MAX_MS, MAX_STRING_BYTES, MIN_MS,
};
use crate::limits::{Nesting, MAX_SKIPPED_DEPTH};
use crate::time::parse_timestamp;
use serde::de::{self, Deserializer, MapAccess, Visitor};
use serde::Deserialize;
use std::fmt;

pub(crate) fn check_ms<E: de::Error>(ms: i64) -> Result<i64, E> {
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

pub(crate) fn check_len<E: de::Error>(s: &str) -> Result<(), E> {
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

/// The keys a session object may have (the JSON form of [`Session`](super::Session)).
pub const SESSION_FIELDS: &[&str] = &[
    "device",
    "user_agent",
    "client_hints",
    "viewport",
    "referrer",
    "url",
    "utm",
    "page",
    "page_views",
    "product_views",
    "searches",
    "cart_dwell_ms",
    "checkout_dwell_ms",
    "coupon_searches",
];

/// Which of `fields` a hand-read struct's `key` names, marked in `seen`: unknown and repeated
/// keys are the errors a derived reader with `deny_unknown_fields` gives.
pub(crate) fn field<E: de::Error>(
    fields: &'static [&'static str],
    key: &str,
    seen: &mut u32,
) -> Result<&'static str, E> {
    let Some(i) = fields.iter().position(|f| *f == key) else {
        return Err(E::unknown_field(key, fields));
    };
    if *seen & (1 << i) != 0 {
        return Err(E::duplicate_field(fields[i]));
    }
    *seen |= 1 << i;
    Ok(fields[i])
}

impl<'de> Deserialize<'de> for Session {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        struct V;
        impl<'de> Visitor<'de> for V {
            type Value = Session;
            fn expecting(&self, f: &mut fmt::Formatter) -> fmt::Result {
                f.write_str("the session: {device, page, referrer, url, utm, …}")
            }
            fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<Session, A::Error> {
                let mut out = Session::default();
                let mut seen = 0u32;
                while let Some(key) = map.next_key::<Text>()? {
                    match field(SESSION_FIELDS, &key.0, &mut seen)? {
                        "device" => out.device = map.next_value()?,
                        "user_agent" => out.user_agent = map.next_value()?,
                        "client_hints" => out.client_hints = map.next_value()?,
                        "viewport" => out.viewport = map.next_value()?,
                        "referrer" => out.referrer = map.next_value()?,
                        "url" => out.url = map.next_value()?,
                        "utm" => out.utm = map.next_value()?,
                        "page" => out.page = map.next_value()?,
                        "page_views" => out.page_views = map.next_value()?,
                        "product_views" => out.product_views = map.next_value()?,
                        "searches" => out.searches = map.next_value()?,
                        "cart_dwell_ms" => out.cart_dwell_ms = map.next_value()?,
                        "checkout_dwell_ms" => out.checkout_dwell_ms = map.next_value()?,
                        _ => out.coupon_searches = map.next_value()?,
                    }
                }
                Ok(out)
            }
        }
        d.deserialize_map(V)
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

impl<'de> Deserialize<'de> for Event {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        d.deserialize_map(EventVisitor { keep: None }).map(|(e, _)| e)
    }
}

#[cfg(feature = "json")]
std::thread_local! {
    /// While a context is read for one bundle ([`kept_props`]): the property names its rules
    /// read. History events then keep only those; the others are checked and measured as usual,
    /// never copied. Set for the span of one read, like limits.rs's depth watch.
    static KEPT_PROPS: std::cell::RefCell<Option<std::sync::Arc<[String]>>> = const { std::cell::RefCell::new(None) };
}

/// The properties history events keep, while [`kept_props`] runs (always all without JSON).
fn kept() -> Option<std::sync::Arc<[String]>> {
    #[cfg(feature = "json")]
    return KEPT_PROPS.with(|k| k.borrow().clone());
    #[cfg(not(feature = "json"))]
    None
}

/// Runs `read` with history events keeping only the properties `props` (sorted) names.
#[cfg(feature = "json")]
pub(crate) fn kept_props<T>(props: std::sync::Arc<[String]>, read: impl FnOnce() -> T) -> T {
    let before = KEPT_PROPS.with(|k| k.replace(Some(props)));
    let out = read();
    KEPT_PROPS.with(|k| *k.borrow_mut() = before);
    out
}

/// Reads one event; with `keep`, only those properties are kept. Also gives the bytes of the
/// properties not kept, so the history's byte bound counts them (at least as much as a full read
/// would: a repeated key counts each time).
struct EventVisitor<'k> {
    keep: Option<&'k [String]>,
}

impl<'de> de::DeserializeSeed<'de> for EventVisitor<'_> {
    type Value = (Event, usize);
    fn deserialize<D: Deserializer<'de>>(self, d: D) -> Result<Self::Value, D::Error> {
        d.deserialize_map(self)
    }
}

/// Keeps `out` sorted by key, a repeated key's last value winning (as a BTreeMap would).
pub(crate) fn insert_prop(out: &mut Vec<(String, Scalar)>, key: String, value: Scalar) {
    match out.binary_search_by(|(k, _)| k.as_str().cmp(&key)) {
        Ok(i) => out[i].1 = value,
        Err(i) => out.insert(i, (key, value)),
    }
}

/// Properties map, scalars only.
struct Props(Vec<(String, Scalar)>);

impl<'de> Deserialize<'de> for Props {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        struct V;
        impl<'de> Visitor<'de> for V {
            type Value = Props;
            fn expecting(&self, f: &mut fmt::Formatter) -> fmt::Result {
                f.write_str("a map")
            }
            // Sorted by key, a repeated key's last value winning, nulls dropped at the end (as a
            // BTreeMap would), built in one Vec: events are most of a context.
            fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<Props, A::Error> {
                let mut out: Vec<(String, Scalar)> = Vec::new();
                while let Some(key) = map.next_key::<String>()? {
                    insert_prop(&mut out, key, map.next_value()?);
                }
                out.retain(|(_, v)| *v != Scalar::Null);
                Ok(Props(out))
            }
        }
        d.deserialize_map(V)
    }
}

/// An event's properties when only `keep` are kept: those as [`Props`] reads them, and the
/// bytes of the rest (key and value, as `Event::data_bytes` counts them). Only JSON text is read
/// this way (`Engine::decide_json`), so the page module goes without it.
#[cfg(feature = "json")]
struct KeptProps<'k> {
    keep: &'k [String],
}

#[cfg(feature = "json")]
impl<'de> de::DeserializeSeed<'de> for KeptProps<'_> {
    type Value = (Vec<(String, Scalar)>, usize);
    fn deserialize<D: Deserializer<'de>>(self, d: D) -> Result<Self::Value, D::Error> {
        d.deserialize_map(self)
    }
}

#[cfg(feature = "json")]
impl<'de> Visitor<'de> for KeptProps<'_> {
    type Value = (Vec<(String, Scalar)>, usize);
    fn expecting(&self, f: &mut fmt::Formatter) -> fmt::Result {
        f.write_str("a map")
    }
    fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<Self::Value, A::Error> {
        let (mut out, mut unkept) = (Vec::<(String, Scalar)>::new(), 0usize);
        while let Some(key) = map.next_key_seed(PropKey { keep: self.keep })? {
            match key {
                Ok(key) => insert_prop(&mut out, key, map.next_value()?),
                // A null property is dropped: it counts nothing.
                Err(key_len) => unkept += map.next_value::<UnkeptSize>()?.0.map_or(0, |n| key_len + n),
            }
        }
        out.retain(|(_, v)| *v != Scalar::Null);
        Ok((out, unkept))
    }
}

/// A property key: `Ok(key)` when kept, else `Err(its length)`.
#[cfg(feature = "json")]
struct PropKey<'k> {
    keep: &'k [String],
}

#[cfg(feature = "json")]
impl<'de> de::DeserializeSeed<'de> for PropKey<'_> {
    type Value = Result<String, usize>;
    fn deserialize<D: Deserializer<'de>>(self, d: D) -> Result<Self::Value, D::Error> {
        d.deserialize_str(self)
    }
}

#[cfg(feature = "json")]
impl Visitor<'_> for PropKey<'_> {
    type Value = Result<String, usize>;
    fn expecting(&self, f: &mut fmt::Formatter) -> fmt::Result {
        f.write_str("a string")
    }
    fn visit_str<E: de::Error>(self, v: &str) -> Result<Self::Value, E> {
        Ok(match self.keep.binary_search_by(|k| k.as_str().cmp(v)) {
            Ok(_) => Ok(v.to_owned()),
            Err(_) => Err(v.len()),
        })
    }
}

/// A property value not kept: checked as [`Scalar`] checks it, measured as `Event::data_bytes`
/// measures a value, not copied. `None`: it reads as null.
#[cfg(feature = "json")]
struct UnkeptSize(Option<usize>);

#[cfg(feature = "json")]
impl<'de> Deserialize<'de> for UnkeptSize {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        struct V;
        impl<'de> Visitor<'de> for V {
            type Value = Option<usize>;
            fn expecting(&self, f: &mut fmt::Formatter) -> fmt::Result {
                ScalarVisitor.expecting(f)
            }
            fn visit_str<E: de::Error>(self, v: &str) -> Result<Option<usize>, E> {
                check_len(v)?;
                Ok(Some(v.len()))
            }
            fn visit_unit<E: de::Error>(self) -> Result<Option<usize>, E> {
                Ok(None)
            }
            fn visit_none<E: de::Error>(self) -> Result<Option<usize>, E> {
                Ok(None)
            }
            fn visit_bool<E: de::Error>(self, _: bool) -> Result<Option<usize>, E> {
                Ok(Some(8))
            }
            fn visit_i64<E: de::Error>(self, v: i64) -> Result<Option<usize>, E> {
                ScalarVisitor.visit_i64(v).map(|_| Some(8))
            }
            fn visit_u64<E: de::Error>(self, v: u64) -> Result<Option<usize>, E> {
                ScalarVisitor.visit_u64(v).map(|_| Some(8))
            }
            fn visit_f64<E: de::Error>(self, v: f64) -> Result<Option<usize>, E> {
                ScalarVisitor.visit_f64(v).map(|_| Some(8))
            }
            // Nested values read as null (as `Scalar` reads them), after the same bounded skip.
            fn visit_seq<A: de::SeqAccess<'de>>(self, seq: A) -> Result<Option<usize>, A::Error> {
                ScalarVisitor.visit_seq(seq).map(|_| None)
            }
            fn visit_map<A: MapAccess<'de>>(self, map: A) -> Result<Option<usize>, A::Error> {
                ScalarVisitor.visit_map(map).map(|_| None)
            }
        }
        d.deserialize_any(V).map(UnkeptSize)
    }
}

/// What an event's key names, read without allocating.
enum EventKey {
    Name,
    At,
    Props,
    Kind,
    Other,
}

impl<'de> Deserialize<'de> for EventKey {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        struct V;
        impl Visitor<'_> for V {
            type Value = EventKey;
            fn expecting(&self, f: &mut fmt::Formatter) -> fmt::Result {
                f.write_str("a string")
            }
            fn visit_str<E: de::Error>(self, v: &str) -> Result<EventKey, E> {
                Ok(match v {
                    "event" | "e" | "name" => EventKey::Name,
                    "timestamp" | "t" | "ts" | "time" => EventKey::At,
                    "properties" | "p" | "props" => EventKey::Props,
                    "type" => EventKey::Kind,
                    _ => EventKey::Other,
                })
            }
        }
        d.deserialize_str(V)
    }
}

impl<'de> Visitor<'de> for EventVisitor<'_> {
    type Value = (Event, usize);
    fn expecting(&self, f: &mut fmt::Formatter) -> fmt::Result {
        f.write_str(
            "an event: {\"event\", \"properties\", \"timestamp\"} (analytics track) or {\"e\", \"p\", \"t\"} (compact)",
        )
    }
    fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<(Event, usize), A::Error> {
        let (mut name, mut at, mut props, mut kind) = (None, None, Vec::new(), None::<String>);
        // Without JSON every property is kept, and this stays 0.
        #[cfg_attr(not(feature = "json"), allow(unused_mut))]
        let mut unkept = 0;
        while let Some(key) = map.next_key::<EventKey>()? {
            match key {
                EventKey::Name => name = Some(map.next_value::<Text>()?.0),
                EventKey::At => at = Some(map.next_value::<Timestamp>()?.0),
                EventKey::Props => match self.keep {
                    #[cfg(feature = "json")]
                    Some(keep) => (props, unkept) = map.next_value_seed(KeptProps { keep })?,
                    _ => props = map.next_value::<Props>()?.0,
                },
                EventKey::Kind => kind = Some(map.next_value::<Text>()?.0),
                // Analytics envelopes carry much more (messageId, context, userId …): ignored.
                EventKey::Other => {
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
        Ok((Event { name: normalized_event_name(name), at, props }, unkept))
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
                let keep = kept();
                while let Some((e, unkept)) = seq.next_element_seed(EventVisitor { keep: keep.as_deref() })? {
                    if out.len() == MAX_EVENTS {
                        return Err(de::Error::custom(format!("more than {MAX_EVENTS} events")));
                    }
                    bytes += e.data_bytes() + unkept;
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
