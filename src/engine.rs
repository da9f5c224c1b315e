//! [`Engine`]: a loaded bundle, ready to decide. Every public method of the engine is here, in
//! one `impl` block: loading and compiling, deciding, rendering one slot. The work itself is in
//! [`crate::decide`] (choosing), [`crate::eval`] (conditions) and [`crate::history`] (windows).

use crate::decide::{Counted, Decider, Decision, Options, RenderError, SlotDecision};
use crate::error::{CompileError, LoadError};
use crate::eval::Tri;
use crate::{ast, history, Context, Program};
#[cfg(feature = "signing")]
use crate::{limits, signing};
use history::Plan;

/// A loaded bundle, ready to decide. Cheap to share; build once per bundle.
#[derive(Debug, Clone)]
pub struct Engine {
    /// The compiled rules this engine decides with.
    pub program: Program,
    /// What the rules read of a history: the packed layout every decision reads.
    pub(crate) plan: Plan,
    /// Identifies the history layout a saved visitor was packed for (computed on first use).
    pub(crate) fingerprint: std::sync::OnceLock<u64>,
    /// Per slot, its variants' indices by priority, highest first (bundle order within a level):
    /// the order a decision without explanations evaluates them in.
    pub(crate) ranked: Vec<Box<[u32]>>,
    /// [`Program::bundle_id`] of the bytes it was loaded from; None when compiled in process.
    bundle_id: Option<Box<str>>,
}

impl Engine {
    /// Wraps a compiled program (from [`crate::rules::compile::compile`] or [`Program::from_bytes`]).
    pub fn new(program: Program) -> Engine {
        let plan = Plan::of(&program);
        let ranked = program
            .slots
            .iter()
            .map(|slot| {
                // An insertion sort, stable and small: std's sorts add kilobytes to the page module,
                // and a slot has a handful of variants.
                let mut order: Vec<u32> = Vec::with_capacity(slot.variants.len());
                for (i, v) in slot.variants.iter().enumerate() {
                    let at = order.partition_point(|&j| slot.variants[j as usize].priority >= v.priority);
                    order.insert(at, i as u32);
                }
                order.into_boxed_slice()
            })
            .collect();
        Engine { program, plan, fingerprint: Default::default(), ranked, bundle_id: None }
    }

    /// The loaded bundle's id ([`Program::bundle_id`]): what the edge writes into a page's state
    /// and exposures name. None for an engine compiled in process rather than loaded.
    pub fn bundle_id(&self) -> Option<&str> {
        self.bundle_id.as_deref()
    }

    fn with_id(mut self, bytes: &[u8]) -> Engine {
        self.bundle_id = Program::bundle_id(bytes).map(String::into_boxed_str);
        self
    }

    /// Loads a compiled bundle (header, checksum, limits and structure are checked; rules are not
    /// re-validated). A signed bundle loads too, its signature unchecked: use
    /// [`Engine::load_verified`] where a signature is required.
    pub fn load(bytes: &[u8]) -> Result<Engine, LoadError> {
        Program::from_bytes(bytes).map(|p| Engine::new(p).with_id(bytes))
    }

    /// Loads a bundle only if it is signed by `key` (docs/signing.md): an unsigned bundle, another
    /// key's, or any altered byte is refused with `E_BUNDLE_UNSIGNED`, `E_BUNDLE_KEY` or
    /// `E_BUNDLE_SIGNATURE` before anything is decoded.
    #[cfg(feature = "signing")]
    pub fn load_verified(bytes: &[u8], key: &signing::PublicKey) -> Result<Engine, LoadError> {
        let limit = limits::MAX_BUNDLE_BYTES + signing::HEADER_LEN;
        if bytes.len() > limit {
            return Err(LoadError::TooLarge { bytes: bytes.len(), limit });
        }
        Program::decode(key.verify(bytes)?).map(|p| Engine::new(p).with_id(bytes))
    }

    /// Compiles an authored bundle.
    pub fn compile(bundle: &ast::Bundle) -> Result<Engine, CompileError> {
        crate::rules::compile::compile(bundle).map(Engine::new)
    }

    /// Decides every slot of the bundle for one context.
    pub fn decide(&self, ctx: &Context, opts: Options) -> Decision {
        Decider { engine: self }.decide_inner(ctx, None, opts, None, true)
    }

    /// Decides for a context given as JSON text: [`Engine::decide`] on it, with its history read
    /// for this bundle (only the event properties the rules read are kept). Errors are located
    /// as [`crate::json::parse_context`]'s.
    #[cfg(feature = "json")]
    pub fn decide_json(&self, text: &str, opts: Options) -> Result<Decision, crate::ContextError> {
        let ctx = crate::json::parse_context_for(text, &self.plan.props)?;
        Ok(self.decide(&ctx, opts))
    }

    /// Decides like [`Engine::decide`] and also returns the truth of every segment of the bundle
    /// (in bundle order) for this context, whatever its consent or holdout group: what a replay
    /// counts. The segments are evaluated on the decision's own history index; what only they
    /// found missing is not added to the decision's `missing`. Every variant is evaluated (as
    /// with explanations), so `missing` is what the whole bundle lacked.
    ///
    /// With `content: false` every slot's content is left empty (`null`), which spares copying
    /// and dropping each slot's content on every decision. That is exact only when no content
    /// reads another slot's decision (`{{decision.SLOT.FIELD}}` can send a slot to its default):
    /// pass [`Engine::reads_decisions`].
    pub fn decide_with_segments(&self, ctx: &Context, opts: Options, content: bool) -> (Decision, Vec<Tri>) {
        let mut counted = Counted::new(self.program.segments.len());
        let decision = Decider { engine: self }.decide_inner(ctx, None, opts, Some(&mut counted), content);
        (decision, counted.segments)
    }

    /// [`Engine::decide_with_segments`], and until when the decision holds: the first instant
    /// after `ctx.now` at which time alone could change the decision or a segment (an event
    /// leaving a window, local time crossing a bound the rules test, a score going stale, a
    /// sequence's gap ending; every instant when rules read `now`, a dwell or days to a date).
    /// The same context decided at any instant before it gives the same decision and segments,
    /// provided no input changes. `i64::MAX`: nothing read depends on the clock.
    ///
    /// Session signals are the caller's: a context's session does not end by itself.
    #[cfg(feature = "stability")]
    pub fn decide_counted(&self, ctx: &Context, opts: Options, content: bool) -> (Decision, Vec<Tri>, i64) {
        let mut counted = Counted::new(self.program.segments.len());
        let decision = Decider { engine: self }.decide_inner(ctx, None, opts, Some(&mut counted), content);
        (decision, counted.segments, counted.until)
    }

    /// The history group of an event name the rules read ([`crate::Resident::forget_before`]
    /// takes groups), `None` for a name no rule reads.
    pub fn history_group(&self, event_name: &str) -> Option<u32> {
        self.plan.ids.get(event_name).copied()
    }

    /// Whether some content of the bundle reads another slot's decision (`{{decision.…}}`).
    pub fn reads_decisions(&self) -> bool {
        let slots = &self.program.slots;
        let mut contents =
            slots.iter().flat_map(|s| std::iter::once(&s.default_content).chain(s.variants.iter().map(|v| &v.content)));
        contents.any(|c| !crate::decide::decision_holes(c).is_empty())
    }

    /// Decides for `ctx` and returns one slot's decision: what an email server renders at open
    /// time. Errors name the slots the bundle has.
    pub fn render(&self, ctx: &Context, slot: &str) -> Result<SlotDecision, RenderError> {
        self.slot_of(self.decide(ctx, Options::default()), slot)
    }

    /// Takes `slot` out of `decision`, or says which slots there are.
    pub(crate) fn slot_of(&self, mut decision: Decision, slot: &str) -> Result<SlotDecision, RenderError> {
        match decision.slots.iter().position(|s| s.slot == slot) {
            Some(i) => Ok(decision.slots.swap_remove(i)),
            None => Err(RenderError::UnknownSlot {
                slot: slot.to_owned(),
                known: self.program.slots.iter().map(|s| s.name.clone()).collect(),
            }),
        }
    }

    /// Compiles rules (JSON or text), or loads a compiled bundle, judging by the header.
    #[cfg(feature = "json")]
    pub fn from_rules_or_bundle(bytes: &[u8]) -> Result<Engine, crate::json::RulesOrBundleError> {
        if bytes.starts_with(crate::program::MAGIC) {
            return Engine::load(bytes).map_err(crate::json::RulesOrBundleError::Load);
        }
        let text = std::str::from_utf8(bytes).map_err(crate::json::RulesOrBundleError::NotText)?;
        // Through its bytes, so a bundle compiled here has the id it would have once deployed.
        let program = crate::json::compile_source(text).map_err(crate::json::RulesOrBundleError::Compile)?;
        Engine::load(&program.to_bytes()).map_err(crate::json::RulesOrBundleError::Load)
    }
}
