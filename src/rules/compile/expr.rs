//! Expressions and conditions, typed as they are lowered to nodes.

use super::{Compiler, Ty, MAX_DEPTH};
use crate::error::{CompileError, ErrorCode};
use crate::limits::TooDeep;
use crate::program::{Node, Question, SeqSpec};
use crate::rules::ast::{self, AggOp, ArithOp, CmpOp, Expr};
use crate::suggest::nearest;
use crate::time::{parse_clock, WEEKDAYS};

impl Compiler {
    pub(super) fn condition(&mut self, e: &Expr) -> Result<u32, CompileError> {
        self.value_of(e, &[Ty::Bool, Ty::Any], "a condition (true/false)")
    }

    pub(super) fn value_of(&mut self, e: &Expr, allowed: &[Ty], what: &str) -> Result<u32, CompileError> {
        let (n, ty) = self.expr(e)?;
        if allowed.contains(&ty) {
            Ok(n)
        } else {
            Err(self.err(ErrorCode::Type, format!("expected {what}, found {}", ty_name(ty))))
        }
    }

    fn children(&mut self, op: &str, items: &[Expr], allowed: &[Ty], what: &str) -> Result<Vec<u32>, CompileError> {
        if items.is_empty() {
            return Err(self.err(ErrorCode::Arity, format!("`{op}` needs at least one argument")));
        }
        let mut out = Vec::with_capacity(items.len());
        for (i, item) in items.iter().enumerate() {
            out.push(self.at(op, |c| c.at(format!("[{i}]"), |c| c.value_of(item, allowed, what)))?);
        }
        Ok(out)
    }

    pub(super) fn expr(&mut self, e: &Expr) -> Result<(u32, Ty), CompileError> {
        self.depth += 1;
        if self.depth > MAX_DEPTH {
            // Left unwound on purpose: an error ends the compile.
            return Err(self.err(ErrorCode::Depth, TooDeep { what: "expression", limit: MAX_DEPTH }.to_string()));
        }
        let out = self.expr_inner(e);
        self.depth -= 1;
        out
    }

    fn expr_inner(&mut self, e: &Expr) -> Result<(u32, Ty), CompileError> {
        const COND: &[Ty] = &[Ty::Bool, Ty::Any];
        const NUM: &[Ty] = &[Ty::Num, Ty::Dur, Ty::Any];
        let (node, ty) = match e {
            Expr::Lit(l) => {
                let (lit, ty) = self.lit(l)?;
                (Node::Lit(lit), ty)
            }
            Expr::List(items) => (Node::List(self.lits(items)?), Ty::List),
            Expr::All(items) => (Node::All(self.children("all", items, COND, "a condition")?), Ty::Bool),
            Expr::Any(items) => (Node::Any(self.children("any", items, COND, "a condition")?), Ty::Bool),
            Expr::Not(inner) => (Node::Not(self.at("not", |c| c.condition(inner))?), Ty::Bool),
            Expr::Cmp(op, a, b) => {
                let (a, b) = self.compare_pair(op.name(), *op, a, b)?;
                (Node::Cmp(*op, a, b), Ty::Bool)
            }
            Expr::Between(x, lo, hi) => {
                let (xn, xt) = self.at("between", |c| c.at("[0]", |c| c.expr(x)))?;
                let lo = self.at("between", |c| c.at("[1]", |c| c.operand_like(lo, xt)))?;
                let hi = self.at("between", |c| c.at("[2]", |c| c.operand_like(hi, xt)))?;
                (Node::Between(xn, lo, hi), Ty::Bool)
            }
            Expr::In(x, list) => {
                let (xn, _) = self.at("in", |c| c.at("[0]", |c| c.expr(x)))?;
                (Node::In(xn, self.at("in", |c| c.at("[1]", |c| c.lits(list)))?), Ty::Bool)
            }
            Expr::Exists(x) => (Node::Exists(self.at("exists", |c| c.expr(x))?.0), Ty::Bool),
            Expr::Missing(x) => (Node::Missing(self.at("missing", |c| c.expr(x))?.0), Ty::Bool),
            Expr::Str(op, a, b) => {
                let a = self.at(op.name(), |c| c.at("[0]", |c| c.value_of(a, &[Ty::Str, Ty::Any], "a string")))?;
                let b = self.at(op.name(), |c| c.at("[1]", |c| c.value_of(b, &[Ty::Str, Ty::Any], "a string")))?;
                (Node::Str(*op, a, b), Ty::Bool)
            }
            Expr::Lower(x) => {
                (Node::Lower(self.at("lower", |c| c.value_of(x, &[Ty::Str, Ty::Any], "a string"))?), Ty::Str)
            }
            Expr::Round(x, digits) => {
                (Node::Round(self.at("round", |c| c.at("[0]", |c| c.value_of(x, NUM, "a number")))?, *digits), Ty::Num)
            }
            Expr::Arith(op, items) => {
                let mut kids = Vec::new();
                let mut tys = Vec::new();
                for (i, item) in items.iter().enumerate() {
                    let (n, t) = self.at(op.name(), |c| c.at(format!("[{i}]"), |c| c.expr(item)))?;
                    if !NUM.contains(&t) {
                        return self.at(op.name(), |c| {
                            c.at(format!("[{i}]"), |c| {
                                Err(c.err(ErrorCode::Type, format!("expected a number, found {}", ty_name(t))))
                            })
                        });
                    }
                    kids.push(n);
                    tys.push(t);
                }
                // duration ÷ duration is a plain ratio (the churn factor); other duration arithmetic stays a duration.
                let ty = match op {
                    ArithOp::Div if tys.iter().all(|t| *t == Ty::Dur) => Ty::Num,
                    ArithOp::Add | ArithOp::Sub if tys.iter().all(|t| *t == Ty::Dur) => Ty::Dur,
                    _ => Ty::Num,
                };
                (Node::Arith(*op, kids), ty)
            }
            Expr::Coalesce(items) => {
                let kids =
                    self.children("coalesce", items, &[Ty::Bool, Ty::Num, Ty::Dur, Ty::Str, Ty::Any], "a value")?;
                let ty = self.peek_ty(&items[0]);
                (Node::Coalesce(kids), ty)
            }
            Expr::Var(name) => self.at("var", |c| c.var(name))?,
            Expr::Score(s) => {
                let max_age = self.at("score", |c| {
                    c.at("name", |c| c.check_name("score name", &s.name))?;
                    c.at("max_age", |c| c.duration(&s.max_age))
                })?;
                (Node::Score { name: s.name.clone(), max_age }, Ty::Num)
            }
            Expr::LocalTimeBetween(from, to) => {
                let f = self.at("local_time_between", |c| {
                    c.at("[0]", |c| parse_clock(from).map_err(|e| c.err(e.code(), e.message)))
                })?;
                let t = self.at("local_time_between", |c| {
                    c.at("[1]", |c| parse_clock(to).map_err(|e| c.err(e.code(), e.message)))
                })?;
                (Node::LocalTimeBetween(f, t), Ty::Bool)
            }
            Expr::WeekdayIn(days) => {
                let mut mask = 0u8;
                for (i, d) in days.iter().enumerate() {
                    let idx = self.at("weekday_in", |c| {
                        c.at(format!("[{i}]"), |c| {
                            let lower = d.to_ascii_lowercase();
                            WEEKDAYS.iter().position(|w| lower.starts_with(w)).ok_or_else(|| {
                                c.err(
                                    ErrorCode::Weekday,
                                    format!("`{d}` is not a weekday: expected mon, tue, wed, thu, fri, sat or sun"),
                                )
                            })
                        })
                    })?;
                    mask |= 1 << idx;
                }
                (Node::WeekdayIn(mask), Ty::Bool)
            }
            Expr::DaysUntil(x) => (
                Node::DaysUntil(self.at("days_until", |c| c.value_of(x, &[Ty::Num, Ty::Str, Ty::Any], "a timestamp"))?),
                Ty::Num,
            ),
            Expr::DaysSince(x) => (
                Node::DaysSince(self.at("days_since", |c| c.value_of(x, &[Ty::Num, Ty::Str, Ty::Any], "a timestamp"))?),
                Ty::Num,
            ),
            Expr::Duration(d) => (Node::Dur(self.at("duration", |c| c.duration(d))?), Ty::Dur),
            Expr::Agg(op, q) => {
                let query = self.at(op.name(), |c| c.query(q, op.needs_prop()))?;
                let ty = match op {
                    AggOp::Count | AggOp::Sum | AggOp::Min | AggOp::Max | AggOp::Avg | AggOp::MaxCountBy => Ty::Num,
                    AggOp::SinceLast | AggOp::MeanInterval => Ty::Dur,
                    AggOp::None => Ty::Bool,
                    AggOp::Last | AggOp::Top => Ty::Any,
                };
                (Node::Ask(self.intern(Question::Agg(*op, query))), ty)
            }
            Expr::Sequence(s) => {
                let spec = self.at("sequence", |c| {
                    let first = c.at("first", |c| c.query(&s.first, false))?;
                    let (then, negated) = match (&s.then, &s.then_not) {
                        (Some(t), None) => (c.at("then", |c| c.query(t, false))?, false),
                        (None, Some(t)) => (c.at("then_not", |c| c.query(t, false))?, true),
                        _ => {
                            return Err(
                                c.err(ErrorCode::Sequence, "a sequence needs exactly one of `then` or `then_not`")
                            )
                        }
                    };
                    let gap = c.at("gap", |c| c.duration(&s.gap))?;
                    Ok(SeqSpec { first, then, negated, gap })
                })?;
                (Node::Ask(self.intern(Question::Sequence(spec))), Ty::Bool)
            }
            Expr::Segment(name) => {
                let id = self.at("segment", |c| match c.segment_ids.get(name) {
                    Some(id) => Ok(*id),
                    None => Err(c.err(
                        ErrorCode::UnknownSegment,
                        format!("no segment named `{name}`{}", hint(name, c.segment_ids.keys())),
                    )),
                })?;
                (Node::Segment(id), Ty::Bool)
            }
            Expr::Tier(name) => {
                let id = self.at("tier", |c| match c.tier_ids.get(name) {
                    Some(id) => Ok(*id),
                    None => Err(c.err(
                        ErrorCode::UnknownTier,
                        format!("no tier table named `{name}`{}", hint(name, c.tier_ids.keys())),
                    )),
                })?;
                (Node::Tier(id), Ty::Str)
            }
            Expr::Bucket(salt) => {
                self.at("bucket", |c| c.check_name("salt", salt))?;
                (Node::Bucket(salt.clone()), Ty::Num)
            }
        };
        Ok((self.push(node)?, ty))
    }

    /// The type an expression would have, without compiling it (for `coalesce`).
    fn peek_ty(&self, e: &Expr) -> Ty {
        match e {
            Expr::Lit(ast::Lit::Num(_))
            | Expr::Arith(..)
            | Expr::Score(_)
            | Expr::DaysUntil(_)
            | Expr::DaysSince(_)
            | Expr::Bucket(_) => Ty::Num,
            Expr::Lit(ast::Lit::Str(_)) | Expr::Lower(_) | Expr::Tier(_) => Ty::Str,
            Expr::Duration(_) | Expr::Agg(AggOp::SinceLast | AggOp::MeanInterval, _) => Ty::Dur,
            Expr::Agg(AggOp::Last | AggOp::Top, _) | Expr::Var(_) | Expr::Coalesce(_) => Ty::Any,
            Expr::Agg(..) => Ty::Num,
            _ => Ty::Bool,
        }
    }

    fn compare_pair(&mut self, name: &str, op: CmpOp, a: &Expr, b: &Expr) -> Result<(u32, u32), CompileError> {
        let (an, at) = self.at(name, |c| c.at("[0]", |c| c.expr(a)))?;
        let bn = self.at(name, |c| c.at("[1]", |c| c.operand_like(b, at)))?;
        if !matches!(op, CmpOp::Eq | CmpOp::Ne) && at == Ty::Bool {
            return self.at(name, |c| {
                Err(c.err(
                    ErrorCode::Type,
                    format!("`{name}` orders values; a condition is only true or false (use eq)"),
                ))
            });
        }
        Ok((an, bn))
    }

    /// Compiles the second operand of a comparison; a string literal next to a
    /// duration is read as a duration (`"30d"`).
    fn operand_like(&mut self, e: &Expr, other: Ty) -> Result<u32, CompileError> {
        if let (Ty::Dur, Expr::Lit(ast::Lit::Str(s))) = (other, e) {
            let ms = self.duration(s)?;
            return self.push(Node::Dur(ms));
        }
        let (n, t) = self.expr(e)?;
        let clash = matches!(
            (other, t),
            (Ty::Num | Ty::Dur, Ty::Str)
                | (Ty::Str, Ty::Num | Ty::Dur)
                | (Ty::Bool, Ty::Num | Ty::Str | Ty::Dur)
                | (Ty::Num | Ty::Str | Ty::Dur, Ty::Bool)
        );
        if clash {
            return Err(self.err(ErrorCode::Type, format!("cannot compare {} with {}", ty_name(other), ty_name(t))));
        }
        Ok(n)
    }
}

fn hint<'a>(name: &str, known: impl Iterator<Item = &'a String>) -> String {
    nearest(name, known.map(String::as_str)).map(|s| format!(" (did you mean `{s}`?)")).unwrap_or_default()
}

fn ty_name(t: Ty) -> &'static str {
    match t {
        Ty::Bool => "a condition",
        Ty::Num => "a number",
        Ty::Dur => "a duration",
        Ty::Str => "a string",
        Ty::List => "a list",
        Ty::Any => "a value",
    }
}
