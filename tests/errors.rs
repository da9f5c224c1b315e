//! The catalogue of bad input: each case must give a located, specific error, never a panic.
//! One file: it is the catalogue, read top to bottom against docs/errors.md.

use kairos::json::{compile_json, parse_context};
use kairos::program::{Node, Program, Query, Question, FORMAT_VERSION};
use kairos::{Engine, ErrorCode, LoadError};

/// `actual` is the variant expected, and reads as the wire string JavaScript callers see.
#[track_caller]
fn assert_code(actual: ErrorCode, (variant, wire): (ErrorCode, &str), what: &str) {
    assert_eq!(actual, variant, "{what}");
    assert_eq!(actual.as_str(), wire, "{what}");
    assert_eq!(actual.to_string(), wire, "{what}");
}

const BASE_SLOT: &str =
    r#""slots": {"hero": {"default": {"id": "d", "content": "x"}, "variants": [{"id": "v", "when": WHEN}]}}"#;

fn bundle_with(when: &str) -> String {
    format!("{{\"kairos\": 1, {}}}", BASE_SLOT.replace("WHEN", when))
}

/// An error code and its wire string.
type Code = (ErrorCode, &'static str);

/// (name, rules JSON, error code, path fragment, message fragment)
fn rule_cases() -> Vec<(&'static str, String, Code, &'static str, &'static str)> {
    let deep = |n: usize| format!("{}true{}", "{\"not\": ".repeat(n), "}".repeat(n));
    vec![
        ("malformed JSON", "{\"kairos\": 1, \"slots\": {".into(), (ErrorCode::Syntax, "E_SYNTAX"), "", "EOF"),
        ("trailing garbage", format!("{} x", bundle_with("true")), (ErrorCode::Syntax, "E_SYNTAX"), "", "trailing"),
        ("wrong type", "{\"kairos\": \"one\", \"slots\": {}}".into(), (ErrorCode::Syntax, "E_SYNTAX"), "kairos", "expected u32"),
        ("unknown top-level key", "{\"kairos\": 1, \"slotz\": {}}".into(), (ErrorCode::Syntax, "E_SYNTAX"), "", "unknown field `slotz`"),
        ("unknown operator", bundle_with(r#"{"gtt": [1, 2]}"#), (ErrorCode::Syntax, "E_SYNTAX"), "slots.hero.variants[0].when", "did you mean `gt`"),
        ("two operator keys", bundle_with(r#"{"gt": [1, 2], "lt": [1, 2]}"#), (ErrorCode::Syntax, "E_SYNTAX"), "variants[0].when", "exactly one key"),
        ("wrong arity", bundle_with(r#"{"gte": [1]}"#), (ErrorCode::Syntax, "E_SYNTAX"), "variants[0].when", "takes 2 arguments"),
        ("huge number", bundle_with(r#"{"gt": [1e400, 1]}"#), (ErrorCode::Syntax, "E_SYNTAX"), "variants[0].when", "number out of range"),
        ("NaN is not JSON", bundle_with(r#"{"gt": [NaN, 1]}"#), (ErrorCode::Syntax, "E_SYNTAX"), "variants[0].when", "expected value"),
        ("depth bomb past the limit", bundle_with(&deep(40)), (ErrorCode::Depth, "E_DEPTH"), "variants[0].when", "deeper than 32"),
        ("depth bomb past the parser", bundle_with(&deep(100_000)), (ErrorCode::Depth, "E_DEPTH"), "variants[0].when.not.not", "deeper than 32 levels"),
        ("empty bundle", "{\"kairos\": 1, \"slots\": {}}".into(), (ErrorCode::Empty, "E_EMPTY"), "slots", "at least one slot"),
        ("language version", "{\"kairos\": 7, \"slots\": {}}".into(), (ErrorCode::Version, "E_VERSION"), "kairos", "expected 1"),
        (
            "cyclic segments",
            format!("{{\"kairos\": 1, \"segments\": {{\"a\": {{\"segment\": \"b\"}}, \"b\": {{\"not\": {{\"segment\": \"a\"}}}}}}, {}}}", BASE_SLOT.replace("WHEN", "true")),
            (ErrorCode::Cycle, "E_CYCLE"),
            "segments.a",
            "a → segment b → segment a",
        ),
        (
            "unknown time zone",
            format!("{{\"kairos\": 1, \"default_timezone\": \"Europe/Pariss\", {}}}", BASE_SLOT.replace("WHEN", "true")),
            (ErrorCode::Timezone, "E_TIMEZONE"),
            "default_timezone",
            "did you mean `Europe/Paris`",
        ),
        ("unknown segment", bundle_with(r#"{"segment": "nope"}"#), (ErrorCode::UnknownSegment, "E_UNKNOWN_SEGMENT"), "when.segment", "no segment named `nope`"),
        ("unknown signal", bundle_with(r#"{"eq": [{"var": "session.devise"}, "mobile"]}"#), (ErrorCode::UnknownSignal, "E_UNKNOWN_SIGNAL"), "when.eq[0].var", "did you mean `session.device`"),
        ("bad duration", bundle_with(r#"{"gte": [{"count": {"event": "x", "within": "2 days"}}, 1]}"#), (ErrorCode::Duration, "E_DURATION"), "count.within", "not a duration"),
        ("zero window", bundle_with(r#"{"none": {"event": "x", "within": "0h"}}"#), (ErrorCode::Duration, "E_DURATION"), "none.within", "longer than zero"),
        ("bad clock", bundle_with(r#"{"local_time_between": ["18:00", "21:60"]}"#), (ErrorCode::Time, "E_TIME"), "local_time_between[1]", "not a time of day"),
        ("bad weekday", bundle_with(r#"{"weekday_in": ["funday"]}"#), (ErrorCode::Weekday, "E_WEEKDAY"), "weekday_in[0]", "not a weekday"),
        ("type: ordering a condition", bundle_with(r#"{"gt": [{"exists": {"var": "geo.city"}}, true]}"#), (ErrorCode::Type, "E_TYPE"), "when.gt", "orders values"),
        ("type: number vs string", bundle_with(r#"{"eq": [{"count": {"event": "x"}}, "two"]}"#), (ErrorCode::Type, "E_TYPE"), "when.eq[1]", "cannot compare a number with a string"),
        ("type: condition expected", bundle_with(r#"{"all": [{"count": {"event": "x"}}]}"#), (ErrorCode::Type, "E_TYPE"), "when.all[0]", "expected a condition"),
        ("aggregate without prop", bundle_with(r#"{"gt": [{"sum": {"event": "deposit"}}, 1]}"#), (ErrorCode::Prop, "E_PROP"), "gt[0].sum", "add \"prop\""),
        ("sequence needs then", bundle_with(r#"{"sequence": {"first": {"event": "a"}, "gap": "30m"}}"#), (ErrorCode::Sequence, "E_SEQUENCE"), "when.sequence", "exactly one of"),
        (
            "duplicate variant id",
            r#"{"kairos": 1, "slots": {"s": {"default": {"id": "d"}, "variants": [{"id": "v"}, {"id": "v"}]}}}"#.into(),
            (ErrorCode::Duplicate, "E_DUPLICATE"),
            "slots.s.variants[1].id",
            "used twice",
        ),
        (
            "content uses an unknown var",
            r#"{"kairos": 1, "slots": {"s": {"default": {"id": "d"}, "variants": [{"id": "v", "vars": {"product": {"var": "session.page"}}, "content": {"t": "{{prodct}}"}}]}}}"#.into(),
            (ErrorCode::UnknownVar, "E_UNKNOWN_VAR"),
            "variants[0].content.t",
            "did you mean `product`",
        ),
        (
            "holdout out of range",
            format!("{{\"kairos\": 1, \"holdout\": {{\"salt\": \"s\", \"percent\": 140}}, {}}}", BASE_SLOT.replace("WHEN", "true")),
            (ErrorCode::Range, "E_RANGE"),
            "holdout.percent",
            "between 0 and 100",
        ),
        ("bad name", r#"{"kairos": 1, "slots": {"hero slot": {"default": {"id": "d"}}}}"#.into(), (ErrorCode::Name, "E_NAME"), "slots.hero slot", "not a valid name"),
        ("no operands", bundle_with(r#"{"all": []}"#), (ErrorCode::Arity, "E_ARITY"), "variants[0].when", "at least one argument"),
        ("unknown tier", bundle_with(r#"{"eq": [{"tier": "vip"}, "gold"]}"#), (ErrorCode::UnknownTier, "E_UNKNOWN_TIER"), "when.eq[0].tier", "no tier table named `vip`"),
        ("long literal", bundle_with(&format!(r#"{{"eq": [{{"var": "session.page"}}, "{}"]}}"#, "x".repeat(5000))), (ErrorCode::Limit, "E_LIMIT"), "when.eq[1]", "the limit is 4096"),
        (
            "template in a default",
            r#"{"kairos": 1, "slots": {"s": {"default": {"id": "d", "content": "{{session.page}}"}}}}"#.into(),
            (ErrorCode::Template, "E_TEMPLATE"),
            "slots.s.default",
            "must render without data",
        ),
        (
            "hole in a script",
            r#"{"kairos": 1, "slots": {"s": {"default": {"id": "d"}, "variants": [{"id": "v", "content": {"html": "<script>{{session.page}}</script>"}}]}}}"#.into(),
            (ErrorCode::TemplateContext, "E_TEMPLATE_CONTEXT"),
            "variants[0].content.html",
            "no escaping makes a value safe",
        ),
        (
            "decision of an unknown slot",
            r#"{"kairos": 1, "slots": {"s": {"default": {"id": "d"}, "variants": [{"id": "v", "content": {"t": "{{decision.hreo.title}}"}}]}, "hero": {"default": {"id": "d", "content": {"title": "x"}}}}}"#.into(),
            (ErrorCode::UnknownSlot, "E_UNKNOWN_SLOT"),
            "variants[0].content.t",
            "did you mean `hero`",
        ),
        (
            "decision of an unknown field",
            r#"{"kairos": 1, "slots": {"s": {"default": {"id": "d"}, "variants": [{"id": "v", "content": {"t": "{{decision.hero.titel}}"}}]}, "hero": {"default": {"id": "d", "content": {"title": "x"}}}}}"#.into(),
            (ErrorCode::UnknownField, "E_UNKNOWN_FIELD"),
            "variants[0].content.t",
            "did you mean `title`",
        ),
    ]
}

#[test]
fn every_bad_bundle_gets_a_located_specific_error() {
    for (name, text, code, path, message) in rule_cases() {
        let err = match compile_json(&text) {
            Ok(_) => panic!("{name}: compiled, expected {}", code.1),
            Err(e) => e,
        };
        assert_code(err.code, code, &format!("{name}: {err}"));
        assert!(err.at.path.contains(path), "{name}: path `{}` lacks `{path}` ({err})", err.at.path);
        assert!(err.message.contains(message), "{name}: message `{}` lacks `{message}`", err.message);
        assert!(err.at.line >= 1 && err.at.column >= 1, "{name}: no line/column in {err}");
    }
}

#[test]
fn semantic_errors_point_at_the_offending_line() {
    let text = "{\n  \"kairos\": 1,\n  \"slots\": {\n    \"hero\": {\n      \"default\": {\"id\": \"d\"},\n      \"variants\": [\n        {\"id\": \"v\", \"when\": {\"segment\": \"missing\"}}\n      ]\n    }\n  }\n}";
    let err = compile_json(text).unwrap_err();
    assert_code(err.code, (ErrorCode::UnknownSegment, "E_UNKNOWN_SEGMENT"), "unknown segment");
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
        assert_code(err.code(), (ErrorCode::Context, "E_CONTEXT"), text);
        assert_eq!(err.too_deep, None, "{text}");
        assert!(err.at.path.contains(path), "{text}: path `{}`", err.at.path);
        assert!(err.message.contains(message), "{text}: message `{}`", err.message);
        assert!(err.at.line >= 1, "{text}: no line");
    }
    let long = format!("{{\"now\": 0, \"customer_id\": \"{}\"}}", "x".repeat(5000));
    let err = parse_context(&long).unwrap_err();
    assert_code(err.code(), (ErrorCode::Context, "E_CONTEXT"), "long string");
    assert!(err.message.contains("4096-byte limit"));
    let many = format!("{{\"now\": 0, \"events\": [{}]}}", vec!["{\"e\": \"x\", \"t\": 0}"; 10_001].join(","));
    let err = parse_context(&many).unwrap_err();
    assert_code(err.code(), (ErrorCode::Context, "E_CONTEXT"), "many events");
    assert!(err.message.contains("more than 10000 events"));
    let big_event = format!("{{\"e\": \"x\", \"t\": 0, \"p\": {{\"note\": \"{}\"}}}}", "y".repeat(4000));
    let heavy = format!("{{\"now\": 0, \"events\": [{}]}}", vec![big_event.as_str(); 300].join(","));
    let err = parse_context(&heavy).unwrap_err();
    assert_code(err.code(), (ErrorCode::Context, "E_CONTEXT"), "heavy history");
    assert!(err.message.contains("exceeds 1048576 bytes") && err.at.path == "events", "{err}");
}

fn demo_bytes() -> Vec<u8> {
    compile_json(include_str!("../examples/demo/rules.json")).unwrap().to_bytes()
}

#[test]
fn corrupt_and_foreign_bundles_are_rejected_with_codes() {
    let good = demo_bytes();
    assert!(Engine::load(&good).is_ok());
    let err = Engine::load(b"").unwrap_err();
    assert_eq!(err, LoadError::NotABundle);
    assert_code(err.code(), (ErrorCode::BundleMagic, "E_BUNDLE_MAGIC"), "empty");
    assert_code(
        Engine::load(b"{\"kairos\": 1}").unwrap_err().code(),
        (ErrorCode::BundleMagic, "E_BUNDLE_MAGIC"),
        "rules",
    );
    // A bundle of the previous format (before the question table) and one from a newer kairos.
    for found in [FORMAT_VERSION - 1, FORMAT_VERSION + 1] {
        let mut version = good.clone();
        version[6..8].copy_from_slice(&found.to_le_bytes());
        let err = Engine::load(&version).unwrap_err();
        assert_eq!(err, LoadError::WrongVersion { found, expected: FORMAT_VERSION });
        assert_code(err.code(), (ErrorCode::BundleVersion, "E_BUNDLE_VERSION"), "version");
    }
    let truncated = Engine::load(&good[..good.len() - 1]).unwrap_err();
    assert_code(truncated.code(), (ErrorCode::BundleCorrupt, "E_BUNDLE_CORRUPT"), "truncated");
    let huge = vec![0; kairos::limits::MAX_BUNDLE_BYTES + 1];
    assert_code(Engine::load(&huge).unwrap_err().code(), (ErrorCode::BundleTooLarge, "E_BUNDLE_TOO_LARGE"), "huge");
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
    // A question index one past the table, asked by a variant: refused at load, never evaluated.
    let mut bad_question = program.clone();
    bad_question.nodes.push(Node::Ask(bad_question.questions.len() as u32));
    bad_question.slots[0].variants[0].when = Some(bad_question.nodes.len() as u32 - 1);
    let mut bad_event = program.clone();
    let event = bad_event.events.len() as u32;
    bad_event.questions.push(Question::Agg(kairos::ast::AggOp::Count, count_of(event)));
    let mut bad_root = program;
    bad_root.slots[0].variants[0].when = Some(1_000_000);
    let cases = [
        ("forward", forward),
        ("shared", shared),
        ("segment", bad_segment),
        ("question", bad_question),
        ("question's event", bad_event),
        ("root", bad_root),
    ];
    for (name, p) in cases {
        let err = Program::from_bytes(&p.to_bytes()).unwrap_err();
        assert_code(err.code(), (ErrorCode::BundleCorrupt, "E_BUNDLE_CORRUPT"), &format!("{name}: {err}"));
    }
}

fn count_of(event: u32) -> Query {
    Query { event, within: None, filter: Vec::new(), prop: None }
}

#[test]
fn a_question_index_past_the_table_is_a_coded_load_error() {
    let program = compile_json(include_str!("../examples/scenarios/06-exclusive-evening-offer.json")).unwrap();
    let asked = program.nodes.iter().filter(|n| matches!(n, Node::Ask(_))).count();
    assert!(asked > 0 && !program.questions.is_empty());
    // Bytes as a hostile sender would write them, with a valid header and checksum: every
    // question index raised past the table.
    let mut crafted = program.clone();
    for n in &mut crafted.nodes {
        if let Node::Ask(q) = n {
            *q += program.questions.len() as u32;
        }
    }
    let err = Engine::load(&crafted.to_bytes()).unwrap_err();
    assert_code(err.code(), (ErrorCode::BundleCorrupt, "E_BUNDLE_CORRUPT"), "question index");
    assert!(err.to_string().contains("refers to a missing question"), "{err}");
    // A question table longer than the limit is refused before its entries are looked at.
    let mut crowded = program;
    let many = kairos::limits::MAX_QUESTIONS + 1;
    crowded.questions = vec![Question::Agg(kairos::ast::AggOp::Count, count_of(0)); many];
    let err = Engine::load(&crowded.to_bytes()).unwrap_err();
    assert_code(err.code(), (ErrorCode::BundleLimit, "E_BUNDLE_LIMIT"), "question count");
    assert!(err.to_string().contains("history questions"), "{err}");
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

#[test]
fn error_codes_are_unique_wire_strings() {
    let mut seen = std::collections::HashSet::new();
    for code in ErrorCode::ALL {
        let wire = code.as_str();
        assert!(
            wire.starts_with("E_")
                && wire[2..].bytes().all(|b| b.is_ascii_uppercase() || b.is_ascii_digit() || b == b'_'),
            "{wire}"
        );
        assert!(seen.insert(wire), "{wire} is used twice");
        assert_eq!(code.to_string(), wire);
        assert_eq!(serde_json::to_string(code).unwrap(), format!("\"{wire}\""), "serialized as the string");
        assert!(*code == wire, "compares equal to its wire string");
    }
    assert_eq!(seen.len(), ErrorCode::ALL.len());
}

#[test]
fn docs_errors_md_lists_exactly_the_codes() {
    let doc = include_str!("../docs/errors.md");
    let listed: Vec<&str> =
        doc.lines().filter_map(|l| l.strip_prefix("| `")).filter_map(|l| l.split('`').next()).collect();
    let codes: Vec<&str> = ErrorCode::ALL.iter().map(|c| c.as_str()).collect();
    assert_eq!(listed, codes, "one line per code, in ErrorCode order");
}

#[test]
fn rendering_an_unknown_slot_names_the_slots() {
    let engine = Engine::new(compile_json(include_str!("../examples/demo/rules.json")).unwrap());
    let ctx = parse_context(r#"{"now": 0}"#).unwrap();
    let err = engine.render(&ctx, "nope").unwrap_err();
    assert_code(err.code(), (ErrorCode::Slot, "E_SLOT"), "render");
    let kairos::decide::RenderError::UnknownSlot { slot, known } = &err else { panic!("{err:?}") };
    assert_eq!(slot, "nope");
    assert_eq!(known, &engine.program.slots.iter().map(|s| s.name.clone()).collect::<Vec<_>>());
    assert!(
        err.to_string().starts_with("no slot `nope`; the bundle has: ") && err.to_string().contains(&known[0]),
        "{err}"
    );
    assert!(engine.render(&ctx, &known[0]).is_ok());
}

#[test]
fn bad_timestamps_durations_and_clocks_are_typed() {
    use kairos::time::{parse_clock, parse_duration, parse_timestamp, TimeKind};
    // (input, byte offset where it goes wrong, message fragment)
    let timestamps = [
        ("", 0, "too short"),
        ("2026-1x-01", 5, "expected digits at offset 5"),
        ("2026/11/23", 4, "expected one of"),
        ("2026-02-30T00:00:00Z", 0, "not a real calendar date"),
        ("2026-11-23T18:05", 16, "needs a zone"),
        ("2026-11-23T25:00:00Z", 11, "impossible time of day"),
        ("2026-11-23T18:05:00.Z", 20, "fraction digits"),
        ("2026-11-23T18:05:00+25:00", 19, "impossible UTC offset"),
    ];
    for (text, offset, message) in timestamps {
        let err = parse_timestamp(text).unwrap_err();
        assert_code(err.code(), (ErrorCode::Time, "E_TIME"), text);
        assert_eq!((err.kind, err.offset), (TimeKind::Timestamp, Some(offset)), "{text}: {err}");
        assert!(err.message.contains(message) && err.to_string() == err.message, "{text}: {err}");
    }
    for text in ["", "h", "48", "4x", "99999999999d", "-3h", "2 days"] {
        let err = parse_duration(text).unwrap_err();
        assert_code(err.code(), (ErrorCode::Duration, "E_DURATION"), text);
        assert_eq!(err.kind, TimeKind::Duration);
        assert!(err.message.contains("is not a duration"), "{text}: {err}");
    }
    for text in ["18:60", "1800", "25:00", "24:01", ":30", "ab:cd"] {
        let err = parse_clock(text).unwrap_err();
        assert_code(err.code(), (ErrorCode::Time, "E_TIME"), text);
        assert_eq!(err.kind, TimeKind::Clock);
        assert!(err.message.contains("is not a time of day"), "{text}: {err}");
    }
}

#[test]
fn template_hole_and_block_errors_are_typed() {
    use kairos::template::{check_blocks, parse_hole, segments};
    let holes = [
        ("", "is not a var name"),
        ("a..b", "is not a var name"),
        ("x | \"open", "unterminated string"),
        ("x | monee(\"USD\")", "did you mean `money`"),
        ("x | money(\"usd\")", "ISO currency code"),
        ("x | number(9)", "0 to 6"),
        ("x | upper(1)", "takes no argument"),
        ("x | default(\"a\") | default(\"b\")", "more than one default"),
    ];
    for (inner, message) in holes {
        let err = parse_hole(inner).unwrap_err();
        assert_code(err.code(), (ErrorCode::Template, "E_TEMPLATE"), inner);
        assert!(err.message.contains(message) && err.segment.is_none(), "{inner}: {err}");
    }
    // (template, the segment at fault, message fragment)
    let blocks = [
        ("{{#if a}}x", 0, "without {{/if}}"),
        ("x{{/if}}", 1, "without {{#if}}"),
        ("{{else}}", 0, "outside {{#if}}"),
        ("{{#if a}}x{{else}}y{{else}}z{{/if}}", 4, "two {{else}}"),
        (&"{{#if a}}".repeat(9), 8, "nested deeper than 8"),
    ];
    for (template, segment, message) in blocks {
        let err = check_blocks(&segments(template)).unwrap_err();
        assert_code(err.code(), (ErrorCode::Template, "E_TEMPLATE"), template);
        assert_eq!(err.segment, Some(segment), "{template}: {err}");
        assert!(err.message.contains(message), "{template}: {err}");
    }
}

#[test]
fn depth_errors_are_told_by_type_not_by_wording() {
    use kairos::limits::{TooDeep, MAX_EXPR_DEPTH, MAX_SKIPPED_DEPTH};
    let nots = |n: usize| format!("{}true{}", "{\"not\": ".repeat(n), "}".repeat(n));
    // Rules: found by the reader's guard (JSON), by the compiler (an AST built by hand), by the text parser.
    assert_code(compile_json(&bundle_with(&nots(40))).unwrap_err().code, (ErrorCode::Depth, "E_DEPTH"), "JSON rules");
    let mut bundle = kairos::json::parse_bundle(&bundle_with("true")).unwrap();
    let mut deep = kairos::ast::Expr::Lit(kairos::ast::Lit::Bool(true));
    for _ in 0..=MAX_EXPR_DEPTH {
        deep = kairos::ast::Expr::Not(Box::new(deep));
    }
    bundle.slots.get_mut("hero").unwrap().variants[0].when = Some(deep);
    assert_code(Engine::compile(&bundle).unwrap_err().code, (ErrorCode::Depth, "E_DEPTH"), "compiled AST");
    let text = format!("kairos 1\nsegment s: {}a.b\n", "not ".repeat(100));
    assert_code(kairos::rules::text::parse_text(&text).unwrap_err().code, (ErrorCode::Depth, "E_DEPTH"), "text rules");
    // An error that only mentions nesting is not a depth error (matching the wording said it was).
    let worded = bundle_with(r#"{"a nested deeper than 1 levels": [1]}"#);
    let err = compile_json(&worded).unwrap_err();
    assert_code(err.code, (ErrorCode::Syntax, "E_SYNTAX"), "worded");
    assert!(err.message.contains("nested deeper than"), "{err}");
    // Contexts: still E_CONTEXT, with the limit that refused.
    let ctx = format!(r#"{{"now": 0, "profile": {{"x": {}1{}}}}}"#, "[".repeat(100), "]".repeat(100));
    let err = parse_context(&ctx).unwrap_err();
    assert_code(err.code(), (ErrorCode::Context, "E_CONTEXT"), "deep context");
    assert_eq!(err.too_deep, Some(TooDeep { what: "value", limit: MAX_SKIPPED_DEPTH }));
    assert!(std::error::Error::source(&err).is_some());
    // Any JSON document: past serde_json's own limit too.
    let err = kairos::json::parse::<serde_json::Value>(&format!("{}{}", "[".repeat(200), "]".repeat(200))).unwrap_err();
    assert_code(err.code(), (ErrorCode::Depth, "E_DEPTH"), "deep JSON");
    assert_eq!(err.too_deep.map(|d| d.what), Some("JSON"));
    // A crafted compiled bundle: refused at load by type, with the old code and wording.
    let mut program = compile_json(&bundle_with("true")).unwrap();
    let first = program.nodes.len() as u32;
    program.nodes.push(Node::Lit(kairos::program::Lit::Bool(true)));
    for i in 0..MAX_EXPR_DEPTH as u32 {
        program.nodes.push(Node::Not(first + i));
    }
    program.slots[0].variants[0].when = Some(program.nodes.len() as u32 - 1);
    let err = Program::from_bytes(&program.to_bytes()).unwrap_err();
    assert_code(err.code(), (ErrorCode::BundleLimit, "E_BUNDLE_LIMIT"), "deep bundle");
    let LoadError::TooDeep { depth, .. } = &err else { panic!("{err:?}") };
    assert_eq!(*depth, TooDeep { what: "expression", limit: MAX_EXPR_DEPTH });
    assert!(err.to_string().contains("expression nested deeper than 32 levels"), "{err}");
}

#[test]
fn rules_or_bundle_errors_keep_their_inner_error() {
    use kairos::json::RulesOrBundleError;
    use std::error::Error;
    let err = Engine::from_rules_or_bundle(b"{\"kairos\": 1, \"slots\": {}}").unwrap_err();
    assert_code(err.code(), (ErrorCode::Empty, "E_EMPTY"), "rules");
    assert!(matches!(&err, RulesOrBundleError::Compile(e) if e.to_string() == err.to_string()), "{err}");
    assert!(err.source().is_some());
    let mut corrupt = demo_bytes();
    corrupt.pop();
    let err = Engine::from_rules_or_bundle(&corrupt).unwrap_err();
    assert_code(err.code(), (ErrorCode::BundleCorrupt, "E_BUNDLE_CORRUPT"), "bundle");
    assert!(matches!(err, RulesOrBundleError::Load(_)), "{err}");
    let err = Engine::from_rules_or_bundle(b"\xff\xfe rules").unwrap_err();
    assert_code(err.code(), (ErrorCode::Syntax, "E_SYNTAX"), "not text");
    assert!(err.to_string().starts_with("rules are not UTF-8 text: "), "{err}");
    assert!(err.source().is_some_and(|e| e.is::<std::str::Utf8Error>()));
}

#[test]
fn keys_and_zones_have_codes() {
    let err = kairos::signing::PublicKey::parse("not hex").unwrap_err();
    assert_code(err.code(), (ErrorCode::Key, "E_KEY"), "key");
    assert_eq!(kairos::signing::KeyError::CODE, ErrorCode::Key);
    let err = kairos::time::TimeZone::named("Europe/Pariss").unwrap_err();
    assert_code(err.code(), (ErrorCode::Timezone, "E_TIMEZONE"), "zone");
    assert_code(
        kairos::time::TimeZone::offset("+99").unwrap_err().code(),
        (ErrorCode::Timezone, "E_TIMEZONE"),
        "offset",
    );
}
