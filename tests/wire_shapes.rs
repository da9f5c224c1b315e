//! The page's hand-written readers (`kairos::wire::shapes`: context, person, moment, event,
//! events) against the serde reader over the same text (`wire::from_str` through the
//! `Deserialize` impls every other surface uses): the same texts accepted, the same values, and
//! errors at the same JSON path with the same depth verdict.

use kairos::context::{Event, Events};
use kairos::wire::{self, shapes, JsonError};
use kairos::{Context, Moment, Person};
use proptest::prelude::*;
use serde::de::DeserializeOwned;
use serde_json::{json, Map, Value};
use std::fmt::Debug;

mod support;

fn agree<T: DeserializeOwned + Debug>(text: &str, by_hand: fn(&str) -> Result<T, JsonError>) -> Result<(), String> {
    support::agree_on(text, ["hand", "serde"], &by_hand(text), &wire::from_str::<T>(text))
}

fn agree_on_all(text: &str) -> Result<(), String> {
    agree::<Person>(text, shapes::person)?;
    agree::<Moment>(text, shapes::moment)?;
    agree::<Event>(text, shapes::event)?;
    agree::<Events>(text, shapes::events)?;
    agree::<Context>(text, shapes::context)
}

/// From every scenario context: its person, its moment, its events and each event, as JSON text;
/// and the whole files.
fn corpus() -> Vec<String> {
    const PERSON: [&str; 6] = ["customer_id", "consent", "profile", "scores", "timezone", "utc_offset"];
    const MOMENT: [&str; 6] = ["now", "session", "geo", "timezone", "utc_offset", "event"];
    let mut texts = Vec::new();
    let mut files: Vec<_> = ["examples/scenarios", "examples/demo", "examples/email"]
        .iter()
        .flat_map(|dir| std::fs::read_dir(dir).unwrap().map(|e| e.unwrap().path()))
        .filter(|p| p.extension().is_some_and(|e| e == "json"))
        .collect();
    files.sort();
    for path in files {
        let text = std::fs::read_to_string(&path).unwrap();
        let value: Value = serde_json::from_str(&text).unwrap();
        texts.push(text);
        let Some(ctx) = value.as_object().filter(|o| o.contains_key("now")) else { continue };
        let part = |keys: &[&str]| {
            Value::Object(
                ctx.iter()
                    .filter(|(k, _)| keys.contains(&k.as_str()))
                    .map(|(k, v)| (k.clone(), v.clone()))
                    .collect::<Map<_, _>>(),
            )
        };
        texts.push(serde_json::to_string_pretty(&part(&PERSON)).unwrap());
        texts.push(serde_json::to_string_pretty(&part(&MOMENT)).unwrap());
        if let Some(events) = ctx.get("events") {
            texts.push(serde_json::to_string(events).unwrap());
            for e in events.as_array().into_iter().flatten() {
                texts.push(serde_json::to_string(e).unwrap());
            }
        }
    }
    assert!(texts.len() > 100, "the corpus is missing: {} texts", texts.len());
    texts
}

#[test]
fn the_scenarios_read_alike() {
    let mut accepted = 0;
    for text in corpus() {
        agree_on_all(&text).unwrap();
        accepted += usize::from(shapes::moment(&text).is_ok()) + usize::from(shapes::events(&text).is_ok());
    }
    assert!(accepted >= 40, "only {accepted} texts were moments or event lists");
}

#[test]
fn broken_scenarios_fail_alike() {
    let mut problems = Vec::new();
    for text in corpus() {
        for v in support::broken_copies(
            &text,
            40,
            &["\"", ",", "{", "[", "]", "}", "1", "-", "null", "\"x\":", "[1],", "{\"a\":[]},"],
        ) {
            if let Err(e) = agree_on_all(&v) {
                problems.push(e);
            }
        }
    }
    assert!(problems.is_empty(), "{} disagreements, first:\n{}", problems.len(), problems[0]);
}

#[test]
fn the_quirks_read_alike() {
    let long = "x".repeat(kairos::context::MAX_STRING_BYTES + 1);
    let deep = format!("{}1{}", "[".repeat(40), "]".repeat(40));
    let cases = [
        // Derived structs read as arrays of their fields too.
        json!(["c-1", {"personalization": true}, {"tier": "gold"}, {"churn": {"value": 0.5, "computed_at": 1}}]),
        json!([]),
        json!(["c-1", null, null, null, "Europe/Paris", "+01:00", "extra"]),
        json!({"now": 1, "geo": ["FR", null, "Paris", 48.8, 2.3]}),
        json!({"now": 1, "session": {"product_views": [["sku-1"], ["sku-2", "shoes"], []]}}),
        json!({"customer_id": "c", "scores": {"s": [0.5]}}),
        json!({"customer_id": "c", "scores": {"s": [0.5, "2026-01-01T00:00:00Z"]}}),
        json!({"customer_id": "c", "scores": {"s": {"value": 1}}}),
        json!({"customer_id": "c", "scores": {"s": {"value": 1, "computed_at": 2, "value": 3}}}),
        json!({"customer_id": "c", "unknown": 1}),
        json!({"consent": null, "profile": null, "scores": null}),
        json!({"consent": {"personalization": "yes"}}),
        json!({"profile": {"a": [1, [2, {"b": 3}]], "b": {"c": null}, "n": -0.0, "big": 18446744073709551615u64}}),
        // Strings past the limit: a key (at the key), a value (at what holds it).
        json!({"now": 1, long.clone(): 1}),
        json!({"now": 1, "timezone": long.clone()}),
        json!({"now": 1, "session": {"utm": {"source": long.clone()}}}),
        json!({"now": 1, "session": {"searches": [long.clone()]}}),
        json!({"now": 1, "session": {"searches": [{"term": long.clone()}]}}),
        json!({"now": 1, "session": {"searches": [{"category": "x"}]}}),
        json!({"now": 1, "session": {"searches": [{"term": "a", "term": "b"}]}}),
        json!({"now": 1, "session": {"searches": [{"term": "a", "where": "b"}]}}),
        json!({"now": 1, "session": {"searches": [["a"]]}}),
        json!({"e": long.clone(), "t": 1}),
        json!({"e": "x", "t": 1, "p": {"s": long.clone()}}),
        json!({"customer_id": long.clone()}),
        json!({"now": 1, "session": {"client_hints": null}}),
        json!({"now": 1, "session": {"client_hints": {"mobile": "?1", "brands": [{"b": 1}], "mobile": "?0"}}}),
        json!({"now": 1, "session": {"client_hints": {"mobile": "maybe"}}}),
        json!({"now": 1, "session": {"viewport": {"width": 1}}}),
        json!({"now": 1, "session": {"viewport": {"height": 1, "depth": {"x": [1]}}}}),
        json!({"now": 1, "session": {"viewport": null, "page_views": 4294967296u64}}),
        json!({"now": 1, "session": {"page_views": -1}}),
        json!({"now": 1, "session": {"page_views": 1.5}}),
        json!({"now": 1, "session": {"page": "/", "page": "/x"}}),
        json!({"now": 1, "session": {"nope": 1}}),
        json!({"now": 1, "session": null, "geo": null, "event": null}),
        json!({"now": null}),
        json!({"now": "2026-13-01T00:00:00Z"}),
        json!({"now": 1e16}),
        json!({"now": 1, "now": 2}),
        json!({"session": {}}),
        json!({"now": 1, "event": {"type": "page", "t": 5, "messageId": {"deep": [1]}}}),
        json!({"type": "identify", "timestamp": "2026-01-01T00:00:00Z"}),
        json!({"type": "track", "timestamp": 1}),
        json!({"e": "x"}),
        json!({"e": "Product Viewed", "t": 1, "p": {"b": 1, "a": 2, "b": null}}),
        json!({"e": "x", "t": 1, "p": []}),
        json!([{"e": "a", "t": 1}, {"e": "b", "t": "1"}, 3]),
    ];
    let mut texts: Vec<String> = cases.iter().map(|c| serde_json::to_string(c).unwrap()).collect();
    // serde_json's json! keeps only the last of a repeated key: these are written by hand.
    texts.extend([
        r#"{"now": 1, "session": {"page": "/", "page": "/x"}}"#.to_string(),
        r#"{"customer_id": "a", "customer_id": "b"}"#.to_string(),
        r#"{"customer_id": "c", "scores": {"s": {"value": 1, "computed_at": 2, "value": 3}}}"#.to_string(),
        r#"{"now": 1, "session": {"searches": [{"term": "a", "term": "b"}]}}"#.to_string(),
        r#"{"now": 1, "session": {"client_hints": {"mobile": "?1", "mobile": "?0"}}}"#.to_string(),
        r#"{"e": "Product Viewed", "t": 1, "p": {"b": 1, "a": 2, "b": null}}"#.to_string(),
        format!(r#"{{"e": "x", "t": 1, "p": {{"a": {deep}}}}}"#),
        format!(r#"{{"e": "x", "t": 1, "p": {{"a": [{deep}]}}}}"#),
        format!(r#"{{"now": 1, "session": {{"client_hints": {{"x": {deep}}}}}}}"#),
        format!(r#"{{"now": 1, "x": {}}}"#, "[".repeat(200)),
    ]);
    for text in texts {
        agree_on_all(&text).unwrap();
    }
}

#[test]
fn many_events_are_refused_where_the_serde_reader_refuses_them() {
    let one = r#"{"e":"a","t":1}"#;
    let too_many = format!("[{}]", vec![one; kairos::context::MAX_EVENTS + 1].join(","));
    agree_on_all(&too_many).unwrap();
    assert!(shapes::events(&too_many).is_err());
    let big = format!(r#"{{"e":"a","t":1,"p":{{"s":"{}"}}}}"#, "x".repeat(4000));
    let too_big = format!("[{}]", vec![big.as_str(); 300].join(","));
    agree_on_all(&too_big).unwrap();
    assert!(shapes::events(&too_big).is_err());
}

fn json_value() -> impl Strategy<Value = Value> {
    let leaf = prop_oneof![
        Just(Value::Null),
        any::<bool>().prop_map(Value::Bool),
        any::<i64>().prop_map(Value::from),
        (0u64..3_000_000_000_000).prop_map(Value::from),
        any::<f64>().prop_filter("finite", |f| f.is_finite()).prop_map(Value::from),
        prop_oneof![
            Just("now"),
            Just("session"),
            Just("e"),
            Just("t"),
            Just("p"),
            Just("2026-01-01T00:00:00Z"),
            Just("?1")
        ]
        .prop_map(|s| Value::String(s.into())),
        ".{0,6}".prop_map(Value::String),
    ];
    let keys = prop_oneof![
        Just("now"),
        Just("session"),
        Just("geo"),
        Just("event"),
        Just("timezone"),
        Just("e"),
        Just("t"),
        Just("p"),
        Just("type"),
        Just("page"),
        Just("viewport"),
        Just("width"),
        Just("height"),
        Just("searches"),
        Just("term"),
        Just("product_views"),
        Just("id"),
        Just("customer_id"),
        Just("profile"),
        Just("scores"),
        Just("value"),
        Just("computed_at"),
        Just("consent"),
        Just("client_hints"),
        Just("mobile"),
        Just("utm"),
        Just("lat"),
        Just("x"),
    ];
    leaf.prop_recursive(4, 40, 5, move |inner| {
        prop_oneof![
            prop::collection::vec(inner.clone(), 0..5).prop_map(Value::Array),
            prop::collection::btree_map(keys.clone().prop_map(String::from), inner, 0..5)
                .prop_map(|m| Value::Object(m.into_iter().collect())),
        ]
    })
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(2000))]
    #[test]
    fn random_shapes_read_alike(value in json_value()) {
        let text = serde_json::to_string(&value).unwrap();
        prop_assert_eq!(agree_on_all(&text), Ok(()));
    }

    #[test]
    fn random_text_reads_alike(text in "[\\[\\]{}\",:0-9a-z .-]{0,40}") {
        prop_assert_eq!(agree_on_all(&text), Ok(()));
    }
}
