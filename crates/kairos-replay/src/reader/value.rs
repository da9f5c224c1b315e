//! JSON values inside a line: strings (borrowed unless they have escapes), numbers, literals and
//! timestamps, and skipping any value unread.

use super::{err, ScanError, Scanner, Val};
use std::borrow::Cow;

/// Deepest nesting skipped inside a line (deeper is an error, not a stack overflow).
const MAX_DEPTH: usize = 128;

impl<'a> Scanner<'a> {
    /// Epoch ms (a number) or an RFC 3339 string, in years 1000–9999 like contexts.
    pub(super) fn timestamp(&mut self) -> Result<i64, ScanError> {
        let at = self.i;
        let ms = match self.peek() {
            Some(b'"') => {
                let s = self.string()?;
                kairos::time::parse_timestamp(&s).or_else(|e| err(at, e.to_string()))?
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

    pub(super) fn value(&mut self) -> Result<Val<'a>, ScanError> {
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

    pub(super) fn literal(&mut self, word: &str) -> Result<(), ScanError> {
        if self.b.get(self.i..self.i + word.len()) == Some(word.as_bytes()) {
            self.i += word.len();
            Ok(())
        } else {
            err(self.i, format!("expected a value, found {}", self.found()))
        }
    }

    /// Skips any value, iteratively (a deep line is an error, never a stack overflow).
    pub(super) fn skip(&mut self) -> Result<(), ScanError> {
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
    pub(super) fn string(&mut self) -> Result<Cow<'a, str>, ScanError> {
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
pub(super) fn plain_prefix(b: &[u8]) -> usize {
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

#[cfg(test)]
mod tests {
    use super::*;

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
}
