//! The bundle's table of history questions: equal aggregates and sequences compile to one entry
//! that every rule asking them points at, different ones (another window, filter or operator) to
//! their own; decisions and explanations read as the rules are written.

use kairos::json::{compile_json, parse_context};
use kairos::program::{Node, Program, Question};
use kairos::{Engine, Options};
use serde_json::json;

/// `count(cart_viewed within 48h)` in a segment and in two slots, once more in another window, a
/// filtered sum twice and a sequence twice.
fn rules() -> String {
    let carts = |within: &str| json!({"count": {"event": "cart_viewed", "within": within}});
    let spent = json!({"sum": {"event": "order", "within": "30d", "where": {"status": "paid"}, "prop": "amount"}});
    let returned = json!({"sequence": {"first": {"event": "cart_viewed", "within": "48h"}, "then": {"event": "order"}, "gap": "1h"}});
    json!({
        "kairos": 1,
        "segments": {"cart_twice": {"gte": [carts("48h"), 2]}},
        "slots": {
            "hero": {"default": {"id": "plain", "content": "x"}, "variants": [
                {"id": "many_carts", "priority": 2, "when": {"gte": [carts("48h"), 5]}, "content": "a"},
                {"id": "returner", "priority": 1, "when": {"all": [{"segment": "cart_twice"}, returned.clone()]}, "content": "b"}
            ]},
            "banner": {"default": {"id": "plain", "content": "x"}, "variants": [
                {"id": "big_spender", "when": {"all": [{"gt": [spent.clone(), 100]}, {"lt": [carts("48h"), 3]}]}, "content": "c"},
                {"id": "weekly", "when": {"all": [{"gte": [carts("7d"), 1]}, returned, {"gt": [spent, 10]}]}, "content": "d"}
            ]}
        }
    })
    .to_string()
}

fn asked(p: &Program) -> Vec<u32> {
    p.nodes.iter().filter_map(|n| if let Node::Ask(q) = n { Some(*q) } else { None }).collect()
}

#[test]
fn a_question_repeated_across_slots_is_one_entry_and_another_window_is_another() {
    let program = compile_json(&rules()).unwrap();
    // count 48h, count 7d, the filtered sum, the sequence.
    assert_eq!(program.questions.len(), 4, "{:#?}", program.questions);
    let windows: Vec<Option<i64>> = program
        .questions
        .iter()
        .filter_map(|q| match q {
            Question::Agg(kairos::ast::AggOp::Count, q) => Some(q.within),
            _ => None,
        })
        .collect();
    assert_eq!(windows, [Some(48 * 3_600_000), Some(7 * 86_400_000)]);
    // Eight nodes ask them, each rule that repeats one pointing at its one entry: the 48-hour
    // count three times, the sum and the sequence twice, the 7-day count once.
    let ids = asked(&program);
    let mut times: Vec<usize> = (0..4).map(|q| ids.iter().filter(|&&id| id == q).count()).collect();
    times.sort_unstable();
    assert_eq!(times, [1, 2, 2, 3]);
    // The table survives the bundle's bytes.
    assert_eq!(Program::from_bytes(&program.to_bytes()).unwrap(), program);
}

#[test]
fn explanations_print_a_shared_question_where_each_rule_asks_it() {
    let engine = Engine::new(compile_json(&rules()).unwrap());
    let ctx = json!({
        "now": "2026-11-23T18:30:00Z",
        "consent": {"personalization": true},
        "events": [
            {"e": "cart_viewed", "t": "2026-11-23T12:00:00Z"},
            {"e": "cart_viewed", "t": "2026-11-23T17:00:00Z"},
            {"e": "order", "t": "2026-11-23T17:30:00Z", "p": {"status": "paid", "amount": 40}}
        ]
    });
    let d = engine.decide(&parse_context(&ctx.to_string()).unwrap(), Options::explaining(true));
    let slot = |name: &str| d.slots.iter().find(|s| s.slot == name).unwrap();
    let failed = |name: &str, i: usize| {
        let c = &slot(name).explain.as_ref().unwrap().candidates[i];
        (c.variant.as_str(), c.eligible, c.failed.clone())
    };
    assert_eq!(
        failed("hero", 0),
        ("many_carts", "false", Some("count(cart_viewed within 2d) >= 5 was false (2 vs 5)".into()))
    );
    assert_eq!(failed("hero", 1), ("returner", "true", None));
    assert_eq!(slot("hero").variant, "returner");
    assert_eq!(
        failed("banner", 0),
        (
            "big_spender",
            "false",
            Some("sum(order.amount where status == \"paid\" within 4w2d) > 100 was false (40 vs 100)".into())
        )
    );
    assert_eq!(slot("banner").variant, "weekly");
    // Compiled and loaded bundles decide alike, explained or not.
    let loaded = Engine::load(&engine.program.to_bytes()).unwrap();
    for explain in [false, true] {
        let ctx = parse_context(&ctx.to_string()).unwrap();
        assert_eq!(
            kairos::json::decision_to_json(&loaded.decide(&ctx, Options::explaining(explain))),
            kairos::json::decision_to_json(&engine.decide(&ctx, Options::explaining(explain)))
        );
    }
}
