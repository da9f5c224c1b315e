//! Choosing a variant for every slot, and saying why.
//!
//! Order of checks per decision: consent (none → every default, history unread),
//! holdout (in it → every default), then per slot: eligibility (three-valued),
//! conversion suppression, frequency cap, vars; the survivors are ranked by
//! priority, then score, then bundle order. No survivor → the slot's default.

use crate::context::Context;
use crate::describe::why_not;
use crate::error::ErrorCode;
use crate::escape::{push_html_escaped, HtmlScanner, Sink};
use crate::eval::{Eval, SharedScans, Tri, Val};
use crate::history::History;
use crate::limits::MAX_RENDERED_BYTES;
use crate::program::{Content, SlotDef, Tok, VariantDef};
use crate::template::{self, Segment};
use crate::Engine;
use serde::ser::{SerializeMap, SerializeSeq};
use serde::{Serialize, Serializer};
use std::cell::RefCell;

/// What `decide` returns.
#[derive(Debug, Clone, Serialize)]
pub struct Decision {
    /// Slot decisions in bundle order (serialised as an object keyed by slot).
    #[serde(serialize_with = "slots_as_map")]
    pub slots: Vec<SlotDecision>,
    /// Whether personalisation consent was given.
    pub consent: bool,
    /// Whether this customer is in the bundle's holdout group.
    pub holdout: bool,
    /// Signals that were missing anywhere in this decision.
    pub missing: Vec<String>,
}

/// One slot's outcome: which variant, its rendered content, and why.
#[derive(Debug, Clone, Serialize)]
pub struct SlotDecision {
    /// The slot's name (the key of [`Decision::slots`] when serialised).
    #[serde(skip)]
    pub slot: String,
    /// Id of the variant shown (the default's id when `is_default`).
    pub variant: String,
    /// Whether the slot fell back to its default.
    pub is_default: bool,
    /// What to show, templates filled and values escaped.
    pub content: RenderedContent,
    /// The winner's var values as substituted (name → text).
    #[serde(skip_serializing_if = "Vec::is_empty", serialize_with = "pairs_as_map")]
    pub vars: Vec<(String, String)>,
    /// Short machine-readable reason: `rule`, `no_consent`, `holdout`, `no_eligible_variant`, `undecided`.
    pub reason: &'static str,
    /// Why, with every candidate, when [`Options::explain`] asked.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub explain: Option<SlotExplain>,
}

/// Why a slot decided as it did.
#[derive(Debug, Clone, Serialize)]
pub struct SlotExplain {
    /// Why the winner won, or why the default was used, in words.
    pub summary: String,
    /// Every variant of the slot, in bundle order, with what was true of it.
    pub candidates: Vec<Candidate>,
}

/// One variant as the decision saw it.
#[derive(Debug, Clone, Serialize)]
pub struct Candidate {
    /// The variant's id.
    pub variant: String,
    /// `true`, `false` or `unknown`.
    pub eligible: &'static str,
    /// Its priority, as compiled.
    pub priority: i32,
    /// Its score, when it was eligible and has one.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub score: Option<f64>,
    /// The condition that failed (or could not be decided), with the values seen.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub failed: Option<String>,
    /// Signals its condition needed and the context lacked.
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub missing: Vec<String>,
    /// Eligible but not allowed: capped, converted, or a var was unknown.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub excluded: Option<String>,
}

/// Content with `{{var}}` substituted, serialised as plain JSON.
#[derive(Debug, Clone)]
pub struct RenderedContent {
    /// The compiled content, as tokens.
    pub tokens: Content,
    /// Values for its holes (name → text), substituted and escaped when serialised.
    pub vars: Vec<(String, String)>,
}

/// Decision options.
#[derive(Debug, Clone, Copy, Default)]
pub struct Options {
    /// Build explanations (costs a second look at failed rules).
    pub explain: bool,
}

struct Survivor {
    index: usize,
    priority: i32,
    score: Option<f64>,
    vars: Vec<(String, String)>,
}

/// The private half of deciding: one engine's rules applied to one context. [`Engine`]'s
/// public methods (src/engine.rs) are the way in.
pub(crate) struct Decider<'e> {
    pub(crate) engine: &'e Engine,
}

impl Decider<'_> {
    /// Every segment's truth, on a history index of its own (decisions that read no history).
    fn segments_alone(&self, ctx: &Context, out: &mut Vec<Tri>) {
        let prog = &self.engine.program;
        let hist = History::index(
            &ctx.events.0,
            ctx.now.0,
            prog.max_history as usize,
            &self.engine.event_ids,
            self.engine.event_names,
        );
        let shared = self.engine.shared.get_or_init(|| SharedScans::of(prog));
        let mut ev = Eval::new(prog, ctx, &hist).sharing(shared);
        out.extend((0..prog.segments.len() as u32).map(|id| ev.segment(id)));
    }

    pub(crate) fn decide_inner(
        &self,
        ctx: &Context,
        opts: Options,
        segments: Option<&mut Vec<Tri>>,
        content: bool,
    ) -> Decision {
        let prog = &self.engine.program;
        let consent = ctx.has_consent();
        if !consent {
            if let Some(out) = segments {
                self.segments_alone(ctx, out);
            }
            let summary = "no personalisation consent: default shown, history not read";
            return Decision {
                slots: prog
                    .slots
                    .iter()
                    .map(|s| default_decision(s, "no_consent", opts, summary, Vec::new(), content))
                    .collect(),
                consent,
                holdout: false,
                missing: Vec::new(),
            };
        }
        let mut missing = Vec::new();
        let in_holdout = match (&prog.holdout, &ctx.customer_id) {
            (None, _) => false,
            (Some(h), Some(id)) => crate::bucket::bucket(&h.salt, &id.0) < h.threshold,
            // Without a stable id the group cannot be known; defaults keep the measurement clean.
            (Some(_), None) => {
                missing.push("customer.id".to_string());
                true
            }
        };
        if in_holdout {
            if let Some(out) = segments {
                self.segments_alone(ctx, out);
            }
            let summary = "customer is in the holdout group: default shown";
            return Decision {
                slots: prog
                    .slots
                    .iter()
                    .map(|s| default_decision(s, "holdout", opts, summary, Vec::new(), content))
                    .collect(),
                consent,
                holdout: true,
                missing,
            };
        }
        let hist = History::index(
            &ctx.events.0,
            ctx.now.0,
            prog.max_history as usize,
            &self.engine.event_ids,
            self.engine.event_names,
        );
        let shared = self.engine.shared.get_or_init(|| SharedScans::of(prog));
        let mut ev = Eval::new(prog, ctx, &hist).sharing(shared);
        let mut slots: Vec<SlotDecision> =
            prog.slots.iter().map(|slot| self.decide_slot(&mut ev, slot, opts, content)).collect();
        if content {
            resolve_decision_refs(prog, &mut slots, opts);
        }
        if let Some(out) = segments {
            let decided = ev.missing.len();
            out.extend((0..prog.segments.len() as u32).map(|id| ev.segment(id)));
            ev.missing.truncate(decided);
        }
        for m in ev.missing {
            if !missing.contains(&m) {
                missing.push(m);
            }
        }
        Decision { slots, consent, holdout: false, missing }
    }

    fn decide_slot(&self, ev: &mut Eval, slot: &SlotDef, opts: Options, content: bool) -> SlotDecision {
        let mut candidates = Vec::new();
        let mut survivors: Vec<Survivor> = Vec::new();
        let mut undecided = false;
        for (index, v) in slot.variants.iter().enumerate() {
            let before = ev.missing.len();
            let eligible = v.when.map_or(Tri::True, |w| ev.truth(w));
            // The candidate record is only for explanations: not built (nor its id cloned) otherwise.
            let mut cand = opts.explain.then(|| Candidate {
                variant: v.id.clone(),
                eligible: eligible.as_str(),
                priority: v.priority,
                score: None,
                failed: None,
                missing: Vec::new(),
                excluded: None,
            });
            if eligible == Tri::True {
                match self.admit(ev, slot, v) {
                    Ok(vars) => {
                        let score = v.score.and_then(|s| match ev.val(s) {
                            Val::Num(n) => Some(n),
                            _ => None,
                        });
                        if let Some(c) = &mut cand {
                            c.score = score;
                        }
                        survivors.push(Survivor { index, priority: v.priority, score, vars });
                    }
                    Err(why) => {
                        if let Some(c) = &mut cand {
                            c.excluded = Some(why);
                        }
                    }
                }
            } else {
                undecided |= eligible == Tri::Unknown;
                if let Some(c) = &mut cand {
                    c.failed = v.when.map(|w| why_not(ev, w));
                }
            }
            if let Some(mut c) = cand {
                c.missing = ev.missing.get(before..).unwrap_or_default().to_vec();
                candidates.push(c);
            }
        }
        // Priority, then score (a missing score ranks below any score), then bundle order.
        let best = survivors.into_iter().min_by(|a, b| {
            b.priority
                .cmp(&a.priority)
                .then_with(|| b.score.unwrap_or(f64::NEG_INFINITY).total_cmp(&a.score.unwrap_or(f64::NEG_INFINITY)))
                .then_with(|| a.index.cmp(&b.index))
        });
        let eligible_count = candidates.iter().filter(|c| c.eligible == "true" && c.excluded.is_none()).count();
        match best {
            Some(win) => {
                let v = &slot.variants[win.index];
                let explain = opts.explain.then(|| SlotExplain {
                    summary: format!(
                        "`{}` won among {eligible_count} eligible variant(s): priority {}{}",
                        v.id,
                        v.priority,
                        win.score.map(|s| format!(", score {s}")).unwrap_or_default()
                    ),
                    candidates,
                });
                SlotDecision {
                    slot: slot.name.clone(),
                    variant: v.id.clone(),
                    is_default: false,
                    content: if content {
                        RenderedContent { tokens: v.content.clone(), vars: win.vars.clone() }
                    } else {
                        RenderedContent { tokens: Content::default(), vars: Vec::new() }
                    },
                    vars: win.vars,
                    reason: "rule",
                    explain,
                }
            }
            None => {
                let (reason, summary) = if undecided {
                    ("undecided", "no variant was eligible; some could not be decided because signals were missing: default shown")
                } else {
                    ("no_eligible_variant", "no variant was eligible: default shown")
                };
                default_decision(slot, reason, opts, summary, candidates, content)
            }
        }
    }

    /// An eligible variant still needs: no conversion (if suppressed), room under its cap, known vars.
    fn admit(&self, ev: &mut Eval, slot: &SlotDef, v: &VariantDef) -> Result<Vec<(String, String)>, String> {
        use crate::context::Scalar;
        // Compared in place: building a `Scalar` to compare against cost a String per event.
        let names = |e: &crate::context::Event| {
            matches!(e.prop("variant"), Some(Scalar::Str(x)) if *x == v.id)
                && e.prop("slot").is_none_or(|s| matches!(s, Scalar::Str(x) if *x == slot.name))
        };
        if v.suppress_after_conversion && ev.hist.window(self.engine.conversion_id, None).iter().any(|e| names(e)) {
            return Err("converted already: suppressed".into());
        }
        if let Some((max, within)) = v.cap {
            let shown = ev
                .hist
                .window(self.engine.exposure_id, Some(ev.ctx.now.0.saturating_sub(within)))
                .iter()
                .filter(|e| names(e))
                .count();
            if shown >= max as usize {
                return Err(format!(
                    "frequency cap reached: shown {shown} times in {}",
                    crate::time::format_duration(within)
                ));
            }
        }
        let mut vars = Vec::with_capacity(v.vars.len());
        let mut zone = None;
        for (name, node) in &v.vars {
            let val = ev.val(*node);
            match hole_text(name, &val, || {
                zone.get_or_insert_with(|| {
                    crate::signals::zone(ev.ctx, self.engine.program.default_timezone.as_deref()).ok()
                })
                .clone()
            }) {
                Some(text) => vars.push((name.clone(), text)),
                None => return Err(format!("var `{name}` is unknown, so the content would have a hole")),
            }
        }
        if let Some(size) = rendered_over_limit(&v.content, &vars) {
            return Err(too_large(size));
        }
        Ok(vars)
    }
}

fn too_large(size: usize) -> String {
    format!("its content would render to {size} bytes, the limit is {MAX_RENDERED_BYTES}")
}

/// `Some(size)` when `content` filled with `vars` would render past [`MAX_RENDERED_BYTES`].
/// A cheap bound first (escaping at most sextuples a value; a blocked URL becomes 12 bytes);
/// only content that may be over it is rendered, for each string in whichever of the three
/// escapings is longest.
fn rendered_over_limit(content: &Content, vars: &[(String, String)]) -> Option<usize> {
    let longest = vars.iter().map(|(_, v)| v.len()).max().unwrap_or(0);
    let per_hole = longest.saturating_mul(6).saturating_add(12);
    let strings = || content.0.iter().filter_map(|t| if let Tok::Str(s) = t { Some(s.as_str()) } else { None });
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
fn resolve_decision_refs(prog: &crate::Program, slots: &mut [SlotDecision], opts: Options) {
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
                slots[i] = default_decision(&prog.slots[i], "undecided", opts, &summary, Vec::new(), true);
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
                slots[i] = default_decision(&prog.slots[i], "undecided", opts, &summary, Vec::new(), true);
            }
        }
    }
}

/// The `decision.*` holes and conditions of some content: (var name, hole, is a condition).
pub(crate) fn decision_holes(content: &Content) -> Vec<(String, template::Hole, bool)> {
    let mut out: Vec<(String, template::Hole, bool)> = Vec::new();
    for tok in &content.0 {
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

fn default_decision(
    slot: &SlotDef,
    reason: &'static str,
    opts: Options,
    summary: &str,
    candidates: Vec<Candidate>,
    content: bool,
) -> SlotDecision {
    SlotDecision {
        slot: slot.name.clone(),
        variant: slot.default_id.clone(),
        is_default: true,
        content: RenderedContent {
            tokens: if content { slot.default_content.clone() } else { Content::default() },
            vars: Vec::new(),
        },
        vars: Vec::new(),
        reason,
        explain: opts.explain.then(|| SlotExplain { summary: summary.into(), candidates }),
    }
}

/// Why [`Engine::render`] returned no slot.
#[non_exhaustive]
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum RenderError {
    /// The bundle has no slot by that name.
    UnknownSlot {
        /// The name asked for.
        slot: String,
        /// The bundle's slots, in bundle order.
        known: Vec<String>,
    },
}

impl RenderError {
    /// `E_SLOT` for an unknown slot.
    pub fn code(&self) -> ErrorCode {
        match self {
            RenderError::UnknownSlot { .. } => ErrorCode::Slot,
        }
    }
}

impl std::fmt::Display for RenderError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            RenderError::UnknownSlot { slot, known } => {
                // Written piece by piece: no joined String (this runs in the page module).
                write!(f, "no slot `{slot}`; the bundle has: ")?;
                let mut sep = "";
                for name in known {
                    f.write_str(sep)?;
                    f.write_str(name)?;
                    sep = ", ";
                }
                Ok(())
            }
        }
    }
}

impl std::error::Error for RenderError {}

/// A var's text for the content: conditions (`#if …`) become `true` or empty (unknown is
/// false), filtered holes are formatted (an unknown value takes its `default`), plain vars render
/// as is. None: unknown with no default, so the variant cannot be shown.
fn hole_text(name: &str, val: &Val, zone: impl FnOnce() -> Option<crate::time::TimeZone>) -> Option<String> {
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

fn slots_as_map<S: Serializer>(slots: &[SlotDecision], s: S) -> Result<S::Ok, S::Error> {
    let mut m = s.serialize_map(Some(slots.len()))?;
    for d in slots {
        m.serialize_entry(&d.slot, d)?;
    }
    m.end()
}

fn pairs_as_map<S: Serializer>(pairs: &[(String, String)], s: S) -> Result<S::Ok, S::Error> {
    let mut m = s.serialize_map(Some(pairs.len()))?;
    for (k, v) in pairs {
        m.serialize_entry(k, v)?;
    }
    m.end()
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
