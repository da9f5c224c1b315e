//! Statements: the settings (kairos, name, timezone, holdout, max history), segments, tier
//! tables, slots and their variants.

use super::{record, PResult, Parser};
use crate::rules::ast::{Bundle, Cap, DefaultVariant, Holdout, Json, Slot, TierLevel, Variant};
use crate::rules::text::lex::{err, Pos, Tok};
use crate::rules::text::words::is_top_keyword;
use std::collections::BTreeMap;

impl Parser {
    // ---- bundle ---------------------------------------------------------

    pub(super) fn bundle(&mut self) -> PResult<Bundle> {
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
}
