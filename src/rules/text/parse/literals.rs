//! Literals: names, quoted strings, numbers, durations, clock times, and literal values and lists.

use super::{PResult, Parser};
use crate::rules::ast::Lit;
use crate::rules::text::lex::{err, Tok};

impl Parser {
    /// A name: a bare word or a quoted string.
    pub(super) fn name(&mut self, what: &str) -> PResult<String> {
        match self.peek().clone() {
            Tok::Ident(s) | Tok::Str(s) => {
                self.bump();
                Ok(s)
            }
            _ => self.fail(what),
        }
    }

    pub(super) fn string(&mut self, what: &str) -> PResult<String> {
        match self.peek().clone() {
            Tok::Str(s) => {
                self.bump();
                Ok(s)
            }
            _ => self.fail(what),
        }
    }

    pub(super) fn duration(&mut self) -> PResult<String> {
        match self.peek().clone() {
            Tok::Dur(s) | Tok::Str(s) => {
                self.bump();
                Ok(s)
            }
            _ => self.fail("a duration like `30m`, `48h` or `7d`"),
        }
    }

    fn number(&mut self, what: &str) -> PResult<f64> {
        let negative = self.eat_sym("-");
        match *self.peek() {
            Tok::Num(n) => {
                self.bump();
                Ok(if negative { -n } else { n })
            }
            _ => self.fail(what),
        }
    }

    pub(super) fn whole(&mut self, what: &str, min: f64, max: f64) -> PResult<f64> {
        let at = self.pos();
        let n = self.number(what)?;
        if n.fract() != 0.0 || n < min || n > max {
            return Err(err(at, format!("expected {what}, found {n}")));
        }
        Ok(n)
    }

    /// A literal where bare words are strings: after `is`, in lists, in event filters.
    pub(super) fn literal(&mut self, what: &str) -> PResult<Lit> {
        let negative = self.eat_sym("-");
        let lit = match self.peek().clone() {
            Tok::Num(n) => Lit::Num(n),
            Tok::Pct(n) => Lit::Num(n / 100.0),
            Tok::Str(s) if !negative => Lit::Str(s),
            Tok::Clock(s) if !negative => Lit::Str(s),
            Tok::Ident(w) if !negative && w == "true" => Lit::Bool(true),
            Tok::Ident(w) if !negative && w == "false" => Lit::Bool(false),
            Tok::Ident(w) if !negative => Lit::Str(w),
            _ => return self.fail(what),
        };
        self.bump();
        Ok(match lit {
            Lit::Num(n) if negative => Lit::Num(-n),
            other => other,
        })
    }

    pub(super) fn literal_list(&mut self) -> PResult<Vec<Lit>> {
        self.expect_sym("[")?;
        let mut out = Vec::new();
        if self.eat_sym("]") {
            return Ok(out);
        }
        loop {
            out.push(self.literal("a value (a number, a word, a quoted string, true or false)")?);
            if self.eat_sym("]") {
                return Ok(out);
            }
            self.expect_sym(",")?;
        }
    }

    pub(super) fn clock(&mut self) -> PResult<String> {
        match self.peek().clone() {
            Tok::Clock(s) | Tok::Str(s) => {
                self.bump();
                Ok(s)
            }
            _ => self.fail("a local time like `18:00`"),
        }
    }
}
