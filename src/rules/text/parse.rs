//! Text → [`Bundle`]: a recursive-descent parser over [`lex`] tokens. Besides
//! the bundle it records where each rule part was written (by the compiler's
//! path, like `segments.x.all[1]`), so compile errors get a line and column.

use super::lex::{err, lex, Pos, TextError, Tok};
use super::words::{alias_target, is_keyword, is_top_keyword, FUNCTIONS};
use crate::limits::TooDeep;
use crate::rules::ast::*;
use std::collections::BTreeMap;

/// Deepest nesting of parentheses, `not`, calls and content the parser follows: the compiler's own
/// expression limit, and shallow enough for a 1 MiB wasm stack with room to spare.
pub const MAX_PARSE_DEPTH: usize = 32;

pub type PResult<T> = Result<T, TextError>;

/// Where each part of an expression was written; `kids` follow the compiler's path order.
#[derive(Debug, Clone, Default)]
pub struct Sp {
    pub pos: Pos,
    pub kids: Vec<Sp>,
}

fn leaf(pos: Pos) -> Sp {
    Sp { pos, kids: Vec::new() }
}

pub struct Parsed {
    pub bundle: Bundle,
    /// Compiler path → where it was written.
    pub spans: Vec<(String, Pos)>,
    /// Items (`segment:x`, `slot:y`, `variant:y:0`, `header`) and the line each starts on, in order.
    pub items: Vec<(String, usize)>,
    pub comments: Vec<super::lex::Comment>,
    /// The line of every token, in order (to tell a rule's own comments from the next one's).
    pub token_lines: Vec<usize>,
}

pub fn parse(src: &str) -> PResult<Parsed> {
    if src.len() > super::lex::MAX_SOURCE_BYTES {
        return Err(err(
            Pos::default(),
            format!("rules are {} bytes, the limit is {}", src.len(), super::lex::MAX_SOURCE_BYTES),
        ));
    }
    let lexed = lex(src)?;
    let token_lines = lexed.toks.iter().filter(|(t, _)| *t != Tok::Eof).map(|(_, p)| p.line).collect();
    let mut p = Parser { toks: lexed.toks, i: 0, depth: 0, spans: Vec::new(), items: Vec::new() };
    let bundle = p.bundle()?;
    Ok(Parsed { bundle, spans: p.spans, items: p.items, comments: lexed.comments, token_lines })
}

struct Parser {
    toks: Vec<(Tok, Pos)>,
    i: usize,
    depth: usize,
    spans: Vec<(String, Pos)>,
    items: Vec<(String, usize)>,
}

impl Parser {
    fn peek(&self) -> &Tok {
        &self.toks[self.i.min(self.toks.len() - 1)].0
    }

    fn peek2(&self) -> &Tok {
        &self.toks[(self.i + 1).min(self.toks.len() - 1)].0
    }

    fn pos(&self) -> Pos {
        self.toks[self.i.min(self.toks.len() - 1)].1
    }

    fn bump(&mut self) -> (Tok, Pos) {
        let t = self.toks[self.i.min(self.toks.len() - 1)].clone();
        if self.i < self.toks.len() - 1 {
            self.i += 1;
        }
        t
    }

    fn is_word(&self, w: &str) -> bool {
        matches!(self.peek(), Tok::Ident(s) if s == w)
    }

    fn is_sym(&self, s: &str) -> bool {
        matches!(self.peek(), Tok::Sym(x) if *x == s)
    }

    fn eat_word(&mut self, w: &str) -> bool {
        let hit = self.is_word(w);
        if hit {
            self.bump();
        }
        hit
    }

    fn eat_sym(&mut self, s: &str) -> bool {
        let hit = self.is_sym(s);
        if hit {
            self.bump();
        }
        hit
    }

    fn fail<T>(&self, expected: &str) -> PResult<T> {
        Err(err(self.pos(), format!("expected {expected}, found {}", self.peek())))
    }

    fn expect_word(&mut self, w: &str) -> PResult<()> {
        if self.eat_word(w) {
            Ok(())
        } else {
            self.fail(&format!("`{w}`"))
        }
    }

    fn expect_sym(&mut self, s: &str) -> PResult<()> {
        if self.eat_sym(s) {
            Ok(())
        } else {
            self.fail(&format!("`{s}`"))
        }
    }

    fn deeper(&mut self) -> PResult<()> {
        self.depth += 1;
        if self.depth > MAX_PARSE_DEPTH {
            let too_deep = TooDeep { what: "rules", limit: MAX_PARSE_DEPTH };
            return Err(TextError { pos: self.pos(), message: too_deep.to_string(), too_deep: Some(too_deep) });
        }
        Ok(())
    }

    fn span(&mut self, path: impl Into<String>, pos: Pos) {
        self.spans.push((path.into(), pos));
    }

    /// A name: a bare word or a quoted string.
    fn name(&mut self, what: &str) -> PResult<String> {
        match self.peek().clone() {
            Tok::Ident(s) | Tok::Str(s) => {
                self.bump();
                Ok(s)
            }
            _ => self.fail(what),
        }
    }

    fn string(&mut self, what: &str) -> PResult<String> {
        match self.peek().clone() {
            Tok::Str(s) => {
                self.bump();
                Ok(s)
            }
            _ => self.fail(what),
        }
    }

    fn duration(&mut self) -> PResult<String> {
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

    fn whole(&mut self, what: &str, min: f64, max: f64) -> PResult<f64> {
        let at = self.pos();
        let n = self.number(what)?;
        if n.fract() != 0.0 || n < min || n > max {
            return Err(err(at, format!("expected {what}, found {n}")));
        }
        Ok(n)
    }

    fn colon(&mut self) {
        self.eat_sym(":");
    }

    // ---- bundle ---------------------------------------------------------

    fn bundle(&mut self) -> PResult<Bundle> {
        let mut version = None;
        let mut b = Bundle {
            kairos: 0,
            name: String::new(),
            default_timezone: None,
            holdout: None,
            max_history: None,
            segments: BTreeMap::new(),
            tiers: BTreeMap::new(),
            slots: BTreeMap::new(),
        };
        let mut seen: Vec<&'static str> = Vec::new();
        let mut once = |key: &'static str, at: Pos| -> PResult<()> {
            if seen.contains(&key) {
                return Err(err(at, format!("`{key}` is set twice")));
            }
            seen.push(key);
            Ok(())
        };
        loop {
            let at = self.pos();
            let word = match self.peek() {
                Tok::Eof => break,
                Tok::Ident(w) => w.clone(),
                _ => {
                    return self
                        .fail("`segment`, `tier`, `slot` or a setting (kairos, name, timezone, holdout, max history)")
                }
            };
            if ["kairos", "name", "timezone", "holdout", "max"].contains(&word.as_str())
                && !self.items.iter().any(|(k, _)| k == "header")
            {
                self.items.push(("header".into(), at.line));
            }
            match word.as_str() {
                "kairos" => {
                    once("kairos", at)?;
                    self.bump();
                    self.span("kairos", self.pos());
                    version = Some(self.whole("the language version (1)", 0.0, u32::MAX as f64)? as u32);
                }
                "name" => {
                    once("name", at)?;
                    self.bump();
                    self.span("name", self.pos());
                    b.name = self.string("the bundle's name in quotes")?;
                }
                "timezone" => {
                    once("timezone", at)?;
                    self.bump();
                    self.span("default_timezone", self.pos());
                    b.default_timezone = Some(self.string("a time zone name in quotes, like \"Europe/Paris\"")?);
                }
                "holdout" => {
                    once("holdout", at)?;
                    self.bump();
                    self.span("holdout", at);
                    self.span("holdout.percent", self.pos());
                    let negative = self.eat_sym("-");
                    let percent = match *self.peek() {
                        Tok::Pct(n) | Tok::Num(n) => n,
                        _ => return self.fail("a share of customers, like `10%`"),
                    };
                    self.bump();
                    self.expect_word("salt")?;
                    self.span("holdout.salt", self.pos());
                    let salt = self.name("the holdout salt, like \"spring-2026\"")?;
                    b.holdout = Some(Holdout { salt, percent: if negative { -percent } else { percent } });
                }
                "max" => {
                    once("max history", at)?;
                    self.bump();
                    self.expect_word("history")?;
                    self.span("max_history", self.pos());
                    b.max_history = Some(self.whole("a whole number of events", 0.0, u32::MAX as f64)? as u32);
                }
                "segment" => {
                    self.bump();
                    let name_at = self.pos();
                    let name = self.name("a segment name")?;
                    self.colon();
                    if b.segments.contains_key(&name) {
                        return Err(err(name_at, format!("segment `{name}` is defined twice")));
                    }
                    self.items.push((format!("segment:{name}"), at.line));
                    let path = format!("segments.{name}");
                    self.span(path.clone(), name_at);
                    let (e, sp) = self.expr()?;
                    record(&e, &sp, &path, &mut self.spans);
                    b.segments.insert(name, e);
                }
                "tier" => {
                    self.bump();
                    let name_at = self.pos();
                    let name = self.name("a tier table name")?;
                    self.colon();
                    if b.tiers.contains_key(&name) {
                        return Err(err(name_at, format!("tier table `{name}` is defined twice")));
                    }
                    self.items.push((format!("tier:{name}"), at.line));
                    let path = format!("tiers.{name}");
                    self.span(path.clone(), name_at);
                    let levels = self.tier_levels(&path)?;
                    b.tiers.insert(name, levels);
                }
                "slot" => {
                    self.bump();
                    let name_at = self.pos();
                    let name = self.name("a slot name")?;
                    self.colon();
                    if b.slots.contains_key(&name) {
                        return Err(err(name_at, format!("slot `{name}` is defined twice")));
                    }
                    self.items.push((format!("slot:{name}"), at.line));
                    let path = format!("slots.{name}");
                    self.span(path.clone(), name_at);
                    let slot = self.slot(&name, &path, name_at)?;
                    b.slots.insert(name, slot);
                }
                _ => {
                    return self
                        .fail("`segment`, `tier`, `slot` or a setting (kairos, name, timezone, holdout, max history)")
                }
            }
        }
        b.kairos = version.ok_or_else(|| {
            err(self.toks[0].1, "the rules must say which language version they use: start with `kairos 1`".to_string())
        })?;
        Ok(b)
    }

    fn tier_levels(&mut self, path: &str) -> PResult<Vec<TierLevel>> {
        let mut levels = Vec::new();
        loop {
            match self.peek() {
                Tok::Ident(w) if is_top_keyword(w) => break,
                Tok::Ident(_) | Tok::Str(_) => {}
                _ => break,
            }
            let at = self.pos();
            let i = levels.len();
            self.span(format!("{path}[{i}]"), at);
            self.span(format!("{path}[{i}].name"), at);
            let name = self.name("a tier level name")?;
            let when = if self.eat_word("when") {
                let (e, sp) = self.expr()?;
                let p = format!("{path}[{i}].when");
                self.span(p.clone(), sp.pos);
                record(&e, &sp, &p, &mut self.spans);
                Some(e)
            } else if self.eat_word("otherwise") {
                None
            } else {
                return self.fail(&format!("`when CONDITION` or `otherwise` after the level name `{name}`"));
            };
            levels.push(TierLevel { name, when });
        }
        Ok(levels)
    }

    fn slot(&mut self, name: &str, path: &str, at: Pos) -> PResult<Slot> {
        let mut default = None;
        let mut variants = Vec::new();
        loop {
            let here = self.pos();
            if self.eat_word("default") {
                if default.is_some() {
                    return Err(err(here, format!("slot `{name}` has two defaults")));
                }
                self.span(format!("{path}.default"), here);
                self.span(format!("{path}.default.id"), self.pos());
                let id = self.name("the default variant's id")?;
                self.colon();
                let content = if self.is_word("content") {
                    let c_at = self.pos();
                    self.bump();
                    self.span(format!("{path}.default.content"), c_at);
                    self.json()?
                } else {
                    Json::Null
                };
                default = Some(DefaultVariant { id, content });
            } else if self.eat_word("variant") {
                let i = variants.len();
                self.items.push((format!("variant:{name}:{i}"), here.line));
                let vpath = format!("{path}.variants[{i}]");
                self.span(vpath.clone(), here);
                variants.push(self.variant(&vpath)?);
            } else {
                break;
            }
        }
        let default = default.ok_or_else(|| {
            err(
                at,
                format!("slot `{name}` needs a default: add `default ID` (what everyone gets when nothing applies)"),
            )
        })?;
        Ok(Slot { default, variants })
    }

    fn variant(&mut self, path: &str) -> PResult<Variant> {
        self.span(format!("{path}.id"), self.pos());
        let id = self.name("a variant id")?;
        self.colon();
        let mut v = Variant {
            id,
            when: None,
            priority: 0,
            score: None,
            content: Json::Null,
            vars: BTreeMap::new(),
            cap: None,
            suppress_after_conversion: false,
        };
        let mut seen: Vec<String> = Vec::new();
        loop {
            let at = self.pos();
            let Tok::Ident(word) = self.peek().clone() else { break };
            if !["when", "priority", "score", "cap", "suppress", "set", "content"].contains(&word.as_str()) {
                break;
            }
            if word != "set" {
                if seen.contains(&word) {
                    return Err(err(at, format!("`{word}` is given twice for this variant")));
                }
                seen.push(word.clone());
            }
            self.bump();
            match word.as_str() {
                "when" | "score" => {
                    let (e, sp) = self.expr()?;
                    let p = format!("{path}.{word}");
                    self.span(p.clone(), sp.pos);
                    record(&e, &sp, &p, &mut self.spans);
                    if word == "when" {
                        v.when = Some(e);
                    } else {
                        v.score = Some(e);
                    }
                }
                "priority" => {
                    self.span(format!("{path}.priority"), self.pos());
                    v.priority = self.whole("a whole number", i32::MIN as f64, i32::MAX as f64)? as i32;
                }
                "cap" => {
                    self.span(format!("{path}.cap"), at);
                    let max = self.whole("the most times to show it, like `cap 3 per 7d`", 0.0, u32::MAX as f64)?;
                    self.expect_word("per")?;
                    let within = self.duration()?;
                    v.cap = Some(Cap { max: max as u32, within });
                }
                "suppress" => {
                    self.expect_word("after")?;
                    self.expect_word("conversion")?;
                    v.suppress_after_conversion = true;
                }
                "set" => {
                    let name_at = self.pos();
                    let name = self.name("a variable name, like `set code = ...`")?;
                    self.expect_sym("=")?;
                    if v.vars.contains_key(&name) {
                        return Err(err(name_at, format!("`{name}` is set twice for this variant")));
                    }
                    let (e, sp) = self.expr()?;
                    let p = format!("{path}.vars.{name}");
                    self.span(p.clone(), name_at);
                    record(&e, &sp, &p, &mut self.spans);
                    v.vars.insert(name, e);
                }
                _ => {
                    self.span(format!("{path}.content"), at);
                    v.content = self.json()?;
                }
            }
        }
        Ok(v)
    }

    // ---- content (JSON) -------------------------------------------------

    fn json(&mut self) -> PResult<Json> {
        self.deeper()?;
        let out = self.json_inner();
        self.depth -= 1;
        out
    }

    fn json_inner(&mut self) -> PResult<Json> {
        let (tok, at) = self.bump();
        Ok(match tok {
            Tok::Str(s) => Json::Str(s),
            Tok::Num(n) => Json::Num(n),
            Tok::Sym("-") => match self.bump() {
                (Tok::Num(n), _) => Json::Num(-n),
                _ => return Err(err(at, "expected a number after `-`".into())),
            },
            Tok::Ident(w) if w == "true" => Json::Bool(true),
            Tok::Ident(w) if w == "false" => Json::Bool(false),
            Tok::Ident(w) if w == "null" => Json::Null,
            Tok::Sym("[") => {
                let mut items = Vec::new();
                if !self.eat_sym("]") {
                    loop {
                        items.push(self.json()?);
                        if self.eat_sym("]") {
                            break;
                        }
                        self.expect_sym(",")?;
                    }
                }
                Json::Arr(items)
            }
            Tok::Sym("{") => {
                let mut entries = Vec::new();
                if !self.eat_sym("}") {
                    loop {
                        let key = self.string("a quoted key")?;
                        self.expect_sym(":")?;
                        entries.push((key, self.json()?));
                        if self.eat_sym("}") {
                            break;
                        }
                        self.expect_sym(",")?;
                    }
                }
                Json::Obj(entries)
            }
            other => {
                return Err(err(
                    at,
                    format!("expected content (JSON: a string, number, list or object), found {other}"),
                ))
            }
        })
    }

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

    /// A literal where bare words are strings: after `is`, in lists, in event filters.
    fn literal(&mut self, what: &str) -> PResult<Lit> {
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

    fn literal_list(&mut self) -> PResult<Vec<Lit>> {
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

    fn clock(&mut self) -> PResult<String> {
        match self.peek().clone() {
            Tok::Clock(s) | Tok::Str(s) => {
                self.bump();
                Ok(s)
            }
            _ => self.fail("a local time like `18:00`"),
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

    /// `[PROP of] EVENT [where TESTS] [within DURATION]`, up to `)` or `,`.
    fn query(&mut self) -> PResult<EventQuery> {
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
    fn sequence(&mut self) -> PResult<Sequence> {
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

/// Records where each sub-expression was written, by the compiler's path for it.
pub fn record(e: &Expr, sp: &Sp, path: &str, out: &mut Vec<(String, Pos)>) {
    out.push((path.to_owned(), sp.pos));
    let indexed = |op: &str, out: &mut Vec<(String, Pos)>, items: &[&Expr]| {
        for (i, (item, kid)) in items.iter().zip(&sp.kids).enumerate() {
            record(item, kid, &format!("{path}.{op}[{i}]"), out);
        }
    };
    let single = |op: &str, out: &mut Vec<(String, Pos)>, item: &Expr| {
        if let Some(kid) = sp.kids.first() {
            record(item, kid, &format!("{path}.{op}"), out);
        }
    };
    match e {
        Expr::All(v) => indexed("all", out, &v.iter().collect::<Vec<_>>()),
        Expr::Any(v) => indexed("any", out, &v.iter().collect::<Vec<_>>()),
        Expr::Coalesce(v) => indexed("coalesce", out, &v.iter().collect::<Vec<_>>()),
        Expr::Arith(op, v) => indexed(op.name(), out, &v.iter().collect::<Vec<_>>()),
        Expr::Cmp(op, a, b) => indexed(op.name(), out, &[a, b]),
        Expr::Str(op, a, b) => indexed(op.name(), out, &[a, b]),
        Expr::Between(x, lo, hi) => indexed("between", out, &[x, lo, hi]),
        Expr::In(x, _) => indexed("in", out, &[x]),
        Expr::Round(x, _) => indexed("round", out, &[x]),
        Expr::Not(x) => single("not", out, x),
        Expr::Exists(x) => single("exists", out, x),
        Expr::Missing(x) => single("missing", out, x),
        Expr::Lower(x) => single("lower", out, x),
        Expr::DaysUntil(x) => single("days_until", out, x),
        Expr::DaysSince(x) => single("days_since", out, x),
        _ => {}
    }
}
