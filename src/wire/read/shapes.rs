//! The shapes the page hands over on every call (a person, a moment, events) read straight from
//! the token reader, without serde's visitors: those were the largest part of the page's .wasm
//! (about 40 KB gzipped for the serde impls over this reader and what they instantiate).
//!
//! They accept exactly what [`from_str`](super::from_str) accepts through the `Deserialize` impls
//! (context/deserialize.rs, the derives on `Person`, `Geo`, `CachedScore`, `ProductView`), give
//! the same values and fail at the same JSON path: tests/wire_shapes.rs holds them to it on the
//! scenarios, on broken copies of them and on random JSON. The quirks they keep on purpose:
//! derived structs also read as arrays of their fields, a refused key is located at the key, a
//! check made after a value was read (a string's length) at the object holding it.

use super::{Error, Number, Reader, Step, Text as Raw, Token};
use crate::context::{
    check_len, check_ms, insert_prop, normalized_event_name, CachedScore, ClientHints, Context, Event, Events, Finite,
    Geo, HintBool, ProductView, Scalar, Search, Session, Text, Timestamp, Viewport, MAX_EVENTS, MAX_HISTORY_BYTES,
    SESSION_FIELDS,
};
use crate::limits::{Nesting, MAX_SKIPPED_DEPTH};
use crate::visitor::{Moment, Person, MOMENT_FIELDS};
use serde::de::Error as _;
use std::collections::BTreeMap;

mod openfeature;

/// A context's fields in their serde order (a context may also come as an array of them).
const CONTEXT_FIELDS: [&str; 12] = [
    "now",
    "customer_id",
    "timezone",
    "utc_offset",
    "consent",
    "profile",
    "scores",
    "session",
    "geo",
    "events",
    "event",
    "anonymous_id",
];

pub use openfeature::{evaluation_request, EvaluationRequest, RequestError};

type R<T> = Result<T, Error>;

fn invalid(expected: &str) -> Error {
    Error(format!("invalid type: expected {expected}"))
}

fn owned(raw: Raw<'_>) -> String {
    match raw {
        Raw::Borrowed(s) => s.to_owned(),
        Raw::Owned(s) => s,
    }
}

fn as_str<'a>(raw: &'a Raw<'_>) -> &'a str {
    match raw {
        Raw::Borrowed(s) => s,
        Raw::Owned(s) => s,
    }
}

impl<'de> Reader<'de> {
    /// One value read by `read`; what it refuses is located here, as `deserialize_any` locates
    /// what a visitor returns.
    fn here<T>(&mut self, read: impl FnOnce(&mut Self) -> R<T>) -> R<T> {
        let read = read(self);
        self.locate(read)
    }

    /// An object's entries: `entry` gets each key and reads (or refuses) its value; what it
    /// returns is located at the object, then the object is closed.
    fn object(&mut self, what: &str, entry: &mut dyn FnMut(&mut Self, Raw<'de>, Step) -> R<()>) -> R<()> {
        match self.token()? {
            Token::Object => {}
            _ => return self.here(|_| Err(invalid(what))),
        }
        self.object_body(entry)
    }

    fn object_body(&mut self, entry: &mut dyn FnMut(&mut Self, Raw<'de>, Step) -> R<()>) -> R<()> {
        let mut first = true;
        let body = (|| {
            while let Some((key, step)) = self.next_key(&mut first)? {
                entry(self, key, step)?;
            }
            Ok(())
        })();
        self.locate(body)?;
        self.close(b'}')
    }

    /// An array's items, each read by `item` at its index.
    fn array(&mut self, what: &str, item: &mut dyn FnMut(&mut Self) -> R<()>) -> R<()> {
        match self.token()? {
            Token::Array => {}
            _ => return self.here(|_| Err(invalid(what))),
        }
        self.array_body(item)
    }

    fn array_body(&mut self, item: &mut dyn FnMut(&mut Self) -> R<()>) -> R<()> {
        let (mut first, mut index) = (true, 0);
        let body = (|| {
            while self.next_item(&mut first, b']')? {
                self.path.push(Step::Index(index));
                index += 1;
                let read = item(self);
                self.path.pop();
                read?;
            }
            Ok(())
        })();
        self.locate(body)?;
        self.close(b']')
    }

    /// The value after a key: its colon, then `read` at the key's path.
    fn value<T>(&mut self, step: Step, read: impl FnOnce(&mut Self) -> R<T>) -> R<T> {
        self.colon()?;
        self.path.push(step);
        let read = read(self);
        self.path.pop();
        read
    }

    /// A key refused as a key (too long, or unknown to a derived struct): located at the key.
    fn refuse_key(&mut self, step: Step, e: Error) -> Error {
        self.path.push(step);
        self.mark_failure();
        self.path.pop();
        e
    }

    /// A key read as a context `Text`: its length checked, at the key.
    fn text_key(&mut self, key: Raw<'de>, step: Step) -> R<String> {
        let key = owned(key);
        match check_len::<Error>(&key) {
            Ok(()) => Ok(key),
            Err(e) => Err(self.refuse_key(step, e)),
        }
    }

    /// `null` as `None`, else `read`.
    fn option<T>(&mut self, read: impl FnOnce(&mut Self) -> R<T>) -> R<Option<T>> {
        if self.value_start()? == b'n' {
            self.literal(b"null")?;
            Ok(None)
        } else {
            read(self).map(Some)
        }
    }

    fn string_value(&mut self) -> R<String> {
        match self.token()? {
            Token::Str(s) => Ok(owned(s)),
            _ => self.here(|_| Err(invalid("a string"))),
        }
    }

    /// A context string: its length is checked after it is read, so a refusal is located at
    /// what holds it.
    fn text(&mut self) -> R<Text> {
        let s = self.string_value()?;
        check_len::<Error>(&s)?;
        Ok(Text(s))
    }

    fn boolean(&mut self) -> R<bool> {
        match self.token()? {
            Token::Bool(b) => Ok(b),
            _ => self.here(|_| Err(invalid("a boolean"))),
        }
    }

    fn finite(&mut self) -> R<Finite> {
        match self.token()? {
            Token::Number(Number::Unsigned(n)) => Ok(Finite(n as f64)),
            Token::Number(Number::Signed(n)) => Ok(Finite(n as f64)),
            Token::Number(Number::Float(n)) => Ok(Finite(n)),
            _ => self.here(|_| Err(invalid("a number"))),
        }
    }

    fn count(&mut self) -> R<u32> {
        let token = self.token()?;
        self.here(|_| match token {
            Token::Number(Number::Unsigned(n)) => {
                u32::try_from(n).map_err(|_| Error(format!("invalid value: {n}, expected a u32")))
            }
            Token::Number(Number::Signed(n)) => Err(Error(format!("invalid value: {n}, expected a u32"))),
            _ => Err(invalid("a u32")),
        })
    }

    fn timestamp(&mut self) -> R<Timestamp> {
        let token = self.token()?;
        self.here(|_| {
            let ms = match token {
                Token::Number(Number::Unsigned(n)) => i64::try_from(n).unwrap_or(i64::MAX),
                Token::Number(Number::Signed(n)) => n,
                Token::Number(Number::Float(v)) => {
                    if !v.is_finite() || v.abs() > 1e15 {
                        return Err(Error::custom("expected a finite timestamp in epoch milliseconds"));
                    }
                    v as i64
                }
                Token::Str(s) => crate::time::parse_timestamp(as_str(&s)).map_err(|e| Error(e.message))?,
                _ => return Err(invalid("a timestamp: epoch milliseconds or an RFC 3339 string")),
            };
            check_ms(ms).map(Timestamp)
        })
    }

    fn hint_bool(&mut self) -> R<HintBool> {
        let token = self.token()?;
        self.here(|_| match token {
            Token::Bool(b) => Ok(HintBool(b)),
            Token::Str(s) => match as_str(&s) {
                "?1" | "true" => Ok(HintBool(true)),
                "?0" | "false" => Ok(HintBool(false)),
                _ => Err(Error::custom("expected `?1` or `?0`")),
            },
            _ => Err(invalid("a boolean or a client-hint flag `?1`/`?0`")),
        })
    }

    /// A profile or event property: nested arrays and objects read as null, after a bounded skip.
    fn scalar(&mut self) -> R<Scalar> {
        match self.token()? {
            Token::Null => Ok(Scalar::Null),
            Token::Bool(b) => Ok(Scalar::Bool(b)),
            Token::Number(Number::Unsigned(n)) => Ok(Scalar::Num(n as f64)),
            Token::Number(Number::Signed(n)) => Ok(Scalar::Num(n as f64)),
            Token::Number(Number::Float(n)) => Ok(Scalar::Num(n)),
            Token::Str(s) => self.here(|_| {
                let s = owned(s);
                check_len::<Error>(&s).map(|()| Scalar::Str(s))
            }),
            Token::Array => self.array_body(&mut |r| r.skipped()).map(|()| Scalar::Null),
            Token::Object => self.object_body(&mut |r, _, step| r.value(step, Self::skipped)).map(|()| Scalar::Null),
        }
    }

    /// A value no rule reads, walked and checked, nested at most `MAX_SKIPPED_DEPTH` levels.
    fn skipped(&mut self) -> R<()> {
        match self.token()? {
            Token::Array => {
                let level = self.here(|_| Nesting::enter::<Error>(MAX_SKIPPED_DEPTH, "value"))?;
                let read = self.array_body(&mut |r| r.skipped());
                drop(level);
                read
            }
            Token::Object => {
                let level = self.here(|_| Nesting::enter::<Error>(MAX_SKIPPED_DEPTH, "value"))?;
                let read = self.object_body(&mut |r, _, step| r.value(step, Self::skipped));
                drop(level);
                read
            }
            _ => Ok(()),
        }
    }

    /// A map from any string key (the last of a repeated key wins), as a `BTreeMap`.
    fn map<T>(&mut self, read: fn(&mut Self) -> R<T>) -> R<BTreeMap<String, T>> {
        let mut out = BTreeMap::new();
        self.object("a map", &mut |r, key, step| {
            let v = r.value(step, read)?;
            out.insert(owned(key), v);
            Ok(())
        })?;
        Ok(out)
    }

    fn list<T>(&mut self, read: fn(&mut Self) -> R<T>) -> R<Vec<T>> {
        let mut out = Vec::new();
        self.array("a sequence", &mut |r| {
            out.push(read(r)?);
            Ok(())
        })?;
        Ok(out)
    }

    /// A struct with a derived reader: an object of `fields` (each at most once, unknown keys
    /// refused at the key, missing `required` ones refused at the object), or, as serde's derive
    /// also reads it, an array of the fields in order. `set` reads field `i`'s value.
    fn derived(
        &mut self,
        what: &str,
        fields: &[&str],
        required: &[bool],
        set: &mut dyn FnMut(&mut Self, usize) -> R<()>,
    ) -> R<()> {
        match self.token()? {
            Token::Object => self.fields_body(fields, required, set),
            Token::Array => {
                let mut first = true;
                let body = (|| {
                    for (i, &needed) in required.iter().enumerate().take(fields.len()) {
                        if !self.next_item(&mut first, b']')? {
                            if needed {
                                return Err(Error(format!("invalid length {i}, expected {what}")));
                            }
                            continue;
                        }
                        self.path.push(Step::Index(i));
                        let read = set(self, i);
                        self.path.pop();
                        read?;
                    }
                    Ok(())
                })();
                self.locate(body)?;
                self.close(b']')
            }
            _ => self.here(|_| Err(invalid(what))),
        }
    }

    /// The entries of a derived struct's object, after its `{`: each of `fields` at most once,
    /// unknown keys refused at the key, missing `required` ones refused at the object.
    fn fields_body(
        &mut self,
        fields: &[&str],
        required: &[bool],
        set: &mut dyn FnMut(&mut Self, usize) -> R<()>,
    ) -> R<()> {
        let mut seen = 0u32;
        self.object_body(&mut |r, key, step| {
            let name = as_str(&key);
            let Some(i) = fields.iter().position(|f| *f == name) else {
                let e = Error::unknown_field(name, &[]);
                return Err(r.refuse_key(step, e));
            };
            if seen & (1 << i) != 0 {
                return Err(Error::duplicate_field("field"));
            }
            seen |= 1 << i;
            r.value(step, |r| set(r, i))
        })?;
        match (0..fields.len()).find(|&i| required[i] && seen & (1 << i) == 0) {
            // Refused at the object, as the derive does once its entries are read.
            Some(i) => self.here(|_| Err(Error(format!("missing field `{}`", fields[i])))),
            None => Ok(()),
        }
    }

    fn cached_score(&mut self) -> R<CachedScore> {
        let (mut value, mut computed_at) = (Finite(0.0), Timestamp(0));
        self.derived("a cached score", &["value", "computed_at"], &[true, true], &mut |r, i| {
            match i {
                0 => value = r.finite()?,
                _ => computed_at = r.timestamp()?,
            }
            Ok(())
        })?;
        Ok(CachedScore { value, computed_at })
    }

    fn geo(&mut self) -> R<Geo> {
        let mut g = Geo::default();
        let fields = ["country", "region", "city", "lat", "lon"];
        self.derived("geo", &fields, &[false; 5], &mut |r, i| {
            match i {
                0 => g.country = r.option(Self::text)?,
                1 => g.region = r.option(Self::text)?,
                2 => g.city = r.option(Self::text)?,
                3 => g.lat = r.option(Self::finite)?,
                _ => g.lon = r.option(Self::finite)?,
            }
            Ok(())
        })?;
        Ok(g)
    }

    fn product_view(&mut self) -> R<ProductView> {
        let (mut id, mut category) = (Text::default(), None);
        self.derived("a product view", &["id", "category"], &[true, false], &mut |r, i| {
            match i {
                0 => id = r.text()?,
                _ => category = r.option(Self::text)?,
            }
            Ok(())
        })?;
        Ok(ProductView { id, category })
    }

    /// A bare term, or `{term, category}` (map form only: serde reads it through a map access).
    fn search(&mut self) -> R<Search> {
        match self.value_start()? {
            b'"' => {
                let token = self.token()?;
                self.here(|_| match token {
                    Token::Str(s) => {
                        let term = owned(s);
                        check_len::<Error>(&term).map(|()| Search { term, category: None })
                    }
                    _ => Err(invalid("a search term")),
                })
            }
            b'{' => {
                self.token()?; // the `{` just seen
                let (mut term, mut category) = (Text::default(), None);
                self.fields_body(&["term", "category"], &[true, false], &mut |r, i| {
                    match i {
                        0 => term = r.text()?,
                        _ => category = r.option(Self::text)?,
                    }
                    Ok(())
                })?;
                Ok(Search { term: term.0, category: category.map(|c| c.0) })
            }
            _ => {
                self.token()?;
                self.here(|_| Err(invalid("a search term string or {\"term\", \"category\"}")))
            }
        }
    }

    fn client_hints(&mut self) -> R<ClientHints> {
        let mut out = ClientHints::default();
        self.object("client hints", &mut |r, key, step| {
            let key = r.text_key(key, step)?;
            match key.as_str() {
                "mobile" => out.mobile = r.value(step, |r| r.option(Self::hint_bool))?,
                "platform" => out.platform = r.value(step, |r| r.option(Self::text))?,
                _ => r.value(step, Self::skipped)?,
            }
            Ok(())
        })?;
        Ok(out)
    }

    fn viewport(&mut self) -> R<Viewport> {
        let (mut width, mut height) = (None, None);
        self.object("a viewport", &mut |r, key, step| {
            let key = r.text_key(key, step)?;
            match key.as_str() {
                "width" => width = Some(r.value(step, Self::finite)?),
                "height" => height = Some(r.value(step, Self::finite)?),
                _ => r.value(step, Self::skipped)?,
            }
            Ok(())
        })?;
        match (width, height) {
            (Some(width), Some(height)) => Ok(Viewport { width, height }),
            (None, _) => self.here(|_| Err(Error::missing_field("width"))),
            _ => self.here(|_| Err(Error::missing_field("height"))),
        }
    }

    fn session(&mut self) -> R<Session> {
        let (mut out, mut seen) = (Session::default(), 0u32);
        self.object("the session", &mut |r, key, step| {
            let key = r.text_key(key, step)?;
            match crate::context::field::<Error>(SESSION_FIELDS, &key, &mut seen)? {
                "device" => out.device = r.value(step, |r| r.option(Self::text))?,
                "user_agent" => out.user_agent = r.value(step, |r| r.option(Self::text))?,
                "client_hints" => out.client_hints = r.value(step, Self::client_hints)?,
                "viewport" => out.viewport = r.value(step, |r| r.option(Self::viewport))?,
                "referrer" => out.referrer = r.value(step, |r| r.option(Self::text))?,
                "url" => out.url = r.value(step, |r| r.option(Self::text))?,
                "utm" => out.utm = r.value(step, |r| r.map(Self::text))?,
                "page" => out.page = r.value(step, |r| r.option(Self::text))?,
                "page_views" => out.page_views = r.value(step, |r| r.option(Self::count))?,
                "product_views" => out.product_views = r.value(step, |r| r.list(Self::product_view))?,
                "searches" => out.searches = r.value(step, |r| r.list(Self::search))?,
                "cart_dwell_ms" => out.cart_dwell_ms = r.value(step, |r| r.option(Self::finite))?,
                "checkout_dwell_ms" => out.checkout_dwell_ms = r.value(step, |r| r.option(Self::finite))?,
                _ => out.coupon_searches = r.value(step, |r| r.option(Self::count))?,
            }
            Ok(())
        })?;
        Ok(out)
    }

    fn props(&mut self) -> R<Vec<(String, Scalar)>> {
        let mut out = Vec::new();
        self.object("a map", &mut |r, key, step| {
            let v = r.value(step, Self::scalar)?;
            insert_prop(&mut out, owned(key), v);
            Ok(())
        })?;
        out.retain(|(_, v)| *v != Scalar::Null);
        Ok(out)
    }

    fn event(&mut self) -> R<Event> {
        let (mut name, mut at, mut props, mut kind) = (None, None, Vec::new(), None::<String>);
        self.object("an event", &mut |r, key, step| {
            match as_str(&key) {
                "event" | "e" | "name" => name = Some(r.value(step, Self::text)?.0),
                "timestamp" | "t" | "ts" | "time" => at = Some(r.value(step, Self::timestamp)?.0),
                "properties" | "p" | "props" => props = r.value(step, Self::props)?,
                "type" => kind = Some(r.value(step, Self::text)?.0),
                _ => r.value(step, Self::skipped)?,
            }
            Ok(())
        })?;
        let name = match (name, kind.as_deref()) {
            (Some(n), _) => n,
            (None, Some("page")) => "page_viewed".into(),
            (None, Some("identify")) => "identify".into(),
            _ => return self.here(|_| Err(Error::missing_field("event"))),
        };
        let Some(at) = at else { return self.here(|_| Err(Error::missing_field("timestamp"))) };
        Ok(Event { name: normalized_event_name(name), at, props })
    }

    fn events(&mut self) -> R<Events> {
        let (mut out, mut bytes) = (Vec::<Event>::new(), 0usize);
        self.array("a list of events", &mut |r| {
            let e = r.event()?;
            if out.len() == MAX_EVENTS {
                return Err(Error(format!("more than {MAX_EVENTS} events")));
            }
            bytes += e.data_bytes();
            if bytes > MAX_HISTORY_BYTES {
                return Err(Error(format!("event history exceeds {MAX_HISTORY_BYTES} bytes")));
            }
            out.push(e);
            Ok(())
        })?;
        Ok(Events(out))
    }

    fn moment(&mut self) -> R<Moment> {
        let (mut out, mut now, mut seen) = (Moment::default(), None, 0u32);
        self.object("a moment", &mut |r, key, step| {
            let key = r.text_key(key, step)?;
            match crate::context::field::<Error>(MOMENT_FIELDS, &key, &mut seen)? {
                "now" => now = r.value(step, |r| r.option(Self::timestamp))?,
                "session" => out.session = r.value(step, |r| r.option(Self::session))?.unwrap_or_default(),
                "geo" => out.geo = r.value(step, |r| r.option(Self::geo))?.unwrap_or_default(),
                "timezone" => out.timezone = r.value(step, |r| r.option(Self::text))?,
                "utc_offset" => out.utc_offset = r.value(step, |r| r.option(Self::text))?,
                _ => out.event = r.value(step, |r| r.option(Self::event))?,
            }
            Ok(())
        })?;
        match now {
            Some(now) => Ok(Moment { now, ..out }),
            None => self.here(|_| Err(Error::missing_field("now"))),
        }
    }

    /// A whole context: a derived struct, so its fields may also come as an array in order.
    fn context(&mut self) -> R<Context> {
        let mut c = Context::default();
        let mut required = [false; CONTEXT_FIELDS.len()];
        required[0] = true;
        self.derived("a context", &CONTEXT_FIELDS, &required, &mut |r, i| r.context_field(&mut c, i))?;
        Ok(c)
    }

    /// Field `i` of [`CONTEXT_FIELDS`] into `c` (shared with the OpenFeature context's reader).
    fn context_field(&mut self, c: &mut Context, i: usize) -> R<()> {
        match i {
            0 => c.now = self.timestamp()?,
            1 => c.customer_id = self.option(Self::text)?,
            2 => c.timezone = self.option(Self::text)?,
            3 => c.utc_offset = self.option(Self::text)?,
            4 => c.consent = self.map(Self::boolean)?,
            5 => c.profile = self.map(Self::scalar)?,
            6 => c.scores = self.map(Self::cached_score)?,
            7 => c.session = self.session()?,
            8 => c.geo = self.geo()?,
            9 => c.events = self.events()?,
            10 => c.event = self.option(Self::event)?,
            _ => c.anonymous_id = self.option(Self::text)?,
        }
        Ok(())
    }

    fn person(&mut self) -> R<Person> {
        let mut p = Person::default();
        let fields = ["customer_id", "consent", "profile", "scores", "timezone", "utc_offset", "anonymous_id"];
        self.derived("a person", &fields, &[false; 7], &mut |r, i| {
            match i {
                0 => p.customer_id = r.option(Self::text)?,
                1 => p.consent = r.option(|r| r.map(Self::boolean))?.unwrap_or_default(),
                2 => p.profile = r.option(|r| r.map(Self::scalar))?.unwrap_or_default(),
                3 => p.scores = r.option(|r| r.map(Self::cached_score))?.unwrap_or_default(),
                4 => p.timezone = r.option(Self::text)?,
                5 => p.utc_offset = r.option(Self::text)?,
                _ => p.anonymous_id = r.option(Self::text)?,
            }
            Ok(())
        })?;
        Ok(p)
    }
}

/// A whole context (what `Kairos.decide` takes) from JSON text.
pub fn context(text: &str) -> Result<Context, super::JsonError> {
    super::read_with(text, Reader::context)
}

/// A person (`{customer_id?, consent?, profile?, scores?, timezone?, utc_offset?, anonymous_id?}`) from JSON text.
pub fn person(text: &str) -> Result<Person, super::JsonError> {
    super::read_with(text, Reader::person)
}

/// A moment (`{now, session?, geo?, timezone?, utc_offset?, event?}`) from JSON text.
pub fn moment(text: &str) -> Result<Moment, super::JsonError> {
    super::read_with(text, Reader::moment)
}

/// One event from JSON text.
pub fn event(text: &str) -> Result<Event, super::JsonError> {
    super::read_with(text, Reader::event)
}

/// A list of events from JSON text (at most `MAX_EVENTS`, `MAX_HISTORY_BYTES` of data).
pub fn events(text: &str) -> Result<Events, super::JsonError> {
    super::read_with(text, Reader::events)
}
