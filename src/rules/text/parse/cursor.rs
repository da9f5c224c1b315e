//! The token cursor: looking ahead, consuming, expecting, failing with what was expected, and
//! the depth and span bookkeeping every part of the parser uses.

use super::{PResult, Parser, MAX_PARSE_DEPTH};
use crate::limits::TooDeep;
use crate::rules::text::lex::{err, Pos, TextError, Tok};

impl Parser {
    pub(super) fn peek(&self) -> &Tok {
        &self.toks[self.i.min(self.toks.len() - 1)].0
    }

    pub(super) fn peek2(&self) -> &Tok {
        &self.toks[(self.i + 1).min(self.toks.len() - 1)].0
    }

    pub(super) fn pos(&self) -> Pos {
        self.toks[self.i.min(self.toks.len() - 1)].1
    }

    pub(super) fn bump(&mut self) -> (Tok, Pos) {
        let t = self.toks[self.i.min(self.toks.len() - 1)].clone();
        if self.i < self.toks.len() - 1 {
            self.i += 1;
        }
        t
    }

    pub(super) fn is_word(&self, w: &str) -> bool {
        matches!(self.peek(), Tok::Ident(s) if s == w)
    }

    pub(super) fn is_sym(&self, s: &str) -> bool {
        matches!(self.peek(), Tok::Sym(x) if *x == s)
    }

    pub(super) fn eat_word(&mut self, w: &str) -> bool {
        let hit = self.is_word(w);
        if hit {
            self.bump();
        }
        hit
    }

    pub(super) fn eat_sym(&mut self, s: &str) -> bool {
        let hit = self.is_sym(s);
        if hit {
            self.bump();
        }
        hit
    }

    pub(super) fn fail<T>(&self, expected: &str) -> PResult<T> {
        Err(err(self.pos(), format!("expected {expected}, found {}", self.peek())))
    }

    pub(super) fn expect_word(&mut self, w: &str) -> PResult<()> {
        if self.eat_word(w) {
            Ok(())
        } else {
            self.fail(&format!("`{w}`"))
        }
    }

    pub(super) fn expect_sym(&mut self, s: &str) -> PResult<()> {
        if self.eat_sym(s) {
            Ok(())
        } else {
            self.fail(&format!("`{s}`"))
        }
    }

    pub(super) fn deeper(&mut self) -> PResult<()> {
        self.depth += 1;
        if self.depth > MAX_PARSE_DEPTH {
            let too_deep = TooDeep { what: "rules", limit: MAX_PARSE_DEPTH };
            return Err(TextError { pos: self.pos(), message: too_deep.to_string(), too_deep: Some(too_deep) });
        }
        Ok(())
    }

    pub(super) fn span(&mut self, path: impl Into<String>, pos: Pos) {
        self.spans.push((path.into(), pos));
    }

    pub(super) fn colon(&mut self) {
        self.eat_sym(":");
    }
}
