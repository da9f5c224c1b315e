use super::*;
use crate::rules::ast::{AggOp, CmpOp, EventQuery, Expr, Lit};

const ISSUE_EXAMPLE: &str = "\
kairos 1

segment evening_cart_abandoners:
  count(cart_viewed within 48h) >= 2
  and device is mobile
  and local_time between 18:00 and 21:00
  and none(email_opened within 72h)

slot hero:
  default standard
  variant evening:
    when segment evening_cart_abandoners
";

fn query(event: &str, within: &str) -> EventQuery {
    EventQuery { event: event.into(), within: Some(within.into()), filter: Default::default(), prop: None }
}

#[test]
fn the_issue_example_parses_to_the_expected_tree() {
    let b = parse_text(ISSUE_EXAMPLE).unwrap();
    let want = Expr::All(vec![
        Expr::Cmp(
            CmpOp::Gte,
            Box::new(Expr::Agg(AggOp::Count, query("cart_viewed", "48h"))),
            Box::new(Expr::Lit(Lit::Num(2.0))),
        ),
        Expr::Cmp(
            CmpOp::Eq,
            Box::new(Expr::Var("session.device".into())),
            Box::new(Expr::Lit(Lit::Str("mobile".into()))),
        ),
        Expr::LocalTimeBetween("18:00".into(), "21:00".into()),
        Expr::Agg(AggOp::None, query("email_opened", "72h")),
    ]);
    assert_eq!(b.segments["evening_cart_abandoners"], want);
    assert_eq!(to_text(&b), ISSUE_EXAMPLE, "the example is already canonical");
    compile_text(ISSUE_EXAMPLE).unwrap();
}

#[test]
fn sugar_reads_as_plain_numbers() {
    let b =
        parse_text("kairos 1\nslot s:\n default d\n variant v:\n  when profile.balance < $50 and scores.churn > 25%\n")
            .unwrap();
    let printed = to_text(&b);
    assert!(printed.contains("when profile.balance < 50\n      and scores.churn > 0.25\n"), "{printed}");
}

#[test]
fn grouping_survives_printing() {
    for src in [
        "(a.x or a.y) and a.z",
        "a.x or a.y and a.z",
        "not (a.x and a.y)",
        "(a.x - a.y) - a.z",
        "a.x - (a.y - a.z)",
        "a.x + a.y * a.z > 1",
    ] {
        let text = format!("kairos 1\nsegment s: {src}\nslot x:\n default d\n");
        let b = parse_text(&text).unwrap();
        assert_eq!(parse_text(&to_text(&b)).unwrap(), b, "{src} → {}", to_text(&b));
    }
}

#[test]
fn syntax_errors_point_at_the_token_and_say_what_was_expected() {
    let src = "kairos 1\nsegment s:\n  count(cart_viewed within 48h) >=\nslot x:\n default d\n";
    let e = parse_text(src).unwrap_err();
    assert_eq!((e.at.line, e.at.column), (4, 1));
    assert!(e.message.starts_with("expected a value or a condition, found `slot`"), "{}", e.message);
    let shown = render_error(src, "rules.kairos", &e);
    assert!(shown.contains("--> rules.kairos:4:1\n"), "{shown}");
    assert!(shown.contains(" 4 | slot x:\n   | ^^^^\n"), "{shown}");
}

#[test]
fn compile_errors_are_located_and_suggest_names() {
    let src =
        "kairos 1\nsegment s:\n  count(cart_viewed within 48h) >= 2\n  and devce is mobile\nslot x:\n default d\n";
    let e = compile_text(src).unwrap_err();
    assert_eq!(e.code, ErrorCode::UnknownSignal);
    assert_eq!((e.at.line, e.at.column), (4, 7));
    assert!(e.message.contains("did you mean `device`?"), "{}", e.message);

    let src = "kairos 1\nsegment high_intent: count(x within 1d) > 2\nslot x:\n default d\n variant v:\n  when segment high_intnt\n";
    let e = compile_text(src).unwrap_err();
    assert_eq!((e.code, e.at.line, e.at.column), (ErrorCode::UnknownSegment, 6, 8));
    assert!(e.message.contains("did you mean `high_intent`?"), "{}", e.message);
}

#[test]
fn unknown_functions_get_a_suggestion() {
    let e = parse_text("kairos 1\nsegment s: cuont(x) > 1\n").unwrap_err();
    assert!(e.message.contains("unknown function `cuont` (did you mean `count`?)"), "{}", e.message);
    assert_eq!((e.at.line, e.at.column), (2, 12));
}

#[test]
fn fmt_keeps_comments() {
    let src = "# The shop's rules\nkairos 1\n\n# Evening shoppers\nsegment e: local_time between 18:00 and 21:00 # inline\n\nslot hero:\n  default d\n  # the offer\n  variant v:\n    when segment e\n# bye\n";
    let out = format_text(src).unwrap();
    for c in ["# The shop's rules", "# Evening shoppers", "# inline", "# the offer", "# bye"] {
        assert!(out.contains(c), "{c} lost:\n{out}");
    }
    assert_eq!(format_text(&out).unwrap(), out, "formatting is stable");
}

#[test]
fn a_depth_bomb_is_refused_without_overflowing_the_stack() {
    let deep = format!("kairos 1\nsegment s: {}a.b{}\n", "(".repeat(100_000), ")".repeat(100_000));
    let nots = format!("kairos 1\nsegment s: {}a.b\n", "not ".repeat(100_000));
    let content = format!("kairos 1\nslot s:\n default d\n content {}1{}\n", "[".repeat(100_000), "]".repeat(100_000));
    for bomb in [deep, nots, content] {
        let e = parse_text(&bomb).unwrap_err();
        assert_eq!(e.code, ErrorCode::Depth, "{e}");
        assert!(e.message.contains("nested deeper than") && e.at.line >= 2, "{e}");
    }
}
