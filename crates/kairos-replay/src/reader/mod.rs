//! Fast NDJSON reading for replays: big chunks of complete lines, validated as UTF-8 once,
//! then one pass per line by a small JSON scanner that borrows every string it can from the
//! chunk (no `Value` tree, no allocation for plain strings) and skips what replays never read.
//!
//! A line is one JSON object in either shape contexts accept for history events (compact
//! `{"e", "t", "p"}` or analytics `{"type", "event", "timestamp", "properties"}`), plus the
//! customer (`c`, `customer_id`, `userId` or `anonymousId`) and, optionally, profile data
//! (`profile`, `scores`, `consent`, `timezone`; analytics: `traits` and `context.timezone`).
//! Errors carry the byte offset in the line where they were found.
//!
//! Here: the values a line yields ([`Line`], [`Val`]), what the caller wants of it ([`Wanted`]),
//! and the [`Scanner`]'s cursor. `key` reads only whose a line is and when ([`Key`]), `shapes` reads the line shapes (the exact layout `kairos gen`
//! writes fast, any other object field by field), `value` the JSON values in them (strings,
//! numbers, timestamps, skipping), `chunks` the input in runs of whole lines.

mod chunks;
mod key;
mod shapes;
#[cfg(test)]
mod tests;
mod value;

use std::borrow::Cow;

pub use chunks::{each_text, ChunkError, Chunks, Text, TextError};
pub use key::Key;

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

/// A cursor over a chunk of complete lines.
pub struct Scanner<'a> {
    s: &'a str,
    b: &'a [u8],
    pub i: usize,
    /// The compact head last looked for, and where: the key and the full scan of a line both
    /// start from it, so it is found once.
    head: Option<(usize, Option<key::CompactHead>)>,
}

impl<'a> Scanner<'a> {
    pub fn new(s: &'a str) -> Scanner<'a> {
        Scanner { s, b: s.as_bytes(), i: 0, head: None }
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
        // `str::find` of a char searches a word at a time.
        self.i = match self.s.get(self.i..).and_then(|rest| rest.find('\n')) {
            Some(nl) => self.i + nl + 1,
            None => self.b.len(),
        };
    }
}
