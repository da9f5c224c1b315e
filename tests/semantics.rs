//! Semantics of single operators, including regressions for bugs found while
//! writing the scenarios (each test names the behaviour it pins).

use kairos::json::{compile_json, parse_context};
use kairos::{Decision, Engine, Options};
use serde_json::{json, Value};

/// One slot `s` with a variant `v` eligible when `when` holds, exposing `vars` (if any).
fn decide_when(when: Value, vars: Value, ctx: Value) -> Decision {
    let rules = json!({"kairos": 1, "slots": {"s": {"default": {"id": "d"}, "variants": [{"id": "v", "when": when, "vars": vars}]}}});
    let engine = Engine::new(compile_json(&rules.to_string()).unwrap());
    let mut ctx = ctx;
    ctx["now"] = json!("2026-11-23T18:30:00Z");
    ctx["consent"] = json!({"personalization": true});
    engine.decide(&parse_context(&ctx.to_string()).unwrap(), Options::explaining(true))
}

fn eligible(d: &Decision) -> &'static str {
    d.slots[0].explain.as_ref().unwrap().candidates[0].eligible
}

#[test]
fn last_reads_the_newest_matching_event_not_the_newest_with_the_property() {
    let ctx = json!({"events": [
        {"e": "deposit_started", "t": "2026-11-23T17:00:00Z", "p": {"amount": 20, "method": "apple_pay"}},
        {"e": "deposit_started", "t": "2026-11-23T18:00:00Z", "p": {"amount": 75}}
    ]});
    let d =
        decide_when(json!(true), json!({"m": {"last": {"event": "deposit_started", "prop": "method"}}}), ctx.clone());
    assert!(d.slots[0].is_default, "the newest attempt has no method, so the var is unknown");
    assert!(d.missing.iter().any(|m| m == "history: deposit_started.method has no value"), "{:?}", d.missing);
    let d = decide_when(json!(true), json!({"a": {"last": {"event": "deposit_started", "prop": "amount"}}}), ctx);
    assert_eq!(d.slots[0].vars, vec![("a".to_string(), "75".to_string())]);
}

#[test]
fn numeric_strings_compare_as_numbers_and_other_mixed_orderings_are_unknown() {
    let lt = |balance: Value| {
        decide_when(
            json!({"lt": [{"var": "profile.balance"}, 50]}),
            json!({}),
            json!({"profile": {"balance": balance}}),
        )
    };
    assert_eq!(eligible(&lt(json!("120.00"))), "false");
    assert_eq!(eligible(&lt(json!("49.99"))), "true");
    assert_eq!(eligible(&lt(json!("lots"))), "unknown");
    assert_eq!(eligible(&lt(json!(true))), "unknown");
    let not_gte = decide_when(
        json!({"not": {"gte": [{"var": "profile.balance"}, 50]}}),
        json!({}),
        json!({"profile": {"balance": "lots"}}),
    );
    assert_eq!(eligible(&not_gte), "unknown", "negating an unusable comparison must not make it true");
}

#[test]
fn absences_a_rule_handles_are_not_reported_missing() {
    let d = decide_when(json!({"missing": {"var": "profile.rate"}}), json!({}), json!({}));
    assert_eq!(eligible(&d), "true");
    assert!(d.missing.is_empty(), "{:?}", d.missing);
    let d = decide_when(json!({"exists": {"var": "session.search_category"}}), json!({}), json!({}));
    assert_eq!(eligible(&d), "false");
    assert!(d.missing.is_empty(), "{:?}", d.missing);
    let d = decide_when(json!(true), json!({"r": {"coalesce": [{"var": "profile.rate"}, 0.25]}}), json!({}));
    assert_eq!(d.slots[0].vars, vec![("r".to_string(), "0.25".to_string())]);
    assert!(d.missing.is_empty(), "{:?}", d.missing);
    // An unresolved coalesce still reports what it lacked.
    let d = decide_when(
        json!({"gt": [{"coalesce": [{"var": "profile.a"}, {"var": "profile.b"}]}, 1]}),
        json!({}),
        json!({}),
    );
    assert_eq!(d.missing, vec!["profile.a", "profile.b"]);
}

#[test]
fn grouping_treats_numeric_and_string_ids_as_one_value() {
    let ctx = json!({"events": [
        {"e": "product_viewed", "t": "2026-11-23T17:00:00Z", "p": {"product_id": 42}},
        {"e": "product_viewed", "t": "2026-11-23T18:00:00Z", "p": {"product_id": "42"}},
        {"e": "product_viewed", "t": "2026-11-23T18:10:00Z", "p": {"product_id": "7"}}
    ]});
    let when =
        json!({"gte": [{"max_count_by": {"event": "product_viewed", "prop": "product_id", "within": "24h"}}, 2]});
    let d = decide_when(when, json!({"p": {"top": {"event": "product_viewed", "prop": "product_id"}}}), ctx);
    assert_eq!(eligible(&d), "true");
    assert_eq!(d.slots[0].vars, vec![("p".to_string(), "42".to_string())]);
}

#[test]
fn explanations_print_durations_as_durations() {
    let d = decide_when(
        json!({"gt": [{"var": "session.checkout_dwell"}, "90s"]}),
        json!({}),
        json!({"session": {"checkout_dwell_ms": 90000}}),
    );
    let failed = d.slots[0].explain.as_ref().unwrap().candidates[0].failed.clone().unwrap();
    assert!(failed.starts_with("session.checkout_dwell > 1m30s was false"), "{failed}");
}

#[test]
fn search_and_view_categories_are_those_of_the_latest_search_and_view() {
    let when = json!({"exists": {"var": "session.search_category"}});
    let ctx = json!({"session": {"searches": [{"term": "tents", "category": "outdoor"}, "red shoes"]}});
    assert_eq!(eligible(&decide_when(when, json!({}), ctx)), "false");
    let when = json!({"eq": [{"var": "session.last_viewed_category"}, "shoes"]});
    let ctx =
        json!({"session": {"product_views": [{"id": "a", "category": "tents"}, {"id": "b", "category": "shoes"}]}});
    assert_eq!(eligible(&decide_when(when, json!({}), ctx)), "true");
}

#[test]
fn round_keeps_money_readable() {
    let vars = json!({"bonus": {"round": [{"mul": [33.33, 0.3]}, 2]}, "whole": {"round": [2.5, 0]}});
    let d = decide_when(json!(true), vars, json!({}));
    assert_eq!(d.slots[0].vars, vec![("bonus".to_string(), "10".to_string()), ("whole".to_string(), "3".to_string())]);
    let rules = json!({"kairos": 1, "slots": {"s": {"default": {"id": "d"}, "variants": [{"id": "v", "when": {"gt": [{"round": [1, 9]}, 0]}}]}}});
    assert!(compile_json(&rules.to_string()).unwrap_err().message.contains("0–6 decimal places"));
}

#[test]
fn division_by_zero_is_unknown_unless_coalesced() {
    let ratio =
        json!({"div": [{"count": {"event": "loss", "within": "6h"}}, {"count": {"event": "deposit", "within": "6h"}}]});
    let d = decide_when(json!({"gt": [ratio.clone(), 0.5]}), json!({}), json!({}));
    assert_eq!(eligible(&d), "unknown");
    assert_eq!(d.missing, vec!["division by zero"]);
    let d = decide_when(json!({"gt": [{"coalesce": [ratio, 0]}, 0.5]}), json!({}), json!({}));
    assert_eq!(eligible(&d), "false");
}

#[test]
fn local_time_windows_wrap_midnight_and_are_half_open() {
    let at = |t: &str| {
        let rules = json!({"kairos": 1, "slots": {"s": {"default": {"id": "d"}, "variants": [{"id": "v", "when": {"local_time_between": ["22:00", "02:00"]}}]}}});
        let engine = Engine::new(compile_json(&rules.to_string()).unwrap());
        let ctx = json!({"now": t, "timezone": "Asia/Kolkata", "consent": {"personalization": true}});
        engine.decide(&parse_context(&ctx.to_string()).unwrap(), Options::default()).slots[0].variant.clone()
    };
    // Kolkata is UTC+5:30.
    assert_eq!(at("2026-11-23T16:29:00Z"), "d"); // 21:59
    assert_eq!(at("2026-11-23T16:30:00Z"), "v"); // 22:00
    assert_eq!(at("2026-11-23T20:29:00Z"), "v"); // 01:59
    assert_eq!(at("2026-11-23T20:30:00Z"), "d"); // 02:00
}

#[test]
fn var_values_are_escaped_for_the_field_they_land_in() {
    let rules = json!({"kairos": 1, "slots": {"s": {"default": {"id": "d"}, "variants": [{"id": "v",
        "vars": {"term": {"var": "session.search_term"}},
        "content": {"html": "<p>Results for {{term}}</p>", "attrs": {"href": "/search?q={{term}}", "alt": "{{term}}"}, "items": [{"body_html": "<b>{{term}}</b>"}]}}]}}});
    let engine = Engine::new(compile_json(&rules.to_string()).unwrap());
    let payload = r#"<img src=x onerror="alert(1)">&'"#;
    let ctx = json!({"now": 0, "consent": {"personalization": true}, "session": {"searches": [payload]}});
    let d = engine.decide(&parse_context(&ctx.to_string()).unwrap(), Options::default());
    let content: Value = serde_json::to_value(&d.slots[0].content).unwrap();
    assert_eq!(content["html"], "<p>Results for &lt;img src=x onerror=&quot;alert(1)&quot;&gt;&amp;&#39;</p>");
    assert_eq!(content["items"][0]["body_html"], "<b>&lt;img src=x onerror=&quot;alert(1)&quot;&gt;&amp;&#39;</b>");
    assert_eq!(content["attrs"]["href"], "/search?q=%3Cimg%20src%3Dx%20onerror%3D%22alert%281%29%22%3E%26%27");
    // Plain-text fields keep the value as is: the surface sets them as text, never as HTML.
    assert_eq!(content["attrs"]["alt"], payload);
}

#[test]
fn where_filters_equate_numeric_strings_and_numbers() {
    let ctx = json!({"events": [{"e": "product_viewed", "t": "2026-11-23T18:00:00Z", "p": {"product_id": "42"}}]});
    for filter in [json!(42), json!("42"), json!([7, 42]), json!({"gte": 40})] {
        let when = json!({"gte": [{"count": {"event": "product_viewed", "where": {"product_id": filter}}}, 1]});
        assert_eq!(eligible(&decide_when(when, json!({}), ctx.clone())), "true", "{filter}");
    }
}
