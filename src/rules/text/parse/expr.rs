//! Expressions: `or`, `and`, `not`, comparisons and tests, arithmetic, values and function calls.

use super::{leaf, PResult, Parser, Sp};
use crate::rules::ast::{AggOp, ArithOp, CmpOp, Expr, Lit, ScoreRef, StrOp};
use crate::rules::text::lex::{err, Pos, Tok};
use crate::rules::text::words::{alias_target, is_keyword, FUNCTIONS};

impl Parser {
    // ---- expressions ----------------------------------------------------

    pub fn expr(&mut self) -> PResult<(Expr, Sp)> {
        self.deeper()?;
        let out = self.or_expr();
        self.depth -= 1;
        out
    }

    fn or_expr(&mut self) -> PResult<(Expr, Sp)> {
        let (first, sp) = self.and_expr()?;
        if !self.is_word("or") {
            return Ok((first, sp));
        }
        let pos = sp.pos;
        let (mut items, mut kids) = (vec![first], vec![sp]);
        while self.eat_word("or") {
            let (e, sp) = self.and_expr()?;
            items.push(e);
            kids.push(sp);
        }
        Ok((Expr::Any(items), Sp { pos, kids }))
    }

    fn and_expr(&mut self) -> PResult<(Expr, Sp)> {
        let (first, sp) = self.not_expr()?;
        if !self.is_word("and") {
            return Ok((first, sp));
        }
        let pos = sp.pos;
        let (mut items, mut kids) = (vec![first], vec![sp]);
        while self.eat_word("and") {
            let (e, sp) = self.not_expr()?;
            items.push(e);
            kids.push(sp);
        }
        Ok((Expr::All(items), Sp { pos, kids }))
    }

    fn not_expr(&mut self) -> PResult<(Expr, Sp)> {
        let at = self.pos();
        if self.eat_word("not") {
            self.deeper()?;
            let (e, sp) = self.not_expr()?;
            self.depth -= 1;
            return Ok((Expr::Not(Box::new(e)), Sp { pos: at, kids: vec![sp] }));
        }
        self.predicate()
    }

    fn predicate(&mut self) -> PResult<(Expr, Sp)> {
        let (lhs, lsp) = self.sum()?;
        let at = lsp.pos;
        let b = Box::new;
        let cmp = match self.peek() {
            Tok::Sym("==") => Some(CmpOp::Eq),
            Tok::Sym("!=") => Some(CmpOp::Ne),
            Tok::Sym(">") => Some(CmpOp::Gt),
            Tok::Sym(">=") => Some(CmpOp::Gte),
            Tok::Sym("<") => Some(CmpOp::Lt),
            Tok::Sym("<=") => Some(CmpOp::Lte),
            _ => None,
        };
        if let Some(op) = cmp {
            self.bump();
            let (rhs, rsp) = self.sum()?;
            return Ok((Expr::Cmp(op, b(lhs), b(rhs)), Sp { pos: at, kids: vec![lsp, rsp] }));
        }
        let Tok::Ident(word) = self.peek().clone() else { return Ok((lhs, lsp)) };
        let one = |e: Expr, kid: Sp| Ok((e, Sp { pos: at, kids: vec![kid] }));
        match word.as_str() {
            "is" => {
                self.bump();
                let negated = self.eat_word("not");
                if self.eat_word("missing") {
                    return if negated { one(Expr::Exists(b(lhs)), lsp) } else { one(Expr::Missing(b(lhs)), lsp) };
                }
                if self.eat_word("present") {
                    return if negated { one(Expr::Missing(b(lhs)), lsp) } else { one(Expr::Exists(b(lhs)), lsp) };
                }
                let rpos = self.pos();
                let lit = self.literal(
                    "a value after `is` (a number, a word, a quoted string, true or false), `missing` or `present`; \
                     to compare two expressions use `==`",
                )?;
                let op = if negated { CmpOp::Ne } else { CmpOp::Eq };
                Ok((Expr::Cmp(op, b(lhs), b(Expr::Lit(lit))), Sp { pos: at, kids: vec![lsp, leaf(rpos)] }))
            }
            "exists" => {
                self.bump();
                one(Expr::Exists(b(lhs)), lsp)
            }
            "between" => {
                self.bump();
                let (lo, losp) = self.sum()?;
                self.expect_word("and")?;
                let (hi, hisp) = self.sum()?;
                Ok((Expr::Between(b(lhs), b(lo), b(hi)), Sp { pos: at, kids: vec![lsp, losp, hisp] }))
            }
            "in" => {
                self.bump();
                let list = self.literal_list()?;
                one(Expr::In(b(lhs), list), lsp)
            }
            "not" if matches!(self.peek2(), Tok::Ident(w) if w == "in") => {
                self.bump();
                self.bump();
                let list = self.literal_list()?;
                let inner = Sp { pos: at, kids: vec![lsp] };
                Ok((Expr::Not(b(Expr::In(b(lhs), list))), Sp { pos: at, kids: vec![inner] }))
            }
            "contains" | "starts" | "ends" => {
                self.bump();
                let op = match word.as_str() {
                    "contains" => StrOp::Contains,
                    "starts" => {
                        self.expect_word("with")?;
                        StrOp::StartsWith
                    }
                    _ => {
                        self.expect_word("with")?;
                        StrOp::EndsWith
                    }
                };
                let (rhs, rsp) = self.sum()?;
                Ok((Expr::Str(op, b(lhs), b(rhs)), Sp { pos: at, kids: vec![lsp, rsp] }))
            }
            _ => Ok((lhs, lsp)),
        }
    }

    fn sum(&mut self) -> PResult<(Expr, Sp)> {
        self.chain(Self::term, "+", ArithOp::Add, "-", ArithOp::Sub)
    }

    fn term(&mut self) -> PResult<(Expr, Sp)> {
        self.chain(Self::unary, "*", ArithOp::Mul, "/", ArithOp::Div)
    }

    /// `a + b + c` is one `add` of three; mixing operators groups from the left.
    fn chain(
        &mut self,
        next: fn(&mut Self) -> PResult<(Expr, Sp)>,
        join_sym: &str,
        join_op: ArithOp,
        pair_sym: &str,
        pair_op: ArithOp,
    ) -> PResult<(Expr, Sp)> {
        let (mut acc, mut acc_sp) = next(self)?;
        let mut open_join = false;
        loop {
            let op = if self.is_sym(join_sym) {
                join_op
            } else if self.is_sym(pair_sym) {
                pair_op
            } else {
                break;
            };
            self.bump();
            let (rhs, rsp) = next(self)?;
            match (&mut acc, open_join && op == join_op) {
                (Expr::Arith(_, items), true) => {
                    items.push(rhs);
                    acc_sp.kids.push(rsp);
                }
                _ => {
                    let pos = acc_sp.pos;
                    acc = Expr::Arith(op, vec![acc, rhs]);
                    acc_sp = Sp { pos, kids: vec![acc_sp, rsp] };
                    open_join = op == join_op;
                }
            }
        }
        Ok((acc, acc_sp))
    }

    fn unary(&mut self) -> PResult<(Expr, Sp)> {
        let at = self.pos();
        if self.eat_sym("-") {
            return match *self.peek() {
                Tok::Num(n) => {
                    self.bump();
                    Ok((Expr::Lit(Lit::Num(-n)), leaf(at)))
                }
                Tok::Pct(n) => {
                    self.bump();
                    Ok((Expr::Lit(Lit::Num(-n / 100.0)), leaf(at)))
                }
                _ => self.fail("a number after `-` (to subtract, write `a - b`)"),
            };
        }
        self.primary()
    }

    fn primary(&mut self) -> PResult<(Expr, Sp)> {
        let at = self.pos();
        let tok = self.peek().clone();
        let lit = |e: Expr| Ok((e, leaf(at)));
        match tok {
            Tok::Num(n) => {
                self.bump();
                lit(Expr::Lit(Lit::Num(n)))
            }
            Tok::Pct(n) => {
                self.bump();
                lit(Expr::Lit(Lit::Num(n / 100.0)))
            }
            Tok::Str(s) | Tok::Clock(s) => {
                self.bump();
                lit(Expr::Lit(Lit::Str(s)))
            }
            Tok::Dur(s) => {
                self.bump();
                lit(Expr::Duration(s))
            }
            Tok::Sym("(") => {
                self.bump();
                let inner = self.expr()?;
                self.expect_sym(")")?;
                Ok(inner)
            }
            Tok::Sym("[") => {
                let list = self.literal_list()?;
                lit(Expr::List(list))
            }
            Tok::Ident(word) => self.word(word, at),
            _ => self.fail("a value or a condition"),
        }
    }

    fn word(&mut self, word: String, at: Pos) -> PResult<(Expr, Sp)> {
        if matches!(self.peek2(), Tok::Sym("(")) {
            self.bump();
            self.bump();
            return self.call(&word, at);
        }
        let next_is = |p: &Parser, w: &str| matches!(p.peek2(), Tok::Ident(x) if x == w);
        let lit = |e: Expr| Ok((e, leaf(at)));
        match word.as_str() {
            "true" | "false" => {
                self.bump();
                lit(Expr::Lit(Lit::Bool(word == "true")))
            }
            "segment" | "tier" | "bucket" => {
                self.bump();
                let name = self.name(&format!("a {word} name"))?;
                lit(match word.as_str() {
                    "segment" => Expr::Segment(name),
                    "tier" => Expr::Tier(name),
                    _ => Expr::Bucket(name),
                })
            }
            "score" => {
                self.bump();
                let name = self.name("a score name")?;
                self.expect_word("max")?;
                self.expect_word("age")?;
                let max_age = self.duration()?;
                lit(Expr::Score(ScoreRef { name, max_age }))
            }
            "days" if next_is(self, "until") || next_is(self, "since") => {
                self.bump();
                let until = self.bump().0 == Tok::Ident("until".into());
                self.deeper()?;
                let (e, sp) = self.unary()?;
                self.depth -= 1;
                let e = if until { Expr::DaysUntil(Box::new(e)) } else { Expr::DaysSince(Box::new(e)) };
                Ok((e, Sp { pos: at, kids: vec![sp] }))
            }
            "local_time" if next_is(self, "between") => {
                self.bump();
                self.bump();
                let from = self.clock()?;
                self.expect_word("and")?;
                let to = self.clock()?;
                lit(Expr::LocalTimeBetween(from, to))
            }
            "weekday" if next_is(self, "in") => {
                self.bump();
                self.bump();
                let days = self
                    .literal_list()?
                    .into_iter()
                    .map(|l| match l {
                        Lit::Str(s) => Ok(s),
                        _ => Err(err(at, "weekdays are words: mon, tue, wed, thu, fri, sat, sun".to_string())),
                    })
                    .collect::<PResult<Vec<_>>>()?;
                lit(Expr::WeekdayIn(days))
            }
            _ if alias_target(&word).is_some() => {
                self.bump();
                lit(Expr::Var(alias_target(&word).unwrap_or(&word).to_owned()))
            }
            w if FUNCTIONS.contains(&w) => {
                self.bump();
                self.fail(&format!("`(` after `{w}`"))
            }
            // Any other keyword here means a statement ended early: `x >=` then `slot …`.
            w if is_keyword(w) => self.fail("a value or a condition"),
            _ => {
                self.bump();
                lit(Expr::Var(word))
            }
        }
    }

    fn args(&mut self) -> PResult<(Vec<Expr>, Vec<Sp>)> {
        let (mut items, mut kids) = (Vec::new(), Vec::new());
        if self.eat_sym(")") {
            return Ok((items, kids));
        }
        loop {
            let (e, sp) = self.expr()?;
            items.push(e);
            kids.push(sp);
            if self.eat_sym(")") {
                return Ok((items, kids));
            }
            self.expect_sym(",")?;
        }
    }

    /// `name(` has been read.
    fn call(&mut self, name: &str, at: Pos) -> PResult<(Expr, Sp)> {
        let b = Box::new;
        if let Some((agg, _)) = AggOp::ALL.iter().find(|(_, n)| *n == name) {
            let q = self.query()?;
            self.expect_sym(")")?;
            return Ok((Expr::Agg(*agg, q), leaf(at)));
        }
        if let Some((op, _)) = ArithOp::ALL.iter().find(|(_, n)| *n == name) {
            let (items, kids) = self.args()?;
            let pair = matches!(op, ArithOp::Sub | ArithOp::Div);
            if items.len() < 2 || (pair && items.len() != 2) {
                let n = if pair { "2" } else { "2 or more" };
                return Err(err(at, format!("`{name}` takes {n} arguments, got {}", items.len())));
            }
            return Ok((Expr::Arith(*op, items), Sp { pos: at, kids }));
        }
        match name {
            "sequence" => {
                let s = self.sequence()?;
                Ok((Expr::Sequence(b(s)), leaf(at)))
            }
            "all" | "any" | "coalesce" => {
                let (items, kids) = self.args()?;
                let e = match name {
                    "all" => Expr::All(items),
                    "any" => Expr::Any(items),
                    _ => Expr::Coalesce(items),
                };
                Ok((e, Sp { pos: at, kids }))
            }
            "lower" => {
                let (e, sp) = self.expr()?;
                self.expect_sym(")")?;
                Ok((Expr::Lower(Box::new(e)), Sp { pos: at, kids: vec![sp] }))
            }
            "round" => {
                let (e, sp) = self.expr()?;
                self.expect_sym(",")?;
                let digits = self.whole("0–6 decimal places", 0.0, 6.0)? as u32;
                self.expect_sym(")")?;
                Ok((Expr::Round(Box::new(e), digits), Sp { pos: at, kids: vec![sp] }))
            }
            "var" | "duration" => {
                let s = self.string("a quoted string")?;
                self.expect_sym(")")?;
                Ok((if name == "var" { Expr::Var(s) } else { Expr::Duration(s) }, leaf(at)))
            }
            _ => {
                let hint = crate::suggest::nearest(name, FUNCTIONS.iter().copied())
                    .map(|s| format!(" (did you mean `{s}`?)"))
                    .unwrap_or_default();
                Err(err(at, format!("unknown function `{name}`{hint}")))
            }
        }
    }
}
