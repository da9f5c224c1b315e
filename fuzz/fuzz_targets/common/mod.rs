//! What the fuzz targets share: the example bundles, fixed contexts, and the checks every
//! decision must pass (determinism, explanations that do not change the winners, a safe projection).

#![allow(dead_code)]

use kairos::context::Context;
use kairos::json::{compile_json, decision_to_json, parse_context};
use kairos::{Decision, Engine, Options};

/// Rules JSON of the example bundles, embedded so a target binary is self-contained.
pub const RULES: &[(&str, &str)] = &[
    ("demo", include_str!("../../../examples/demo/rules.json")),
    ("email", include_str!("../../../examples/email/rules.json")),
    ("01", include_str!("../../../examples/scenarios/01-abandoned-deposit.json")),
    ("02", include_str!("../../../examples/scenarios/02-churn-factor.json")),
    ("03", include_str!("../../../examples/scenarios/03-cross-channel-follow-up.json")),
    ("04", include_str!("../../../examples/scenarios/04-bad-experience.json")),
    ("05", include_str!("../../../examples/scenarios/05-live-email-content.json")),
    ("06", include_str!("../../../examples/scenarios/06-exclusive-evening-offer.json")),
    ("07", include_str!("../../../examples/scenarios/07-propensity-override.json")),
    ("08", include_str!("../../../examples/scenarios/08-viewed-twice-not-added.json")),
    ("09", include_str!("../../../examples/scenarios/09-three-views-no-purchase.json")),
    ("10", include_str!("../../../examples/scenarios/10-rfm-at-risk.json")),
    ("11", include_str!("../../../examples/scenarios/11-checkout-hesitation.json")),
    ("12", include_str!("../../../examples/scenarios/12-session-intent-hero.json")),
    ("13", include_str!("../../../examples/scenarios/13-adaptive-cta.json")),
    ("14", include_str!("../../../examples/scenarios/14-banking-moments.json")),
    ("15", include_str!("../../../examples/scenarios/15-travel-kyc-trial.json")),
    ("16", include_str!("../../../examples/scenarios/16-high-intent-loan.json")),
    ("17", include_str!("../../../examples/scenarios/17-consent.json")),
    ("18", include_str!("../../../examples/scenarios/18-frequency-cap.json")),
    ("19", include_str!("../../../examples/scenarios/19-holdout.json")),
    ("20", include_str!("../../../examples/scenarios/20-missing-signals.json")),
    ("21", include_str!("../../../examples/scenarios/21-explain.json")),
];

/// Contexts every loaded or compiled bundle is decided against.
pub const CONTEXTS: &[&str] = &[
    include_str!("../../../examples/demo/context.json"),
    include_str!("../../../examples/scenarios/01-abandoned-deposit.context.json"),
    include_str!("../../../examples/scenarios/14-banking-moments.context.json"),
    include_str!("../../../examples/email/context.json"),
];

pub fn engines() -> &'static [Engine] {
    static ENGINES: std::sync::OnceLock<Vec<Engine>> = std::sync::OnceLock::new();
    ENGINES.get_or_init(|| {
        RULES
            .iter()
            .map(|(name, text)| Engine::new(compile_json(text).unwrap_or_else(|e| panic!("{name}: {e}"))))
            .collect()
    })
}

/// The same engines, shareable, for resident visitors.
pub fn shared_engines() -> &'static [std::sync::Arc<Engine>] {
    static SHARED: std::sync::OnceLock<Vec<std::sync::Arc<Engine>>> = std::sync::OnceLock::new();
    SHARED.get_or_init(|| engines().iter().map(|e| std::sync::Arc::new(e.clone())).collect())
}

/// The differential check: a visitor told `ctx`'s events one by one, and the same visitor after
/// save/restore, decide and explain exactly as the context path does (when the context's future
/// events cannot push past ones out of the kept history; a visitor built from the context always).
pub fn visitor_agrees(engine: &std::sync::Arc<Engine>, ctx: &Context) {
    use kairos::{Moment, Person, Visitor};
    let opts = Options::explaining(true);
    let want = decision_to_json(&engine.decide(ctx, opts));
    let mut from = Visitor::from_context(engine.clone(), ctx);
    assert_eq!(decision_to_json(&from.decide(Moment::of(ctx), opts)), want, "visitor from the context disagrees");
    let plain = decision_to_json(&engine.decide(ctx, Options::default()));
    assert_eq!(decision_to_json(&from.decide(Moment::of(ctx), Options::default())), plain, "unexplained visitor disagrees");
    let future = ctx.events.0.iter().any(|e| e.at > ctx.now.0);
    if future && ctx.events.0.len() > engine.program.max_history as usize {
        return;
    }
    let mut v = Visitor::new(engine.clone(), Person::of(ctx));
    for e in &ctx.events.0 {
        v.track(e.clone()).expect("a parsed event is accepted");
    }
    assert_eq!(decision_to_json(&v.decide(Moment::of(ctx), opts)), want, "tracked visitor disagrees");
    let mut restored = Visitor::restore(engine.clone(), &v.save()).expect("own bytes restore");
    assert_eq!(decision_to_json(&restored.decide(Moment::of(ctx), opts)), want, "restored visitor disagrees");
}

pub fn contexts() -> &'static [Context] {
    static CONTEXTS_PARSED: std::sync::OnceLock<Vec<Context>> = std::sync::OnceLock::new();
    CONTEXTS_PARSED.get_or_init(|| CONTEXTS.iter().map(|c| parse_context(c).expect("example context parses")).collect())
}

/// Winning variant per slot.
pub fn winners(d: &Decision) -> Vec<(&str, &str)> {
    d.slots.iter().map(|s| (s.slot.as_str(), s.variant.as_str())).collect()
}

/// Decides `ctx` twice without and once with explanations: the two plain answers must be the
/// same JSON, and explaining must not change a winner. Returns the JSON.
pub fn decide_checked(engine: &Engine, ctx: &Context) -> String {
    let first = engine.decide(ctx, Options::default());
    let json = decision_to_json(&first);
    let again = decision_to_json(&engine.decide(ctx, Options::default()));
    assert_eq!(json, again, "deciding twice gave two answers");
    let explained = engine.decide(ctx, Options::explaining(true));
    assert_eq!(winners(&first), winners(&explained), "explaining changed the winners");
    // Unexplained slots stop at the winning priority level: fewer rules, never other signals missing.
    assert!(first.missing.iter().all(|m| explained.missing.contains(m)), "missing only without explanations");
    let _ = decision_to_json(&explained);
    // The one projection every surface shows: only allowed, safe attributes; its email form builds.
    for (slot, patch) in kairos::html::patches(&first) {
        assert!(patch.attrs.iter().all(|(k, v)| kairos::html::safe_attribute(k, v)), "{slot}: unsafe attribute");
        let _ = patch.to_html();
    }
    json
}

/// The instant the preview targets run at (edge_request, preview_token).
pub const PREVIEW_NOW: i64 = 1_780_000_000_000;

/// The site key of the preview targets: it signs their tokens and (edge_request) the KV bundle.
pub fn site_key() -> &'static kairos::signing::SigningKey {
    static KEY: std::sync::OnceLock<kairos::signing::SigningKey> = std::sync::OnceLock::new();
    KEY.get_or_init(|| kairos::signing::SigningKey::from_seed([5; 32]).expect("a key"))
}

/// A preview of two demo slots, valid for an hour after [`PREVIEW_NOW`], and its token.
pub fn demo_preview() -> &'static (kairos::preview::Preview, String) {
    static PREVIEW: std::sync::OnceLock<(kairos::preview::Preview, String)> = std::sync::OnceLock::new();
    PREVIEW.get_or_init(|| {
        let pairs = vec![("offer".into(), "propensity_override".into()), ("hero".into(), "brand".into())];
        let preview = kairos::preview::Preview::new(PREVIEW_NOW + 3_600_000, pairs).expect("a preview");
        let token = preview.sign(site_key());
        (preview, token)
    })
}
