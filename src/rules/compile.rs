//! Rules as written ([`ast::Bundle`]) → a validated [`Program`].
//!
//! Everything that can be checked without a context is checked here, once:
//! names resolve, durations and clock times parse, types fit, segments do not
//! refer to themselves, sizes stay in bounds. Evaluation then trusts the result.

use super::ast::{self, AggOp, ArithOp, CmpOp, Expr, Json};
use crate::error::{CompileError, ErrorCode, Location};
use crate::escape::{HtmlScanner, HtmlSpot, Sink};
use crate::program::{self, Content, Lit, Node, Program, Query, SeqSpec, SlotDef, Tok, VariantDef, SIGNALS};
use crate::suggest::nearest;
use crate::template::{self, Segment};
use crate::time::{parse_clock, parse_duration, TimeZone, WEEKDAYS};
use std::collections::{BTreeMap, HashMap};

// The limits live in src/limits.rs; these names are kept for callers of this module.
use crate::limits::{
    TooDeep, MAX_CONTENT_STRING_BYTES, MAX_IDENT_BYTES, MAX_LITERAL_BYTES, MAX_SEGMENTS, MAX_TIERS, MAX_TIER_LEVELS,
    MAX_TOTAL_VARIANTS,
};
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

/// Whether a URL template has a literal `:` after a hole and before its first `/`, `?` or `#`:
/// a scheme assembled from data (`{{s}}:{{rest}}`).
fn url_scheme_after_hole(segs: &[Segment]) -> bool {
    let mut hole_seen = false;
    for seg in segs {
        match seg {
            Segment::Hole { .. } => hole_seen = true,
            Segment::Text(t) => {
                for c in t.chars() {
                    match c {
                        '/' | '?' | '#' => return false,
                        ':' if hole_seen => return true,
                        _ => {}
                    }
                }
            }
            _ => {}
        }
    }
    false
}

#[derive(Default)]
struct Compiler {
    nodes: Vec<Node>,
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

    /// Segments and tier tables may use each other, but never (through any chain) themselves.
    fn reject_segment_cycles(&mut self, b: &ast::Bundle) -> Result<(), CompileError> {
        let mut refs: BTreeMap<String, Vec<String>> = BTreeMap::new();
        for (name, expr) in &b.segments {
            refs.insert(format!("segment {name}"), named_refs(expr));
        }
        for (name, levels) in &b.tiers {
            refs.insert(
                format!("tier {name}"),
                levels.iter().filter_map(|l| l.when.as_ref()).flat_map(named_refs).collect(),
            );
        }
        // Depth-first search with an explicit stack (a chain of references can be as long as
        // there are segments and tiers, too deep to recurse on wasm's stack). `path` holds the
        // chain being explored, each with the index of its next reference to follow.
        fn visit<'a>(
            start: &'a str,
            refs: &'a BTreeMap<String, Vec<String>>,
            done: &mut std::collections::BTreeSet<&'a str>,
        ) -> Option<Vec<String>> {
            if done.contains(start) {
                return None;
            }
            let mut path: Vec<(&str, usize)> = vec![(start, 0)];
            while let Some((n, next)) = path.last_mut() {
                let name: &str = n;
                let Some(r) = refs.get(name).and_then(|rs| rs.get(*next)) else {
                    done.insert(name);
                    path.pop();
                    continue;
                };
                *next += 1;
                if !refs.contains_key(r) || done.contains(r.as_str()) {
                    continue;
                }
                if let Some(from) = path.iter().position(|(s, _)| *s == r) {
                    let mut cycle: Vec<String> = path[from..].iter().map(|(s, _)| s.to_string()).collect();
                    cycle.push(r.clone());
                    return Some(cycle);
                }
                path.push((r, 0));
            }
            None
        }
        let mut done = std::collections::BTreeSet::new();
        for name in refs.keys() {
            if let Some(cycle) = visit(name, &refs, &mut done) {
                let (kind, first) = cycle[0].split_once(' ').unwrap_or(("segment", &cycle[0]));
                let section = if kind == "tier" { "tiers" } else { "segments" };
                let (section, first) = (section.to_string(), first.to_string());
                return self.at(section, |c| {
                    c.at(first, |c| {
                        Err(c.err(
                            ErrorCode::Cycle,
                            format!("rules refer to each other in a cycle: {}", cycle.join(" → ")),
                        ))
                    })
                });
            }
        }
        Ok(())
    }

    fn tier(&mut self, levels: &[ast::TierLevel]) -> Result<Vec<(String, Option<u32>)>, CompileError> {
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

    fn slot(&mut self, name: &str, slot: &ast::Slot) -> Result<SlotDef, CompileError> {
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

    /// Flattens content to tokens, checking its templates (src/template.rs) and compiling the
    /// vars they imply.
    fn content(&mut self, json: &Json, vars: &BTreeMap<String, Expr>) -> Result<Content, CompileError> {
        let mut toks = Vec::new();
        self.content_into(json, vars, &mut toks, 0, Sink::Text)?;
        Ok(Content(toks))
    }

    /// Checks one content string: block structure, each hole's syntax and HTML context, and the
    /// var each hole names (declared, or a context path compiled here as an implicit var).
    fn template(&mut self, s: &str, vars: &BTreeMap<String, Expr>, sink: Sink) -> Result<(), CompileError> {
        let segs = template::segments(s);
        if segs.iter().all(|seg| matches!(seg, Segment::Text(_))) {
            return Ok(());
        }
        if !self.templates_allowed {
            return Err(
                self.err(ErrorCode::Template, "a slot's default content cannot use {{…}}: it must render without data")
            );
        }
        template::check_blocks(&segs).map_err(|e| self.err(e.code(), e.message))?;
        if sink == Sink::Url && url_scheme_after_hole(&segs) {
            return Err(self.err(
                ErrorCode::TemplateContext,
                "a URL's scheme must be written literally, not built from a {{…}} value",
            ));
        }
        let mut html = HtmlScanner::default();
        let mut branch_starts: Vec<HtmlScanner> = Vec::new();
        for seg in &segs {
            let (inner, is_if) = match seg {
                Segment::Text(t) => {
                    html.feed(t);
                    continue;
                }
                Segment::Else | Segment::EndIf => {
                    let start =
                        if matches!(seg, Segment::Else) { branch_starts.last().cloned() } else { branch_starts.pop() };
                    if sink == Sink::Html && start.as_ref().is_some_and(|st| *st != html) {
                        return Err(self.err(
                            ErrorCode::Template,
                            "an {{#if}} branch must not end inside a tag or attribute it opened",
                        ));
                    }
                    if let Some(st) = start {
                        html = st;
                    }
                    continue;
                }
                Segment::Hole { inner, .. } => (*inner, false),
                Segment::If(inner) => (*inner, true),
            };
            let hole =
                template::parse_hole(inner).map_err(|e| self.err(e.code(), format!("`{{{{{inner}}}}}`: {e}")))?;
            let spot = if sink == Sink::Html { html.spot() } else { HtmlSpot::Text };
            if let HtmlSpot::Unsafe(what) = spot {
                return Err(self.err(
                    ErrorCode::TemplateContext,
                    format!("`{{{{{inner}}}}}` sits in {what}, where no escaping makes a value safe"),
                ));
            }
            if hole.is_raw() && !(sink == Sink::Html && spot == HtmlSpot::Text) {
                return Err(self.err(ErrorCode::TemplateContext, "`raw` is only allowed in HTML fields, between tags"));
            }
            // Unescaped output only of text the bundle itself wrote: a var that is a literal string.
            if hole.is_raw() && !matches!(vars.get(&hole.subject), Some(Expr::Lit(_))) {
                return Err(self.err(
                    ErrorCode::TemplateContext,
                    format!("`{{{{{inner}}}}}`: `raw` only applies to a var that is a literal string, never to data"),
                ));
            }
            if is_if {
                branch_starts.push(html.clone());
            }
            if let Some(target) = hole.subject.strip_prefix("decision.") {
                // Filled from another slot's winner after every slot is decided (decide.rs).
                self.check_decision_ref(target)?;
            } else {
                let name = if is_if { template::condition_var(&hole) } else { hole.canonical() };
                self.implicit_var(name, &hole, vars)?;
            }
            if !is_if {
                // The value occupies the spot: a URL is no longer at its start.
                html.note_hole();
                html.feed(template::HOLE_STAND_IN);
            }
        }
        if html.scheme_after_hole() {
            return Err(self.err(
                ErrorCode::TemplateContext,
                "a URL's scheme must be written literally, not built from a {{…}} value",
            ));
        }
        Ok(())
    }

    /// `decision.SLOT.FIELD`: another slot of this bundle, and one content field of it.
    fn check_decision_ref(&self, target: &str) -> Result<(), CompileError> {
        let Some((slot, field)) = target.split_once('.').filter(|(_, f)| !f.is_empty() && !f.contains('.')) else {
            return Err(
                self.err(ErrorCode::Template, format!("`decision.{target}`: write decision.<slot>.<content field>"))
            );
        };
        if slot == self.current_slot {
            return Err(
                self.err(ErrorCode::Template, format!("`decision.{target}`: a slot cannot read its own decision"))
            );
        }
        if !self.slot_names.iter().any(|s| s == slot) {
            let hint = nearest(slot, self.slot_names.iter().map(String::as_str))
                .map(|s| format!(" (did you mean `{s}`?)"))
                .unwrap_or_default();
            return Err(self.err(ErrorCode::UnknownSlot, format!("`decision.{target}`: no slot named `{slot}`{hint}")));
        }
        let fields = self.slot_fields.get(slot).map(Vec::as_slice).unwrap_or_default();
        if !fields.iter().any(|f| f == field) {
            let hint = nearest(field, fields.iter().map(String::as_str))
                .map(|s| format!(" (did you mean `{s}`?)"))
                .unwrap_or_default();
            return Err(self.err(
                ErrorCode::UnknownField,
                format!("`decision.{target}`: no content of slot `{slot}` has a field `{field}`{hint}"),
            ));
        }
        Ok(())
    }

    /// Registers the var a hole needs unless it is a declared var used as is.
    fn implicit_var(
        &mut self,
        name: String,
        hole: &template::Hole,
        vars: &BTreeMap<String, Expr>,
    ) -> Result<(), CompileError> {
        if vars.contains_key(&name) || self.implicit_vars.iter().any(|(n, _)| *n == name) {
            return Ok(());
        }
        let expr = match vars.get(&hole.subject) {
            Some(declared) => declared.clone(),
            None if hole.subject.contains('.') || SIGNALS.iter().any(|(n, _)| *n == hole.subject) => {
                Expr::Var(hole.subject.clone())
            }
            None => {
                let hint = nearest(&hole.subject, vars.keys().map(String::as_str))
                    .map(|s| format!(" (did you mean `{s}`?)"))
                    .unwrap_or_default();
                return Err(self.err(
                    ErrorCode::UnknownVar,
                    format!("`{{{{{}}}}}` names no var of the variant and no context path{hint}", hole.subject),
                ));
            }
        };
        let (node, _) = self.expr(&expr)?;
        self.implicit_vars.push((name, node));
        Ok(())
    }

    fn content_into(
        &mut self,
        json: &Json,
        vars: &BTreeMap<String, Expr>,
        out: &mut Vec<Tok>,
        depth: usize,
        sink: Sink,
    ) -> Result<(), CompileError> {
        if depth > program::MAX_CONTENT_DEPTH {
            return Err(
                self.err(ErrorCode::Depth, TooDeep { what: "content", limit: program::MAX_CONTENT_DEPTH }.to_string())
            );
        }
        match json {
            Json::Null => out.push(Tok::Null),
            Json::Bool(b) => out.push(Tok::Bool(*b)),
            Json::Num(n) => out.push(Tok::Num(*n)),
            Json::Str(s) => {
                if s.len() > MAX_CONTENT_STRING_BYTES {
                    return Err(self.err(
                        ErrorCode::Limit,
                        format!("a content string of {} bytes, the limit is {MAX_CONTENT_STRING_BYTES}", s.len()),
                    ));
                }
                self.template(s, vars, sink)?;
                out.push(Tok::Str(s.clone()));
            }
            Json::Arr(items) => {
                out.push(Tok::Arr(items.len() as u32));
                for (i, item) in items.iter().enumerate() {
                    self.at(format!("[{i}]"), |c| c.content_into(item, vars, out, depth + 1, sink))?;
                }
            }
            Json::Obj(entries) => {
                out.push(Tok::Obj(entries.len() as u32));
                for (k, v) in entries {
                    if k.len() > MAX_NAME_BYTES {
                        return Err(
                            self.err(ErrorCode::Name, format!("a content key must be at most {MAX_NAME_BYTES} bytes"))
                        );
                    }
                    out.push(Tok::Str(k.clone()));
                    self.at(k.clone(), |c| c.content_into(v, vars, out, depth + 1, Sink::for_key(k)))?;
                }
            }
        }
        Ok(())
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

    fn condition(&mut self, e: &Expr) -> Result<u32, CompileError> {
        self.value_of(e, &[Ty::Bool, Ty::Any], "a condition (true/false)")
    }

    fn value_of(&mut self, e: &Expr, allowed: &[Ty], what: &str) -> Result<u32, CompileError> {
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

    fn expr(&mut self, e: &Expr) -> Result<(u32, Ty), CompileError> {
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
                (Node::Agg(*op, query), ty)
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
                (Node::Sequence(Box::new(spec)), Ty::Bool)
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

    fn lit(&self, l: &ast::Lit) -> Result<(Lit, Ty), CompileError> {
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

    fn lits(&self, items: &[ast::Lit]) -> Result<Vec<Lit>, CompileError> {
        items.iter().map(|l| self.lit(l).map(|(l, _)| l)).collect()
    }

    fn var(&mut self, name: &str) -> Result<(Node, Ty), CompileError> {
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

    fn query(&mut self, q: &ast::EventQuery, needs_prop: bool) -> Result<Query, CompileError> {
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

/// Segments and tier tables an expression refers to directly, as `segment NAME` / `tier NAME`.
fn named_refs(e: &Expr) -> Vec<String> {
    let mut out = Vec::new();
    fn walk(e: &Expr, out: &mut Vec<String>) {
        match e {
            Expr::Segment(n) => out.push(format!("segment {n}")),
            Expr::Tier(n) => out.push(format!("tier {n}")),
            Expr::All(v) | Expr::Any(v) | Expr::Arith(_, v) | Expr::Coalesce(v) => v.iter().for_each(|x| walk(x, out)),
            Expr::Not(a)
            | Expr::Exists(a)
            | Expr::Missing(a)
            | Expr::Lower(a)
            | Expr::Round(a, _)
            | Expr::DaysUntil(a)
            | Expr::DaysSince(a)
            | Expr::In(a, _) => walk(a, out),
            Expr::Cmp(_, a, b) | Expr::Str(_, a, b) => {
                walk(a, out);
                walk(b, out);
            }
            Expr::Between(a, b, c) => {
                walk(a, out);
                walk(b, out);
                walk(c, out);
            }
            _ => {}
        }
    }
    walk(e, &mut out);
    out
}
