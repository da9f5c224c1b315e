//! A hand-built log whose counts are known, line by line.

use super::*;

const DAY: i64 = 24 * 3600 * 1000;

fn exposure(who: &str, at: i64, slot: &str, variant: &str, holdout: bool) -> String {
    format!(
        r#"{{"type":"track","event":"Experiment Viewed","anonymousId":"{who}","timestamp":{at},"messageId":"m","properties":{{"slot":"{slot}","variant":"{variant}","holdout":{holdout},"variation_id":"x","experiment_id":"e","reason":"rule","bundle_id":"b","surface":"edge"}}}}"#
    )
}

fn order(who: &str, at: i64, value: f64) -> String {
    format!(
        r#"{{"type":"track","event":"Order Completed","anonymousId":"{who}","timestamp":{at},"properties":{{"revenue":{value}}}}}"#
    )
}

fn lift() -> Lift {
    Lift::new(LiftOptions {
        conversion: "order_completed".into(),
        value: Some("revenue".into()),
        within_ms: 7 * DAY,
        holdout_share: Some(0.25),
    })
}

#[test]
fn counts_follow_the_attribution_rule() {
    let mut l = lift();
    let mut log = Vec::new();
    // Holdout: 10 visitors, 2 convert within the window.
    for i in 0..10 {
        log.push(exposure(&format!("h{i}"), 0, "hero", "brand", true));
    }
    log.push(order("h0", DAY, 10.0));
    log.push(order("h1", 2 * DAY, 20.0));
    log.push(order("h2", 8 * DAY, 99.0)); // after the window: not counted
                                          // Variant a: 20 visitors, 8 convert; variant b: 10 visitors, 2 convert.
    for i in 0..20 {
        log.push(exposure(&format!("a{i}"), 0, "hero", "a", false));
    }
    for i in 0..8 {
        log.push(order(&format!("a{i}"), DAY, 30.0));
    }
    for i in 0..10 {
        log.push(exposure(&format!("b{i}"), 0, "hero", "b", false));
    }
    log.push(order("b0", 3 * DAY, 5.0));
    log.push(order("b1", 3 * DAY, 5.0));
    // A second exposure keeps the first arm; a second order adds value, not a conversion.
    log.push(exposure("a0", DAY, "hero", "b", false));
    log.push(order("a0", 2 * DAY, 30.0));
    // Not attributed: an order from nobody exposed; noise lines; one bad line.
    log.push(order("stranger", DAY, 1.0));
    log.push(r#"{"type":"page","name":"Home","anonymousId":"a1","timestamp":0}"#.into());
    log.push(String::new());
    let bad = log.len() as u64 + 1;
    log.push("{not json".into());
    let results: Vec<_> = log.iter().map(|line| l.push_line(line)).collect();
    assert_eq!(results.iter().filter(|r| r.is_err()).count(), 1);
    let r = l.report(0.95);
    assert_eq!((r.lines, r.bad_lines, r.visitors), (bad, 1, 40));
    assert_eq!(r.first_bad, [format!("line {bad}, column 2: expected a key in quotes, found `n`")]);
    assert_eq!(r.exposures, 41);
    assert_eq!(r.conversions, 15);
    let hero = &r.slots["hero"];
    assert_eq!((hero.holdout.visitors, hero.holdout.conversions), (10, 2));
    assert_eq!((hero.treated.visitors, hero.treated.conversions), (30, 10));
    assert_eq!((hero.variants["a"].group.visitors, hero.variants["a"].group.conversions), (20, 8));
    assert_eq!((hero.variants["b"].group.visitors, hero.variants["b"].group.conversions), (10, 2));
    assert_eq!(hero.holdout.value_per_visitor, Some(3.0), "(10 + 20) / 10");
    assert_eq!(hero.variants["a"].group.value_per_visitor, Some((8.0 * 30.0 + 30.0) / 20.0));
    let z = stats::z_for(0.95);
    let (d, lo, hi) = stats::newcombe(10, 30, 2, 10, z).unwrap();
    assert_eq!((hero.lifts.lift_abs, hero.lifts.lift_abs_ci95), (Some(d), Some([lo, hi])));
    let (rel, lo, hi) = stats::relative(8, 20, 2, 10, z).unwrap();
    assert_eq!(
        (hero.variants["a"].lifts.lift_rel, hero.variants["a"].lifts.lift_rel_ci95),
        (Some(rel), Some([lo, hi]))
    );
    assert!((rel - 1.0).abs() < 1e-12, "0.4 against 0.2");
    assert_eq!(hero.srm_p, Some(1.0), "10 of 40 held out at 25 %");
    assert_eq!(r.note, None);
}

#[test]
fn a_log_without_holdout_exposures_says_so() {
    let mut l = lift();
    l.push_line(&exposure("v", 0, "hero", "a", false)).unwrap();
    let r = l.report(0.95);
    assert!(r.note.unwrap().contains("no holdout"));
    assert_eq!(r.slots["hero"].lifts.lift_abs, None, "nothing to compare with");
}

#[test]
fn bad_lines_are_located_and_counted() {
    let mut l = lift();
    for line in [r#"{"event":"Experiment Viewed","timestamp":0}"#, r#"{"event":"Order Completed","anonymousId":"x"}"#] {
        assert!(l.push_line(line).is_err());
    }
    let r = l.report(0.95);
    assert_eq!(r.bad_lines, 2);
    assert_eq!(r.first_bad, ["line 1: no userId or anonymousId", "line 2: no timestamp"]);
}

#[test]
fn the_chart_shows_every_arm_and_escapes_names() {
    let mut l = lift();
    l.push_line(&exposure("h", 0, "<hero>", "brand", true)).unwrap();
    l.push_line(&exposure("v", 0, "<hero>", "a&b", false)).unwrap();
    l.push_line(&order("v", 1, 1.0)).unwrap();
    let svg = svg::chart(&l.report(0.95));
    assert!(svg.starts_with("<svg ") && svg.trim_end().ends_with("</svg>"));
    assert!(svg.contains("slot &lt;hero&gt;") && svg.contains(">a&amp;b<"), "{svg}");
    assert!(!svg.contains("<hero>") && !svg.contains(">a&b<"));
    assert_eq!(svg.matches("<circle").count(), 3, "holdout, treated and the variant each have a rate");
}

#[test]
fn reading_a_log_locates_lines_that_are_not_utf8() {
    let mut log = exposure("h", 0, "hero", "brand", true).into_bytes();
    log.extend_from_slice(b"\n{\"event\":\"Order \xff\"}\n");
    log.extend_from_slice(exposure("v", 0, "hero", "a", false).as_bytes());
    let mut l = lift();
    let bad = l.read(&log[..], false).unwrap_err();
    assert_eq!((bad.line, bad.column, bad.why.as_str()), (2, Some(17), "invalid UTF-8"));
    let mut l = lift();
    l.read(&log[..], true).unwrap();
    let r = l.report(0.95);
    assert_eq!((r.lines, r.bad_lines, r.exposures), (3, 1, 2));
}
