//! The text and JSON forms of the rule language say the same thing: any bundle
//! survives JSON → text → JSON and text → JSON → text unchanged, and every
//! example is written both ways and compiles to the same bytes.

use kairos::json::{compile_json, parse_bundle};
use kairos::rules::ast::*;
use kairos::rules::text::{compile_text, format_text, parse_text, to_text};
use proptest::prelude::*;
use std::collections::BTreeMap;

/// Names people write, keywords that must be quoted, and strings that need escapes.
fn name() -> impl Strategy<Value = String> {
    prop_oneof![
        4 => "[a-z_][a-z0-9_]{0,8}",
        1 => prop::sample::select(vec![
            "and", "not", "segment", "count", "device", "true", "missing", "slot", "default", "when", "weekday",
            "local_time", "within", "$exposure", "a-b", "", "18:00", "48h", "1e5", "x.y",
        ])
        .prop_map(String::from),
        1 => "\\PC{0,6}",
        1 => "[\"\\\\\n\t\u{1}é🎉 ]{1,4}",
    ]
}

fn number() -> impl Strategy<Value = f64> {
    prop_oneof![
        (-1000i64..1000).prop_map(|n| n as f64),
        any::<f64>().prop_filter("finite", |n| n.is_finite()),
        Just(-0.0),
        Just(0.1 + 0.2),
        Just(5e-324),
    ]
}

fn lit() -> impl Strategy<Value = Lit> {
    prop_oneof![number().prop_map(Lit::Num), name().prop_map(Lit::Str), any::<bool>().prop_map(Lit::Bool)]
}

fn duration() -> impl Strategy<Value = String> {
    prop_oneof![
        3 => prop::sample::select(vec!["30m", "48h", "7d", "1h30m", "2w", "500ms"]).prop_map(String::from),
        1 => name(),
    ]
}

fn prop_test() -> impl Strategy<Value = PropTest> {
    let cmp = prop::sample::select(CmpOp::ALL.iter().map(|(op, _)| *op).collect::<Vec<_>>());
    let str_op = prop::sample::select(StrOp::ALL.iter().map(|(op, _)| *op).collect::<Vec<_>>());
    prop_oneof![
        (cmp, lit()).prop_map(|(op, l)| PropTest::Cmp(op, l)),
        prop::collection::vec(lit(), 0..3).prop_map(PropTest::In),
        (str_op, name()).prop_map(|(op, s)| PropTest::Str(op, s)),
    ]
}

fn query() -> impl Strategy<Value = EventQuery> {
    (
        name(),
        prop::option::of(duration()),
        prop::collection::btree_map(name(), prop_test(), 0..3),
        prop::option::of(name()),
    )
        .prop_map(|(event, within, filter, prop)| EventQuery { event, within, filter, prop })
}

fn leaf() -> impl Strategy<Value = Expr> {
    let agg = prop::sample::select(AggOp::ALL.iter().map(|(op, _)| *op).collect::<Vec<_>>());
    prop_oneof![
        lit().prop_map(Expr::Lit),
        prop::collection::vec(lit(), 0..3).prop_map(Expr::List),
        prop_oneof![
            prop::sample::select(vec!["session.device", "profile.balance", "scores.ltv", "event.amount", "now"])
                .prop_map(String::from),
            name()
        ]
        .prop_map(Expr::Var),
        (name(), duration()).prop_map(|(name, max_age)| Expr::Score(ScoreRef { name, max_age })),
        (prop_oneof![Just("18:00".to_string()), name()], prop_oneof![Just("9:30".to_string()), name()])
            .prop_map(|(a, b)| Expr::LocalTimeBetween(a, b)),
        prop::collection::vec(name(), 0..3).prop_map(Expr::WeekdayIn),
        duration().prop_map(Expr::Duration),
        (agg, query()).prop_map(|(op, q)| Expr::Agg(op, q)),
        (query(), prop::option::of(query()), prop::option::of(query()), duration())
            .prop_map(|(first, then, then_not, gap)| Expr::Sequence(Box::new(Sequence { first, then, then_not, gap }))),
        name().prop_map(Expr::Segment),
        name().prop_map(Expr::Tier),
        name().prop_map(Expr::Bucket),
    ]
}

fn expr() -> impl Strategy<Value = Expr> {
    leaf().prop_recursive(4, 32, 4, |inner| {
        let b = |e: Expr| Box::new(e);
        let cmp = prop::sample::select(CmpOp::ALL.iter().map(|(op, _)| *op).collect::<Vec<_>>());
        let str_op = prop::sample::select(StrOp::ALL.iter().map(|(op, _)| *op).collect::<Vec<_>>());
        prop_oneof![
            prop::collection::vec(inner.clone(), 0..4).prop_map(Expr::All),
            prop::collection::vec(inner.clone(), 0..4).prop_map(Expr::Any),
            inner.clone().prop_map(move |e| Expr::Not(b(e))),
            (cmp, inner.clone(), inner.clone()).prop_map(move |(op, x, y)| Expr::Cmp(op, b(x), b(y))),
            (inner.clone(), inner.clone(), inner.clone()).prop_map(move |(x, lo, hi)| Expr::Between(
                b(x),
                b(lo),
                b(hi)
            )),
            (inner.clone(), prop::collection::vec(lit(), 0..3)).prop_map(move |(x, l)| Expr::In(b(x), l)),
            inner.clone().prop_map(move |e| Expr::Exists(b(e))),
            inner.clone().prop_map(move |e| Expr::Missing(b(e))),
            (str_op, inner.clone(), inner.clone()).prop_map(move |(op, x, y)| Expr::Str(op, b(x), b(y))),
            inner.clone().prop_map(move |e| Expr::Lower(b(e))),
            (inner.clone(), 0u32..=6).prop_map(move |(e, d)| Expr::Round(b(e), d)),
            prop::collection::vec(inner.clone(), 2..4).prop_map(|v| Expr::Arith(ArithOp::Add, v)),
            prop::collection::vec(inner.clone(), 2..4).prop_map(|v| Expr::Arith(ArithOp::Mul, v)),
            (inner.clone(), inner.clone()).prop_map(|(x, y)| Expr::Arith(ArithOp::Sub, vec![x, y])),
            (inner.clone(), inner.clone()).prop_map(|(x, y)| Expr::Arith(ArithOp::Div, vec![x, y])),
            prop::collection::vec(inner.clone(), 0..3).prop_map(Expr::Coalesce),
            inner.clone().prop_map(move |e| Expr::DaysUntil(b(e))),
            inner.prop_map(move |e| Expr::DaysSince(b(e))),
        ]
    })
}

fn json() -> impl Strategy<Value = Json> {
    let leaf = prop_oneof![
        Just(Json::Null),
        any::<bool>().prop_map(Json::Bool),
        number().prop_map(Json::Num),
        name().prop_map(Json::Str),
    ];
    leaf.prop_recursive(3, 16, 3, |inner| {
        prop_oneof![
            prop::collection::vec(inner.clone(), 0..3).prop_map(Json::Arr),
            prop::collection::vec((name(), inner), 0..3).prop_map(Json::Obj),
        ]
    })
}

fn variant() -> impl Strategy<Value = Variant> {
    (
        name(),
        prop::option::of(expr()),
        any::<i32>(),
        prop::option::of(expr()),
        json(),
        prop::collection::btree_map(name(), expr(), 0..2),
        prop::option::of((any::<u32>(), duration()).prop_map(|(max, within)| Cap { max, within })),
        any::<bool>(),
    )
        .prop_map(|(id, when, priority, score, content, vars, cap, suppress_after_conversion)| Variant {
            id,
            when,
            priority,
            score,
            content,
            vars,
            cap,
            suppress_after_conversion,
        })
}

fn bundle() -> impl Strategy<Value = Bundle> {
    let holdout = (name(), number()).prop_map(|(salt, percent)| Holdout { salt, percent });
    let tier = prop::collection::vec(
        (name(), prop::option::of(expr())).prop_map(|(name, when)| TierLevel { name, when }),
        0..3,
    );
    let slot = (name(), json(), prop::collection::vec(variant(), 0..3))
        .prop_map(|(id, content, variants)| Slot { default: DefaultVariant { id, content }, variants });
    (
        any::<u32>(),
        prop_oneof![Just(String::new()), name()],
        prop::option::of(name()),
        prop::option::of(holdout),
        prop::option::of(any::<u32>()),
        prop::collection::btree_map(name(), expr(), 0..3),
        prop::collection::btree_map(name(), tier, 0..2),
        prop::collection::btree_map(name(), slot, 0..3),
    )
        .prop_map(|(kairos, name, default_timezone, holdout, max_history, segments, tiers, slots)| Bundle {
            kairos,
            name,
            default_timezone,
            holdout,
            max_history,
            segments,
            tiers,
            slots,
        })
}

fn via_json(b: &Bundle) -> Bundle {
    let text = serde_json::to_string(b).expect("bundles serialise");
    parse_bundle(&text).unwrap_or_else(|e| panic!("JSON did not read back: {e}\n{text}"))
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 400, ..ProptestConfig::default() })]

    #[test]
    fn json_to_text_to_json_is_exact(b in bundle()) {
        let from_json = via_json(&b);
        let text = to_text(&from_json);
        let back = parse_text(&text).unwrap_or_else(|e| panic!("{e}\n{text}"));
        prop_assert_eq!(&back, &from_json, "{}", text);
        prop_assert_eq!(via_json(&back), from_json);
    }

    #[test]
    fn text_to_json_to_text_is_exact(b in bundle()) {
        let text = to_text(&b);
        let parsed = parse_text(&text).unwrap_or_else(|e| panic!("{e}\n{text}"));
        prop_assert_eq!(to_text(&via_json(&parsed)), text.clone());
        prop_assert_eq!(format_text(&text).unwrap(), text, "canonical text is a fixed point of fmt");
    }

    #[test]
    fn arbitrary_text_never_panics(src in "(kairos 1|segment|slot|default|variant|when|and|or|not|is|\\(|\\)|\\[|\\]|,|:|count|within|48h|18:00|\\$5|5%|\"s\"|x\\.y|[a-z]{1,3}|[0-9]{1,3}|==|>=|-|\\+|\\*|/|\n| ){0,40}") {
        let _ = compile_text(&src);
        if let Ok(b) = parse_text(&src) {
            prop_assert_eq!(parse_text(&to_text(&b)).ok(), Some(b));
        }
    }
}

fn examples() -> Vec<(std::path::PathBuf, std::path::PathBuf)> {
    let root = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("examples");
    let mut pairs = Vec::new();
    for dir in ["scenarios", "demo", "email"] {
        for entry in std::fs::read_dir(root.join(dir)).unwrap() {
            let text = entry.unwrap().path();
            if text.extension().is_some_and(|e| e == "kairos") {
                let json = text.with_extension("json");
                assert!(json.exists(), "{} has no JSON twin", text.display());
                pairs.push((json, text));
            }
        }
    }
    pairs.sort();
    pairs
}

#[test]
fn every_example_is_written_both_ways_and_compiles_to_the_same_bundle() {
    let pairs = examples();
    assert_eq!(pairs.iter().filter(|(j, _)| j.to_string_lossy().contains("scenarios")).count(), 21);
    for (json, text) in pairs {
        let (json_src, text_src) = (std::fs::read_to_string(&json).unwrap(), std::fs::read_to_string(&text).unwrap());
        let a = compile_json(&json_src).unwrap_or_else(|e| panic!("{}: {e}", json.display()));
        let b = compile_text(&text_src).unwrap_or_else(|e| panic!("{}: {e}", text.display()));
        assert_eq!(a.to_bytes(), b.to_bytes(), "{} and {} differ", json.display(), text.display());
        assert_eq!(format_text(&text_src).unwrap(), text_src, "{} is not canonical", text.display());
    }
}

#[test]
fn scenario_contexts_decide_the_same_from_either_form() {
    use kairos::json::{decision_to_json, parse_context};
    use kairos::{Engine, Options};
    for (json, text) in examples() {
        let ctx_path = json.with_extension("context.json");
        let ctx_path = if ctx_path.exists() { ctx_path } else { json.with_file_name("context.json") };
        let Ok(ctx) = std::fs::read_to_string(&ctx_path) else { continue };
        let ctx = parse_context(&ctx).unwrap();
        let from_json = Engine::new(compile_json(&std::fs::read_to_string(&json).unwrap()).unwrap());
        let from_text = Engine::new(compile_text(&std::fs::read_to_string(&text).unwrap()).unwrap());
        let options = Options::explaining(true);
        assert_eq!(
            decision_to_json(&from_json.decide(&ctx, options)),
            decision_to_json(&from_text.decide(&ctx, options)),
            "{}",
            text.display()
        );
    }
}

#[test]
fn compile_errors_in_text_name_the_line_of_the_rule() {
    let src = "kairos 1\n\nsegment a: count(x within 1d) > 1\n\nslot s:\n  default d\n  variant v:\n    when segment a\n    cap 3 per 7 days\n";
    let e = compile_text(src).unwrap_err();
    assert_eq!(e.at.line, 9, "{e}");
    let e = compile_text("kairos 2\nslot s:\n default d\n").unwrap_err();
    assert_eq!((e.code, e.at.line), (kairos::ErrorCode::Version, 1));
    let mut tiers = BTreeMap::new();
    tiers.insert("t".to_string(), Vec::<TierLevel>::new());
    assert!(to_text(&Bundle {
        kairos: 1,
        name: String::new(),
        default_timezone: None,
        holdout: None,
        max_history: None,
        segments: BTreeMap::new(),
        tiers,
        slots: BTreeMap::new()
    })
    .contains("tier t:\n"));
}
