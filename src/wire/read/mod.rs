//! A serde `Deserializer` over JSON text (RFC 8259), accepting what serde_json accepts and giving
//! the same values: integers as `u64`/`i64` (`-0` and integers past 64 bits as `f64`), other
//! numbers correctly rounded, strings borrowed when they hold no escapes. Errors carry the JSON
//! path, line and column of the innermost value that failed.

use super::{Error, JsonError};
use crate::error::Location;
use crate::limits::{watch_depth, TooDeep};
use serde::de::{self, DeserializeOwned, DeserializeSeed, IntoDeserializer, Visitor};

/// Deepest `[`/`{` nesting read, as serde_json's own limit (127 levels inside the root).
const MAX_DEPTH: usize = 128;

pub(super) mod shapes;

/// Reads `text` as one `T`: the size limit, depth limits and located errors of every kairos reader.
pub fn from_str<T: DeserializeOwned>(text: &str) -> Result<T, JsonError> {
    read_with(text, |reader| T::deserialize(reader))
}

/// Reads `text` as one value with `read`: what [`from_str`] does around a `Deserialize` impl,
/// for the hand-written readers of [`shapes`] too.
fn read_with<'de, T>(text: &'de str, read: impl FnOnce(&mut Reader<'de>) -> Result<T, Error>) -> Result<T, JsonError> {
    read_telling(text, read).map_err(|(e, _)| e)
}

/// [`read_with`], also telling whether the text itself was at fault (not JSON, too large, too
/// deep) rather than a well-formed value of the wrong shape: OpenFeature tells them apart.
fn read_telling<'de, T>(
    text: &'de str,
    read: impl FnOnce(&mut Reader<'de>) -> Result<T, Error>,
) -> Result<T, (JsonError, bool)> {
    JsonError::check_size(text).map_err(|e| (e, true))?;
    let mut reader = Reader::new(text);
    let read = watch_depth(|| {
        let value = read(&mut reader)?;
        reader.ws();
        if reader.pos < text.len() {
            return Err(reader.fail("trailing characters"));
        }
        Ok(value)
    });
    read.map_err(|(e, too_deep)| {
        let (mut path, pos) = reader.failed_at.take().unwrap_or_default();
        // Before the root object's first key: the root, as `kairos::json` says it (which also
        // reads a root key named `.` as the root).
        if path == "?" || path == "." {
            path.clear();
        }
        let (line, column) = line_column(text, pos);
        let too_deep = too_deep.or(reader.too_deep);
        let malformed = reader.malformed || too_deep.is_some();
        (JsonError { at: Location { path, line, column }, message: e.0, too_deep }, malformed)
    })
}

/// 1-based line and byte column of `pos`.
fn line_column(text: &str, pos: usize) -> (usize, usize) {
    let before = &text.as_bytes()[..pos.min(text.len())];
    let line_start = before.iter().rposition(|&b| b == b'\n').map_or(0, |i| i + 1);
    (1 + before.iter().filter(|&&b| b == b'\n').count(), pos.min(text.len()) - line_start + 1)
}

/// One step of the path being read: an object key (its raw text's byte range) or an array index.
#[derive(Clone, Copy)]
enum Step {
    Key(usize, usize),
    Index(usize),
    /// In an object, before its next key was read.
    NoKey,
}

struct Reader<'de> {
    text: &'de str,
    pos: usize,
    depth: usize,
    path: Vec<Step>,
    /// The path and byte offset of the first failure, taken when it happens.
    failed_at: Option<(String, usize)>,
    /// Set when this reader's own nesting limit refused.
    too_deep: Option<TooDeep>,
    /// Set when the text is not JSON (rather than JSON of the wrong shape).
    malformed: bool,
}

enum Text<'de> {
    Borrowed(&'de str),
    Owned(String),
}

enum Token<'de> {
    Null,
    Bool(bool),
    Str(Text<'de>),
    Number(Number),
    Array,
    Object,
}

enum Number {
    Unsigned(u64),
    Signed(i64),
    Float(f64),
}

impl<'de> Reader<'de> {
    fn bytes(&self) -> &'de [u8] {
        self.text.as_bytes()
    }

    fn peek(&self) -> Option<u8> {
        self.bytes().get(self.pos).copied()
    }

    fn ws(&mut self) {
        while let Some(b' ' | b'\t' | b'\n' | b'\r') = self.peek() {
            self.pos += 1;
        }
    }

    /// Keeps where the first failure happened; later (outer) ones keep the innermost.
    #[inline(always)]
    fn locate<T>(&mut self, result: Result<T, Error>) -> Result<T, Error> {
        if result.is_err() {
            self.mark_failure();
        }
        result
    }

    // Out of line, as everything below that is not generic: the generic methods are
    // instantiated once per type read, and should hold no more than the dispatch.
    #[inline(never)]
    #[cold]
    fn mark_failure(&mut self) {
        if self.failed_at.is_none() {
            self.failed_at = Some((self.render_path(), self.pos));
        }
    }

    #[inline(never)]
    #[cold]
    fn fail(&mut self, message: &str) -> Error {
        self.malformed = true;
        self.mark_failure();
        Error(message.to_string())
    }

    /// The path as serde_path_to_error writes it: `events[3].t`, empty at the root.
    #[inline(never)]
    fn render_path(&self) -> String {
        let mut out = String::new();
        for (i, step) in self.path.iter().enumerate() {
            // A dot before every key but the first step, even after an empty key (`.?`).
            if i > 0 && !matches!(step, Step::Index(_)) {
                out.push('.');
            }
            match *step {
                Step::Index(i) => {
                    out.push('[');
                    out.push_str(&i.to_string());
                    out.push(']');
                }
                Step::NoKey => out.push('?'),
                Step::Key(start, end) => {
                    let raw = &self.text[start..end];
                    if raw.contains('\\') {
                        let mut key = Reader::new(self.text);
                        key.pos = start - 1;
                        match key.string() {
                            Ok(Text::Owned(s)) => out.push_str(&s),
                            _ => out.push_str(raw),
                        }
                    } else {
                        out.push_str(raw);
                    }
                }
            }
        }
        out
    }

    fn new(text: &'de str) -> Reader<'de> {
        Reader { text, pos: 0, depth: 0, path: Vec::new(), failed_at: None, too_deep: None, malformed: false }
    }

    fn value_start(&mut self) -> Result<u8, Error> {
        self.ws();
        match self.peek() {
            Some(b) => Ok(b),
            None => Err(self.fail("EOF while parsing a value")),
        }
    }

    fn literal(&mut self, word: &[u8]) -> Result<(), Error> {
        if self.bytes()[self.pos..].starts_with(word) {
            self.pos += word.len();
            Ok(())
        } else {
            Err(self.fail("expected value"))
        }
    }

    /// A string starting at its opening quote.
    #[inline(never)]
    fn string(&mut self) -> Result<Text<'de>, Error> {
        self.pos += 1;
        let start = self.pos;
        let bytes = self.bytes();
        // The common case: no escape, borrowed as it is.
        loop {
            match bytes.get(self.pos) {
                None => return Err(self.fail("EOF while parsing a string")),
                Some(b'"') => {
                    self.pos += 1;
                    return Ok(Text::Borrowed(&self.text[start..self.pos - 1]));
                }
                Some(b'\\') => break,
                Some(&b) if b < 0x20 => {
                    return Err(self.fail("control character (\\u0000-\\u001F) found while parsing a string"))
                }
                Some(_) => self.pos += 1,
            }
        }
        let mut out = String::from(&self.text[start..self.pos]);
        loop {
            let run = self.pos;
            while let Some(&b) = bytes.get(self.pos) {
                if b == b'"' || b == b'\\' || b < 0x20 {
                    break;
                }
                self.pos += 1;
            }
            out.push_str(&self.text[run..self.pos]);
            match bytes.get(self.pos) {
                None => return Err(self.fail("EOF while parsing a string")),
                Some(b'"') => {
                    self.pos += 1;
                    return Ok(Text::Owned(out));
                }
                Some(b'\\') => {
                    self.pos += 1;
                    let c = self.escape()?;
                    out.push(c);
                }
                Some(_) => return Err(self.fail("control character (\\u0000-\\u001F) found while parsing a string")),
            }
        }
    }

    /// The character of an escape, after its backslash.
    fn escape(&mut self) -> Result<char, Error> {
        let Some(b) = self.peek() else { return Err(self.fail("EOF while parsing a string")) };
        self.pos += 1;
        Ok(match b {
            b'"' => '"',
            b'\\' => '\\',
            b'/' => '/',
            b'b' => '\u{8}',
            b'f' => '\u{c}',
            b'n' => '\n',
            b'r' => '\r',
            b't' => '\t',
            b'u' => {
                let first = self.hex4()?;
                match first {
                    0xD800..=0xDBFF => {
                        if !self.bytes()[self.pos..].starts_with(b"\\u") {
                            return Err(self.fail("lone leading surrogate in hex escape"));
                        }
                        self.pos += 2;
                        let second = self.hex4()?;
                        if !(0xDC00..=0xDFFF).contains(&second) {
                            return Err(self.fail("lone leading surrogate in hex escape"));
                        }
                        let c = 0x10000 + ((first - 0xD800) << 10) + (second - 0xDC00);
                        char::from_u32(c).ok_or_else(|| self.fail("invalid unicode code point"))?
                    }
                    0xDC00..=0xDFFF => return Err(self.fail("lone trailing surrogate in hex escape")),
                    c => char::from_u32(c).ok_or_else(|| self.fail("invalid unicode code point"))?,
                }
            }
            _ => return Err(self.fail("invalid escape")),
        })
    }

    fn hex4(&mut self) -> Result<u32, Error> {
        let mut n = 0;
        for _ in 0..4 {
            let digit = match self.peek() {
                Some(b) => (b as char).to_digit(16),
                None => return Err(self.fail("EOF while parsing a string")),
            };
            let Some(d) = digit else { return Err(self.fail("invalid escape")) };
            n = n * 16 + d;
            self.pos += 1;
        }
        Ok(n)
    }

    fn digits(&mut self) -> usize {
        let start = self.pos;
        while let Some(b'0'..=b'9') = self.peek() {
            self.pos += 1;
        }
        self.pos - start
    }

    #[inline(never)]
    fn number(&mut self) -> Result<Number, Error> {
        let start = self.pos;
        let negative = self.peek() == Some(b'-');
        if negative {
            self.pos += 1;
        }
        let int_start = self.pos;
        match self.digits() {
            0 => return Err(self.fail("invalid number")),
            n if n > 1 && self.bytes()[int_start] == b'0' => {
                self.pos = int_start + 1;
                return Err(self.fail("invalid number"));
            }
            _ => {}
        }
        let int_end = self.pos;
        let mut float = false;
        if self.peek() == Some(b'.') {
            self.pos += 1;
            if self.digits() == 0 {
                return Err(self.fail("invalid number"));
            }
            float = true;
        }
        if let Some(b'e' | b'E') = self.peek() {
            self.pos += 1;
            if let Some(b'+' | b'-') = self.peek() {
                self.pos += 1;
            }
            if self.digits() == 0 {
                return Err(self.fail("invalid number"));
            }
            float = true;
        }
        if !float {
            let magnitude = self.text[int_start..int_end].parse::<u64>().ok();
            match (negative, magnitude) {
                (false, Some(n)) => return Ok(Number::Unsigned(n)),
                // serde_json keeps the sign of -0 by reading it as a float.
                (true, Some(0)) => return Ok(Number::Float(-0.0)),
                (true, Some(n)) if n <= i64::MAX as u64 + 1 => return Ok(Number::Signed((n as i64).wrapping_neg())),
                _ => {}
            }
        }
        match self.text[start..self.pos].parse::<f64>() {
            Ok(f) if f.is_finite() => Ok(Number::Float(f)),
            _ => Err(self.fail("number out of range")),
        }
    }

    /// The next value's first token: a whole scalar, or the opening of an array or object
    /// (entered: `close` leaves it).
    #[inline(never)]
    fn token(&mut self) -> Result<Token<'de>, Error> {
        Ok(match self.value_start()? {
            b'n' => self.literal(b"null").map(|()| Token::Null)?,
            b't' => self.literal(b"true").map(|()| Token::Bool(true))?,
            b'f' => self.literal(b"false").map(|()| Token::Bool(false))?,
            b'"' => Token::Str(self.string()?),
            b'-' | b'0'..=b'9' => Token::Number(self.number()?),
            b'[' => self.enter().map(|()| Token::Array)?,
            b'{' => self.enter().map(|()| Token::Object)?,
            _ => return Err(self.fail("expected value")),
        })
    }

    /// Before an object's next entry: its key, or `None` at its end. What fails before a key is
    /// read is located in the object, at `?`; a refused key at the key (as serde_path_to_error).
    #[inline(never)]
    fn next_key(&mut self, first: &mut bool) -> Result<Option<(Text<'de>, Step)>, Error> {
        self.path.push(Step::NoKey);
        let next = self.next_item(first, b'}').and_then(|more| more.then(|| self.key()).transpose());
        let next = self.locate(next);
        self.path.pop();
        next
    }

    fn enter(&mut self) -> Result<(), Error> {
        self.depth += 1;
        if self.depth >= MAX_DEPTH {
            self.too_deep = Some(TooDeep { what: "JSON", limit: MAX_DEPTH - 1 });
            return Err(self.fail("recursion limit exceeded"));
        }
        self.pos += 1;
        Ok(())
    }

    /// The end of an array or object whose visitor has read what it wanted.
    #[inline(never)]
    fn close(&mut self, end: u8) -> Result<(), Error> {
        self.depth -= 1;
        self.ws();
        match self.peek() {
            Some(b) if b == end => {
                self.pos += 1;
                Ok(())
            }
            Some(b',') => Err(self.fail("trailing characters")),
            Some(_) => Err(self.fail(if end == b']' { "expected `,` or `]`" } else { "expected `,` or `}`" })),
            None => {
                Err(self.fail(if end == b']' { "EOF while parsing a list" } else { "EOF while parsing an object" }))
            }
        }
    }

    /// Skips one value, checking it as it goes: what `deserialize_ignored_any` asks for.
    #[inline(never)]
    fn skip(&mut self) -> Result<(), Error> {
        let end = match self.token()? {
            Token::Array => b']',
            Token::Object => b'}',
            _ => return Ok(()),
        };
        let mut first = true;
        while self.next_item(&mut first, end)? {
            if end == b'}' {
                self.key()?;
                self.colon()?;
            }
            self.skip()?;
        }
        self.close(end)
    }

    /// Before each item of an array or object: whether there is one (the closing byte is left
    /// for `close`).
    #[inline(never)]
    fn next_item(&mut self, first: &mut bool, end: u8) -> Result<bool, Error> {
        self.ws();
        if !*first {
            match self.peek() {
                Some(b) if b == end => return Ok(false),
                Some(b',') => {
                    self.pos += 1;
                    self.ws();
                    match self.peek() {
                        Some(b) if b == end => return Err(self.fail("trailing comma")),
                        None => return Err(self.fail("EOF while parsing a value")),
                        Some(_) => {}
                    }
                }
                None => {
                    return Err(self.fail(if end == b']' {
                        "EOF while parsing a list"
                    } else {
                        "EOF while parsing an object"
                    }))
                }
                Some(_) => {
                    return Err(self.fail(if end == b']' { "expected `,` or `]`" } else { "expected `,` or `}`" }))
                }
            }
        } else {
            match self.peek() {
                Some(b) if b == end => return Ok(false),
                None => {
                    return Err(self.fail(if end == b']' {
                        "EOF while parsing a list"
                    } else {
                        "EOF while parsing an object"
                    }))
                }
                Some(_) => {}
            }
        }
        *first = false;
        Ok(true)
    }

    /// An object key and its colon: the key's text and its raw byte range.
    #[inline(never)]
    fn key(&mut self) -> Result<(Text<'de>, Step), Error> {
        self.ws();
        match self.peek() {
            Some(b'"') => {}
            None => return Err(self.fail("EOF while parsing an object")),
            Some(_) => return Err(self.fail("key must be a string")),
        }
        let start = self.pos + 1;
        let key = self.string()?;
        Ok((key, Step::Key(start, self.pos - 1)))
    }

    /// The colon after a key, read when its value is (as serde_json does: a refused key is
    /// reported before a missing colon).
    #[inline(never)]
    fn colon(&mut self) -> Result<(), Error> {
        self.ws();
        match self.peek() {
            Some(b':') => {
                self.pos += 1;
                Ok(())
            }
            None => Err(self.fail("EOF while parsing an object")),
            Some(_) => Err(self.fail("expected `:`")),
        }
    }
}

impl<'de> de::Deserializer<'de> for &mut Reader<'de> {
    type Error = Error;

    fn deserialize_any<V: Visitor<'de>>(self, visitor: V) -> Result<V::Value, Error> {
        let read = match self.token()? {
            Token::Null => visitor.visit_unit(),
            Token::Bool(b) => visitor.visit_bool(b),
            Token::Str(Text::Borrowed(s)) => visitor.visit_borrowed_str(s),
            Token::Str(Text::Owned(s)) => visitor.visit_string(s),
            Token::Number(Number::Unsigned(n)) => visitor.visit_u64(n),
            Token::Number(Number::Signed(n)) => visitor.visit_i64(n),
            Token::Number(Number::Float(n)) => visitor.visit_f64(n),
            Token::Array => {
                let value = visitor.visit_seq(Items { reader: &mut *self, first: true, index: 0 });
                let value = self.locate(value)?;
                self.close(b']').map(|()| value)
            }
            Token::Object => {
                let value = visitor.visit_map(Entries { reader: &mut *self, first: true, key: None });
                let value = self.locate(value)?;
                self.close(b'}').map(|()| value)
            }
        };
        self.locate(read)
    }

    fn deserialize_option<V: Visitor<'de>>(self, visitor: V) -> Result<V::Value, Error> {
        if self.value_start()? == b'n' {
            self.literal(b"null")?;
            let read = visitor.visit_none();
            self.locate(read)
        } else {
            visitor.visit_some(self)
        }
    }

    fn deserialize_newtype_struct<V: Visitor<'de>>(self, _: &'static str, visitor: V) -> Result<V::Value, Error> {
        visitor.visit_newtype_struct(self)
    }

    fn deserialize_enum<V: Visitor<'de>>(
        self,
        _: &'static str,
        _: &'static [&'static str],
        visitor: V,
    ) -> Result<V::Value, Error> {
        match self.value_start()? {
            b'"' => {
                let name = match self.string()? {
                    Text::Borrowed(s) => s.to_string(),
                    Text::Owned(s) => s,
                };
                let read = visitor.visit_enum(name.into_deserializer());
                self.locate(read)
            }
            b'{' => {
                self.enter()?;
                let read = visitor.visit_enum(Variant { reader: &mut *self });
                let value = self.locate(read)?;
                self.close(b'}').map(|()| value)
            }
            _ => {
                let read = Err(de::Error::invalid_type(de::Unexpected::Other("a value"), &"a string or an object"));
                self.locate(read)
            }
        }
    }

    fn deserialize_ignored_any<V: Visitor<'de>>(self, visitor: V) -> Result<V::Value, Error> {
        self.skip()?;
        visitor.visit_unit()
    }

    serde::forward_to_deserialize_any! {
        bool i8 i16 i32 i64 i128 u8 u16 u32 u64 u128 f32 f64 char str string bytes byte_buf unit
        unit_struct seq tuple tuple_struct map struct identifier
    }
}

/// The items of an array.
struct Items<'a, 'de> {
    reader: &'a mut Reader<'de>,
    first: bool,
    index: usize,
}

impl<'de> de::SeqAccess<'de> for Items<'_, 'de> {
    type Error = Error;

    fn next_element_seed<T: DeserializeSeed<'de>>(&mut self, seed: T) -> Result<Option<T::Value>, Error> {
        if !self.reader.next_item(&mut self.first, b']')? {
            return Ok(None);
        }
        self.reader.path.push(Step::Index(self.index));
        self.index += 1;
        let read = seed.deserialize(&mut *self.reader);
        self.reader.path.pop();
        read.map(Some)
    }
}

/// The entries of an object.
struct Entries<'a, 'de> {
    reader: &'a mut Reader<'de>,
    first: bool,
    /// The key whose value is read next.
    key: Option<Step>,
}

impl<'de> de::MapAccess<'de> for Entries<'_, 'de> {
    type Error = Error;

    fn next_key_seed<K: DeserializeSeed<'de>>(&mut self, seed: K) -> Result<Option<K::Value>, Error> {
        let Some((key, step)) = self.reader.next_key(&mut self.first)? else { return Ok(None) };
        self.key = Some(step);
        let read = seed.deserialize(Key(key));
        if read.is_err() {
            // A refused key (an unknown field) is located at the key, as serde_path_to_error does.
            self.reader.path.push(step);
            let read = self.reader.locate(read);
            self.reader.path.pop();
            return read.map(Some);
        }
        read.map(Some)
    }

    fn next_value_seed<V: DeserializeSeed<'de>>(&mut self, seed: V) -> Result<V::Value, Error> {
        self.reader.colon()?;
        if let Some(step) = self.key.take() {
            self.reader.path.push(step);
        }
        let read = seed.deserialize(&mut *self.reader);
        self.reader.path.pop();
        read
    }
}

/// An object key, given to the key's visitor as a string.
struct Key<'de>(Text<'de>);

impl<'de> de::Deserializer<'de> for Key<'de> {
    type Error = Error;

    fn deserialize_any<V: Visitor<'de>>(self, visitor: V) -> Result<V::Value, Error> {
        match self.0 {
            Text::Borrowed(s) => visitor.visit_borrowed_str(s),
            Text::Owned(s) => visitor.visit_string(s),
        }
    }

    fn deserialize_newtype_struct<V: Visitor<'de>>(self, _: &'static str, visitor: V) -> Result<V::Value, Error> {
        visitor.visit_newtype_struct(self)
    }

    serde::forward_to_deserialize_any! {
        bool i8 i16 i32 i64 i128 u8 u16 u32 u64 u128 f32 f64 char str string bytes byte_buf option unit
        unit_struct seq tuple tuple_struct map struct enum identifier ignored_any
    }
}

/// `{"Variant": value}`: an enum variant with content.
struct Variant<'a, 'de> {
    reader: &'a mut Reader<'de>,
}

impl<'de, 'a> de::EnumAccess<'de> for Variant<'a, 'de> {
    type Error = Error;
    type Variant = Self;

    fn variant_seed<V: DeserializeSeed<'de>>(self, seed: V) -> Result<(V::Value, Self), Error> {
        let (key, step) = self.reader.key()?;
        let read = seed.deserialize(Key(key));
        let variant = self.reader.locate(read)?;
        self.reader.colon()?;
        self.reader.path.push(step);
        Ok((variant, self))
    }
}

impl<'de> de::VariantAccess<'de> for Variant<'_, 'de> {
    type Error = Error;

    fn unit_variant(self) -> Result<(), Error> {
        let read = de::Deserialize::deserialize(&mut *self.reader);
        self.reader.path.pop();
        read
    }

    fn newtype_variant_seed<T: DeserializeSeed<'de>>(self, seed: T) -> Result<T::Value, Error> {
        let read = seed.deserialize(&mut *self.reader);
        self.reader.path.pop();
        read
    }

    fn tuple_variant<V: Visitor<'de>>(self, _: usize, visitor: V) -> Result<V::Value, Error> {
        let read = de::Deserializer::deserialize_any(&mut *self.reader, visitor);
        self.reader.path.pop();
        read
    }

    fn struct_variant<V: Visitor<'de>>(self, _: &'static [&'static str], visitor: V) -> Result<V::Value, Error> {
        let read = de::Deserializer::deserialize_any(&mut *self.reader, visitor);
        self.reader.path.pop();
        read
    }
}
