//! The leaves of expressions: literals, variables (signals and context paths) and the event
//! queries of aggregates and sequences.

use super::{Compiler, Ty};
use crate::error::{CompileError, ErrorCode};
use crate::limits::MAX_LITERAL_BYTES;
use crate::program::{self, Lit, Node, Query, SIGNALS};
use crate::rules::ast;
use crate::suggest::nearest;

impl Compiler {
    pub(super) fn lit(&self, l: &ast::Lit) -> Result<(Lit, Ty), CompileError> {
        Ok(match l {
            ast::Lit::Num(n) => (Lit::Num(*n), Ty::Num),
            ast::Lit::Bool(b) => (Lit::Bool(*b), Ty::Bool),
            ast::Lit::Str(s) => {
                if s.len() > MAX_LITERAL_BYTES {
                    return Err(self.err(
                        ErrorCode::Limit,
                        format!("a string literal of {} bytes, the limit is {MAX_LITERAL_BYTES}", s.len()),
                    ));
                }
                (Lit::Str(s.clone()), Ty::Str)
            }
        })
    }

    pub(super) fn lits(&self, items: &[ast::Lit]) -> Result<Vec<Lit>, CompileError> {
        items.iter().map(|l| self.lit(l).map(|(l, _)| l)).collect()
    }

    pub(super) fn var(&mut self, name: &str) -> Result<(Node, Ty), CompileError> {
        if let Some(attr) = name.strip_prefix("profile.") {
            self.check_name("attribute name", attr)?;
            return Ok((Node::Profile(attr.to_owned()), Ty::Any));
        }
        if let Some(score) = name.strip_prefix("scores.") {
            // A score read as a value, whatever its age (conditions use `score` with a max_age).
            self.check_name("score name", score)?;
            return Ok((Node::Score { name: score.to_owned(), max_age: i64::MAX }, Ty::Num));
        }
        if let Some(prop) = name.strip_prefix("event.") {
            self.check_name("event property", prop)?;
            return Ok((Node::Trigger(prop.to_owned()), Ty::Any));
        }
        if let Some(flag) = name.strip_prefix("consent.") {
            self.check_name("consent flag", flag)?;
            return Ok((Node::Consent(flag.to_owned()), Ty::Bool));
        }
        match SIGNALS.iter().find(|(n, _)| *n == name) {
            Some((_, sig)) => {
                use program::Signal as S;
                let ty = match sig {
                    S::CartDwell | S::CheckoutDwell => Ty::Dur,
                    S::ViewportWidth
                    | S::ViewportHeight
                    | S::PageViews
                    | S::ProductViews
                    | S::SearchCount
                    | S::CouponSearches
                    | S::Lat
                    | S::Lon
                    | S::LocalMinutes
                    | S::LocalHour
                    | S::Now => Ty::Num,
                    _ => Ty::Str,
                };
                Ok((Node::Signal(*sig), ty))
            }
            None => {
                let hint = nearest(name, SIGNALS.iter().map(|(n, _)| *n))
                    .map(|s| format!(" (did you mean `{s}`?)"))
                    .unwrap_or_default();
                Err(self.err(ErrorCode::UnknownSignal, format!("unknown signal `{name}`{hint}: expected session.*, geo.*, local.*, customer.id, now, profile.<attribute>, scores.<name>, event.<property> or consent.<flag>")))
            }
        }
    }

    pub(super) fn query(&mut self, q: &ast::EventQuery, needs_prop: bool) -> Result<Query, CompileError> {
        let event = self.at("event", |c| {
            c.check_name("event name", &q.event)?;
            Ok(crate::context::normalize_event_name(&q.event))
        })?;
        let within = q.within.as_ref().map(|w| self.at("within", |c| c.duration(w))).transpose()?;
        if needs_prop && q.prop.is_none() {
            return Err(self.err(ErrorCode::Prop, "this aggregate reads a property: add \"prop\""));
        }
        if let Some(p) = &q.prop {
            self.at("prop", |c| c.check_name("property name", p))?;
        }
        let mut filter = Vec::new();
        for (prop, test) in &q.filter {
            self.at("where", |c| c.at(prop.clone(), |c| c.check_name("property name", prop)))?;
            let test = match test {
                ast::PropTest::Cmp(op, l) => program::PropTest::Cmp(*op, self.lit(l)?.0),
                ast::PropTest::In(list) => program::PropTest::In(self.lits(list)?),
                ast::PropTest::Str(op, s) => {
                    self.lit(&ast::Lit::Str(s.clone()))?;
                    program::PropTest::Str(*op, s.clone())
                }
            };
            filter.push((prop.clone(), test));
        }
        let id = match self.event_ids.get(&event) {
            Some(id) => *id,
            None => {
                let id = self.events.len() as u32;
                self.event_ids.insert(event.clone(), id);
                self.events.push(event);
                id
            }
        };
        Ok(Query { event: id, within, filter, prop: q.prop.clone() })
    }
}
