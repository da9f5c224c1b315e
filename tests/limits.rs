//! The limits of src/limits.rs: each enforced with a code and a location, and no input — rules,
//! contexts or a crafted compiled bundle — recurses without bound. The depth bombs run on a
//! thread with a small stack, as wasm has one (1 MiB, fixed): 256 KiB in release builds. Debug
//! builds keep every temporary in its own stack slot (frames about eight times larger), so there
//! the same inputs get 4 MiB; either way a stack overflow aborts the test binary.

use kairos::json::{compile_json, parse_context};
use kairos::limits::*;
use kairos::program::{Node, Program};
use kairos::{Engine, Options};

const SMALL_STACK: usize = if cfg!(debug_assertions) { 4 << 20 } else { 256 << 10 };

/// Runs `f` on a thread with [`SMALL_STACK`].
fn small_stack<T: Send + 'static>(f: impl FnOnce() -> T + Send + 'static) -> T {
    let kb: Option<usize> = std::env::var("KB").ok().and_then(|v| v.parse().ok());
    std::thread::Builder::new().stack_size(kb.map_or(SMALL_STACK, |k| k << 10)).spawn(f).unwrap().join().unwrap()
}

fn with_when(when: &str) -> String {
    format!(
        r#"{{"kairos": 1, "slots": {{"s": {{"default": {{"id": "d"}}, "variants": [{{"id": "v", "when": {when}}}]}}}}}}"#
    )
}

fn with_content(content: &str) -> String {
    format!(
        r#"{{"kairos": 1, "slots": {{"s": {{"default": {{"id": "d"}}, "variants": [{{"id": "v", "content": {content}}}]}}}}}}"#
    )
}

fn nest(open: &str, inner: &str, close: &str, n: usize) -> String {
    format!("{}{inner}{}", open.repeat(n), close.repeat(n))
}

/// (code, path, message) of compiling `text`, on a small stack.
fn compile_err(text: String) -> (String, String, String, usize) {
    small_stack(move || {
        let e = compile_json(&text).expect_err("compiled");
        (e.code.to_string(), e.at.path, e.message, e.at.line)
    })
}

#[test]
fn rule_depth_bombs_are_located_errors() {
    let deep = 100_000;
    let cases = [
        ("not", with_when(&nest(r#"{"not": "#, "true", "}", deep)), "slots.s.variants[0].when.not.not"),
        ("all", with_when(&nest(r#"{"all": ["#, "true", "]}", deep)), "slots.s.variants[0].when.all[0].all[0]"),
        ("mixed", with_when(&nest(r#"{"any": [{"not": "#, "true", "}]}", deep)), "when.any[0].not.any[0]"),
        ("list", with_when(&nest("[", "1", "]", deep)), "slots.s.variants[0].when"),
        ("content object", with_content(&nest(r#"{"a": "#, "1", "}", deep)), "variants[0].content.a.a.a"),
        ("content array", with_content(&nest("[", "1", "]", deep)), "variants[0].content[0][0]"),
    ];
    for (name, text, path) in cases {
        let (code, at, message, line) = compile_err(text);
        assert_eq!(code, "E_DEPTH", "{name}: {message}");
        assert!(at.contains(path), "{name}: path {at}");
        assert!(message.contains("nested deeper than"), "{name}: {message}");
        assert!(line >= 1, "{name}: no line");
    }
}

#[test]
fn the_deepest_accepted_rules_fit_the_small_stack() {
    // Exactly at the limits: parsed, compiled, loaded and decided (with explanations) on the
    // small stack, so nothing below the limits can overflow it either.
    let n = MAX_EXPR_DEPTH - 1; // operators around a literal: n + 1 levels
    let when = format!(
        r#"{{"all": [{}, {}]}}"#,
        nest(r#"{"not": "#, "true", "}", n - 1),
        nest(r#"{"any": ["#, r#"{"eq": [{"var": "session.page"}, "x"]}"#, "]}", n - 2)
    );
    let content = nest(r#"{"a": "#, r#""{{session.page}}""#, "}", MAX_CONTENT_DEPTH);
    let text = with_when(&when).replace(r#""when""#, &format!(r#""content": {content}, "when""#));
    small_stack(move || {
        let program = compile_json(&text).unwrap();
        let engine = Engine::load(&program.to_bytes()).unwrap();
        let ctx =
            parse_context(r#"{"now": 0, "consent": {"personalization": true}, "session": {"page": "x"}}"#).unwrap();
        let d = engine.decide(&ctx, Options::explaining(true));
        assert_eq!(d.slots[0].variant, "v");
        kairos::json::decision_to_json(&d);
    });
    let too_deep = with_when(&nest(r#"{"not": "#, "true", "}", MAX_EXPR_DEPTH));
    assert_eq!(compile_err(too_deep).0, "E_DEPTH");
}

#[test]
fn context_depth_bombs_are_located_errors() {
    let deep = 100_000;
    let cases = [
        ("profile value", format!(r#"{{"now": 0, "profile": {{"x": {}}}}}"#, nest("[", "1", "]", deep)), "profile.x"),
        (
            "event property",
            format!(
                r#"{{"now": 0, "events": [{{"e": "x", "t": 0, "p": {{"y": {}}}}}]}}"#,
                nest(r#"{"a": "#, "1", "}", deep)
            ),
            "events[0]",
        ),
        (
            "event envelope",
            format!(r#"{{"now": 0, "events": [{{"e": "x", "t": 0, "context": {}}}]}}"#, nest("[", "1", "]", deep)),
            "events[0]",
        ),
        (
            "client hint",
            format!(r#"{{"now": 0, "session": {{"client_hints": {{"brands": {}}}}}}}"#, nest("[", "1", "]", deep)),
            "session.client_hints",
        ),
    ];
    for (name, text, path) in cases {
        let err = small_stack(move || parse_context(&text).expect_err("parsed"));
        assert!(err.at.path.contains(path), "{name}: path {}", err.at.path);
        assert!(err.message.contains("value nested deeper than 32 levels") && err.at.line == 1, "{name}: {err}");
    }
    // Up to the limit, skipped values are skipped, whatever their shape.
    let ok = format!(
        r#"{{"now": 0, "profile": {{"x": {}}}, "session": {{"client_hints": {{"mobile": "?1", "brands": [{{"brand": "b"}}]}}, "viewport": {{"width": 1, "height": 2, "dpr": [2]}}}}}}"#,
        nest("[", "1", "]", MAX_SKIPPED_DEPTH - 1)
    );
    let ctx = parse_context(&ok).unwrap();
    assert_eq!(ctx.session.viewport.map(|v| v.height.0), Some(2.0));
    assert!(parse_context(r#"{"now": 0, "session": {"viewport": {"width": 1}}}"#)
        .unwrap_err()
        .message
        .contains("height"));
}

#[test]
fn a_crafted_bundle_with_a_deep_chain_is_refused_at_load_and_bounded_if_built_by_hand() {
    let mut program = compile_json(&with_when("true")).unwrap();
    let first = program.nodes.len() as u32;
    program.nodes.push(Node::Lit(kairos::program::Lit::Bool(true)));
    // A chain as long as the node limit allows.
    for i in 0..(MAX_NODES as u32 - first - 1) {
        program.nodes.push(Node::Not(first + i));
    }
    program.slots[0].variants[0].when = Some(program.nodes.len() as u32 - 1);
    let bytes = program.to_bytes();
    let err = small_stack(move || Program::from_bytes(&bytes).unwrap_err());
    assert_eq!(err.code(), "E_BUNDLE_LIMIT");
    assert!(err.to_string().contains("nested deeper than 32"), "{err}");
    // Built without loading (no check at all), the chain still cannot overflow: evaluation and
    // explanations stop at their own depth limits, and the rule is unknown.
    let engine = Engine::new(program);
    let d = small_stack(move || {
        let ctx = parse_context(r#"{"now": 0, "consent": {"personalization": true}}"#).unwrap();
        engine.decide(&ctx, Options::explaining(true))
    });
    assert!(d.slots[0].is_default);
}

#[test]
fn bundle_counts_are_limited_when_compiled_and_when_loaded() {
    let slot = |i: usize| format!(r#""s{i}": {{"default": {{"id": "d"}}}}"#);
    let slots = (0..=MAX_SLOTS).map(slot).collect::<Vec<_>>().join(",");
    let variants = |n: usize| (0..n).map(|i| format!(r#"{{"id": "v{i}"}}"#)).collect::<Vec<_>>().join(",");
    let segments = (0..=MAX_SEGMENTS).map(|i| format!(r#""g{i}": true"#)).collect::<Vec<_>>().join(",");
    let tiers = (0..=MAX_TIERS).map(|i| format!(r#""t{i}": [{{"name": "a"}}]"#)).collect::<Vec<_>>().join(",");
    let levels = (0..=MAX_TIER_LEVELS).map(|i| format!(r#"{{"name": "l{i}"}}"#)).collect::<Vec<_>>().join(",");
    let one = r#""slots": {"s": {"default": {"id": "d"}}}"#;
    let wide = (0..11)
        .map(|i| format!(r#""w{i}": {{"default": {{"id": "d"}}, "variants": [{}]}}"#, variants(1000)))
        .collect::<Vec<_>>();
    let cases = [
        ("slots", format!(r#"{{"kairos": 1, "slots": {{{slots}}}}}"#), "E_LIMIT", "slots"),
        (
            "variants in a slot",
            format!(
                r#"{{"kairos": 1, "slots": {{"s": {{"default": {{"id": "d"}}, "variants": [{}]}}}}}}"#,
                variants(MAX_VARIANTS + 1)
            ),
            "E_LIMIT",
            "slots.s.variants",
        ),
        ("variants in the bundle", format!(r#"{{"kairos": 1, "slots": {{{}}}}}"#, wide.join(",")), "E_LIMIT", "slots"),
        ("segments", format!(r#"{{"kairos": 1, "segments": {{{segments}}}, {one}}}"#), "E_LIMIT", "segments"),
        ("tiers", format!(r#"{{"kairos": 1, "tiers": {{{tiers}}}, {one}}}"#), "E_LIMIT", "tiers"),
        ("levels", format!(r#"{{"kairos": 1, "tiers": {{"t": [{levels}]}}, {one}}}"#), "E_LIMIT", "tiers.t"),
        (
            "max_history",
            format!(r#"{{"kairos": 1, "max_history": {}, {one}}}"#, MAX_HISTORY + 1),
            "E_LIMIT",
            "max_history",
        ),
    ];
    for (name, text, code, path) in cases {
        let e = compile_json(&text).expect_err(name);
        assert_eq!((e.code.as_str(), e.at.path.as_str()), (code, path), "{name}: {e}");
        assert!(e.message.contains("limit") || e.message.contains(&MAX_HISTORY.to_string()), "{name}: {e}");
    }
    // A bundle over a count (made by hand: the compiler would refuse) does not load.
    let mut p = compile_json(&format!(r#"{{"kairos": 1, {one}}}"#)).unwrap();
    p.slots = vec![p.slots[0].clone(); MAX_SLOTS + 1];
    let err = Engine::load(&p.to_bytes()).unwrap_err();
    assert_eq!(err.code(), "E_BUNDLE_LIMIT", "{err}");
    assert!(err.to_string().contains("257 slots"), "{err}");
}

#[test]
fn reference_chains_up_to_the_segment_limit_compile_on_the_small_stack() {
    // The cycle check walks chains of segment references: the segment count bounds its depth.
    let chain = (0..MAX_SEGMENTS)
        .map(|i| {
            if i + 1 < MAX_SEGMENTS {
                format!(r#""g{i:04}": {{"segment": "g{:04}"}}"#, i + 1)
            } else {
                format!(r#""g{i:04}": true"#)
            }
        })
        .collect::<Vec<_>>()
        .join(",");
    let text = format!(
        r#"{{"kairos": 1, "segments": {{{chain}}}, "slots": {{"s": {{"default": {{"id": "d"}}, "variants": [{{"id": "v", "when": {{"segment": "g0000"}}}}]}}}}}}"#
    );
    let engine = small_stack(move || compile_json(&text).map(Engine::new).unwrap());
    let d = small_stack(move || {
        engine.decide(
            &parse_context(r#"{"now": 0, "consent": {"personalization": true}}"#).unwrap(),
            Options::explaining(true),
        )
    });
    // Deeper than evaluation goes (MAX_EVAL_DEPTH): unknown, so the default.
    assert_eq!((d.slots[0].is_default, d.slots[0].reason), (true, "undecided"));
}

#[test]
fn strings_are_limited_with_codes_and_paths() {
    let long = |n: usize| "x".repeat(n);
    let cases = [
        (
            "identifier",
            format!(r#"{{"kairos": 1, "slots": {{"{}": {{"default": {{"id": "d"}}}}}}}}"#, long(MAX_IDENT_BYTES + 1)),
            "E_NAME",
            "slots.",
        ),
        (
            "name",
            with_when(&format!(r#"{{"exists": {{"var": "profile.{}"}}}}"#, long(MAX_NAME_BYTES + 1))),
            "E_NAME",
            "when.exists.var",
        ),
        (
            "literal",
            with_when(&format!(r#"{{"eq": [{{"var": "session.page"}}, "{}"]}}"#, long(MAX_LITERAL_BYTES + 1))),
            "E_LIMIT",
            "when.eq[1]",
        ),
        (
            "literal in an event filter",
            with_when(&format!(
                r#"{{"none": {{"event": "e", "where": {{"p": {{"contains": "{}"}}}}}}}}"#,
                long(MAX_LITERAL_BYTES + 1)
            )),
            "E_LIMIT",
            "when.none",
        ),
        (
            "content string",
            with_content(&format!(r#"{{"html": "{}"}}"#, long(MAX_CONTENT_STRING_BYTES + 1))),
            "E_LIMIT",
            "variants[0].content.html",
        ),
        (
            "content key",
            with_content(&format!(r#"{{"{}": 1}}"#, long(MAX_NAME_BYTES + 1))),
            "E_NAME",
            "variants[0].content",
        ),
    ];
    for (name, text, code, path) in cases {
        let e = compile_json(&text).expect_err(name);
        assert_eq!(e.code, code, "{name}: {e}");
        assert!(e.at.path.contains(path), "{name}: path {}", e.at.path);
        assert!(e.message.len() < 600, "{name}: the error does not echo the long input: {}", e.message.len());
    }
    let ctx = format!(r#"{{"now": 0, "session": {{"page": "{}"}}}}"#, long(MAX_CONTEXT_STRING_BYTES + 1));
    let e = parse_context(&ctx).unwrap_err();
    assert_eq!(e.at.path, "session.page");
    let big = format!(r#"{{"now": 0, "geo": {{"city": "{}"}}}}"#, long(MAX_JSON_BYTES));
    assert!(parse_context(&big).unwrap_err().message.contains("limit"));
}

#[test]
fn content_that_would_render_too_large_is_not_shown() {
    // 5,000 holes of a 4 KiB profile value: 20 MB of output from a 65 KB template.
    let holes = "{{profile.bio}}".repeat(4_000);
    let text = format!(
        r#"{{"kairos": 1, "slots": {{"s": {{"default": {{"id": "d", "content": "plain"}}, "variants": [{{"id": "v", "content": {{"html": "<p>{holes}</p>"}}}}]}}}}}}"#
    );
    let engine = Engine::new(compile_json(&text).unwrap());
    let ctx = |bio: &str| {
        parse_context(&format!(
            r#"{{"now": 0, "consent": {{"personalization": true}}, "profile": {{"bio": "{bio}"}}}}"#
        ))
        .unwrap()
    };
    let small = engine.decide(&ctx("hi"), Options::default());
    assert_eq!(small.slots[0].variant, "v");
    let d = engine.decide(&ctx(&"&".repeat(4000)), Options::explaining(true));
    assert!(d.slots[0].is_default);
    let why = d.slots[0].explain.as_ref().unwrap().candidates[0].excluded.clone().unwrap();
    assert!(why.contains("would render to") && why.contains(&MAX_RENDERED_BYTES.to_string()), "{why}");
}
