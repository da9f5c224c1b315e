//! Rules as written ([`ast::Bundle`]) → a validated [`Program`].
//!
//! Everything that can be checked without a context is checked here, once:
//! names resolve, durations and clock times parse, types fit, segments do not
//! refer to themselves, sizes stay in bounds. Evaluation then trusts the result.

// The work is split by what is being compiled; dependencies between the parts run one way:
// `leaves` (literals, variables, event queries) and `questions` (the table of distinct history
// questions) ← `expr` (typed expressions) ← `content` (content and templates) ← `slots` (tier
// tables, slots, variants); `refs` (the cycle check) stands alone. This file holds the driver,
// the compiler's state and the helpers all parts use.

mod content;
mod expr;
mod leaves;
mod questions;
mod refs;
mod slots;

use super::ast::{self, Json};
use crate::error::{CompileError, ErrorCode, Location};
use crate::limits::{MAX_IDENT_BYTES, MAX_SEGMENTS, MAX_TIERS, MAX_TOTAL_VARIANTS};
use crate::program::{self, Node, Program, SlotDef};
use crate::time::{parse_duration, TimeZone};
use std::collections::{BTreeMap, HashMap};

// The limits live in src/limits.rs; these names are kept for callers of this module.
pub use crate::limits::{MAX_HISTORY, MAX_NAME_BYTES, MAX_NODES, MAX_SLOTS, MAX_VARIANTS};
/// Deepest expression nesting accepted ([`crate::limits::MAX_EXPR_DEPTH`]).
pub const MAX_DEPTH: usize = crate::limits::MAX_EXPR_DEPTH;
/// Default `max_history`.
pub const DEFAULT_HISTORY: u32 = 1_000;

/// Value kinds, inferred so mistakes surface at compile time.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Ty {
    Bool,
    Num,
    /// Milliseconds; compares against duration strings such as `"30d"`.
    Dur,
    Str,
    List,
    /// Profile attributes and event properties: known only at decision time.
    Any,
}

/// Compiles a parsed bundle. Errors carry a JSON path; the JSON front end adds line and column.
pub fn compile(bundle: &ast::Bundle) -> Result<Program, CompileError> {
    let mut c = Compiler::default();
    c.bundle(bundle)?;
    Ok(c.finish(bundle))
}

#[derive(Default)]
struct Compiler {
    nodes: Vec<Node>,
    /// Distinct history questions, and their indices by what equal ones share (`questions.rs`).
    questions: Vec<program::Question>,
    question_ids: HashMap<questions::Key, Vec<u32>>,
    events: Vec<String>,
    event_ids: HashMap<String, u32>,
    segment_ids: BTreeMap<String, u32>,
    tier_ids: BTreeMap<String, u32>,
    path: Vec<String>,
    depth: usize,
    segments: Vec<program::SegmentDef>,
    tiers: Vec<program::TierDef>,
    slots: Vec<SlotDef>,
    holdout: Option<program::HoldoutSpec>,
    max_history: u32,
    /// Vars implied by the content being compiled (`{{ profile.balance | money("USD") }}`).
    implicit_vars: Vec<(String, u32)>,
    /// Whether the content being compiled may hold templates (defaults must render without data).
    templates_allowed: bool,
    /// Slot names of the bundle and the slot being compiled, for `{{decision.SLOT.FIELD}}`.
    slot_names: Vec<String>,
    /// Top-level content fields each slot's variants and default may have.
    slot_fields: BTreeMap<String, Vec<String>>,
    current_slot: String,
}

impl Compiler {
    fn err(&self, code: ErrorCode, message: impl Into<String>) -> CompileError {
        CompileError { code, at: Location { path: self.path_string(), line: 0, column: 0 }, message: message.into() }
    }

    fn path_string(&self) -> String {
        let mut out = String::new();
        for seg in &self.path {
            if !seg.starts_with('[') && !out.is_empty() {
                out.push('.');
            }
            out.push_str(seg);
        }
        out
    }

    fn at<T>(
        &mut self,
        seg: impl Into<String>,
        f: impl FnOnce(&mut Self) -> Result<T, CompileError>,
    ) -> Result<T, CompileError> {
        self.path.push(seg.into());
        let out = f(self);
        if out.is_ok() {
            self.path.pop();
        }
        out
    }

    fn bundle(&mut self, b: &ast::Bundle) -> Result<(), CompileError> {
        if b.kairos != 1 {
            return self.at("kairos", |c| {
                Err(c.err(
                    ErrorCode::Version,
                    format!("rule language version {} is not supported: expected 1", b.kairos),
                ))
            });
        }
        if b.slots.is_empty() {
            return self.at("slots", |c| Err(c.err(ErrorCode::Empty, "a bundle needs at least one slot")));
        }
        self.slot_names = b.slots.keys().cloned().collect();
        for (name, slot) in &b.slots {
            let mut fields = Vec::new();
            for content in std::iter::once(&slot.default.content).chain(slot.variants.iter().map(|v| &v.content)) {
                if let Json::Obj(entries) = content {
                    fields.extend(
                        entries.iter().map(|(k, _)| k.clone()).filter(|k| !fields.contains(k)).collect::<Vec<_>>(),
                    );
                }
            }
            self.slot_fields.insert(name.clone(), fields);
        }
        if b.slots.len() > MAX_SLOTS {
            return self.at("slots", |c| {
                Err(c.err(ErrorCode::Limit, format!("{} slots, the limit is {MAX_SLOTS}", b.slots.len())))
            });
        }
        let total: usize = b.slots.values().map(|s| s.variants.len()).sum();
        if total > MAX_TOTAL_VARIANTS {
            return self.at("slots", |c| {
                Err(c.err(
                    ErrorCode::Limit,
                    format!("{total} variants in the bundle, the limit is {MAX_TOTAL_VARIANTS}"),
                ))
            });
        }
        // Counted before the cycle check, whose search recurses along chains of references.
        if b.segments.len() > MAX_SEGMENTS {
            return self.at("segments", |c| {
                Err(c.err(ErrorCode::Limit, format!("{} segments, the limit is {MAX_SEGMENTS}", b.segments.len())))
            });
        }
        if b.tiers.len() > MAX_TIERS {
            return self.at("tiers", |c| {
                Err(c.err(ErrorCode::Limit, format!("{} tier tables, the limit is {MAX_TIERS}", b.tiers.len())))
            });
        }
        if let Some(tz) = &b.default_timezone {
            self.at("default_timezone", |c| TimeZone::named(tz).map(drop).map_err(|e| c.err(e.code(), e.to_string())))?;
        }
        if let Some(h) = &b.holdout {
            self.at("holdout", |c| {
                if !(0.0..=100.0).contains(&h.percent) {
                    return c.at("percent", |c| {
                        Err(c.err(ErrorCode::Range, format!("holdout percent {} must be between 0 and 100", h.percent)))
                    });
                }
                c.check_name("salt", &h.salt)?;
                c.holdout =
                    Some(program::HoldoutSpec { salt: h.salt.clone(), threshold: (h.percent * 100.0).round() as u32 });
                Ok(())
            })?;
        }
        self.max_history = match b.max_history {
            None => DEFAULT_HISTORY,
            Some(n) if (1..=MAX_HISTORY).contains(&n) => n,
            Some(n) => {
                return self.at("max_history", |c| {
                    Err(c.err(ErrorCode::Limit, format!("max_history {n} must be 1–{MAX_HISTORY}")))
                })
            }
        };
        for (i, name) in b.segments.keys().enumerate() {
            self.at("segments", |c| c.at(name.clone(), |c| c.check_ident(name)))?;
            self.segment_ids.insert(name.clone(), i as u32);
        }
        for (i, name) in b.tiers.keys().enumerate() {
            self.at("tiers", |c| c.at(name.clone(), |c| c.check_ident(name)))?;
            self.tier_ids.insert(name.clone(), i as u32);
        }
        self.reject_segment_cycles(b)?;
        for (name, expr) in &b.segments {
            let root = self.at("segments", |c| c.at(name.clone(), |c| c.condition(expr)))?;
            self.segments.push(program::SegmentDef { name: name.clone(), root });
        }
        for (name, levels) in &b.tiers {
            let compiled = self.at("tiers", |c| c.at(name.clone(), |c| c.tier(levels)))?;
            self.tiers.push(program::TierDef { name: name.clone(), levels: compiled });
        }
        for (name, slot) in &b.slots {
            let def = self.at("slots", |c| c.at(name.clone(), |c| c.slot(name, slot)))?;
            self.slots.push(def);
        }
        Ok(())
    }

    fn finish(self, b: &ast::Bundle) -> Program {
        Program {
            name: b.name.clone(),
            default_timezone: b.default_timezone.clone(),
            holdout: self.holdout,
            max_history: self.max_history,
            events: self.events,
            nodes: self.nodes,
            questions: self.questions,
            segments: self.segments,
            tiers: self.tiers,
            slots: self.slots,
        }
    }

    fn check_name(&self, what: &str, s: &str) -> Result<(), CompileError> {
        if s.is_empty() || s.len() > MAX_NAME_BYTES {
            return Err(self.err(ErrorCode::Name, format!("{what} must be 1–{MAX_NAME_BYTES} bytes")));
        }
        Ok(())
    }

    fn check_ident(&self, s: &str) -> Result<(), CompileError> {
        let ok = !s.is_empty()
            && s.len() <= MAX_IDENT_BYTES
            && s.bytes().all(|b| b.is_ascii_alphanumeric() || b == b'_' || b == b'-');
        if ok {
            Ok(())
        } else {
            let shown = crate::context::clip(s, MAX_NAME_BYTES);
            Err(self.err(
                ErrorCode::Name,
                format!("`{shown}` is not a valid name: use 1–{MAX_IDENT_BYTES} letters, digits, `_` or `-`"),
            ))
        }
    }

    fn duration(&self, s: &str) -> Result<i64, CompileError> {
        match parse_duration(s) {
            Ok(0) => Err(self.err(ErrorCode::Duration, "a window must be longer than zero")),
            Ok(ms) => Ok(ms),
            Err(e) => Err(self.err(e.code(), e.message)),
        }
    }

    fn push(&mut self, node: Node) -> Result<u32, CompileError> {
        if self.nodes.len() >= MAX_NODES {
            return Err(self.err(ErrorCode::Limit, format!("more than {MAX_NODES} expression nodes")));
        }
        self.nodes.push(node);
        Ok(self.nodes.len() as u32 - 1)
    }
}
