//! The catalogue of bad input: each case must give a located, specific error, never a panic.

use kairos::json::{compile_json, parse_context};
use kairos::program::{Node, Program};
use kairos::{Engine, LoadError};

const BASE_SLOT: &str =
    r#""slots": {"hero": {"default": {"id": "d", "content": "x"}, "variants": [{"id": "v", "when": WHEN}]}}"#;

fn bundle_with(when: &str) -> String {
    format!("{{\"kairos\": 1, {}}}", BASE_SLOT.replace("WHEN", when))
}

/// (name, rules JSON, error code, path fragment, message fragment)
fn rule_cases() -> Vec<(&'static str, String, &'static str, &'static str, &'static str)> {
    let deep = |n: usize| format!("{}true{}", "{\"not\": ".repeat(n), "}".repeat(n));
    vec![
        ("malformed JSON", "{\"kairos\": 1, \"slots\": {".into(), "E_SYNTAX", "", "EOF"),
        ("trailing garbage", format!("{} x", bundle_with("true")), "E_SYNTAX", "", "trailing"),
        ("wrong type", "{\"kairos\": \"one\", \"slots\": {}}".into(), "E_SYNTAX", "kairos", "expected u32"),
        ("unknown top-level key", "{\"kairos\": 1, \"slotz\": {}}".into(), "E_SYNTAX", "", "unknown field `slotz`"),
        ("unknown operator", bundle_with(r#"{"gtt": [1, 2]}"#), "E_SYNTAX", "slots.hero.variants[0].when", "did you mean `gt`"),
        ("two operator keys", bundle_with(r#"{"gt": [1, 2], "lt": [1, 2]}"#), "E_SYNTAX", "variants[0].when", "exactly one key"),
        ("wrong arity", bundle_with(r#"{"gte": [1]}"#), "E_SYNTAX", "variants[0].when", "takes 2 arguments"),
        ("huge number", bundle_with(r#"{"gt": [1e400, 1]}"#), "E_SYNTAX", "variants[0].when", "number out of range"),
        ("NaN is not JSON", bundle_with(r#"{"gt": [NaN, 1]}"#), "E_SYNTAX", "variants[0].when", "expected value"),
        ("depth bomb past the limit", bundle_with(&deep(40)), "E_DEPTH", "variants[0].when", "deeper than 32"),
        ("depth bomb past the parser", bundle_with(&deep(100_000)), "E_DEPTH", "variants[0].when.not.not", "deeper than 32 levels"),
        ("empty bundle", "{\"kairos\": 1, \"slots\": {}}".into(), "E_EMPTY", "slots", "at least one slot"),
        ("language version", "{\"kairos\": 7, \"slots\": {}}".into(), "E_VERSION", "kairos", "expected 1"),
        (
            "cyclic segments",
            format!("{{\"kairos\": 1, \"segments\": {{\"a\": {{\"segment\": \"b\"}}, \"b\": {{\"not\": {{\"segment\": \"a\"}}}}}}, {}}}", BASE_SLOT.replace("WHEN", "true")),
            "E_CYCLE",
            "segments.a",
            "a → segment b → segment a",
        ),
        (
            "unknown time zone",
            format!("{{\"kairos\": 1, \"default_timezone\": \"Europe/Pariss\", {}}}", BASE_SLOT.replace("WHEN", "true")),
            "E_TIMEZONE",
            "default_timezone",
            "did you mean `Europe/Paris`",
        ),
        ("unknown segment", bundle_with(r#"{"segment": "nope"}"#), "E_UNKNOWN_SEGMENT", "when.segment", "no segment named `nope`"),
        ("unknown signal", bundle_with(r#"{"eq": [{"var": "session.devise"}, "mobile"]}"#), "E_UNKNOWN_SIGNAL", "when.eq[0].var", "did you mean `session.device`"),
        ("bad duration", bundle_with(r#"{"gte": [{"count": {"event": "x", "within": "2 days"}}, 1]}"#), "E_DURATION", "count.within", "not a duration"),
        ("zero window", bundle_with(r#"{"none": {"event": "x", "within": "0h"}}"#), "E_DURATION", "none.within", "longer than zero"),
        ("bad clock", bundle_with(r#"{"local_time_between": ["18:00", "21:60"]}"#), "E_TIME", "local_time_between[1]", "not a time of day"),
        ("bad weekday", bundle_with(r#"{"weekday_in": ["funday"]}"#), "E_WEEKDAY", "weekday_in[0]", "not a weekday"),
        ("type: ordering a condition", bundle_with(r#"{"gt": [{"exists": {"var": "geo.city"}}, true]}"#), "E_TYPE", "when.gt", "orders values"),
        ("type: number vs string", bundle_with(r#"{"eq": [{"count": {"event": "x"}}, "two"]}"#), "E_TYPE", "when.eq[1]", "cannot compare a number with a string"),
        ("type: condition expected", bundle_with(r#"{"all": [{"count": {"event": "x"}}]}"#), "E_TYPE", "when.all[0]", "expected a condition"),
        ("aggregate without prop", bundle_with(r#"{"gt": [{"sum": {"event": "deposit"}}, 1]}"#), "E_PROP", "gt[0].sum", "add \"prop\""),
        ("sequence needs then", bundle_with(r#"{"sequence": {"first": {"event": "a"}, "gap": "30m"}}"#), "E_SEQUENCE", "when.sequence", "exactly one of"),
        (
            "duplicate variant id",
            r#"{"kairos": 1, "slots": {"s": {"default": {"id": "d"}, "variants": [{"id": "v"}, {"id": "v"}]}}}"#.into(),
            "E_DUPLICATE",
            "slots.s.variants[1].id",
            "used twice",
        ),
        (
            "content uses an unknown var",
            r#"{"kairos": 1, "slots": {"s": {"default": {"id": "d"}, "variants": [{"id": "v", "vars": {"product": {"var": "session.page"}}, "content": {"t": "{{prodct}}"}}]}}}"#.into(),
            "E_UNKNOWN_VAR",
            "variants[0].content.t",
            "did you mean `product`",
        ),
        (
            "holdout out of range",
            format!("{{\"kairos\": 1, \"holdout\": {{\"salt\": \"s\", \"percent\": 140}}, {}}}", BASE_SLOT.replace("WHEN", "true")),
            "E_RANGE",
            "holdout.percent",
            "between 0 and 100",
        ),
        ("bad name", r#"{"kairos": 1, "slots": {"hero slot": {"default": {"id": "d"}}}}"#.into(), "E_NAME", "slots.hero slot", "not a valid name"),
    ]
}

#[test]
fn every_bad_bundle_gets_a_located_specific_error() {
    for (name, text, code, path, message) in rule_cases() {
        let err = match compile_json(&text) {
            Ok(_) => panic!("{name}: compiled, expected {code}"),
            Err(e) => e,
        };
        assert_eq!(err.code, code, "{name}: {err}");
        assert!(err.at.path.contains(path), "{name}: path `{}` lacks `{path}` ({err})", err.at.path);
        assert!(err.message.contains(message), "{name}: message `{}` lacks `{message}`", err.message);
        assert!(err.at.line >= 1 && err.at.column >= 1, "{name}: no line/column in {err}");
    }
}

#[test]
fn semantic_errors_point_at_the_offending_line() {
    let text = "{\n  \"kairos\": 1,\n  \"slots\": {\n    \"hero\": {\n      \"default\": {\"id\": \"d\"},\n      \"variants\": [\n        {\"id\": \"v\", \"when\": {\"segment\": \"missing\"}}\n      ]\n    }\n  }\n}";
    let err = compile_json(text).unwrap_err();
    assert_eq!((err.at.line, err.at.column), (7, 41), "{err}");
    assert_eq!(
        err.to_string(),
        "slots.hero.variants[0].when.segment (line 7, column 41): no segment named `missing` [E_UNKNOWN_SEGMENT]"
    );
}

#[test]
fn bad_contexts_name_their_json_path() {
    let cases: &[(&str, &str, &str)] = &[
        ("{}", "", "missing field `now`"),
        ("{\"now\": \"yesterday\"}", "now", "timestamp"),
        ("{\"now\": 1e400}", "now", "out of range"),
        ("{\"now\": 99999999999999999}", "now", "outside years"),
        ("{\"now\": 0, \"session\": {\"cart_dwell_ms\": \"long\"}}", "session.cart_dwell_ms", "expected f64"),
        ("{\"now\": 0, \"sesion\": {}}", "", "unknown field `sesion`"),
        ("{\"now\": 0, \"events\": [{\"event\": \"x\"}]}", "events[0]", "missing field `timestamp`"),
        (
            "{\"now\": 0, \"events\": [{\"event\": \"x\", \"timestamp\": \"2026-02-30T00:00:00Z\"}]}",
            "events[0]",
            "calendar",
        ),
        ("{\"now\": 0, \"scores\": {\"p\": {\"value\": 0.5}}}", "scores.p", "computed_at"),
        ("{\"now\": 0, \"session\": {\"client_hints\": {\"mobile\": \"maybe\"}}}", "session.client_hints.mobile", "?1"),
        ("{\"now\": 0,", "", "EOF"),
    ];
    for (text, path, message) in cases {
        let err = parse_context(text).expect_err(text);
        assert!(err.at.path.contains(path), "{text}: path `{}`", err.at.path);
        assert!(err.message.contains(message), "{text}: message `{}`", err.message);
        assert!(err.at.line >= 1, "{text}: no line");
    }
    let long = format!("{{\"now\": 0, \"customer_id\": \"{}\"}}", "x".repeat(5000));
    assert!(parse_context(&long).unwrap_err().message.contains("4096-byte limit"));
    let many = format!("{{\"now\": 0, \"events\": [{}]}}", vec!["{\"e\": \"x\", \"t\": 0}"; 10_001].join(","));
    assert!(parse_context(&many).unwrap_err().message.contains("more than 10000 events"));
    let big_event = format!("{{\"e\": \"x\", \"t\": 0, \"p\": {{\"note\": \"{}\"}}}}", "y".repeat(4000));
    let heavy = format!("{{\"now\": 0, \"events\": [{}]}}", vec![big_event.as_str(); 300].join(","));
    let err = parse_context(&heavy).unwrap_err();
    assert!(err.message.contains("exceeds 1048576 bytes") && err.at.path == "events", "{err}");
}

fn demo_bytes() -> Vec<u8> {
    compile_json(include_str!("../examples/demo/rules.json")).unwrap().to_bytes()
}

#[test]
fn corrupt_and_foreign_bundles_are_rejected_with_codes() {
    let good = demo_bytes();
    assert!(Engine::load(&good).is_ok());
    assert_eq!(Engine::load(b"").unwrap_err(), LoadError::NotABundle);
    assert_eq!(Engine::load(b"{\"kairos\": 1}").unwrap_err().code(), "E_BUNDLE_MAGIC");
    let mut version = good.clone();
    version[6] = 2;
    assert_eq!(Engine::load(&version).unwrap_err(), LoadError::WrongVersion { found: 2, expected: 1 });
    assert_eq!(Engine::load(&good[..good.len() - 1]).unwrap_err().code(), "E_BUNDLE_CORRUPT");
    // Every single-bit flip of the payload is caught, and nothing panics.
    for i in kairos::program::HEADER_LEN..good.len() {
        for bit in [0x01u8, 0x80] {
            let mut b = good.clone();
            b[i] ^= bit;
            assert!(Engine::load(&b).is_err(), "flip at {i} accepted");
        }
    }
}

#[test]
fn structurally_invalid_programs_are_rejected_even_with_a_valid_checksum() {
    let program = compile_json(include_str!("../examples/demo/rules.json")).unwrap();
    let mut forward = program.clone();
    forward.nodes.push(Node::Not(forward.nodes.len() as u32 + 5));
    let mut shared = program.clone();
    shared.nodes.push(Node::All(vec![0, 0]));
    let mut bad_segment = program.clone();
    bad_segment.nodes.push(Node::Segment(99));
    let mut bad_root = program;
    bad_root.slots[0].variants[0].when = Some(1_000_000);
    for (name, p) in [("forward", forward), ("shared", shared), ("segment", bad_segment), ("root", bad_root)] {
        let err = Program::from_bytes(&p.to_bytes()).unwrap_err();
        assert_eq!(err.code(), "E_BUNDLE_CORRUPT", "{name}: {err}");
    }
}

#[test]
fn schema_lists_exactly_the_operators_the_parser_knows() {
    let schema: serde_json::Value = serde_json::from_str(include_str!("../schema/bundle.schema.json")).unwrap();
    let ops = &schema["definitions"]["expr"]["anyOf"][2]["properties"];
    let mut in_schema: Vec<&str> = ops.as_object().unwrap().keys().map(String::as_str).collect();
    let mut in_parser = kairos::ast::OPERATORS.to_vec();
    in_schema.sort_unstable();
    in_parser.sort_unstable();
    assert_eq!(in_schema, in_parser);
}
