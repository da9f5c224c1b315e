//! The per-decision answer table: a question is answered only when a rule asking it is
//! evaluated, then read back by every other rule asking it; unknown answers are not kept.

use super::{Eval, Tri, Val};
use crate::history::{Packed, Plan};
use crate::json::{compile_json, parse_context};
use crate::program::Node;

#[test]
fn a_question_is_answered_when_first_asked_then_read_back() {
    let carts = r#"{"count": {"event": "cart_viewed", "within": "48h"}}"#;
    let product = r#"{"last": {"event": "cart_viewed", "prop": "product_id"}}"#;
    let rules = format!(
        r#"{{"kairos": 1, "slots": {{
            "a": {{"default": {{"id": "d"}}, "variants": [{{"id": "two", "when": {{"gte": [{carts}, 2]}}}}]}},
            "b": {{"default": {{"id": "d"}}, "variants": [{{"id": "five", "when": {{"gte": [{carts}, 5]}}}}]}},
            "c": {{"default": {{"id": "d"}}, "variants": [{{"id": "seen", "when": {{"exists": {product}}}}}]}}
        }}}}"#
    );
    let prog = compile_json(&rules).expect("rules compile");
    assert_eq!(prog.questions.len(), 2, "the count is one question, however many slots ask it");
    let ctx = parse_context(
        r#"{"now": "2026-11-23T18:30:00Z", "events": [
            {"e": "cart_viewed", "t": "2026-11-23T12:00:00Z"},
            {"e": "cart_viewed", "t": "2026-11-23T17:00:00Z"}
        ]}"#,
    )
    .expect("context reads");
    let plan = Plan::of(&prog);
    let hist = Packed::from_events(&plan, &ctx.events.0, ctx.now.0, prog.max_history as usize);
    let mut ev = Eval::new(&prog, &plan, &ctx, &hist);
    let when = |slot: usize| prog.slots[slot].variants[0].when.expect("a condition");
    assert!(ev.answers.iter().all(Option::is_none), "nothing is answered before a rule asks");

    assert_eq!(ev.truth(when(0)), Tri::True);
    assert_eq!(ev.answers, [Some(Val::Num(2.0)), None], "only the question asked is answered");
    // Slot b reads slot a's answer, not the history: a planted answer is what it sees.
    ev.answers[0] = Some(Val::Num(9.0));
    assert_eq!(ev.truth(when(1)), Tri::True);

    // No cart view has a product id: unknown, so not kept, and reported each time it is asked
    // (`exists` asks without reporting; asked directly, the question reports it).
    assert_eq!(ev.truth(when(2)), Tri::False);
    assert_eq!(ev.answers[1], None);
    let Some(Node::Exists(last)) = prog.nodes.get(when(2) as usize) else { panic!("an exists node") };
    assert_eq!(ev.val(*last), Val::Unknown);
    assert_eq!(ev.answers[1], None);
    assert_eq!(ev.missing, ["history: cart_viewed.product_id has no value"]);
}
