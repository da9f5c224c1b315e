//! The wire reader (the JSON of the page and Node modules) against serde_json (the JSON of the
//! CLI, the edge and `decideJson` on whole contexts): the same texts accepted, the same values,
//! and errors at the same JSON path. The writer: serde_json reads back what it wrote.

use kairos::{ast::Bundle, context::Event, json, wire, Context, Moment, Person};
use proptest::prelude::*;
use serde::de::DeserializeOwned;
use std::fmt::Debug;

mod support;

/// Both readers agree on `text` read as `T`: both fail at the same path, or give equal values;
/// and wire's errors are located (line and column).
fn agree<T: DeserializeOwned + Debug>(text: &str) -> Result<(), String> {
    let ours = wire::from_str::<T>(text);
    support::agree_on(text, ["wire", "serde"], &ours, &json::parse::<T>(text))?;
    match &ours {
        Err(a) if a.at.line == 0 || a.at.column == 0 => Err(format!("unlocated error on {text:?}: {a}")),
        _ => Ok(()),
    }
}

fn corpus() -> Vec<String> {
    let mut texts = Vec::new();
    for entry in std::fs::read_dir("examples/scenarios").unwrap() {
        let path = entry.unwrap().path();
        if path.extension().is_some_and(|e| e == "json") {
            texts.push(std::fs::read_to_string(path).unwrap());
        }
    }
    texts.sort();
    assert!(texts.len() >= 40, "the scenario corpus is missing");
    texts
}

fn agree_on_all(text: &str) -> Result<(), String> {
    agree::<Context>(text)?;
    agree::<Moment>(text)?;
    agree::<Person>(text)?;
    agree::<Event>(text)?;
    agree::<Bundle>(text)?;
    agree::<serde_json::Value>(text)
}

#[test]
fn the_scenarios_read_alike() {
    for text in corpus() {
        agree_on_all(&text).unwrap();
    }
}

#[test]
fn broken_scenarios_fail_alike() {
    // Every scenario cut short, and with bytes dropped or put in at a stride through it.
    let mut problems = Vec::new();
    for text in corpus() {
        for v in support::broken_copies(&text, 60, &["\"", ",", "{", "]", "1", "-", "\\", "null", "\"x\":"]) {
            if let Err(e) = agree_on_all(&v) {
                problems.push(e);
            }
        }
    }
    assert!(
        problems.is_empty(),
        "{} disagreements, first:\n{}",
        problems.len(),
        problems[0].chars().rev().take(600).collect::<String>().chars().rev().collect::<String>()
    );
}

#[test]
fn edge_cases_of_json_read_alike() {
    let cases = [
        "0",
        "-0",
        "-0.0",
        "1e400",
        "-1e400",
        "1E2",
        "1e-400",
        "18446744073709551615",
        "18446744073709551616",
        "-9223372036854775808",
        "-9223372036854775809",
        "0.1",
        "2.5e-324",
        "1.7976931348623157e308",
        "01",
        "1.",
        ".5",
        "-",
        "+1",
        "1e",
        "1e+",
        "\"\\ud83d\\ude00\"",
        "\"\\ud83d\"",
        "\"\\ude00\"",
        "\"\\u00e9\\n\\t\\/\"",
        "\"\\x\"",
        "\"a\u{1}\"",
        "\"é\"",
        " [1, 2 ,3 ] ",
        "[1,]",
        "[,1]",
        "{\"a\":1,}",
        "{,}",
        "{\"a\" 1}",
        "{1:2}",
        "[1 2]",
        "nul",
        "true false",
        "",
        "   ",
        "[",
        "{\"a\":",
        "\"abc",
        "[[[[[[[[[[]]]]]]]]]]",
        "{\"now\":1}x",
        "{\"now\": 1, \"now\": 2}",
        "{\"\\u006eow\": 3}",
        "{\"session\": {\"page\\n\": 1}}",
        // Found by fuzz/wire_read: a path through an empty key keeps its dot (`.?`).
        "{\"\": {\"a\u{1}\": 1}}",
        "{\"\": [{\"\": x}]}",
    ];
    for case in cases {
        agree_on_all(case).unwrap();
    }
    // serde_json's recursion limit: the 128th level is refused as a depth error.
    for depth in [126, 127, 128, 200] {
        let text = format!("{}{}", "[".repeat(depth), "]".repeat(depth));
        agree::<serde_json::Value>(&text).unwrap();
    }
}

#[test]
fn errors_name_the_innermost_path() {
    let e = wire::from_str::<Moment>("{\"now\": 1,\n \"session\": {\"viewport\": {\"width\": \"wide\"}}}").unwrap_err();
    assert_eq!(e.at.path, "session.viewport.width");
    assert_eq!(e.at.line, 2);
    let e = wire::from_str::<Vec<Event>>("[{\"e\": \"a\", \"t\": 1}, {\"e\": \"b\", \"t\": true}]").unwrap_err();
    assert_eq!(e.at.path, "[1].t");
}

fn json_value() -> impl Strategy<Value = serde_json::Value> {
    use serde_json::Value;
    let leaf = prop_oneof![
        Just(Value::Null),
        any::<bool>().prop_map(Value::Bool),
        any::<i64>().prop_map(Value::from),
        any::<u64>().prop_map(Value::from),
        any::<f64>().prop_filter("finite", |f| f.is_finite()).prop_map(Value::from),
        ".*".prop_map(Value::String),
    ];
    leaf.prop_recursive(4, 48, 6, |inner| {
        prop_oneof![
            prop::collection::vec(inner.clone(), 0..6).prop_map(Value::Array),
            prop::collection::btree_map(".{0,8}", inner, 0..6).prop_map(|m| Value::Object(m.into_iter().collect())),
        ]
    })
}

proptest! {
    #[test]
    fn any_json_reads_alike_and_writes_back(value in json_value(), pretty in any::<bool>()) {
        let text = if pretty { serde_json::to_string_pretty(&value).unwrap() } else { serde_json::to_string(&value).unwrap() };
        prop_assert_eq!(agree_on_all(&text), Ok(()));
        let written = wire::to_string(&value).unwrap();
        let back: serde_json::Value = serde_json::from_str(&written).unwrap();
        prop_assert_eq!(back, value);
    }

    #[test]
    fn any_text_reads_alike(text in "[\\[\\]{}\",:0-9a-z\\\\ .eE+-]{0,40}") {
        prop_assert_eq!(agree_on_all(&text), Ok(()));
    }
}
