//! The one projection from a decision to output: what a slot's element, email or command-line
//! answer becomes. Every surface uses it: the page module (its decisions carry these patches),
//! the Worker's HTMLRewriter applier, `kairos rewrite` (lol_html) and `kairos render`, so the same
//! decision renders the same everywhere. It covers the text fallback ([`TEXT_FIELDS`]), allowed
//! attributes ([`safe_attribute`]), URL safety, the variant marker and HTML content. No
//! serde_json: the page build carries it.

use crate::decide::{substitute, SlotDecision};
use crate::escape::Sink;
use crate::program::Tok;
use crate::Decision;
use serde::Serialize;
use std::collections::HashMap;

/// The fields, in order, whose string is a slot's plain text when its content has no `html`:
/// what a page element shows first (a headline over a title over a label), `body` last, for
/// email-shaped content that has nothing else.
pub const TEXT_FIELDS: &[&str] = &["text", "headline", "title", "label", "body"];

/// The attribute every decided element is marked with (its value: the variant id).
pub const VARIANT_ATTR: &str = "data-kairos-variant";

/// What a slot rewritten at the edge keeps its origin markup in: an inert `<template>` first in
/// the element, so a later default decision in the page restores the origin's content rather
/// than the edge's (docs/handoff.md). The rewriters put [`ORIGIN_OPEN`] before the element's
/// own content and [`ORIGIN_CLOSE`] and the variant's content after it, while it streams.
pub const ORIGIN_OPEN: &str = "<template data-kairos-origin>";
/// Closes [`ORIGIN_OPEN`].
pub const ORIGIN_CLOSE: &str = "</template>";

/// What one slot's element becomes.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct SlotPatch {
    /// The variant id, written as [`VARIANT_ATTR`].
    pub variant: String,
    /// Bundle-authored HTML whose `{{vars}}` the core already escaped; set as markup.
    pub html: Option<String>,
    /// Plain text (when there is no `html`), set as text: escaped by whoever writes markup.
    pub text: Option<String>,
    /// Attributes that passed [`safe_attribute`], in content order, names in lower case, values
    /// as they are meant (not markup-escaped).
    pub attrs: Vec<(String, String)>,
}

impl SlotPatch {
    /// The patch with attribute values as lol_html and HTMLRewriter take them ([`attr_text`]).
    pub fn for_rewriter(&self) -> SlotPatch {
        let attrs = self.attrs.iter().map(|(k, v)| (k.clone(), attr_text(v))).collect();
        SlotPatch { attrs, ..self.clone() }
    }

    /// The slot as an HTML fragment (an email body at open time): its HTML, else its text as an
    /// escaped paragraph, else nothing.
    pub fn to_html(&self) -> String {
        match (&self.html, &self.text) {
            (Some(html), _) => html.clone(),
            (None, Some(text)) => {
                let mut out = String::from("<p>");
                Sink::Html.push_escaped(&mut out, text);
                out.push_str("</p>");
                out
            }
            (None, None) => String::new(),
        }
    }
}

/// Patches for a decision's non-default slots, by slot name. Default slots keep the page's own markup.
pub fn patches(decision: &Decision) -> HashMap<String, SlotPatch> {
    decision.slots.iter().filter(|s| !s.is_default).map(|s| (s.slot.clone(), project(s))).collect()
}

/// What one decided slot becomes.
pub fn project(slot: &SlotDecision) -> SlotPatch {
    let mut p = SlotPatch { variant: slot.variant.clone(), html: None, text: None, attrs: Vec::new() };
    let vars = &slot.content.vars;
    let mut toks = slot.content.tokens.0.iter();
    match toks.next() {
        Some(Tok::Str(s)) => p.text = Some(substitute(s, vars, Sink::Text)),
        Some(Tok::Obj(n)) => {
            let mut texts: Vec<(usize, String)> = Vec::new();
            for _ in 0..*n {
                let key = match toks.next() {
                    Some(Tok::Str(k)) => k.as_str(),
                    _ => "",
                };
                match (key, toks.clone().next()) {
                    ("html", Some(Tok::Str(v))) => p.html = Some(substitute(v, vars, Sink::for_key(key))),
                    ("attrs", Some(Tok::Obj(_))) => p.attrs = attributes(&mut toks.clone(), vars),
                    (_, Some(Tok::Str(v))) => {
                        if let Some(rank) = TEXT_FIELDS.iter().position(|f| *f == key) {
                            texts.push((rank, substitute(v, vars, Sink::for_key(key))));
                        }
                    }
                    _ => {}
                }
                skip_value(&mut toks);
            }
            if p.html.is_none() {
                p.text = texts.into_iter().min_by_key(|(rank, _)| *rank).map(|(_, t)| t);
            }
        }
        _ => {}
    }
    p
}

/// The `attrs` object's safe scalar attributes (objects and arrays are not attribute values).
fn attributes(toks: &mut std::slice::Iter<'_, Tok>, vars: &[(String, String)]) -> Vec<(String, String)> {
    let Some(Tok::Obj(n)) = toks.next() else { return Vec::new() };
    let mut out = Vec::new();
    for _ in 0..*n {
        let name = match toks.next() {
            Some(Tok::Str(k)) => k.clone(),
            _ => String::new(),
        };
        let value = match toks.clone().next() {
            Some(Tok::Str(v)) => Some(substitute(v, vars, Sink::for_key(&name))),
            Some(Tok::Num(x)) if x.fract() == 0.0 && x.abs() < 9e15 => Some((*x as i64).to_string()),
            Some(Tok::Num(x)) => Some(x.to_string()),
            Some(Tok::Bool(b)) => Some(b.to_string()),
            _ => None,
        };
        skip_value(toks);
        if let Some(value) = value.filter(|v| safe_attribute(&name, v)) {
            out.push((name.to_ascii_lowercase(), value));
        }
    }
    out
}

/// Moves past one value of the token stream (its depth was bounded at load).
fn skip_value(toks: &mut std::slice::Iter<'_, Tok>) {
    match toks.next() {
        Some(Tok::Arr(n)) => (0..*n).for_each(|_| skip_value(toks)),
        Some(Tok::Obj(n)) => (0..*n).for_each(|_| {
            toks.next();
            skip_value(toks)
        }),
        _ => {}
    }
}

/// Attributes a variant may set: presentation and link attributes, `aria-*` and `data-*`.
/// An allow list, because the deny-list alternative keeps missing one (`srcdoc`, `formaction`, `style`…).
pub const ALLOWED_ATTRS: &[&str] = &[
    "class", "id", "title", "alt", "href", "src", "target", "rel", "lang", "dir", "role", "width", "height", "loading",
    "hidden",
];
/// Attributes holding a URL: allowed only with a safe scheme ([`crate::escape::safe_url`]).
pub const URL_ATTRS: &[&str] = &["href", "src"];

/// Allowed names only (see [`ALLOWED_ATTRS`]), and URL attributes only with safe schemes.
pub fn safe_attribute(name: &str, value: &str) -> bool {
    let lower = name.to_ascii_lowercase();
    let well_formed =
        name.len() <= 64 && lower.bytes().all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'-');
    let allowed = ALLOWED_ATTRS.contains(&lower.as_str())
        || (lower.starts_with("aria-") || lower.starts_with("data-")) && !lower.starts_with("data-kairos-");
    if !well_formed || !allowed {
        return false;
    }
    // Entities (`javascript&#58;`) cannot hide a scheme: values are written with `&` escaped ([`attr_text`]).
    !URL_ATTRS.contains(&lower.as_str()) || crate::escape::safe_url(value)
}

/// An attribute value as lol_html and HTMLRewriter should receive it: they escape quotes but
/// not `&`, so `&` is escaped here and character references in data stay literal text.
pub fn attr_text(value: &str) -> String {
    value.replace('&', "&amp;")
}
