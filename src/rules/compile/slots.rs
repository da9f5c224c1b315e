//! Tier tables, slots and their variants.

use super::{Compiler, Ty, MAX_VARIANTS};
use crate::error::{CompileError, ErrorCode};
use crate::limits::MAX_TIER_LEVELS;
use crate::program::{SlotDef, VariantDef};
use crate::rules::ast;
use std::collections::BTreeMap;

impl Compiler {
    pub(super) fn tier(&mut self, levels: &[ast::TierLevel]) -> Result<Vec<(String, Option<u32>)>, CompileError> {
        if levels.is_empty() {
            return Err(self.err(ErrorCode::Empty, "a tier table needs at least one level"));
        }
        if levels.len() > MAX_TIER_LEVELS {
            return Err(self.err(ErrorCode::Limit, format!("{} levels, the limit is {MAX_TIER_LEVELS}", levels.len())));
        }
        let mut out = Vec::new();
        for (i, level) in levels.iter().enumerate() {
            let when = self.at(format!("[{i}]"), |c| {
                c.at("name", |c| c.check_ident(&level.name))?;
                level.when.as_ref().map(|w| c.at("when", |c| c.condition(w))).transpose()
            })?;
            out.push((level.name.clone(), when));
        }
        Ok(out)
    }

    pub(super) fn slot(&mut self, name: &str, slot: &ast::Slot) -> Result<SlotDef, CompileError> {
        self.current_slot = name.to_owned();
        self.check_ident(name)?;
        if slot.variants.len() > MAX_VARIANTS {
            return self.at("variants", |c| {
                Err(c.err(ErrorCode::Limit, format!("{} variants, the limit is {MAX_VARIANTS}", slot.variants.len())))
            });
        }
        self.at("default", |c| c.at("id", |c| c.check_ident(&slot.default.id)))?;
        let default_content =
            self.at("default", |c| c.at("content", |c| c.content(&slot.default.content, &BTreeMap::new())))?;
        let mut ids = vec![slot.default.id.as_str()];
        let mut variants = Vec::new();
        for (i, v) in slot.variants.iter().enumerate() {
            let def = self.at("variants", |c| c.at(format!("[{i}]"), |c| c.variant(v, &ids)))?;
            ids.push(&v.id);
            variants.push(def);
        }
        Ok(SlotDef { name: name.to_owned(), default_id: slot.default.id.clone(), default_content, variants })
    }

    fn variant(&mut self, v: &ast::Variant, taken: &[&str]) -> Result<VariantDef, CompileError> {
        self.at("id", |c| {
            c.check_ident(&v.id)?;
            if taken.contains(&v.id.as_str()) {
                return Err(c.err(ErrorCode::Duplicate, format!("variant id `{}` is used twice in this slot", v.id)));
            }
            Ok(())
        })?;
        let when = v.when.as_ref().map(|w| self.at("when", |c| c.condition(w))).transpose()?;
        let score = v
            .score
            .as_ref()
            .map(|s| self.at("score", |c| c.value_of(s, &[Ty::Num, Ty::Any], "a number")))
            .transpose()?;
        let mut vars = Vec::new();
        for (name, expr) in &v.vars {
            let root = self.at("vars", |c| {
                c.at(name.clone(), |c| {
                    c.check_ident(name)?;
                    let (n, _) = c.expr(expr)?;
                    Ok(n)
                })
            })?;
            vars.push((name.clone(), root));
        }
        self.templates_allowed = true;
        let content = self.at("content", |c| c.content(&v.content, &v.vars))?;
        self.templates_allowed = false;
        vars.append(&mut self.implicit_vars);
        let cap = match &v.cap {
            None => None,
            Some(cap) => Some(self.at("cap", |c| {
                if cap.max == 0 {
                    return c.at("max", |c| Err(c.err(ErrorCode::Range, "a cap's max must be at least 1")));
                }
                let within = c.at("within", |c| c.duration(&cap.within))?;
                Ok((cap.max, within))
            })?),
        };
        Ok(VariantDef {
            id: v.id.clone(),
            when,
            priority: v.priority,
            score,
            content,
            vars,
            cap,
            suppress_after_conversion: v.suppress_after_conversion,
        })
    }
}
