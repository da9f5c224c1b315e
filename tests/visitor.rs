//! The resident visitor against the context path: whatever the events, tracking them one by one
//! (in the order a context lists them) and deciding for the context's moment gives the same
//! decision and explanation as deciding the context, and so does the visitor after save/restore.
//! Also: refused events change nothing, saved bytes of another version or bundle are refused with
//! their codes, and saved bytes stay small.

use kairos::context::{Event, Scalar};
use kairos::json::{compile_json, parse_context};
use kairos::visitor::{SaveError, FORMAT_VERSION, MAGIC};
use kairos::{Engine, ErrorCode, Moment, Options, Person, Visitor};
use proptest::prelude::*;
use std::sync::Arc;

/// Every aggregate operator, with and without filters, fractional and whole sums, a sequence
/// either way, a cap and a conversion suppression: the packed history's every path.
const EVERY_AGGREGATE: &str = r#"{
  "kairos": 1, "name": "every-aggregate", "max_history": 40,
  "segments": {
    "views": { "gte": [{ "count": { "event": "product_viewed", "within": "48h" } }, 2] },
    "shoe_views": { "gte": [{ "count": { "event": "product_viewed", "within": "7d", "where": { "category": "shoes" } } }, 1] },
    "no_orders": { "none": { "event": "order_completed", "within": "30d" } },
    "spent": { "gte": [{ "sum": { "event": "order_completed", "prop": "amount", "within": "30d" } }, 100] },
    "spent_big": { "gte": [{ "sum": { "event": "order_completed", "prop": "amount", "where": { "amount": { "gte": 50 } } } }, 120] },
    "avg_cart": { "gt": [{ "avg": { "event": "cart_viewed", "prop": "value", "within": "7d" } }, 40.5] },
    "min_cart": { "lt": [{ "min": { "event": "cart_viewed", "prop": "value" } }, 10] },
    "max_cart": { "gt": [{ "max": { "event": "cart_viewed", "prop": "value", "where": { "category": { "in": ["shoes", "bags"] } } } }, 90] },
    "last_shoes": { "eq": [{ "last": { "event": "product_viewed", "prop": "category", "within": "24h" } }, "shoes"] },
    "top_sku": { "eq": [{ "top": { "event": "product_viewed", "prop": "product_id", "within": "7d" } }, "sku-1"] },
    "repeat": { "gte": [{ "max_count_by": { "event": "product_viewed", "prop": "product_id", "within": "48h" } }, 2] },
    "recent_order": { "lt": [{ "since_last": { "event": "order_completed" } }, "3d"] },
    "regular": { "lt": [{ "mean_interval": { "event": "login", "within": "30d" } }, "2d"] },
    "abandoned": { "sequence": { "first": { "event": "deposit_started", "within": "24h" }, "then_not": { "event": "deposit_completed" }, "gap": "30m" } },
    "completed": { "sequence": { "first": { "event": "deposit_started", "within": "7d", "where": { "method": "card" } }, "then": { "event": "deposit_completed" }, "gap": "1h" } }
  },
  "slots": {
    "hero": {
      "default": { "id": "default", "content": { "title": "Welcome" } },
      "variants": [
        { "id": "shoes", "priority": 5, "when": { "all": [{ "segment": "shoe_views" }, { "segment": "last_shoes" }] }, "content": { "title": "Shoes" }, "cap": { "max": 2, "within": "7d" } },
        { "id": "big", "priority": 4, "when": { "any": [{ "segment": "spent_big" }, { "segment": "max_cart" }] }, "content": { "title": "Big" }, "suppress_after_conversion": true },
        { "id": "views", "priority": 3, "when": { "all": [{ "segment": "views" }, { "not": { "segment": "no_orders" } }] }, "content": { "title": "Views" } },
        { "id": "avg", "priority": 2, "when": { "any": [{ "segment": "avg_cart" }, { "segment": "min_cart" }] }, "content": { "title": "Avg" } },
        { "id": "top", "priority": 1, "when": { "any": [{ "segment": "top_sku" }, { "segment": "repeat" }] }, "content": { "title": "Top" } }
      ]
    },
    "offer": {
      "default": { "id": "none", "content": { "title": "-" } },
      "variants": [
        { "id": "rescue", "priority": 3, "when": { "segment": "abandoned" }, "content": { "title": "Rescue" } },
        { "id": "thanks", "priority": 2, "when": { "all": [{ "segment": "completed" }, { "segment": "spent" }] }, "content": { "title": "Thanks" } },
        { "id": "loyal", "priority": 1, "when": { "any": [{ "segment": "recent_order" }, { "segment": "regular" }] }, "content": { "title": "Loyal" } }
      ]
    }
  }
}"#;

fn engines() -> Vec<Arc<Engine>> {
    let mut out = vec![
        Arc::new(Engine::new(compile_json(EVERY_AGGREGATE).expect("every-aggregate compiles"))),
        Arc::new(Engine::new(compile_json(include_str!("../examples/demo/rules.json")).unwrap())),
    ];
    let mut paths: Vec<_> = std::fs::read_dir(concat!(env!("CARGO_MANIFEST_DIR"), "/examples/scenarios"))
        .unwrap()
        .map(|e| e.unwrap().path())
        .filter(|p| p.to_string_lossy().ends_with(".json") && !p.to_string_lossy().ends_with(".context.json"))
        .collect();
    paths.sort();
    for path in paths {
        out.push(Arc::new(Engine::new(compile_json(&std::fs::read_to_string(&path).unwrap()).unwrap())));
    }
    out
}

const EVENTS: &[&str] = &[
    "product_viewed",
    "cart_viewed",
    "order_completed",
    "login",
    "deposit_started",
    "deposit_completed",
    "$exposure",
    "$conversion",
    "email_opened",
    "unread_by_any_rule",
];

fn scalar() -> impl Strategy<Value = serde_json::Value> {
    prop_oneof![
        (0u32..200).prop_map(serde_json::Value::from),
        (0.0f64..150.0).prop_map(|x| serde_json::Value::from((x * 100.0).round() / 100.0)),
        prop::sample::select(&["shoes", "bags", "sku-1", "sku-2", "card", "hero", "shoes_promo", "42"][..])
            .prop_map(serde_json::Value::from),
        any::<bool>().prop_map(serde_json::Value::from),
        Just(serde_json::Value::Null),
    ]
}

prop_compose! {
    fn event(now: i64)(name in prop::sample::select(EVENTS),
                       // Some in the future (never read), many at the same few instants (ties).
                       ago in prop_oneof![-7_200_000i64..40 * 86_400_000, (0i64..4).prop_map(|k| k * 600_000)],
                       props in prop::collection::btree_map(
                           prop::sample::select(&["category", "amount", "value", "product_id", "method", "variant", "slot"][..]),
                           scalar(), 0..4)) -> serde_json::Value {
        serde_json::json!({"e": name, "t": now - ago, "p": props})
    }
}

prop_compose! {
    fn context()(now in 1_700_000_000_000i64..1_900_000_000_000)
                (now in Just(now),
                 events in prop::collection::vec(event(now), 0..120),
                 consent in prop::sample::select(&[true, true, true, false][..]),
                 device in prop::sample::select(&["mobile", "desktop"][..]),
                 ltv in 0u32..2000) -> String {
        serde_json::json!({
            "now": now, "events": events, "customer_id": format!("c-{ltv}"),
            "consent": {"personalization": consent}, "timezone": "Europe/Paris",
            "session": {"device": device, "page": "/"},
            "profile": {"ltv": ltv, "balance": ltv, "tier": "gold"},
            "scores": {"propensity": {"value": 0.5, "computed_at": now - 3_600_000}}
        })
        .to_string()
    }
}

fn json(d: &kairos::Decision) -> String {
    serde_json::to_string(d).unwrap()
}

/// A visitor told the context's events one by one, in the context's order.
fn tracked(engine: &Arc<Engine>, ctx: &kairos::Context) -> Visitor {
    let mut v = Visitor::new(engine.clone(), Person::of(ctx));
    for e in &ctx.events.0 {
        v.track(e.clone()).expect("a parsed event is accepted");
    }
    v
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 200, ..ProptestConfig::default() })]

    #[test]
    fn tracked_visitor_decides_and_explains_as_the_context(text in context()) {
        let ctx = parse_context(&text).expect("generated contexts are valid");
        for engine in engines() {
            let want = json(&engine.decide(&ctx, Options::explaining(true)));
            let max = engine.program.max_history as usize;
            let future = ctx.events.0.iter().filter(|e| e.at > ctx.now.0).count();
            // A visitor keeps the newest max_history it was told; a context reads the newest not
            // after `now`. They agree whenever the future events do not push past events out.
            if ctx.events.0.len() <= max || future == 0 {
                let mut v = tracked(&engine, &ctx);
                prop_assert_eq!(&json(&v.decide(Moment::of(&ctx), Options::explaining(true))), &want,
                    "{}: tracked visitor", engine.program.name);
                let mut restored = Visitor::restore(engine.clone(), &v.save()).expect("own bytes restore");
                prop_assert_eq!(&json(&restored.decide(Moment::of(&ctx), Options::explaining(true))), &want,
                    "{}: restored visitor", engine.program.name);
            }
            // From a context: the same history, always.
            let mut from = Visitor::from_context(engine.clone(), &ctx);
            prop_assert_eq!(&json(&from.decide(Moment::of(&ctx), Options::explaining(true))), &want,
                "{}: visitor from the context", engine.program.name);
            // The JSON text read for this bundle (only the properties its rules read are kept).
            let read_for = engine.decide_json(&text, Options::explaining(true)).expect("generated contexts are valid");
            prop_assert_eq!(&json(&read_for), &want, "{}: decide_json", engine.program.name);
            // Without explanations too (slots then stop at the first priority level that wins).
            prop_assert_eq!(json(&from.decide(Moment::of(&ctx), Options::default())),
                json(&engine.decide(&ctx, Options::default())), "{}: unexplained", engine.program.name);
        }
    }

    #[test]
    fn stopping_at_the_winning_priority_level_picks_what_evaluating_every_variant_picks(text in context()) {
        let ctx = parse_context(&text).expect("generated contexts are valid");
        for engine in engines() {
            let full = engine.decide(&ctx, Options::explaining(true));
            let fast = engine.decide(&ctx, Options::default());
            let name = &engine.program.name;
            prop_assert_eq!((fast.consent, fast.holdout), (full.consent, full.holdout), "{}", name);
            for (f, e) in fast.slots.iter().zip(&full.slots) {
                prop_assert_eq!((&f.variant, f.is_default, f.reason, &f.vars), (&e.variant, e.is_default, e.reason, &e.vars),
                    "{}: slot {}", name, f.slot);
                prop_assert_eq!(serde_json::to_value(&f.content).unwrap(), serde_json::to_value(&e.content).unwrap());
                prop_assert!(f.explain.is_none());
            }
            // Fewer rules are evaluated, so fewer signals can be found missing; never others.
            for m in &fast.missing {
                prop_assert!(full.missing.contains(m), "{}: {} missing only without explanations", name, m);
            }
        }
    }

    #[test]
    fn restore_never_panics_on_altered_bytes(text in context(), flips in prop::collection::vec((any::<prop::sample::Index>(), any::<u8>()), 1..4), cut in any::<prop::sample::Index>()) {
        let ctx = parse_context(&text).unwrap();
        let engine = engines().remove(0);
        let v = Visitor::from_context(engine.clone(), &ctx);
        let bytes = v.save();
        let mut altered = bytes.clone();
        for (at, x) in &flips {
            let i = at.index(altered.len());
            altered[i] ^= x | 1;
        }
        // Altered bytes are refused (the checksum sees any change) or, if a flip only hit the
        // header's version or fingerprint, refused with that code.
        let err = Visitor::restore(engine.clone(), &altered).expect_err("altered bytes are refused");
        prop_assert!(matches!(err.code(), ErrorCode::VisitorCorrupt | ErrorCode::VisitorVersion | ErrorCode::VisitorBundle));
        let short = &bytes[..cut.index(bytes.len())];
        prop_assert!(Visitor::restore(engine, short).is_err());
    }
}

/// With a small `max_history`, a long-lived visitor forgets the oldest events in batches and still
/// decides exactly as a context holding the whole history.
#[test]
fn forgetting_old_events_does_not_change_decisions() {
    let engine = engines().remove(0);
    assert_eq!(engine.program.max_history, 40);
    let now = 1_800_000_000_000i64;
    let mut events = Vec::new();
    let mut v = Visitor::new(
        engine.clone(),
        Person { consent: [("personalization".into(), true)].into(), ..Person::default() },
    );
    for i in 0..500i64 {
        let name = EVENTS[(i as usize * 7) % 6];
        let at = now - (500 - i) * 1_800_000;
        let p = serde_json::json!({"category": if i % 3 == 0 { "shoes" } else { "bags" }, "amount": (i % 90) as f64 + 0.25, "value": i % 120, "product_id": format!("sku-{}", i % 3)});
        events.push(serde_json::json!({"e": name, "t": at, "p": p}));
        let e: Event = serde_json::from_value(events.last().unwrap().clone()).unwrap();
        v.track(e).unwrap();
        assert!(v.len() <= 40 + 16, "kept {} events", v.len());
        if i % 25 == 24 {
            let ctx = parse_context(
                &serde_json::json!({"now": at + 60_000, "events": events, "consent": {"personalization": true}})
                    .to_string(),
            )
            .unwrap();
            let want = json(&engine.decide(&ctx, Options::explaining(true)));
            assert_eq!(json(&v.decide(Moment::of(&ctx), Options::explaining(true))), want, "after {} events", i + 1);
        }
    }
}

#[test]
fn a_refused_event_changes_nothing() {
    let engine = engines().remove(0);
    let mut v = Visitor::new(engine.clone(), Person::default());
    v.track(Event { name: "login".into(), at: 1_800_000_000_000, props: vec![] }).unwrap();
    let before = v.save();
    let bad = [
        (Event { name: "  ".into(), at: 1_800_000_000_000, props: vec![] }, "name"),
        (Event { name: "login".into(), at: i64::MAX, props: vec![] }, "timestamp"),
        (
            Event {
                name: "login".into(),
                at: 1_800_000_000_000,
                props: vec![("amount".into(), Scalar::Num(f64::NAN))],
            },
            "properties.amount",
        ),
        (
            Event {
                name: "login".into(),
                at: 1_800_000_000_000,
                props: vec![("x".into(), Scalar::Str("y".repeat(5000)))],
            },
            "properties.x",
        ),
    ];
    for (event, field) in bad {
        let err = v.track(event).expect_err("refused");
        assert_eq!(err.code(), ErrorCode::Event);
        assert_eq!(err.field, field);
        assert_eq!(v.save(), before, "refusing {field} changed the visitor");
    }
}

#[test]
fn saved_bytes_of_another_version_or_bundle_are_refused_with_their_codes() {
    let all = engines();
    let (a, b) = (all[0].clone(), all[1].clone());
    let v = Visitor::new(a.clone(), Person::default());
    let bytes = v.save();
    assert!(bytes.starts_with(MAGIC));
    assert_eq!(Visitor::restore(b, &bytes).unwrap_err(), SaveError::Bundle);
    let mut other = bytes.clone();
    other[4..6].copy_from_slice(&(FORMAT_VERSION + 1).to_le_bytes());
    let err = Visitor::restore(a.clone(), &other).unwrap_err();
    assert_eq!(err, SaveError::Version { found: Some(FORMAT_VERSION + 1) });
    assert_eq!(err.code().as_str(), "E_VISITOR_VERSION");
    assert_eq!(Visitor::restore(a.clone(), b"{\"events\":[]}").unwrap_err().code().as_str(), "E_VISITOR_VERSION");
    assert_eq!(Visitor::restore(a, &bytes[..bytes.len() - 1]).unwrap_err().code().as_str(), "E_VISITOR_CORRUPT");
}

/// A size budget (bytes are deterministic): 1,000 events saved take under a third of their JSON.
#[test]
fn saved_history_is_under_a_third_of_its_json() {
    let rules = EVERY_AGGREGATE.replace("\"max_history\": 40", "\"max_history\": 1000");
    let engine = Arc::new(Engine::new(compile_json(&rules).unwrap()));
    let now = 1_800_000_000_000i64;
    let events: Vec<serde_json::Value> = (0..1000i64)
        .map(|i| {
            serde_json::json!({"e": EVENTS[(i as usize * 7) % EVENTS.len()], "t": now - (1000 - i) * 97_000,
                "p": {"amount": (i * 37) % 200, "product_id": format!("sku-{}", i % 40), "category": if i % 2 == 0 { "shoes" } else { "bags" }}})
        })
        .collect();
    let json_bytes = serde_json::to_string(&events).unwrap().len();
    let ctx = parse_context(&serde_json::json!({"now": now, "events": events}).to_string()).unwrap();
    let v = Visitor::from_context(engine, &ctx);
    assert_eq!(v.len(), 1000);
    let saved = v.save().len();
    assert!(saved * 3 < json_bytes, "saved {saved} B against {json_bytes} B of JSON");
}

/// The generated histories reach most variants of the every-aggregate bundle, so the comparisons
/// above are between decisions that read the history, not between defaults.
#[test]
fn generated_histories_reach_most_variants() {
    use proptest::strategy::ValueTree;
    use proptest::test_runner::{Config, TestRunner};
    let engine = engines().remove(0);
    let mut runner = TestRunner::new_with_rng(
        Config::default(),
        proptest::test_runner::TestRng::deterministic_rng(Default::default()),
    );
    let mut seen = std::collections::BTreeSet::new();
    for _ in 0..300 {
        let ctx = parse_context(&context().new_tree(&mut runner).unwrap().current()).unwrap();
        for s in engine.decide(&ctx, Options::default()).slots {
            seen.insert(format!("{}:{}", s.slot, s.variant));
        }
    }
    assert!(seen.len() >= 7, "only {seen:?}");
}

/// Saved bytes are bound to the history layout, not the whole bundle: a deploy that changes only
/// what is shown keeps every saved visitor, and one that reads the history differently refuses them.
#[test]
fn saved_bytes_outlive_a_deploy_that_reads_the_history_alike() {
    let engine = |rules: &str| Arc::new(Engine::new(compile_json(rules).expect("compiles")));
    let now = 1_800_000_000_000i64;
    let view = |ago_min: i64| serde_json::json!({"e": "product_viewed", "t": now - ago_min * 60_000, "p": {"category": "shoes", "product_id": "sku-1"}});
    let ctx = parse_context(
        &serde_json::json!({"now": now, "consent": {"personalization": true}, "events": [view(90), view(30)]})
            .to_string(),
    )
    .unwrap();
    let saved = Visitor::from_context(engine(EVERY_AGGREGATE), &ctx).save();

    let retitled = EVERY_AGGREGATE
        .replace("\"title\": \"Shoes\"", "\"title\": \"New shoes\"")
        .replace("\"priority\": 1,", "\"priority\": 6,");
    let new = engine(&retitled);
    let mut restored = Visitor::restore(new.clone(), &saved).expect("same layout: restored");
    let mut fresh = Visitor::from_context(new.clone(), &ctx);
    let explain = Options::explaining(true);
    let got = restored.decide(Moment::of(&ctx), explain);
    assert_eq!(json(&got), json(&fresh.decide(Moment::of(&ctx), explain)));
    assert_eq!(got.slots[0].variant, "top", "the new bundle's priorities decide");
    assert_eq!(json(&new.decide(&ctx, explain)), json(&got), "and the context path agrees");

    let reads_more =
        EVERY_AGGREGATE.replace("\"where\": { \"category\": \"shoes\" }", "\"where\": { \"colour\": \"red\" }");
    assert_eq!(Visitor::restore(engine(&reads_more), &saved).unwrap_err(), SaveError::Bundle);
    let keeps_more = EVERY_AGGREGATE.replace("\"max_history\": 40", "\"max_history\": 41");
    assert_eq!(Visitor::restore(engine(&keeps_more), &saved).unwrap_err(), SaveError::Bundle);
}
