//! Tokens of the text rule language. Newlines are plain whitespace: statements
//! end where the next keyword begins, so indentation is only for people.
//! About 400 lines: one scanner, read as a whole against docs/language.md.

use crate::error::ErrorCode;
use crate::limits::TooDeep;
use std::fmt;

/// 1-based line and column (in characters), and the byte range for carets.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct Pos {
    /// 1-based line.
    pub line: usize,
    /// 1-based column, in characters.
    pub column: usize,
    /// Byte offset where the token starts.
    pub start: usize,
    /// Byte offset where it ends.
    pub end: usize,
}

/// A token of rules text.
#[derive(Debug, Clone, PartialEq)]
pub enum Tok {
    /// A word or dotted path: `device`, `profile.balance`, `$exposure`.
    Ident(String),
    /// A plain number (also `$50`, `€9.99`).
    Num(f64),
    /// `50%`: the number as written (50), read as 0.5 in expressions.
    Pct(f64),
    /// A number with a unit, kept as written: `48h`, `1h30m`.
    Dur(String),
    /// A clock time as written: `18:00`.
    Clock(String),
    /// A quoted string, unescaped.
    Str(String),
    /// Punctuation and symbolic operators.
    Sym(&'static str),
    /// End of the text (always the last token).
    Eof,
}

impl fmt::Display for Tok {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Tok::Ident(s) => write!(f, "`{s}`"),
            Tok::Num(n) => write!(f, "the number {n}"),
            Tok::Pct(n) => write!(f, "{n}%"),
            Tok::Dur(s) => write!(f, "the duration {s}"),
            Tok::Clock(s) => write!(f, "the time {s}"),
            Tok::Str(_) => f.write_str("a quoted string"),
            Tok::Sym(s) => write!(f, "`{s}`"),
            Tok::Eof => f.write_str("the end of the rules"),
        }
    }
}

/// A problem in rules text: where, what, and whether it is nesting past the parser's limit.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TextError {
    /// Where in the text.
    pub pos: Pos,
    /// What is wrong and what was expected, for people.
    pub message: String,
    /// Set when parentheses, `not`, calls or content nest deeper than the parser follows.
    pub too_deep: Option<TooDeep>,
}

impl TextError {
    /// `E_DEPTH` for nesting past the limit, `E_SYNTAX` otherwise.
    pub fn code(&self) -> ErrorCode {
        if self.too_deep.is_some() {
            ErrorCode::Depth
        } else {
            ErrorCode::Syntax
        }
    }
}

impl fmt::Display for TextError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "line {}, column {}: {}", self.pos.line, self.pos.column, self.message)
    }
}

impl std::error::Error for TextError {
    fn source(&self) -> Option<&(dyn std::error::Error + 'static)> {
        self.too_deep.as_ref().map(|d| d as _)
    }
}

/// A syntax error at `pos`.
pub(crate) fn err(pos: Pos, message: String) -> TextError {
    TextError { pos, message, too_deep: None }
}

/// A comment line (`# …`) and the line it is on; `kairos fmt` keeps them.
#[derive(Debug, Clone, PartialEq)]
pub struct Comment {
    /// The line it is on.
    pub line: usize,
    /// The comment, without its `#`.
    pub text: String,
}

/// Rules text as tokens, with its comments kept apart.
pub struct Lexed {
    /// Every token with where it was written, ending with [`Tok::Eof`].
    pub toks: Vec<(Tok, Pos)>,
    /// The comments, in order.
    pub comments: Vec<Comment>,
}

const SYMBOLS: [&str; 19] =
    ["==", "!=", ">=", "<=", ">", "<", "=", "(", ")", "[", "]", "{", "}", ",", ":", "+", "-", "*", "/"];

/// Longest accepted source, in bytes (the JSON front end has the same limit).
pub const MAX_SOURCE_BYTES: usize = 8 << 20;

/// Splits rules text into tokens and comments.
pub fn lex(src: &str) -> Result<Lexed, TextError> {
    let mut lx = Lexer { src, i: 0, line: 1, col: 1, toks: Vec::new(), comments: Vec::new() };
    lx.run()?;
    Ok(Lexed { toks: lx.toks, comments: lx.comments })
}

struct Lexer<'a> {
    src: &'a str,
    i: usize,
    line: usize,
    col: usize,
    toks: Vec<(Tok, Pos)>,
    comments: Vec<Comment>,
}

impl Lexer<'_> {
    fn peek(&self) -> Option<char> {
        self.src[self.i..].chars().next()
    }

    fn peek_at(&self, n: usize) -> Option<char> {
        self.src[self.i..].chars().nth(n)
    }

    fn bump(&mut self) -> Option<char> {
        let c = self.peek()?;
        self.i += c.len_utf8();
        if c == '\n' {
            self.line += 1;
            self.col = 1;
        } else {
            self.col += 1;
        }
        Some(c)
    }

    fn here(&self) -> Pos {
        Pos { line: self.line, column: self.col, start: self.i, end: self.i }
    }

    fn run(&mut self) -> Result<(), TextError> {
        while let Some(c) = self.peek() {
            let mut at = self.here();
            let tok = match c {
                c if c.is_whitespace() => {
                    self.bump();
                    continue;
                }
                '#' => {
                    let start = self.i;
                    while self.peek().is_some_and(|c| c != '\n') {
                        self.bump();
                    }
                    self.comments.push(Comment { line: at.line, text: self.src[start..self.i].trim_end().to_owned() });
                    continue;
                }
                '"' => Tok::Str(self.string(at)?),
                '$' | '€' | '£' if self.peek_at(1).is_some_and(|d| d.is_ascii_digit()) => {
                    self.bump();
                    match self.number(at)? {
                        Tok::Num(n) => Tok::Num(n),
                        _ => return Err(err(at, "a money amount is a plain number, like $50 or $9.99".into())),
                    }
                }
                c if c.is_ascii_digit() => self.number(at)?,
                c if c.is_ascii_alphabetic() || c == '_' || c == '$' => self.ident(),
                _ => {
                    let rest = &self.src[self.i..];
                    match SYMBOLS.iter().find(|s| rest.starts_with(**s)) {
                        Some(sym) => {
                            for _ in 0..sym.len() {
                                self.bump();
                            }
                            Tok::Sym(sym)
                        }
                        None => return Err(err(at, format!("unexpected character `{c}`"))),
                    }
                }
            };
            at.end = self.i;
            self.toks.push((tok, at));
        }
        let end = self.here();
        self.toks.push((Tok::Eof, end));
        Ok(())
    }

    fn ident(&mut self) -> Tok {
        let start = self.i;
        self.bump();
        loop {
            match self.peek() {
                Some(c) if c.is_ascii_alphanumeric() || c == '_' => {
                    self.bump();
                }
                // A dot joins path components only when a word character follows.
                Some('.') if self.peek_at(1).is_some_and(|c| c.is_ascii_alphanumeric() || c == '_') => {
                    self.bump();
                }
                _ => break,
            }
        }
        Tok::Ident(self.src[start..self.i].to_owned())
    }

    fn digits(&mut self) {
        while self.peek().is_some_and(|c| c.is_ascii_digit()) {
            self.bump();
        }
    }

    fn number(&mut self, at: Pos) -> Result<Tok, TextError> {
        let start = self.i;
        self.digits();
        // `18:00`: a clock time (two digits after the colon).
        if self.peek() == Some(':')
            && self.peek_at(1).is_some_and(|c| c.is_ascii_digit())
            && self.peek_at(2).is_some_and(|c| c.is_ascii_digit())
            && !self.peek_at(3).is_some_and(|c| c.is_ascii_alphanumeric())
        {
            self.bump();
            self.digits();
            return Ok(Tok::Clock(self.src[start..self.i].to_owned()));
        }
        if self.peek() == Some('.') && self.peek_at(1).is_some_and(|c| c.is_ascii_digit()) {
            self.bump();
            self.digits();
        }
        let exponent = self.peek().is_some_and(|c| c == 'e' || c == 'E')
            && match self.peek_at(1) {
                Some(d) if d.is_ascii_digit() => true,
                Some('+' | '-') => self.peek_at(2).is_some_and(|d| d.is_ascii_digit()),
                _ => false,
            };
        if exponent {
            self.bump();
            if matches!(self.peek(), Some('+' | '-')) {
                self.bump();
            }
            self.digits();
        }
        let text = &self.src[start..self.i];
        if !exponent && self.peek().is_some_and(|c| c.is_ascii_alphabetic()) {
            // A duration: digits and units, possibly several (`1h30m`).
            while self.peek().is_some_and(|c| c.is_ascii_alphanumeric()) {
                self.bump();
            }
            return Ok(Tok::Dur(self.src[start..self.i].to_owned()));
        }
        let n: f64 = text.parse().map_err(|_| err(at, format!("`{text}` is not a number")))?;
        if !n.is_finite() {
            return Err(err(at, format!("`{text}` is too large")));
        }
        if self.peek() == Some('%') {
            self.bump();
            return Ok(Tok::Pct(n));
        }
        Ok(Tok::Num(n))
    }

    fn string(&mut self, at: Pos) -> Result<String, TextError> {
        self.bump();
        let mut out = String::new();
        loop {
            let here = self.here();
            match self.bump() {
                None => return Err(err(at, "this string has no closing `\"`".into())),
                Some('"') => return Ok(out),
                Some('\n') => return Err(err(at, "this string has no closing `\"` on its line".into())),
                Some('\\') => {
                    let c = self.bump().ok_or_else(|| err(here, "unfinished escape".to_string()))?;
                    out.push(match c {
                        '"' => '"',
                        '\\' => '\\',
                        '/' => '/',
                        'n' => '\n',
                        'r' => '\r',
                        't' => '\t',
                        'b' => '\u{8}',
                        'f' => '\u{c}',
                        'u' => self.unicode_escape(here)?,
                        other => return Err(err(here, format!("unknown escape `\\{other}`"))),
                    });
                }
                Some(c) if (c as u32) < 0x20 => return Err(err(here, "control characters must be escaped".into())),
                Some(c) => out.push(c),
            }
        }
    }

    fn hex4(&mut self, at: Pos) -> Result<u32, TextError> {
        let mut v = 0;
        for _ in 0..4 {
            let d = self
                .bump()
                .and_then(|c| c.to_digit(16))
                .ok_or_else(|| err(at, "`\\u` needs four hex digits".to_string()))?;
            v = v * 16 + d;
        }
        Ok(v)
    }

    fn unicode_escape(&mut self, at: Pos) -> Result<char, TextError> {
        let hi = self.hex4(at)?;
        let code = if (0xD800..0xDC00).contains(&hi) {
            if self.bump() != Some('\\') || self.bump() != Some('u') {
                return Err(err(at, "a high surrogate must be followed by `\\u` and a low surrogate".into()));
            }
            let lo = self.hex4(at)?;
            if !(0xDC00..0xE000).contains(&lo) {
                return Err(err(at, "invalid low surrogate".into()));
            }
            0x10000 + ((hi - 0xD800) << 10) + (lo - 0xDC00)
        } else {
            hi
        };
        char::from_u32(code).ok_or_else(|| err(at, "not a Unicode scalar value".into()))
    }
}

/// A string as the lexer reads it back: JSON escapes for `"`, `\` and control characters.
pub fn quote(s: &str) -> String {
    let mut out = String::with_capacity(s.len() + 2);
    out.push('"');
    for c in s.chars() {
        match c {
            '"' => out.push_str("\\\""),
            '\\' => out.push_str("\\\\"),
            '\n' => out.push_str("\\n"),
            '\r' => out.push_str("\\r"),
            '\t' => out.push_str("\\t"),
            c if (c as u32) < 0x20 || c == '\u{7f}' => out.push_str(&format!("\\u{:04x}", c as u32)),
            c => out.push(c),
        }
    }
    out.push('"');
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    fn kinds(src: &str) -> Vec<Tok> {
        lex(src).unwrap().toks.into_iter().map(|(t, _)| t).collect()
    }

    #[test]
    fn numbers_durations_clocks_money_and_percentages() {
        assert_eq!(
            kinds("48h 1h30m 18:00 $50 25% 0.85 1e3 -2"),
            vec![
                Tok::Dur("48h".into()),
                Tok::Dur("1h30m".into()),
                Tok::Clock("18:00".into()),
                Tok::Num(50.0),
                Tok::Pct(25.0),
                Tok::Num(0.85),
                Tok::Num(1000.0),
                Tok::Sym("-"),
                Tok::Num(2.0),
                Tok::Eof
            ]
        );
    }

    #[test]
    fn paths_comments_and_positions() {
        let l = lex("# note\n  profile.balance >= 50").unwrap();
        assert_eq!(l.comments, vec![Comment { line: 1, text: "# note".into() }]);
        assert_eq!(l.toks[0].0, Tok::Ident("profile.balance".into()));
        assert_eq!((l.toks[0].1.line, l.toks[0].1.column), (2, 3));
        assert!(lex("x ~ 1").is_err());
    }

    #[test]
    fn strings_round_trip_through_quote() {
        for s in ["plain", "a \"quoted\" \\ word", "tab\tnew\nline\u{1}", "ünïcödé 🎉"] {
            assert_eq!(kinds(&quote(s))[0], Tok::Str(s.into()));
        }
        assert!(lex("\"open").is_err());
    }
}
