//! Content: flattened to tokens, its `{{…}}` templates checked against their HTML or URL context.

use super::{Compiler, MAX_NAME_BYTES};
use crate::error::{CompileError, ErrorCode};
use crate::escape::{HtmlScanner, HtmlSpot, Sink};
use crate::limits::{TooDeep, MAX_CONTENT_STRING_BYTES};
use crate::program::{self, Content, Tok, SIGNALS};
use crate::rules::ast::{Expr, Json};
use crate::suggest::nearest;
use crate::template::{self, Segment};
use std::collections::BTreeMap;

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

impl Compiler {
    /// Flattens content to tokens, checking its templates (src/template/) and compiling the
    /// vars they imply.
    pub(super) fn content(&mut self, json: &Json, vars: &BTreeMap<String, Expr>) -> Result<Content, CompileError> {
        let mut toks = Vec::new();
        self.content_into(json, vars, &mut toks, 0, Sink::Text)?;
        Ok(Content(toks.into()))
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
}
