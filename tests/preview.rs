//! QA previews (docs/preview.md): what a verified preview token forces, and what it leaves alone.

use kairos::json::{compile_json, parse_context};
use kairos::preview::{self, Preview};
use kairos::signing::SigningKey;
use kairos::{Decision, Engine, ErrorCode, Options};
use serde_json::{json, Value};

const NOW: i64 = 1_795_000_000_000;

/// Three slots: `offer` has a rule that never holds and a capped variant with a var read from
/// history; `cta` a plain rule; `footer` no variants.
fn engine(holdout: Option<u32>) -> Engine {
    let mut rules = json!({"kairos": 1, "slots": {
        "offer": {"default": {"id": "no_offer", "content": {"title": "Welcome"}}, "variants": [
            {"id": "never", "when": false, "content": {"title": "never"}},
            {"id": "evening_offer", "when": true, "cap": {"max": 1, "within": "7d"},
             "vars": {"amount": {"last": {"event": "deposit_started", "prop": "amount"}}},
             "content": {"title": "Finish your {{amount}} deposit"}}
        ]},
        "cta": {"default": {"id": "plain", "content": {"label": "Shop"}}, "variants": [
            {"id": "benefit", "when": true, "content": {"label": "Free returns"}},
            {"id": "urgency", "when": true, "priority": -1, "content": {"label": "2 days left"}}
        ]},
        "footer": {"default": {"id": "footer_default", "content": {"text": "©"}}}
    }});
    if let Some(percent) = holdout {
        rules["holdout"] = json!({"salt": "s", "percent": percent});
    }
    Engine::new(compile_json(&rules.to_string()).unwrap())
}

fn context(consent: bool, deposit: bool) -> kairos::Context {
    let mut events =
        vec![json!({"e": "$exposure", "t": NOW - 3_600_000, "p": {"slot": "offer", "variant": "evening_offer"}})];
    if deposit {
        events.push(json!({"e": "deposit_started", "t": NOW - 60_000, "p": {"amount": 75}}));
    }
    let ctx = json!({"now": NOW, "customer_id": "c1", "consent": {"personalization": consent}, "events": events});
    parse_context(&ctx.to_string()).unwrap()
}

fn preview(pairs: &[(&str, &str)]) -> Preview {
    Preview::new(NOW + 7_200_000, pairs.iter().map(|(s, v)| (s.to_string(), v.to_string())).collect()).unwrap()
}

fn slot<'d>(d: &'d Decision, name: &str) -> &'d kairos::decide::SlotDecision {
    d.slots.iter().find(|s| s.slot == name).unwrap()
}

fn content(d: &Decision, name: &str) -> Value {
    serde_json::from_str(&kairos::wire::to_string(&slot(d, name).content).unwrap()).unwrap()
}

#[test]
fn a_forced_variant_shows_whatever_its_cap_and_the_others_decide_as_ever() {
    let engine = engine(None);
    let ctx = context(true, true);
    let plain = engine.decide(&ctx, Options::explaining(true));
    assert_eq!(slot(&plain, "offer").variant, "no_offer", "capped: shown an hour ago");
    let forced = preview(&[("offer", "evening_offer"), ("cta", "urgency")]);
    let d = engine.decide(&ctx, Options { explain: true, forced: Some(&forced) });
    let offer = slot(&d, "offer");
    assert_eq!((offer.variant.as_str(), offer.reason, offer.is_default), ("evening_offer", "forced", false));
    assert_eq!(content(&d, "offer"), json!({"title": "Finish your 75 deposit"}), "vars are filled as ever");
    assert!(offer.explain.as_ref().unwrap().summary.contains("forced by a preview token"));
    assert_eq!((slot(&d, "cta").variant.as_str(), slot(&d, "cta").reason), ("urgency", "forced"));
    assert_eq!(content(&d, "cta"), json!({"label": "2 days left"}));
    assert_eq!(slot(&d, "footer").reason, slot(&plain, "footer").reason, "an unforced slot decides as ever");
}

#[test]
fn a_preview_forces_past_consent_and_the_holdout_and_reads_no_history_without_consent() {
    let forced = preview(&[("offer", "evening_offer")]);
    let opts = Options { explain: true, forced: Some(&forced) };
    let d = engine(None).decide(&context(false, true), opts);
    assert_eq!((slot(&d, "offer").variant.as_str(), slot(&d, "offer").reason), ("evening_offer", "forced"));
    assert_eq!(content(&d, "offer"), json!({"title": "Finish your  deposit"}), "no consent: the history is not read");
    let summary = &slot(&d, "offer").explain.as_ref().unwrap().summary;
    assert!(summary.contains("a var was unknown, left empty"), "{summary}");
    assert!(d.missing.iter().any(|m| m.contains("deposit_started")), "missing names it: {:?}", d.missing);
    assert_eq!(slot(&d, "cta").reason, "no_consent", "unforced slots keep their defaults");
    assert!(!d.consent);

    let d = engine(Some(100)).decide(&context(true, true), opts);
    assert!(d.holdout);
    assert_eq!(slot(&d, "offer").reason, "forced");
    assert_eq!(content(&d, "offer"), json!({"title": "Finish your 75 deposit"}));
    assert_eq!(slot(&d, "cta").reason, "holdout");
}

#[test]
fn a_default_can_be_forced_and_unknown_pairs_are_named_not_forced() {
    let engine = engine(None);
    let forced = preview(&[("cta", "plain"), ("offer", "gone"), ("banner", "x")]);
    let d = engine.decide(&context(true, false), Options { explain: false, forced: Some(&forced) });
    let cta = slot(&d, "cta");
    assert_eq!((cta.variant.as_str(), cta.reason, cta.is_default), ("plain", "forced", true));
    assert_eq!(slot(&d, "offer").reason, "no_eligible_variant", "an unknown variant is not forced");
    assert_eq!(forced.unknown_in(&engine.program).unwrap(), "the bundle lacks `offer~gone`, `banner~x`: not forced");
    assert_eq!(preview(&[("cta", "benefit")]).unknown_in(&engine.program), None);
}

#[test]
fn a_resident_visitor_forces_the_same_and_keeps_no_trace_of_it() {
    let engine = engine(None);
    let ctx = context(true, true);
    let mut visitor = kairos::Visitor::from_context(std::sync::Arc::new(engine), &ctx);
    let saved = visitor.save();
    let forced = preview(&[("offer", "evening_offer")]);
    let moment = kairos::visitor::Moment::of(&ctx);
    let d = visitor.decide(moment.clone(), Options { explain: false, forced: Some(&forced) });
    assert_eq!(slot(&d, "offer").reason, "forced");
    assert_eq!(visitor.save(), saved, "deciding under a preview changes nothing kept");
    let after = visitor.decide(moment, Options::default());
    assert_eq!(slot(&after, "offer").variant, "no_offer", "and the next decision without it is the rules' own");
}

#[test]
fn tokens_from_the_site_key_verify_and_others_do_not() {
    let key = SigningKey::from_seed([9; 32]).unwrap();
    let token = preview(&[("offer", "evening_offer")]).sign(&key);
    let read = preview::verify(&token, &key.public_key(), NOW).unwrap();
    assert_eq!(read.slots(), preview(&[("offer", "evening_offer")]).slots());
    let other = SigningKey::from_seed([8; 32]).unwrap();
    assert_eq!(preview::verify(&token, &other.public_key(), NOW).unwrap_err().code(), ErrorCode::Preview);
    assert_eq!(
        preview::verify(&token, &key.public_key(), NOW + 7_200_000).unwrap_err().code(),
        ErrorCode::PreviewExpired
    );
}

/// tests/vectors/preview.json: one token every surface checks (Node, Chromium, workerd read it
/// too). Signing is deterministic, so the token here is made again and must match byte for byte;
/// `UPDATE_VECTORS=1` writes the file.
#[test]
fn the_preview_vector_is_what_the_site_key_signs_and_forces_natively() {
    let path = concat!(env!("CARGO_MANIFEST_DIR"), "/tests/vectors/preview.json");
    let signing: Value = serde_json::from_str(include_str!("vectors/signing.json")).expect("the signing vector");
    let seed = kairos::signing::from_hex::<32>(signing["seed"].as_str().unwrap()).unwrap();
    let key = SigningKey::from_seed(seed).unwrap();
    let expires_at = 4_102_444_800_000; // 2100-01-01: the vector never expires in CI's lifetime
    let pairs =
        vec![("offer".to_string(), "propensity_override".to_string()), ("hero".to_string(), "brand".to_string())];
    let token = Preview::new(expires_at, pairs).unwrap().sign(&key);
    let tampered = token.replace("propensity_override", "evening_offer");
    let engine = Engine::new(compile_json(include_str!("../examples/demo/rules.json")).unwrap());
    let ctx = context(true, false);
    let read = preview::verify(&token, &key.public_key(), NOW).unwrap();
    let d = engine.decide(&ctx, Options { explain: false, forced: Some(&read) });
    let forced: serde_json::Map<String, Value> = d
        .slots
        .iter()
        .filter(|s| s.reason == "forced")
        .map(|s| (s.slot.clone(), json!({"variant": s.variant, "is_default": s.is_default})))
        .collect();
    let vector = json!({
        "about": "A preview token (docs/preview.md) signed with tests/vectors/signing.json's key for examples/demo/rules.json. Checked by tests/preview.rs (native), tests/node/preview.test.mjs (Node), tests/browser/preview.test.mjs (Chromium) and tests/worker/preview.test.mjs (workerd): each verifies `token` with `public_key`, forces exactly `forced`, and refuses `tampered` with E_PREVIEW.",
        "public_key": signing["public_key"],
        "rules": "examples/demo/rules.json",
        "token": token,
        "tampered": tampered,
        "forced": forced,
    });
    let text = serde_json::to_string_pretty(&vector).unwrap() + "\n";
    if std::env::var_os("UPDATE_VECTORS").is_some() {
        std::fs::write(path, &text).unwrap();
    }
    assert_eq!(std::fs::read_to_string(path).unwrap_or_default(), text, "UPDATE_VECTORS=1 cargo test --test preview");
    assert_eq!(forced.len(), 2, "both pairs are in the demo bundle");
    assert_eq!(preview::verify(&tampered, &key.public_key(), NOW).unwrap_err().code(), ErrorCode::Preview);
}
