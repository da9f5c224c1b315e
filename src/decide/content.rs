//! Content for a decision: `{{var}}` substitution with escaping by sink and spot, the size
//! limit on rendered content, the `decision.SLOT.FIELD` holes filled from other slots, and the
//! `Serialize` of [`RenderedContent`] straight from the compiled tokens.

use super::{default_decision, Options, RenderedContent, SlotDecision};
use crate::escape::{push_html_escaped, HtmlScanner, Sink};
use crate::eval::Val;
use crate::limits::MAX_RENDERED_BYTES;
use crate::program::{Content, Tok};
use crate::template::{self, Segment};
use serde::ser::{SerializeMap, SerializeSeq};
use serde::{Serialize, Serializer};
use std::cell::RefCell;

pub(super) fn too_large(size: usize) -> String {
    format!("its content would render to {size} bytes, the limit is {MAX_RENDERED_BYTES}")
}

/// `Some(size)` when `content` filled with `vars` would render past [`MAX_RENDERED_BYTES`].
/// A cheap bound first (escaping at most sextuples a value; a blocked URL becomes 12 bytes);
/// only content that may be over it is rendered, for each string in whichever of the three
/// escapings is longest.
pub(super) fn rendered_over_limit(content: &Content, vars: &[(String, String)]) -> Option<usize> {
    let longest = vars.iter().map(|(_, v)| v.len()).max().unwrap_or(0);
    let per_hole = longest.saturating_mul(6).saturating_add(12);
    let strings = || content.0.iter().filter_map(|t| if let Tok::Str(s) = t { Some(s.as_str()) } else { None });
    // "{{" occurs at most len/2 times, so small content needs no search.
    let total = strings().fold(0usize, |n, s| n.saturating_add(s.len()));
    if total.saturating_add((total / 2).saturating_mul(per_hole)) <= MAX_RENDERED_BYTES {
        return None;
    }
    let bound =
        strings().fold(0usize, |n, s| n.saturating_add(s.len()).saturating_add(s.matches("{{").count() * per_hole));
    if bound <= MAX_RENDERED_BYTES {
        return None;
    }
    let size = strings().fold(0usize, |n, s| {
        let widest = [Sink::Text, Sink::Html, Sink::Url].iter().map(|k| substitute(s, vars, *k).len()).max();
        n.saturating_add(widest.unwrap_or(0))
    });
    (size > MAX_RENDERED_BYTES).then_some(size)
}

/// Fills `{{decision.SLOT.FIELD}}` holes from the other slots' decisions, once every slot is
/// decided (one level: a field that itself reads another decision is used as written). A hole
/// with no value and no `default` sends its slot to the default, like any unknown var; that can
/// take a field away from another slot, so this repeats until nothing changes.
pub(super) fn resolve_decision_refs(prog: &crate::Program, slots: &mut [SlotDecision], opts: Options) {
    let holes: Vec<_> = slots.iter().map(|s| decision_holes(&s.content.tokens)).collect();
    if holes.iter().all(Vec::is_empty) {
        return;
    }
    let fill = |slots: &[SlotDecision], i: usize| -> Result<Vec<(String, String)>, String> {
        let mut filled = Vec::new();
        for (name, hole, is_if) in &holes[i] {
            let target = hole.subject.trim_start_matches("decision.");
            let (slot, field) = target.split_once('.').unwrap_or((target, ""));
            let value = slots.iter().find(|s| s.slot == slot).and_then(|s| top_field(s, field));
            let text = match (value, is_if) {
                // Same truth as other conditions: known and non-empty.
                (v, true) => Some(if v.is_some_and(|v| !v.is_empty()) { "true".into() } else { String::new() }),
                (Some(v), false) => Some(template::apply_filters(template::Value::Str(&v), &hole.filters, None)),
                (None, false) => hole.default_text().map(str::to_owned),
            };
            filled.push((name.clone(), text.ok_or_else(|| hole.subject.clone())?));
        }
        Ok(filled)
    };
    // Each pass that changes something sends at least one more slot to its default, so n + 1
    // passes always end with one that changes nothing.
    for _ in 0..=slots.len() {
        let mut changed = false;
        for i in 0..slots.len() {
            if slots[i].is_default || holes[i].is_empty() {
                continue;
            }
            if let Err(subject) = fill(slots, i) {
                let summary =
                    format!("{{{{{subject}}}}} has no value, so the content would have a hole: default shown");
                slots[i] = default_decision(&prog.slots[i], super::reason::UNDECIDED, opts, &summary, Vec::new(), true);
                changed = true;
            }
        }
        if !changed {
            break;
        }
    }
    for i in 0..slots.len() {
        if slots[i].is_default || holes[i].is_empty() {
            continue;
        }
        if let Ok(filled) = fill(slots, i) {
            slots[i].content.vars.extend(filled.iter().cloned());
            slots[i].vars.extend(filled);
            // Another slot's field can be large: the filled content is held to the limit too.
            if let Some(size) = rendered_over_limit(&slots[i].content.tokens, &slots[i].content.vars) {
                let summary = format!("{}: default shown", too_large(size));
                slots[i] = default_decision(&prog.slots[i], super::reason::UNDECIDED, opts, &summary, Vec::new(), true);
            }
        }
    }
}

/// The `decision.*` holes and conditions of some content: (var name, hole, is a condition).
pub(crate) fn decision_holes(content: &Content) -> Vec<(String, template::Hole, bool)> {
    let mut out: Vec<(String, template::Hole, bool)> = Vec::new();
    for tok in content.0.iter() {
        let Tok::Str(s) = tok else { continue };
        if !s.contains("decision.") {
            continue;
        }
        for seg in template::segments(s) {
            let (inner, is_if) = match seg {
                Segment::Hole { inner, .. } => (inner, false),
                Segment::If(inner) => (inner, true),
                _ => continue,
            };
            let Ok(hole) = template::parse_hole(inner) else { continue };
            if hole.subject.starts_with("decision.") {
                let name = if is_if { template::condition_var(&hole) } else { hole.canonical() };
                if !out.iter().any(|(n, _, _)| *n == name) {
                    out.push((name, hole, is_if));
                }
            }
        }
    }
    out
}

/// A top-level content field of a decided slot, as text with its vars filled.
fn top_field(slot: &SlotDecision, field: &str) -> Option<String> {
    let toks = &slot.content.tokens.0;
    let Some(Tok::Obj(n)) = toks.first() else { return None };
    let mut i = 1;
    for _ in 0..*n {
        let key = match toks.get(i)? {
            Tok::Str(k) => k.as_str(),
            _ => return None,
        };
        i += 1;
        if key == field {
            return match toks.get(i)? {
                Tok::Str(v) => Some(substitute(v, &slot.content.vars, Sink::Text)),
                Tok::Num(x) => Some(crate::eval::fmt_num(*x)),
                Tok::Bool(b) => Some(b.to_string()),
                _ => None,
            };
        }
        i = skip_value(toks, i)?;
    }
    None
}

/// The index after the value starting at `i` (depth was bounded at load).
fn skip_value(toks: &[Tok], i: usize) -> Option<usize> {
    match toks.get(i)? {
        Tok::Arr(n) => (0..*n).try_fold(i + 1, |j, _| skip_value(toks, j)),
        Tok::Obj(n) => (0..*n).try_fold(i + 1, |j, _| skip_value(toks, j + 1)),
        _ => Some(i + 1),
    }
}

/// A var's text for the content: conditions (`#if …`) become `true` or empty (unknown is
/// false), filtered holes are formatted (an unknown value takes its `default`), plain vars render
/// as is. None: unknown with no default, so the variant cannot be shown.
pub(super) fn hole_text(name: &str, val: &Val, zone: impl FnOnce() -> Option<crate::time::TimeZone>) -> Option<String> {
    if name.starts_with("#if ") {
        let truthy = match val {
            Val::Bool(b) => *b,
            Val::Num(n) => *n != 0.0,
            Val::Str(s) => !s.is_empty(),
            Val::Unknown => false,
        };
        return Some(if truthy { "true".into() } else { String::new() });
    }
    if !name.contains(" | ") {
        return (!matches!(val, Val::Unknown)).then(|| val.render());
    }
    let hole = template::parse_hole(name).ok()?;
    let value = match val {
        Val::Unknown => return hole.default_text().map(str::to_owned),
        Val::Num(n) => template::Value::Num(*n),
        Val::Str(s) => template::Value::Str(s),
        Val::Bool(b) => template::Value::Bool(*b),
    };
    let needs_zone = hole.filters.iter().any(|f| matches!(f, template::Filter::Date(_)));
    let zone = if needs_zone { zone() } else { None };
    Some(template::apply_filters(value, &hole.filters, zone.as_ref()))
}

/// Renders a content template with the variant's var values, each escaped for where it lands:
/// by field (`sink`), and inside HTML fields by its spot (text, attribute, URL). `{{#if}}` blocks
/// keep the branch their condition var chose. Unknown names are left as written.
pub fn substitute(s: &str, vars: &[(String, String)], sink: Sink) -> String {
    if !s.contains("{{") {
        return s.to_owned();
    }
    let lookup = |name: &str| vars.iter().find(|(k, _)| k == name).map(|(_, v)| v.as_str());
    let mut out = String::with_capacity(s.len());
    let mut html = HtmlScanner::default();
    // Per open #if: (was the enclosing text shown, did the condition hold).
    let mut blocks: Vec<(bool, bool)> = Vec::new();
    let mut shown = true;
    for seg in template::segments(s) {
        match seg {
            Segment::Text(t) if shown => {
                out.push_str(t);
                html.feed(t);
            }
            Segment::Text(_) => {}
            Segment::If(inner) => {
                let holds = template::parse_hole(inner)
                    .ok()
                    .and_then(|h| lookup(&template::condition_var(&h)))
                    .is_some_and(|v| !v.is_empty());
                blocks.push((shown, holds));
                shown = shown && holds;
            }
            Segment::Else => {
                if let Some((outer, holds)) = blocks.last() {
                    shown = *outer && !holds;
                }
            }
            Segment::EndIf => {
                if let Some((outer, _)) = blocks.pop() {
                    shown = outer;
                }
            }
            Segment::Hole { .. } if !shown => {}
            Segment::Hole { inner, raw } => {
                let hole = template::parse_hole(inner).ok();
                let value = hole.as_ref().and_then(|h| lookup(&h.canonical())).or_else(|| lookup(inner));
                match (value, hole) {
                    (Some(v), Some(h)) if h.is_raw() && sink == Sink::Html => out.push_str(v),
                    (Some(v), _) if sink == Sink::Html => push_html_escaped(&mut out, &html.spot(), v),
                    (Some(v), _) => sink.push_escaped(&mut out, v),
                    (None, _) => out.push_str(raw),
                }
                html.note_hole();
                html.feed(template::HOLE_STAND_IN);
            }
        }
    }
    out
}

impl Serialize for RenderedContent {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        let mut toks = self.tokens.0.iter();
        if self.tokens.0.is_empty() {
            return s.serialize_unit();
        }
        Next(RefCell::new(Tokens { toks: &mut toks, vars: &self.vars, sink: Sink::Text })).serialize(s)
    }
}

/// Serialises the next value from the token stream (depth was bounded at load).
struct Tokens<'a, 'b> {
    toks: &'b mut std::slice::Iter<'a, Tok>,
    vars: &'b [(String, String)],
    /// How var values are escaped: decided by the nearest object key above (`html`, `href`, …).
    sink: Sink,
}

impl Tokens<'_, '_> {
    fn next_value<S: Serializer>(&mut self, s: S) -> Result<S::Ok, S::Error> {
        match self.toks.next() {
            None | Some(Tok::Null) => s.serialize_unit(),
            Some(Tok::Bool(b)) => s.serialize_bool(*b),
            Some(Tok::Num(n)) if n.fract() == 0.0 && n.abs() < 9e15 => s.serialize_i64(*n as i64),
            Some(Tok::Num(n)) => s.serialize_f64(*n),
            Some(Tok::Str(v)) => s.serialize_str(&substitute(v, self.vars, self.sink)),
            Some(Tok::Arr(n)) => {
                let mut seq = s.serialize_seq(Some(*n as usize))?;
                for _ in 0..*n {
                    let item = Tokens { toks: &mut *self.toks, vars: self.vars, sink: self.sink };
                    seq.serialize_element(&Next(RefCell::new(item)))?;
                }
                seq.end()
            }
            Some(Tok::Obj(n)) => {
                let mut m = s.serialize_map(Some(*n as usize))?;
                for _ in 0..*n {
                    let key = match self.toks.next() {
                        Some(Tok::Str(k)) => k.as_str(),
                        _ => "",
                    };
                    let value = Tokens { toks: &mut *self.toks, vars: self.vars, sink: Sink::for_key(key) };
                    m.serialize_entry(key, &Next(RefCell::new(value)))?;
                }
                m.end()
            }
        }
    }
}

/// Adapter: serde's `Serialize` takes `&self`, but reading tokens advances an iterator.
struct Next<'a, 'b>(RefCell<Tokens<'a, 'b>>);

impl Serialize for Next<'_, '_> {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        self.0.borrow_mut().next_value(s)
    }
}
