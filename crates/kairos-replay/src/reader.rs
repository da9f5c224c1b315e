//! Fast NDJSON reading for replays: big chunks of complete lines, validated as UTF-8 once,
//! then one pass per line by a small JSON scanner that borrows every string it can from the
//! chunk (no `Value` tree, no allocation for plain strings) and skips what replays never read.
//!
//! A line is one JSON object in either shape contexts accept for history events (compact
//! `{"e", "t", "p"}` or analytics `{"type", "event", "timestamp", "properties"}`), plus the
//! customer (`c`, `customer_id`, `userId` or `anonymousId`) and, optionally, profile data
//! (`profile`, `scores`, `consent`, `timezone`; analytics: `traits` and `context.timezone`).
//! Errors carry the byte offset in the line where they were found.

use std::borrow::Cow;
use std::io::{self, Read};

/// A property or profile value as read; nested arrays and objects are `Nested` (rules cannot read
/// them: contexts skip them too).
#[derive(Debug, Clone, PartialEq)]
pub enum Val<'a> {
    Str(Cow<'a, str>),
    Num(f64),
    Bool(bool),
    Null,
    Nested,
}

/// A score as read: value and, when given, when it was computed (epoch ms).
#[derive(Debug, Clone, PartialEq)]
pub struct ScoreIn<'a> {
    pub name: Cow<'a, str>,
    pub value: Val<'a>,
    pub computed_at: Option<i64>,
}

/// Which properties matter, asked while scanning: the properties of events nothing reads are
/// checked and skipped, never read.
pub trait Wanted {
    /// An id for an event name as written.
    fn event(&mut self, raw: &str) -> u16;
    /// Whether any property of that event is wanted.
    fn any(&self, event: u16) -> bool;
    fn wants(&self, event: u16, key: &str) -> bool;
    /// Whether a profile attribute is wanted.
    fn wants_attribute(&self, name: &str) -> bool;
    /// Whether a score is wanted.
    fn wants_score(&self, name: &str) -> bool;
}

/// Every property is wanted (for tests and tools that read everything).
pub struct All;

impl Wanted for All {
    fn event(&mut self, _: &str) -> u16 {
        0
    }
    fn any(&self, _: u16) -> bool {
        true
    }
    fn wants(&self, _: u16, _: &str) -> bool {
        true
    }
    fn wants_attribute(&self, _: &str) -> bool {
        true
    }
    fn wants_score(&self, _: &str) -> bool {
        true
    }
}

/// Everything one line says.
#[derive(Debug, Default)]
pub struct Line<'a> {
    pub customer: Option<Cow<'a, str>>,
    pub anonymous: Option<Cow<'a, str>>,
    /// Analytics `type`: `track`, `page`, `identify` …
    pub kind: Option<Cow<'a, str>>,
    /// The event name as written (normalised later).
    pub name: Option<Cow<'a, str>>,
    pub at: Option<i64>,
    /// The [`Wanted::event`] id of `name`, when it was asked while scanning.
    pub name_id: Option<u16>,
    /// Where the properties object starts, when it came before the event name (it was checked,
    /// not read: see [`Scanner::props`]).
    pub props_at: Option<usize>,
    /// Properties, once read.
    pub props: Vec<(Cow<'a, str>, Val<'a>)>,
    /// Profile attributes (`profile`, analytics `traits`).
    pub attrs: Vec<(Cow<'a, str>, Val<'a>)>,
    pub consent: Vec<(Cow<'a, str>, bool)>,
    pub scores: Vec<ScoreIn<'a>>,
    pub timezone: Option<Cow<'a, str>>,
    /// Whether any of `profile`, `traits`, `scores`, `consent` or `timezone` was present.
    pub has_profile: bool,
}

impl Line<'_> {
    fn clear(&mut self) {
        self.customer = None;
        self.anonymous = None;
        self.kind = None;
        self.name = None;
        self.at = None;
        self.name_id = None;
        self.props_at = None;
        self.props.clear();
        self.attrs.clear();
        self.consent.clear();
        self.scores.clear();
        self.timezone = None;
        self.has_profile = false;
    }
}

/// A problem at a byte offset of the chunk being scanned.
#[derive(Debug, Clone, PartialEq)]
pub struct ScanError {
    pub at: usize,
    pub message: String,
}

fn err<T>(at: usize, message: impl Into<String>) -> Result<T, ScanError> {
    Err(ScanError { at, message: message.into() })
}

/// Deepest nesting skipped inside a line (deeper is an error, not a stack overflow).
const MAX_DEPTH: usize = 128;

/// A cursor over a chunk of complete lines.
pub struct Scanner<'a> {
    s: &'a str,
    b: &'a [u8],
    pub i: usize,
}

impl<'a> Scanner<'a> {
    pub fn new(s: &'a str) -> Scanner<'a> {
        Scanner { s, b: s.as_bytes(), i: 0 }
    }

    pub fn at_end(&self) -> bool {
        self.i >= self.b.len()
    }

    #[inline]
    fn peek(&self) -> Option<u8> {
        self.b.get(self.i).copied()
    }

    /// Skips JSON whitespace that stays on this line.
    #[inline]
    fn blank(&mut self) {
        // Hot loops work on a local index (the field would be stored back every step).
        let mut i = self.i;
        while let Some(b' ' | b'\t' | b'\r') = self.b.get(i) {
            i += 1;
        }
        self.i = i;
    }

    #[inline]
    fn expect(&mut self, c: u8, what: &str) -> Result<(), ScanError> {
        self.blank();
        if self.peek() == Some(c) {
            self.i += 1;
            Ok(())
        } else {
            err(self.i, format!("expected {what}, found {}", self.found()))
        }
    }

    fn found(&self) -> String {
        match self.s.get(self.i..).and_then(|r| r.chars().next()) {
            None | Some('\n') => "the end of the line".into(),
            Some(c) => format!("`{c}`"),
        }
    }

    /// The offset of the next newline (or the end), for skipping a bad line.
    pub fn skip_line(&mut self) {
        while let Some(c) = self.peek() {
            self.i += 1;
            if c == b'\n' {
                return;
            }
        }
    }

    /// The properties of a scanned line (`at`: [`Line::props_at`]) whose key `want` accepts,
    /// appended to `out`; the others are skipped unread.
    pub fn props(
        &mut self,
        at: usize,
        mut want: impl FnMut(&str) -> bool,
        out: &mut Vec<(Cow<'a, str>, Val<'a>)>,
    ) -> Result<(), ScanError> {
        self.i = at;
        self.object(|sc, k| {
            if want(&k) {
                let v = sc.value()?;
                out.push((k, v));
                Ok(())
            } else {
                sc.skip()
            }
        })
    }

    /// Reads one line into `out`: `Ok(false)` for a blank line. Leaves the cursor after the newline.
    pub fn line(&mut self, out: &mut Line<'a>, wanted: &mut impl Wanted) -> Result<bool, ScanError> {
        out.clear();
        self.blank();
        match self.peek() {
            None => return Ok(false),
            Some(b'\n') => {
                self.i += 1;
                return Ok(false);
            }
            Some(b'{') => {}
            Some(_) => return err(self.i, format!("expected a JSON object, found {}", self.found())),
        }
        let start = self.i;
        if !self.compact(out, wanted) {
            // Not the exact compact layout: the general scanner, from the start of the line.
            self.i = start;
            out.clear();
            self.object(|sc, key| sc.top_field(key, out, wanted))?;
        }
        self.blank();
        match self.peek() {
            None => {}
            Some(b'\n') => self.i += 1,
            Some(_) => {
                return err(self.i, format!("expected the end of the line after the object, found {}", self.found()))
            }
        }
        Ok(true)
    }

    /// `{ "key": value, … }`, calling `field` with the cursor on each value.
    fn object(&mut self, field: impl FnMut(&mut Self, Cow<'a, str>) -> Result<(), ScanError>) -> Result<(), ScanError> {
        self.expect(b'{', "`{`")?;
        self.blank();
        if self.peek() == Some(b'}') {
            self.i += 1;
            return Ok(());
        }
        self.fields(field)
    }

    /// The `"key": value` pairs of an object from the cursor (after `{` or a `,`) to its `}`.
    fn fields(
        &mut self,
        mut field: impl FnMut(&mut Self, Cow<'a, str>) -> Result<(), ScanError>,
    ) -> Result<(), ScanError> {
        loop {
            self.blank();
            if self.peek() != Some(b'"') {
                return err(self.i, format!("expected a key in quotes, found {}", self.found()));
            }
            let key = self.string()?;
            self.expect(b':', "`:` after the key")?;
            self.blank();
            field(self, key)?;
            self.blank();
            match self.peek() {
                Some(b',') => self.i += 1,
                Some(b'}') => {
                    self.i += 1;
                    return Ok(());
                }
                _ => return err(self.i, format!("expected `,` or `}}`, found {}", self.found())),
            }
        }
    }

    /// The layout `kairos gen` writes, byte for byte: `{"c":"ID","e":"NAME","t":MS}` with an
    /// optional `,"p":{…}` before the closing brace, no spaces, no escapes in the id or name.
    /// False (nothing consumed that matters) for anything else, which the general scanner reads.
    fn compact(&mut self, out: &mut Line<'a>, wanted: &mut impl Wanted) -> bool {
        let b = self.b;
        let mut i = self.i;
        let lit = |i: &mut usize, text: &[u8]| {
            let ok = b.get(*i..*i + text.len()) == Some(text);
            *i += text.len();
            ok
        };
        let plain = |i: &mut usize| -> Option<&'a str> {
            let from = *i;
            let mut j = from + plain_prefix(b.get(from..).unwrap_or_default());
            while b.get(j).is_some_and(|&c| c != b'"' && c != b'\\' && c >= 0x20) {
                j += 1;
            }
            *i = j;
            (b.get(j) == Some(&b'"')).then(|| self.s.get(from..j)).flatten()
        };
        if !lit(&mut i, b"{\"c\":\"") {
            return false;
        }
        let Some(id) = plain(&mut i) else { return false };
        if !lit(&mut i, b"\",\"e\":\"") {
            return false;
        }
        let Some(name) = plain(&mut i) else { return false };
        if !lit(&mut i, b"\",\"t\":") {
            return false;
        }
        let digits = b.get(i..).unwrap_or_default().iter().take_while(|c| c.is_ascii_digit()).count();
        if digits == 0 || digits > 18 || (digits > 1 && b.get(i) == Some(&b'0')) {
            return false;
        }
        let at = b.get(i..i + digits).unwrap_or_default().iter().fold(0i64, |n, d| n * 10 + i64::from(d - b'0'));
        i += digits;
        if !(kairos::context::MIN_MS..=kairos::context::MAX_MS).contains(&at) {
            return false;
        }
        out.customer = Some(Cow::Borrowed(id));
        out.name = Some(Cow::Borrowed(name));
        out.at = Some(at);
        if b.get(i) == Some(&b'}') {
            self.i = i + 1;
            return true;
        }
        if !lit(&mut i, b",\"p\":{") {
            // Other fields follow (a profile update, say): read them like any object's.
            if b.get(i - 6) != Some(&b',') {
                return false;
            }
            self.i = i - 5;
            return self.fields(|sc, key| sc.top_field(key, out, wanted)).is_ok();
        }
        self.i = i - 1;
        let event = wanted.event(name);
        out.name_id = Some(event);
        let read = if wanted.any(event) {
            let props = &mut out.props;
            self.object(|sc, k| {
                if wanted.wants(event, &k) {
                    let v = sc.value()?;
                    props.push((k, v));
                    Ok(())
                } else {
                    sc.skip()
                }
            })
        } else {
            self.skip()
        };
        if read.is_err() || self.peek() != Some(b'}') {
            return false;
        }
        self.i += 1;
        true
    }

    fn top_field(&mut self, key: Cow<'a, str>, out: &mut Line<'a>, wanted: &mut impl Wanted) -> Result<(), ScanError> {
        match &*key {
            "c" | "customer_id" | "userId" | "user_id" => out.customer = Some(self.text("a customer id string")?),
            "anonymousId" => out.anonymous = Some(self.text("an id string")?),
            "e" | "event" | "name" => {
                let at = self.i;
                let name = self.text("an event name string")?;
                if out.name.is_some() {
                    return err(at, "the event name is given twice");
                }
                out.name = Some(name);
            }
            "t" | "timestamp" | "ts" | "time" => out.at = Some(self.timestamp()?),
            // Read now if the event is known, only what is wanted; else checked now and read
            // later ([`Scanner::props`]).
            "p" | "properties" | "props" => {
                let start = self.i;
                match (self.peek(), &out.name) {
                    (Some(b'{'), Some(name)) => {
                        let event = wanted.event(name);
                        out.name_id = Some(event);
                        if wanted.any(event) {
                            let props = &mut out.props;
                            self.object(|sc, k| {
                                if wanted.wants(event, &k) {
                                    let v = sc.value()?;
                                    props.push((k, v));
                                    Ok(())
                                } else {
                                    sc.skip()
                                }
                            })?;
                        } else {
                            self.skip()?;
                        }
                    }
                    (Some(b'{'), None) => {
                        self.skip()?;
                        out.props_at = Some(start);
                    }
                    _ => self.literal("null")?,
                }
            }
            "type" => out.kind = Some(self.text("a type string")?),
            "profile" => {
                out.has_profile = true;
                if self.peek() == Some(b'n') {
                    self.literal("null")?;
                } else {
                    self.object(|sc, k| sc.attribute(k, &mut out.attrs, wanted))?;
                }
            }
            "traits" => {
                out.has_profile = true;
                self.object(|sc, k| match &*k {
                    "consent" => sc.consent(&mut out.consent),
                    "scores" => sc.scores(&mut out.scores, wanted),
                    _ => sc.attribute(k, &mut out.attrs, wanted),
                })?;
            }
            "consent" => {
                out.has_profile = true;
                self.consent(&mut out.consent)?;
            }
            "scores" => {
                out.has_profile = true;
                self.scores(&mut out.scores, wanted)?;
            }
            "timezone" => {
                out.has_profile = true;
                out.timezone = Some(self.text("a time zone string")?);
            }
            "context" if self.peek() == Some(b'{') => self.object(|sc, k| {
                if k == "timezone" && sc.peek() == Some(b'"') {
                    out.has_profile = true;
                    out.timezone = Some(sc.string()?);
                    Ok(())
                } else {
                    sc.skip()
                }
            })?,
            _ => self.skip()?,
        }
        Ok(())
    }

    fn consent(&mut self, out: &mut Vec<(Cow<'a, str>, bool)>) -> Result<(), ScanError> {
        self.object(|sc, k| {
            let at = sc.i;
            match sc.value()? {
                Val::Bool(b) => {
                    out.push((k, b));
                    Ok(())
                }
                _ => err(at, format!("consent `{k}` must be true or false")),
            }
        })
    }

    /// A profile attribute, read if wanted (checked and skipped otherwise).
    fn attribute(
        &mut self,
        key: Cow<'a, str>,
        out: &mut Vec<(Cow<'a, str>, Val<'a>)>,
        wanted: &impl Wanted,
    ) -> Result<(), ScanError> {
        if wanted.wants_attribute(&key) {
            let v = self.value()?;
            out.push((key, v));
            Ok(())
        } else {
            self.skip()
        }
    }

    /// `{"name": {"value": 0.9, "computed_at": T}}` or `{"name": 0.9}` (computed at the line's
    /// time); scores not wanted are checked and skipped.
    fn scores(&mut self, out: &mut Vec<ScoreIn<'a>>, wanted: &impl Wanted) -> Result<(), ScanError> {
        self.object(|sc, name| {
            if !wanted.wants_score(&name) {
                return sc.skip();
            }
            if sc.peek() == Some(b'{') {
                let (mut value, mut computed_at) = (Val::Null, None);
                sc.object(|sc, k| match &*k {
                    "value" => {
                        value = sc.value()?;
                        Ok(())
                    }
                    "computed_at" => {
                        computed_at = Some(sc.timestamp()?);
                        Ok(())
                    }
                    _ => sc.skip(),
                })?;
                out.push(ScoreIn { name, value, computed_at });
            } else {
                let value = sc.value()?;
                out.push(ScoreIn { name, value, computed_at: None });
            }
            Ok(())
        })
    }

    fn text(&mut self, what: &str) -> Result<Cow<'a, str>, ScanError> {
        if self.peek() == Some(b'"') {
            self.string()
        } else {
            err(self.i, format!("expected {what}, found {}", self.found()))
        }
    }

    /// Epoch ms (a number) or an RFC 3339 string, in years 1000–9999 like contexts.
    fn timestamp(&mut self) -> Result<i64, ScanError> {
        let at = self.i;
        let ms = match self.peek() {
            Some(b'"') => {
                let s = self.string()?;
                kairos::time::parse_timestamp(&s).or_else(|e| err(at, e))?
            }
            Some(b'-' | b'0'..=b'9') => match self.number()? {
                Num::Int(n) => n,
                Num::Float(v) if v.is_finite() && v.abs() <= 1e15 => v as i64,
                Num::Float(_) => return err(at, "expected a finite timestamp in epoch milliseconds"),
            },
            _ => return err(at, format!("expected a timestamp (epoch ms or RFC 3339), found {}", self.found())),
        };
        if (kairos::context::MIN_MS..=kairos::context::MAX_MS).contains(&ms) {
            Ok(ms)
        } else {
            err(at, format!("timestamp {ms} is outside years 1000–9999"))
        }
    }

    fn value(&mut self) -> Result<Val<'a>, ScanError> {
        match self.peek() {
            Some(b'"') => Ok(Val::Str(self.string()?)),
            Some(b'-' | b'0'..=b'9') => {
                let at = self.i;
                match self.number()? {
                    Num::Int(n) => Ok(Val::Num(n as f64)),
                    Num::Float(v) if v.is_finite() => Ok(Val::Num(v)),
                    Num::Float(_) => err(at, "expected a finite number"),
                }
            }
            Some(b't') => self.literal("true").map(|_| Val::Bool(true)),
            Some(b'f') => self.literal("false").map(|_| Val::Bool(false)),
            Some(b'n') => self.literal("null").map(|_| Val::Null),
            Some(b'{' | b'[') => self.skip().map(|_| Val::Nested),
            _ => err(self.i, format!("expected a value, found {}", self.found())),
        }
    }

    fn literal(&mut self, word: &str) -> Result<(), ScanError> {
        if self.b.get(self.i..self.i + word.len()) == Some(word.as_bytes()) {
            self.i += word.len();
            Ok(())
        } else {
            err(self.i, format!("expected a value, found {}", self.found()))
        }
    }

    /// Skips any value, iteratively (a deep line is an error, never a stack overflow).
    fn skip(&mut self) -> Result<(), ScanError> {
        // Bit `d` of `objects`: whether the container opened at depth `d` is an object.
        let mut objects: u128 = 0;
        let mut depth = 0usize;
        loop {
            self.blank();
            match self.peek() {
                Some(c @ (b'{' | b'[')) => {
                    if depth == MAX_DEPTH {
                        return err(self.i, format!("nested more than {MAX_DEPTH} levels deep"));
                    }
                    self.i += 1;
                    let is_object = c == b'{';
                    objects = (objects & !(1 << depth)) | (u128::from(is_object) << depth);
                    depth += 1;
                    self.blank();
                    if self.peek() == Some(if is_object { b'}' } else { b']' }) {
                        self.i += 1;
                        depth -= 1;
                    } else {
                        if is_object {
                            self.key_colon()?;
                        }
                        continue;
                    }
                }
                Some(b'"') => self.skip_string()?,
                Some(b'-' | b'0'..=b'9') => {
                    self.number_span()?;
                }
                _ => {
                    self.value()?;
                }
            }
            // After a value: close containers, or move on to the next element.
            loop {
                let Some(top) = depth.checked_sub(1) else { return Ok(()) };
                let is_object = (objects >> top) & 1 == 1;
                self.blank();
                match self.peek() {
                    Some(b',') => {
                        self.i += 1;
                        if is_object {
                            self.key_colon()?;
                        }
                        break;
                    }
                    Some(b'}') if is_object => {
                        self.i += 1;
                        depth = top;
                    }
                    Some(b']') if !is_object => {
                        self.i += 1;
                        depth = top;
                    }
                    _ => {
                        let want = if is_object { "`,` or `}`" } else { "`,` or `]`" };
                        return err(self.i, format!("expected {want}, found {}", self.found()));
                    }
                }
            }
        }
    }

    fn key_colon(&mut self) -> Result<(), ScanError> {
        self.blank();
        if self.peek() != Some(b'"') {
            return err(self.i, format!("expected a key in quotes, found {}", self.found()));
        }
        self.skip_string()?;
        self.expect(b':', "`:` after the key")
    }

    /// Moves past the string at the cursor, checking it as [`Scanner::string`] does.
    fn skip_string(&mut self) -> Result<(), ScanError> {
        let open = self.i;
        let b = self.b;
        let mut i = open + 1;
        loop {
            i += plain_prefix(b.get(i..).unwrap_or_default());
            match b.get(i) {
                None => return err(open, "unterminated string"),
                Some(b'"') => {
                    self.i = i + 1;
                    return Ok(());
                }
                Some(b'\\') => {
                    let esc = b.get(i + 1).copied();
                    i += 2;
                    match esc {
                        Some(b'"' | b'\\' | b'/' | b'b' | b'f' | b'n' | b'r' | b't') => {}
                        Some(b'u') => {
                            self.i = i;
                            self.unicode_escape()?;
                            i = self.i;
                        }
                        _ => return err(i - 2, "invalid escape in string"),
                    }
                }
                Some(&c) if c < 0x20 => {
                    return err(i, if c == b'\n' { "unterminated string" } else { "control character in string" })
                }
                Some(_) => i += 1,
            }
        }
    }

    /// A string at the cursor: borrowed when it has no escapes.
    fn string(&mut self) -> Result<Cow<'a, str>, ScanError> {
        let open = self.i;
        let b = self.b;
        let start = open + 1;
        // Plain bytes run until a quote, a backslash or a control character: eight at a time
        // while no byte of the word is one of those, then byte by byte.
        let mut i = start + plain_prefix(b.get(start..).unwrap_or_default());
        while let Some(&c) = b.get(i) {
            if c == b'"' {
                self.i = i + 1;
                return Ok(Cow::Borrowed(self.s.get(start..i).unwrap_or_default()));
            }
            if c == b'\\' || c < 0x20 {
                break;
            }
            i += 1;
        }
        self.i = i;
        self.string_with_escapes(open, start)
    }

    /// The rest of a string that has escapes (or is broken): `open` is its quote, `start` its
    /// first byte, the cursor the first escape.
    #[cold]
    fn string_with_escapes(&mut self, open: usize, start: usize) -> Result<Cow<'a, str>, ScanError> {
        let b = self.b;
        let mut owned = String::from(self.s.get(start..self.i).unwrap_or_default());
        loop {
            let Some(&c) = b.get(self.i) else { return err(open, "unterminated string") };
            match c {
                b'"' => {
                    self.i += 1;
                    return Ok(Cow::Owned(owned));
                }
                b'\\' => {
                    let esc = b.get(self.i + 1).copied();
                    self.i += 2;
                    match esc {
                        Some(b'"') => owned.push('"'),
                        Some(b'\\') => owned.push('\\'),
                        Some(b'/') => owned.push('/'),
                        Some(b'b') => owned.push('\u{8}'),
                        Some(b'f') => owned.push('\u{c}'),
                        Some(b'n') => owned.push('\n'),
                        Some(b'r') => owned.push('\r'),
                        Some(b't') => owned.push('\t'),
                        Some(b'u') => owned.push(self.unicode_escape()?),
                        _ => return err(self.i - 2, "invalid escape in string"),
                    }
                }
                c if c < 0x20 => {
                    return err(self.i, if c == b'\n' { "unterminated string" } else { "control character in string" })
                }
                _ => {
                    let from = self.i;
                    while b.get(self.i).is_some_and(|&c| c != b'"' && c != b'\\' && c >= 0x20) {
                        self.i += 1;
                    }
                    owned.push_str(self.s.get(from..self.i).unwrap_or_default());
                }
            }
        }
    }

    /// The 4 hex digits after `\u` (the cursor is on them), joining surrogate pairs.
    fn unicode_escape(&mut self) -> Result<char, ScanError> {
        let hex = |sc: &mut Self| -> Result<u32, ScanError> {
            let digits = sc.s.get(sc.i..sc.i + 4).ok_or(ScanError { at: sc.i, message: "short \\u escape".into() })?;
            let v = u32::from_str_radix(digits, 16).or_else(|_| err(sc.i, "invalid \\u escape"))?;
            sc.i += 4;
            Ok(v)
        };
        let at = self.i.saturating_sub(2); // the backslash
        let hi = hex(self)?;
        let code = if (0xd800..0xdc00).contains(&hi) {
            if self.b.get(self.i..self.i + 2) != Some(b"\\u") {
                return err(at, "unpaired surrogate in \\u escape");
            }
            self.i += 2;
            let lo = hex(self)?;
            if !(0xdc00..0xe000).contains(&lo) {
                return err(at, "unpaired surrogate in \\u escape");
            }
            0x10000 + ((hi - 0xd800) << 10) + (lo - 0xdc00)
        } else {
            hi
        };
        char::from_u32(code).ok_or(ScanError { at, message: "invalid \\u escape".into() })
    }

    /// A JSON number: integers (up to 18 digits) without fraction or exponent stay exact.
    fn number(&mut self) -> Result<Num, ScanError> {
        let start = self.i;
        let (n, exact) = self.number_span()?;
        if exact {
            return Ok(Num::Int(n));
        }
        let text = self.s.get(start..self.i).unwrap_or_default();
        text.parse::<f64>().map(Num::Float).or_else(|_| err(start, "invalid number"))
    }

    /// Checks a number's grammar and moves past it: its value when it is a plain integer of at
    /// most 18 digits (no overflow possible), and whether it was one.
    fn number_span(&mut self) -> Result<(i64, bool), ScanError> {
        let start = self.i;
        let mut i = self.i;
        let b = self.b;
        let neg = b.get(i) == Some(&b'-');
        if neg {
            i += 1;
        }
        let int_start = i;
        let mut n: i64 = 0;
        while let Some(&d) = b.get(i) {
            if !d.is_ascii_digit() {
                break;
            }
            n = n.wrapping_mul(10).wrapping_add(i64::from(d - b'0'));
            i += 1;
        }
        let digits = i - int_start;
        if digits == 0 {
            return err(start, "expected digits in a number");
        }
        if digits > 1 && b.get(int_start) == Some(&b'0') {
            return err(start, "numbers cannot start with 0");
        }
        let mut float = false;
        if b.get(i) == Some(&b'.') {
            float = true;
            i += 1;
            let from = i;
            while b.get(i).is_some_and(u8::is_ascii_digit) {
                i += 1;
            }
            if i == from {
                return err(i, "expected digits after the decimal point");
            }
        }
        if let Some(b'e' | b'E') = b.get(i) {
            float = true;
            i += 1;
            if let Some(b'+' | b'-') = b.get(i) {
                i += 1;
            }
            let from = i;
            while b.get(i).is_some_and(u8::is_ascii_digit) {
                i += 1;
            }
            if i == from {
                return err(i, "expected digits in the exponent");
            }
        }
        self.i = i;
        Ok((if neg { -n } else { n }, !float && digits <= 18))
    }
}

/// How many leading bytes are neither `"`, `\\` nor below 0x20, counted a word at a time
/// (SWAR: a byte is flagged when subtracting from it borrows into its top bit; the lowest flag
/// is always exact).
fn plain_prefix(b: &[u8]) -> usize {
    const ONES: u64 = 0x0101_0101_0101_0101;
    const HIGH: u64 = 0x8080_8080_8080_8080;
    let mut n = 0;
    for chunk in b.chunks_exact(8) {
        let mut word = [0u8; 8];
        word.copy_from_slice(chunk);
        let x = u64::from_le_bytes(word);
        let quote = x ^ (ONES * u64::from(b'"'));
        let slash = x ^ (ONES * u64::from(b'\\'));
        let flags =
            (quote.wrapping_sub(ONES) & !quote | slash.wrapping_sub(ONES) & !slash | x.wrapping_sub(ONES * 0x20) & !x)
                & HIGH;
        if flags != 0 {
            return n + (flags.trailing_zeros() / 8) as usize;
        }
        n += 8;
    }
    n
}

enum Num {
    Int(i64),
    Float(f64),
}

/// Reads input in big chunks that end at a line break, so lines never straddle two chunks.
pub struct Chunks<R> {
    input: R,
    buf: Vec<u8>,
    /// Bytes of `buf` holding data; `buf[..start]` was handed out already.
    filled: usize,
    start: usize,
    eof: bool,
    max_line: usize,
}

/// Why no chunk could be read.
#[derive(Debug)]
pub enum ChunkError {
    /// The next line is longer than this many bytes.
    LineTooLong(usize),
    Io(io::Error),
}

/// Chunk size; a longer line grows the buffer (up to `max_line`).
const CHUNK: usize = 1 << 20;

impl<R: Read> Chunks<R> {
    pub fn new(input: R, max_line: usize) -> Chunks<R> {
        Chunks { input, buf: vec![0; CHUNK], filled: 0, start: 0, eof: false, max_line }
    }

    /// The next run of complete lines (the last one may lack its newline at the end of input),
    /// or `None` at the end.
    pub fn next_chunk(&mut self) -> Result<Option<&[u8]>, ChunkError> {
        // Keep the unfinished tail, then fill the rest.
        if self.start > 0 {
            self.buf.copy_within(self.start..self.filled, 0);
            self.filled -= self.start;
            self.start = 0;
        }
        loop {
            if let Some(nl) = self.buf.get(..self.filled).and_then(|b| b.iter().rposition(|&c| c == b'\n')) {
                if self.eof || self.filled == self.buf.len() || nl + 1 == self.filled {
                    self.start = nl + 1;
                    return Ok(self.buf.get(..nl + 1));
                }
            }
            if self.eof {
                if self.filled == 0 {
                    return Ok(None);
                }
                self.start = self.filled;
                return Ok(self.buf.get(..self.filled));
            }
            if self.filled == self.buf.len() {
                if self.buf.len() >= self.max_line {
                    return Err(ChunkError::LineTooLong(self.max_line));
                }
                let grown = (self.buf.len() * 2).min(self.max_line.max(CHUNK));
                self.buf.resize(grown, 0);
            }
            match self.input.read(&mut self.buf[self.filled..]) {
                Ok(0) => self.eof = true,
                Ok(n) => self.filled += n,
                Err(e) if e.kind() == io::ErrorKind::Interrupted => {}
                Err(e) => return Err(ChunkError::Io(e)),
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn scan(text: &str) -> Result<Line<'_>, ScanError> {
        let mut sc = Scanner::new(text);
        let mut line = Line::default();
        sc.line(&mut line, &mut All)?;
        Ok(line)
    }

    #[test]
    fn reads_the_compact_shape() {
        let text = r#"{"c":"cust-1","e":"Cart Viewed","t":1795453500000,"p":{"product_id":"sku-1","n":2.5,"ok":true,"x":null,"deep":{"a":[1,{"b":2}]}}}"#;
        let l = scan(text).unwrap();
        assert_eq!(l.customer.as_deref(), Some("cust-1"));
        assert_eq!(l.name.as_deref(), Some("Cart Viewed"));
        assert_eq!(l.at, Some(1_795_453_500_000));
        assert_eq!(l.props.len(), 5);
        assert_eq!(l.props[0], ("product_id".into(), Val::Str("sku-1".into())));
        assert_eq!(l.props[1].1, Val::Num(2.5));
        assert_eq!(l.props[2].1, Val::Bool(true));
        assert_eq!(l.props[3].1, Val::Null);
        assert_eq!(l.props[4].1, Val::Nested);
        assert!(!l.has_profile);
    }

    /// Wants `product_id` of events named `Cart Viewed`, nothing else.
    struct CartIds(Vec<String>);

    impl Wanted for CartIds {
        fn event(&mut self, raw: &str) -> u16 {
            self.0.push(raw.to_owned());
            u16::from(raw == "Cart Viewed")
        }
        fn any(&self, event: u16) -> bool {
            event == 1
        }
        fn wants(&self, event: u16, key: &str) -> bool {
            event == 1 && key == "product_id"
        }
        fn wants_attribute(&self, name: &str) -> bool {
            name == "tier"
        }
        fn wants_score(&self, name: &str) -> bool {
            name == "ltv"
        }
    }

    #[test]
    fn reads_only_wanted_properties_in_any_layout() {
        let layouts = [
            r#"{"c":"a","e":"Cart Viewed","t":5,"p":{"product_id":"sku-1","price":3}}"#,
            r#"{ "c": "a", "e": "Cart Viewed", "t": 5, "p": {"price": 3, "product_id": "sku-1"} }"#,
            r#"{"userId":"a","event":"Cart Viewed","timestamp":5,"properties":{"product_id":"sku-1","x":[1]}}"#,
        ];
        for text in layouts {
            let mut wanted = CartIds(Vec::new());
            let mut line = Line::default();
            Scanner::new(text).line(&mut line, &mut wanted).unwrap();
            assert_eq!(line.props, vec![("product_id".into(), Val::Str("sku-1".into()))], "{text}");
            assert_eq!(line.name_id, Some(1));
            assert_eq!(wanted.0, ["Cart Viewed"]);
        }
        // Properties before the name: checked, kept for later.
        let text = r#"{"p":{"product_id":"sku-1","price":3},"e":"Cart Viewed","c":"a","t":5}"#;
        let mut line = Line::default();
        Scanner::new(text).line(&mut line, &mut CartIds(Vec::new())).unwrap();
        assert_eq!((line.props_at, line.name_id), (Some(5), None));
        Scanner::new(text).props(5, |k| k == "price", &mut line.props).unwrap();
        assert_eq!(line.props, vec![("price".into(), Val::Num(3.0))]);
        // Profile data after the compact fields: only wanted attributes and scores are read.
        let text = r#"{"c":"a","e":"identify","t":5,"profile":{"tier":"gold","x":[1]},"scores":{"ltv":3,"p":{"value":1}},"timezone":"UTC"}"#;
        let mut line = Line::default();
        Scanner::new(text).line(&mut line, &mut CartIds(Vec::new())).unwrap();
        assert_eq!(line.attrs, vec![("tier".into(), Val::Str("gold".into()))]);
        assert_eq!(
            (line.scores.len(), line.timezone.as_deref(), line.name.as_deref()),
            (1, Some("UTC"), Some("identify"))
        );
        // Nothing wanted: skipped, but still checked.
        let text = r#"{"c":"a","e":"Other","t":5,"p":{"price":3,}}"#;
        let e = Scanner::new(text).line(&mut Line::default(), &mut CartIds(Vec::new())).unwrap_err();
        assert!(e.message.contains("expected a key"), "{e:?}");
    }

    #[test]
    fn reads_the_track_shape_and_profiles() {
        let text = concat!(
            r#" { "type" : "identify", "userId": "u\"1\u00e9", "timestamp": "2026-11-23T18:00:00Z", "#,
            r#""messageId": [1, "]", {"k": "}"}], "#,
            r#""traits": {"balance": 12.5, "consent": {"personalization": true}, "#,
            r#""scores": {"ltv": {"value": 3, "computed_at": 5}, "p": 0.5}}, "#,
            r#""context": {"ip": "1.2.3.4", "timezone": "Europe/Paris"} }"#
        );
        let l = scan(text).unwrap();
        assert_eq!(l.customer.as_deref(), Some("u\"1é"));
        assert_eq!(l.kind.as_deref(), Some("identify"));
        assert_eq!(l.at, Some(1_795_456_800_000));
        assert_eq!(l.attrs, vec![("balance".into(), Val::Num(12.5))]);
        assert_eq!(l.consent, vec![("personalization".into(), true)]);
        assert_eq!(l.scores.len(), 2);
        assert_eq!(l.scores[0].computed_at, Some(5));
        assert_eq!(l.scores[1].value, Val::Num(0.5));
        assert_eq!(l.timezone.as_deref(), Some("Europe/Paris"));
        assert!(l.has_profile);
    }

    #[test]
    fn errors_point_at_the_problem() {
        let cases = [
            (r#"{"c":"a","t":12,}"#, 16, "expected a key"),
            (r#"{"c":"a" "t":1}"#, 9, "expected `,` or `}`"),
            (r#"{"c":"a","t":"yesterday"}"#, 13, "timestamp"),
            (r#"{"c":"a","t":1e400}"#, 13, "finite timestamp"),
            (r#"{"c":"a","t":01}"#, 13, "start with 0"),
            (r#"{"c":"a"} x"#, 10, "end of the line"),
            (r#"[1]"#, 0, "JSON object"),
            (r#"{"c":"a","p":{"x":tru}}"#, 18, "expected a value"),
            (r#"{"c":"a\q"}"#, 7, "invalid escape"),
            (r#"{"c":"a"#, 5, "unterminated"),
            (r#"{"c":"\ud800"}"#, 6, "surrogate"),
        ];
        for (text, at, msg) in cases {
            let e = scan(text).unwrap_err();
            assert_eq!(e.at, at, "{text}: {e:?}");
            assert!(e.message.contains(msg), "{text}: {e:?}");
        }
        let deep = format!("{{\"x\":{}{}}}", "[".repeat(200), "]".repeat(200));
        assert!(scan(&deep).unwrap_err().message.contains("nested"));
    }

    #[test]
    fn plain_prefix_stops_at_the_first_special_byte() {
        for (text, n) in [
            ("abcdefgh", 8),
            ("abcdefghijk", 8),
            ("abc\"defghijkl", 3),
            ("abcdefgh\\ijklmnop", 8),
            ("abcdefghijkl\nmnopqrst", 12),
            ("ab\u{1f}cdefghijk", 2),
            ("é€😀abcdefghi\"", 16),
            ("\"bcdefghi", 0),
        ] {
            let expect = text.bytes().position(|c| c == b'"' || c == b'\\' || c < 0x20).unwrap_or(text.len());
            // Exact within whole words; a tail shorter than a word is left to the byte loop.
            let got = plain_prefix(text.as_bytes());
            assert_eq!(got, expect.min(text.len() / 8 * 8), "{text:?}");
            assert_eq!(got, n, "{text:?}");
        }
    }

    #[test]
    fn chunks_end_at_line_breaks() {
        let text = "a\nbb\nccc\n".repeat(1000) + "tail";
        let mut ch = Chunks::new(std::io::Cursor::new(text.clone().into_bytes()), 1 << 20);
        let mut all = Vec::new();
        while let Some(c) = ch.next_chunk().unwrap() {
            all.extend_from_slice(c);
        }
        assert_eq!(all, text.as_bytes());
        let mut tiny = Chunks::new(std::io::Cursor::new(vec![b'x'; 3 << 20]), 2 << 20);
        assert!(matches!(tiny.next_chunk(), Err(ChunkError::LineTooLong(_))));
    }
}
