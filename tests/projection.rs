//! The one projection (src/html.rs) against the hand-written vectors in tests/vectors/projection:
//! every slot's patch exactly as expected.json says. The same file is checked on the page, the
//! Worker, `kairos rewrite` and `kairos render` by tests/browser/projection.test.mjs.

use kairos::html::{patches, project};
use kairos::{Engine, Options};
use serde_json::Value;

#[test]
fn every_slot_projects_as_the_vectors_say() {
    let engine = Engine::new(kairos::json::compile_json(include_str!("vectors/projection/rules.json")).unwrap());
    let ctx = kairos::json::parse_context(include_str!("vectors/projection/context.json")).unwrap();
    let expected: Value = serde_json::from_str(include_str!("vectors/projection/expected.json")).unwrap();
    let decision = engine.decide(&ctx, Options::default());
    let by_slot = patches(&decision);
    let expected = expected["slots"].as_object().unwrap();
    assert_eq!(expected.len(), decision.slots.len(), "every slot has a vector");
    for slot in &decision.slots {
        let want = &expected[&slot.slot];
        let got = by_slot.get(&slot.slot).map(|p| serde_json::to_value(p).unwrap()).unwrap_or(Value::Null);
        assert_eq!(&got, want, "slot {}", slot.slot);
        if !slot.is_default {
            assert_eq!(serde_json::to_value(project(slot)).unwrap(), got, "patches() is project() per slot");
        }
    }
}

#[test]
fn email_html_is_the_html_or_the_escaped_text() {
    let engine = Engine::new(kairos::json::compile_json(include_str!("vectors/projection/rules.json")).unwrap());
    let ctx = kairos::json::parse_context(include_str!("vectors/projection/context.json")).unwrap();
    let html = |slot: &str| project(&engine.render(&ctx, slot).unwrap()).to_html();
    assert_eq!(html("html_with_attrs"), "<strong>Tonight</strong> &amp; only <em>Ana &lt;script&gt;&amp;</em>");
    assert_eq!(html("plain_string"), "<p>&lt;b&gt;not markup&lt;/b&gt; &amp; Ana &lt;script&gt;&amp;</p>");
    assert_eq!(html("scalar_content"), "");
}
