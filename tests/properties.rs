//! Property tests: whatever the context or bytes, the core returns (an answer or
//! an error) and never panics; decisions are deterministic.

use kairos::json::{compile_json, parse_context};
use kairos::{Engine, Options, Program};
use proptest::prelude::*;

fn engines() -> Vec<Engine> {
    let mut out = vec![Engine::new(compile_json(include_str!("../examples/demo/rules.json")).unwrap())];
    for entry in std::fs::read_dir(concat!(env!("CARGO_MANIFEST_DIR"), "/examples/scenarios")).unwrap() {
        let path = entry.unwrap().path();
        let name = path.to_string_lossy().to_string();
        if name.ends_with(".json") && !name.ends_with(".context.json") {
            out.push(Engine::new(compile_json(&std::fs::read_to_string(&path).unwrap()).unwrap()));
        }
    }
    out
}

const EVENTS: &[&str] = &[
    "cart_viewed",
    "Cart Viewed",
    "order_completed",
    "email_opened",
    "deposit_started",
    "deposit_completed",
    "login",
    "product_viewed",
    "purchase",
    "$exposure",
    "$conversion",
    "loss",
    "page_viewed",
    "add_to_cart",
    "coupon_searched",
];

fn scalar() -> impl Strategy<Value = serde_json::Value> {
    prop_oneof![
        Just(serde_json::Value::Null),
        any::<bool>().prop_map(serde_json::Value::from),
        (-1e12f64..1e12).prop_map(serde_json::Value::from),
        any::<i32>().prop_map(serde_json::Value::from),
        "[a-z0-9_ -]{0,12}".prop_map(serde_json::Value::from),
        Just(serde_json::Value::from("2026-11-23T18:00:00Z")),
    ]
}

prop_compose! {
    fn event(now: i64)(name in prop::sample::select(EVENTS), ago in -3_600_000i64..90 * 86_400_000,
                       props in prop::collection::btree_map(prop::sample::select(&["product_id", "amount", "variant", "slot", "category", "referrer"][..]), scalar(), 0..4),
                       compact in any::<bool>()) -> serde_json::Value {
        if compact {
            serde_json::json!({"e": name, "t": now - ago, "p": props})
        } else {
            serde_json::json!({"type": "track", "event": name, "timestamp": now - ago, "properties": props})
        }
    }
}

prop_compose! {
    fn context()(now in 0i64..4_000_000_000_000)
                (now in Just(now),
                 events in prop::collection::vec(event(now), 0..60),
                 consent in prop::option::of(any::<bool>()),
                 id in prop::option::of("[a-z0-9-]{0,10}"),
                 tz in prop::option::of(prop::sample::select(&["Europe/Paris", "America/New_York", "Asia/Kolkata", "Mars/Olympus", "UTC", ""][..])),
                 device in prop::option::of(prop::sample::select(&["mobile", "desktop", "tablet", "toaster"][..])),
                 balance in scalar(), home in scalar(),
                 score in prop::option::of((-2.0f64..2.0, -100_000_000i64..100_000_000)),
                 dwell in prop::option::of(0.0f64..1e7),
                 country in prop::option::of("[A-Z]{2}")) -> String {
        let mut ctx = serde_json::json!({
            "now": now, "events": events,
            "profile": {"balance": balance, "home_country": home, "kyc_expiry": "2026-12-01T00:00:00Z", "trial_ends_at": now + 86_400_000},
            "session": {}, "geo": {}
        });
        if let Some(c) = consent { ctx["consent"] = serde_json::json!({"personalization": c}); }
        if let Some(id) = id { ctx["customer_id"] = id.into(); }
        if let Some(tz) = tz { ctx["timezone"] = tz.into(); }
        if let Some(d) = device { ctx["session"]["device"] = d.into(); }
        if let Some(d) = dwell { ctx["session"]["checkout_dwell_ms"] = d.into(); }
        if let Some(c) = country { ctx["geo"]["country"] = c.into(); }
        if let Some((v, age)) = score {
            for name in ["purchase_propensity", "ltv", "churn_risk", "conversion_propensity", "predicted_ltv"] {
                ctx["scores"][name] = serde_json::json!({"value": v, "computed_at": now - age});
            }
        }
        ctx.to_string()
    }
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 256, ..ProptestConfig::default() })]

    #[test]
    fn decisions_never_panic_and_are_deterministic(ctx in context()) {
        let ctx = parse_context(&ctx).expect("generated contexts are valid");
        for engine in engines() {
            let a = engine.decide(&ctx, Options::explaining(true));
            let b = engine.decide(&ctx, Options::explaining(true));
            prop_assert_eq!(serde_json::to_string(&a).unwrap(), serde_json::to_string(&b).unwrap());
            // Every slot always has an answer; the default is always a valid answer.
            prop_assert_eq!(a.slots.len(), engine.program.slots.len());
            if !ctx.has_consent() {
                prop_assert!(a.slots.iter().all(|s| s.is_default && s.reason == "no_consent"));
            }
        }
    }

    #[test]
    fn arbitrary_bytes_never_panic_the_loader(bytes in prop::collection::vec(any::<u8>(), 0..512)) {
        let _ = Program::from_bytes(&bytes);
        let mut with_header = b"KAIROS\x01\x00".to_vec();
        with_header.extend_from_slice(&bytes);
        let _ = Program::from_bytes(&with_header);
    }

    #[test]
    fn mutated_rules_never_panic_the_compiler(pos in 0usize..4000, cut in 0usize..40, insert in "[\\[\\]{}\":,0-9a-z ]{0,8}") {
        let src = include_str!("../examples/demo/rules.json");
        let pos = pos.min(src.len());
        let end = (pos + cut).min(src.len());
        if src.is_char_boundary(pos) && src.is_char_boundary(end) {
            let mutated = format!("{}{}{}", &src[..pos], insert, &src[end..]);
            if let Ok(p) = compile_json(&mutated) {
                // Whatever compiles round-trips through bytes and decides.
                let engine = Engine::load(&p.to_bytes()).expect("compiled bundles load");
                let ctx = parse_context(include_str!("../examples/demo/context.json")).unwrap();
                let _ = engine.decide(&ctx, Options::explaining(true));
            }
        }
    }

    #[test]
    fn arbitrary_context_json_never_panics(text in "[\\[\\]{}\":,0-9a-zA-Z_. -]{0,200}") {
        let _ = parse_context(&text);
    }
}
