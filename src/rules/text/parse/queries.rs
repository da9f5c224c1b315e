//! Event queries (`[PROP of] EVENT [where TESTS] [within DURATION]`) and sequences.

use super::{PResult, Parser};
use crate::rules::ast::{CmpOp, EventQuery, PropTest, Sequence, StrOp};
use crate::rules::text::lex::{err, Tok};
use std::collections::BTreeMap;

impl Parser {
    /// `[PROP of] EVENT [where TESTS] [within DURATION]`, up to `)` or `,`.
    pub(super) fn query(&mut self) -> PResult<EventQuery> {
        let first = self.name("an event name")?;
        let (prop, event) =
            if self.eat_word("of") { (Some(first), self.name("an event name after `of`")?) } else { (None, first) };
        let mut q = EventQuery { event, within: None, filter: BTreeMap::new(), prop };
        loop {
            let at = self.pos();
            if self.eat_word("within") {
                if q.within.is_some() {
                    return Err(err(at, "`within` is given twice".into()));
                }
                q.within = Some(self.duration()?);
            } else if self.eat_word("where") {
                loop {
                    let p_at = self.pos();
                    let prop = self.name("a property name")?;
                    let test = self.prop_test()?;
                    if q.filter.insert(prop.clone(), test).is_some() {
                        return Err(err(p_at, format!("property `{prop}` is tested twice")));
                    }
                    if !self.eat_word("and") {
                        break;
                    }
                }
            } else {
                return Ok(q);
            }
        }
    }

    fn prop_test(&mut self) -> PResult<PropTest> {
        const WHAT: &str = "a value (a number, a word, a quoted string, true or false)";
        let op = match self.peek() {
            Tok::Sym("==") => Some(CmpOp::Eq),
            Tok::Sym("!=") => Some(CmpOp::Ne),
            Tok::Sym(">") => Some(CmpOp::Gt),
            Tok::Sym(">=") => Some(CmpOp::Gte),
            Tok::Sym("<") => Some(CmpOp::Lt),
            Tok::Sym("<=") => Some(CmpOp::Lte),
            _ => None,
        };
        if let Some(op) = op {
            self.bump();
            return Ok(PropTest::Cmp(op, self.literal(WHAT)?));
        }
        if self.eat_word("is") {
            let op = if self.eat_word("not") { CmpOp::Ne } else { CmpOp::Eq };
            return Ok(PropTest::Cmp(op, self.literal(WHAT)?));
        }
        if self.eat_word("in") {
            return Ok(PropTest::In(self.literal_list()?));
        }
        let op = if self.eat_word("contains") {
            StrOp::Contains
        } else if self.eat_word("starts") {
            self.expect_word("with")?;
            StrOp::StartsWith
        } else if self.eat_word("ends") {
            self.expect_word("with")?;
            StrOp::EndsWith
        } else {
            return self.fail(
                "a property test: `is`, `is not`, `>`, `>=`, `<`, `<=`, `in`, `contains`, `starts with` or `ends with`",
            );
        };
        Ok(PropTest::Str(op, self.string("a quoted string")?))
    }

    /// `sequence(FIRST, followed by THEN | not followed by THEN, within GAP)`, after `sequence(`.
    pub(super) fn sequence(&mut self) -> PResult<Sequence> {
        let first = self.query()?;
        let mut s = Sequence { first, then: None, then_not: None, gap: String::new() };
        let mut gap = None;
        while self.eat_sym(",") {
            let at = self.pos();
            if self.eat_word("within") {
                if gap.is_some() {
                    return Err(err(at, "the gap (`within`) is given twice".into()));
                }
                gap = Some(self.duration()?);
            } else if self.eat_word("followed") {
                self.expect_word("by")?;
                if s.then.is_some() {
                    return Err(err(at, "`followed by` is given twice".into()));
                }
                s.then = Some(self.query()?);
            } else if self.eat_word("not") {
                self.expect_word("followed")?;
                self.expect_word("by")?;
                if s.then_not.is_some() {
                    return Err(err(at, "`not followed by` is given twice".into()));
                }
                s.then_not = Some(self.query()?);
            } else {
                return self.fail("`followed by EVENT`, `not followed by EVENT` or `within DURATION`");
            }
        }
        self.expect_sym(")")?;
        s.gap = gap.ok_or_else(|| {
            err(
                self.toks[self.i - 1].1,
                "a sequence needs the longest gap: add `, within 30m` (for example)".to_string(),
            )
        })?;
        Ok(s)
    }
}
