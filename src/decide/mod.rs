//! Choosing a variant for every slot, and saying why.
//!
//! Order of checks per decision: consent (none → every default, history unread),
//! holdout (in it → every default), then per slot: eligibility (three-valued),
//! conversion suppression, frequency cap, vars; the survivors are ranked by
//! priority, then score, then bundle order. No survivor → the slot's default.
//!
//! The decision's types and the per-slot checks live here; filling content with var values, the
//! `decision.*` holes between slots and the `Serialize` of rendered content are in `content`;
//! [`RenderError`] is in `error`.

mod content;
mod error;

pub(crate) use content::decision_holes;
pub use content::substitute;
use content::{hole_text, rendered_over_limit, resolve_decision_refs, too_large};
pub use error::RenderError;

use crate::context::Context;
use crate::describe::why_not;
use crate::eval::{Eval, Tri, Val};
use crate::history::Packed;
use crate::program::{Content, SlotDef, VariantDef};
use crate::Engine;
use serde::ser::SerializeMap;
use serde::{Serialize, Serializer};

/// Why a slot decided as it did: the `reason` of every [`SlotDecision`]. One list, so the
/// JavaScript types generated from it (crates/kairos-wasm/tests/types.rs) cannot drift.
pub mod reason {
    /// Declares each reason and [`ALL`] from one list.
    macro_rules! reasons {
        ($($(#[doc = $doc:literal])* $name:ident = $wire:literal,)*) => {
            $($(#[doc = $doc])* pub const $name: &str = $wire;)*
            /// Every reason with its documentation, in this order.
            pub const ALL: &[(&str, &str)] = &[$(($wire, concat!($($doc),*))),*];
        };
    }

    reasons! {
        /// A variant's rule held and it won the ranking.
        RULE = "rule",
        /// No personalisation consent: every slot shows its default.
        NO_CONSENT = "no_consent",
        /// The customer is in the bundle's holdout group: every slot shows its default.
        HOLDOUT = "holdout",
        /// No variant was eligible (every rule false, or the eligible ones capped or converted).
        NO_ELIGIBLE_VARIANT = "no_eligible_variant",
        /// No variant was eligible and some could not be decided: a signal they need was missing.
        UNDECIDED = "undecided",
        /// A QA preview token forced this variant (docs/preview.md): rules, consent, holdout and
        /// caps were not consulted, and nothing of it is recorded.
        FORCED = "forced",
    }
}

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
    /// Short machine-readable reason, one of [`reason::ALL`].
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
pub struct Options<'a> {
    /// Build explanations (costs a second look at failed rules).
    pub explain: bool,
    /// A verified QA preview: the slots it names show its variants, reason `forced`. Pairs the
    /// bundle lacks are not forced ([`crate::preview::Preview::unknown_in`] names them).
    pub forced: Option<&'a crate::preview::Preview>,
}

impl Options<'_> {
    /// Explanations on or off, nothing forced.
    pub fn explaining(explain: bool) -> Options<'static> {
        Options { explain, forced: None }
    }
}

/// What a preview forces for one slot: its default (None) or a variant (its index).
type ForcedChoice = Option<usize>;

fn forced_choice(opts: Options, slot: &SlotDef) -> Option<ForcedChoice> {
    slot.choice(opts.forced?.variant_for(&slot.name)?)
}

/// What evaluating a slot's variants found.
#[derive(Default)]
struct Considered {
    candidates: Vec<Candidate>,
    /// The best survivor so far (kept as it goes: no list to allocate).
    best: Option<Survivor>,
    /// Some variant could not be decided for missing signals.
    undecided: bool,
}

struct Survivor {
    index: usize,
    priority: i32,
    score: Option<f64>,
    vars: Vec<(String, String)>,
}

impl Survivor {
    /// Priority, then score (a missing score ranks below any score), then bundle order.
    fn outranks(&self, other: &Survivor) -> bool {
        let score = |s: &Survivor| s.score.unwrap_or(f64::NEG_INFINITY);
        other
            .priority
            .cmp(&self.priority)
            .then_with(|| score(other).total_cmp(&score(self)))
            .then_with(|| self.index.cmp(&other.index))
            .is_lt()
    }
}

/// The private half of deciding: one engine's rules applied to one context. [`Engine`]'s
/// public methods (src/engine.rs) are the way in.
pub(crate) struct Decider<'e> {
    pub(crate) engine: &'e Engine,
}

/// What a replay counts of a decision besides the decision itself: every segment's truth (in
/// bundle order) and, with the `stability` feature, until when the decision holds.
#[derive(Debug, Default)]
pub(crate) struct Counted {
    pub(crate) segments: Vec<Tri>,
    /// See `Engine::decide_counted`.
    #[cfg(feature = "stability")]
    pub(crate) until: i64,
}

impl Counted {
    pub(crate) fn new(segments: usize) -> Counted {
        Counted {
            segments: Vec::with_capacity(segments),
            #[cfg(feature = "stability")]
            until: i64::MAX,
        }
    }

    fn lasts_as(&mut self, _ev: &Eval) {
        #[cfg(feature = "stability")]
        {
            self.until = self.until.min(_ev.until);
        }
    }
}

impl Decider<'_> {
    /// Every segment's truth, on the history (decisions that read no history do not pack one).
    fn segments_alone(&self, ctx: &Context, hist: Option<&Packed>, out: &mut Counted) {
        let mut packed = None;
        let mut ev = self.eval(ctx, self.history(ctx, hist, &mut packed));
        out.segments.extend((0..self.engine.program.segments.len() as u32).map(|id| ev.segment(id)));
        out.lasts_as(&ev);
    }

    /// The resident visitor's history, or else the context's own events packed for this bundle
    /// into `packed` (the caller's, so it outlives the evaluation).
    fn history<'h>(&self, ctx: &Context, hist: Option<&'h Packed>, packed: &'h mut Option<Packed>) -> &'h Packed {
        match hist {
            Some(h) => h,
            None => {
                let max = self.engine.program.max_history as usize;
                packed.insert(Packed::from_events(&self.engine.plan, &ctx.events.0, ctx.now.0, max))
            }
        }
    }

    fn eval<'a>(&'a self, ctx: &'a Context, hist: &'a Packed) -> Eval<'a> {
        Eval::new(&self.engine.program, &self.engine.plan, ctx, hist)
    }

    /// Decides for `ctx`, reading `hist` (a resident visitor's) or, without one, `ctx`'s own events.
    pub(crate) fn decide_inner(
        &self,
        ctx: &Context,
        hist: Option<&Packed>,
        opts: Options,
        counted: Option<&mut Counted>,
        content: bool,
    ) -> Decision {
        let prog = &self.engine.program;
        let consent = ctx.has_consent();
        let mut missing = Vec::new();
        let in_holdout = consent
            && match (&prog.holdout, ctx.bucketing_id()) {
                (None, _) => false,
                (Some(h), Some(id)) => crate::bucket::bucket(&h.salt, &id.0) < h.threshold,
                // Without a stable id the group cannot be known; defaults keep the measurement clean.
                (Some(_), None) => {
                    missing.push("customer.id".to_string());
                    true
                }
            };
        // Consent withheld or the holdout group: every slot shows its default, rules unread.
        let fallback = if !consent {
            Some((reason::NO_CONSENT, "no personalisation consent: default shown, history not read"))
        } else {
            in_holdout.then_some((reason::HOLDOUT, "customer is in the holdout group: default shown"))
        };
        let mut counted = counted;
        if fallback.is_some() {
            if let Some(out) = counted.take() {
                self.segments_alone(ctx, hist, out);
            }
        }
        // Rules need an evaluator; so do forced variants' vars, which without consent read the
        // context alone (no history).
        let mut packed = None;
        let mut ev = if fallback.is_none() || opts.forced.is_some() {
            let hist = match consent {
                true => self.history(ctx, hist, &mut packed),
                false => &*packed.insert(Packed::from_events(&self.engine.plan, &[], ctx.now.0, 0)),
            };
            Some(self.eval(ctx, hist))
        } else {
            None
        };
        // Explanations and replays (which count what was missing) evaluate every variant.
        let ranked = (!opts.explain && counted.is_none()).then_some(&self.engine.ranked);
        let mut slots: Vec<SlotDecision> = prog
            .slots
            .iter()
            .enumerate()
            .map(|(i, slot)| match (fallback, forced_choice(opts, slot), ev.as_mut()) {
                (_, Some(choice), Some(ev)) => self.forced_decision(ev, slot, choice, opts, content),
                (None, _, Some(ev)) => {
                    let order = ranked.and_then(|r| r.get(i)).map(|r| &r[..]);
                    self.decide_slot(ev, slot, order, opts, content)
                }
                (fallback, _, _) => {
                    let (reason, summary) = fallback.unwrap_or((reason::UNDECIDED, "not decided"));
                    default_decision(slot, reason, opts, summary, Vec::new(), content)
                }
            })
            .collect();
        if content {
            resolve_decision_refs(prog, &mut slots, opts);
        }
        if let Some(mut ev) = ev {
            if let Some(out) = counted {
                let decided = ev.missing.len();
                out.segments.extend((0..prog.segments.len() as u32).map(|id| ev.segment(id)));
                ev.missing.truncate(decided);
                out.lasts_as(&ev);
            }
            for m in ev.missing {
                if !missing.contains(&m) {
                    missing.push(m);
                }
            }
        }
        Decision { slots, consent, holdout: in_holdout, missing }
    }

    /// The decision a preview forces: the variant whatever its rule, cap or consent, its vars
    /// filled where known (an unknown one is left empty, and the explanation says so: the
    /// reviewer sees what a visitor without that signal could not be shown).
    fn forced_decision(
        &self,
        ev: &mut Eval,
        slot: &SlotDef,
        choice: ForcedChoice,
        opts: Options,
        content: bool,
    ) -> SlotDecision {
        let summary = "forced by a preview token: rules, consent, holdout and caps not consulted";
        let Some(index) = choice else {
            return default_decision(slot, reason::FORCED, opts, summary, Vec::new(), content);
        };
        let v = &slot.variants[index];
        // An unknown var is left empty; `missing` names the signal it lacked.
        let mut complete = true;
        let vars: Vec<(String, String)> = self
            .var_values(ev, v)
            .into_iter()
            .map(|(name, text)| {
                complete &= text.is_some();
                (name, text.unwrap_or_default())
            })
            .collect();
        let explain = opts.explain.then(|| SlotExplain {
            summary: match complete {
                true => summary.to_owned(),
                false => format!("{summary}; a var was unknown, left empty (see missing)"),
            },
            candidates: Vec::new(),
        });
        variant_decision(slot, v, vars, reason::FORCED, explain, content)
    }

    /// Decides one slot. With `ranked` (its variants by priority, highest first) evaluation stops
    /// at the first priority level with a survivor: no lower level can win, so its rules are not
    /// evaluated and `missing` names only what the evaluated rules lacked. Without, every variant
    /// is evaluated, in bundle order.
    fn decide_slot(
        &self,
        ev: &mut Eval,
        slot: &SlotDef,
        ranked: Option<&[u32]>,
        opts: Options,
        content: bool,
    ) -> SlotDecision {
        let mut seen = Considered::default();
        match ranked {
            None => {
                for index in 0..slot.variants.len() {
                    self.consider(ev, slot, index, opts, &mut seen);
                }
            }
            Some(order) => {
                let mut level = None;
                for &index in order {
                    let index = index as usize;
                    let priority = slot.variants.get(index).map(|v| v.priority);
                    if level != priority && seen.best.is_some() {
                        break;
                    }
                    level = priority;
                    self.consider(ev, slot, index, opts, &mut seen);
                }
            }
        }
        let Considered { candidates, best, undecided } = seen;
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
                variant_decision(slot, v, win.vars, reason::RULE, explain, content)
            }
            None => {
                let (reason, summary) = if undecided {
                    (reason::UNDECIDED, "no variant was eligible; some could not be decided because signals were missing: default shown")
                } else {
                    (reason::NO_ELIGIBLE_VARIANT, "no variant was eligible: default shown")
                };
                default_decision(slot, reason, opts, summary, candidates, content)
            }
        }
    }

    /// Evaluates variant `index` of `slot`: a survivor if eligible and admitted, and its
    /// explanation when asked for.
    fn consider(&self, ev: &mut Eval, slot: &SlotDef, index: usize, opts: Options, seen: &mut Considered) {
        let Some(v) = slot.variants.get(index) else { return };
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
                    let survivor = Survivor { index, priority: v.priority, score, vars };
                    if seen.best.as_ref().is_none_or(|b| survivor.outranks(b)) {
                        seen.best = Some(survivor);
                    }
                }
                Err(why) => {
                    if let Some(c) = &mut cand {
                        c.excluded = Some(why);
                    }
                }
            }
        } else {
            seen.undecided |= eligible == Tri::Unknown;
            if let Some(c) = &mut cand {
                c.failed = v.when.map(|w| why_not(ev, w));
            }
        }
        if let Some(mut c) = cand {
            c.missing = ev.missing.get(before..).unwrap_or_default().to_vec();
            seen.candidates.push(c);
        }
    }

    /// An eligible variant still needs: no conversion (if suppressed), room under its cap, known vars.
    fn admit(&self, ev: &mut Eval, slot: &SlotDef, v: &VariantDef) -> Result<Vec<(String, String)>, String> {
        use crate::context::Scalar;
        let hist = ev.hist;
        // The reserved groups' value columns 0 and 1 are `variant` and `slot`.
        let names = |g: u32, i: usize| {
            matches!(hist.column(g, 0, i), Some(Scalar::Str(x)) if *x == v.id)
                && hist.column(g, 1, i).is_none_or(|s| matches!(s, Scalar::Str(x) if *x == slot.name))
        };
        let plan = &self.engine.plan;
        if v.suppress_after_conversion {
            let all = hist.range_in(&ev.view, plan.conversion, None);
            if (all.lo..all.hi).any(|i| names(plan.conversion, i)) {
                return Err("converted already: suppressed".into());
            }
        }
        if let Some((max, within)) = v.cap {
            let recent = hist.range_in(&ev.view, plan.exposure, Some(ev.view.now.saturating_sub(within)));
            let shown = (recent.lo..recent.hi).filter(|&i| names(plan.exposure, i)).count();
            if recent.lo < recent.hi {
                // The oldest exposure in the window leaves it first.
                ev.lasts(|_| hist.at_in(plan.exposure, recent.lo).saturating_add(within).saturating_add(1));
            }
            if shown >= max as usize {
                return Err(format!(
                    "frequency cap reached: shown {shown} times in {}",
                    crate::time::format_duration(within)
                ));
            }
        }
        let mut vars = Vec::with_capacity(v.vars.len());
        for (name, text) in self.var_values(ev, v) {
            match text {
                Some(text) => vars.push((name, text)),
                None => return Err(format!("var `{name}` is unknown, so the content would have a hole")),
            }
        }
        if let Some(size) = rendered_over_limit(&v.content, &vars) {
            return Err(too_large(size));
        }
        Ok(vars)
    }

    /// A variant's vars as text, each None when unknown.
    fn var_values(&self, ev: &mut Eval, v: &VariantDef) -> Vec<(String, Option<String>)> {
        let mut zone = None;
        let mut out = Vec::with_capacity(v.vars.len());
        for (name, node) in &v.vars {
            let val = ev.val(*node);
            let text = hole_text(name, &val, || {
                zone.get_or_insert_with(|| {
                    crate::signals::zone(ev.ctx, self.engine.program.default_timezone.as_deref()).ok()
                })
                .clone()
            });
            out.push((name.clone(), text));
        }
        out
    }
}

/// Variant `v` of `slot` shown with its `vars` (its content only when `content`).
fn variant_decision(
    slot: &SlotDef,
    v: &VariantDef,
    vars: Vec<(String, String)>,
    reason: &'static str,
    explain: Option<SlotExplain>,
    content: bool,
) -> SlotDecision {
    SlotDecision {
        slot: slot.name.clone(),
        variant: v.id.clone(),
        is_default: false,
        content: if content {
            RenderedContent { tokens: v.content.clone(), vars: vars.clone() }
        } else {
            RenderedContent { tokens: Content::default(), vars: Vec::new() }
        },
        vars,
        reason,
        explain,
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
