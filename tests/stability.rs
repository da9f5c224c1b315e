//! Until when a decision holds (`Engine::decide_counted`, feature `stability`): decided again at
//! any instant before its `until`, with no new input, every scenario case gives the same decision
//! and segments. Replays rely on it to skip customers whose decisions cannot have changed.
#![cfg(all(feature = "stability", feature = "json"))]

mod support;

use kairos::json::{decision_to_json, parse_context};
use kairos::{Engine, Options};
use serde_json::Value;

const MINUTE: i64 = 60_000;
const DAY: i64 = 24 * 60 * MINUTE;

/// Every case's bundle and context, with the case's name.
fn cases() -> Vec<(String, Engine, Value)> {
    support::scenario_cases()
}

/// The decision and segments at `now` (ms), as JSON.
fn decided(engine: &Engine, context: &Value, now: i64) -> (Value, Vec<kairos::Tri>, i64) {
    let mut ctx = parse_context(&context.to_string()).unwrap();
    ctx.now = kairos::context::Timestamp(now);
    let (decision, segments, until) = engine.decide_counted(&ctx, Options::default(), true);
    (serde_json::from_str(&decision_to_json(&decision)).unwrap(), segments, until)
}

/// Instants strictly between `from` and `until` (capped at a week): both ends, and a spread.
fn between(from: i64, until: i64) -> Vec<i64> {
    let last = until.min(from + 7 * DAY) - 1;
    if last <= from {
        return Vec::new();
    }
    let span = last - from;
    let mut at: Vec<i64> = [1, 997, MINUTE, 59 * MINUTE].iter().map(|d| from + d).filter(|t| *t <= last).collect();
    at.extend((1..=12).map(|k| from + span * k / 12));
    at.push(last);
    at
}

#[test]
fn a_decision_holds_until_its_until() {
    let (mut checked, mut bounded) = (0, 0);
    for (name, engine, context) in cases() {
        let now = parse_context(&context.to_string()).unwrap().now.0;
        // The case's own instant, and others over the next days and around daylight saving
        // (2027-03-28 and 2026-10-25 in Europe).
        let starts = [now, now + 5 * MINUTE + 17, now + 7 * 60 * MINUTE, now + 2 * DAY + 11 * MINUTE];
        let dst = [1_792_897_200_000 - 90 * MINUTE, 1_806_202_800_000 - 3 * 60 * MINUTE];
        for from in starts.into_iter().chain(dst.into_iter().filter(|t| *t > now)) {
            let (decision, segments, until) = decided(&engine, &context, from);
            assert!(until > from, "{name}: until {until} is not after {from}");
            bounded += usize::from(until != i64::MAX);
            for t in between(from, until) {
                let (again, again_segments, _) = decided(&engine, &context, t);
                assert_eq!(again, decision, "{name}: decided at {from}, holds until {until}, differs at {t}");
                assert_eq!(again_segments, segments, "{name}: segments at {t}");
                checked += 1;
            }
        }
    }
    assert!(checked > 2000, "{checked} instants checked");
    assert!(bounded > 50, "{bounded} decisions depend on the clock");
}

/// The bound is not merely safe: a decision whose rules read local time changes at its `until`
/// in some cases (it is the next crossing, not an arbitrary early instant).
#[test]
fn until_is_where_decisions_change() {
    let mut changed_at_until = 0;
    for (_, engine, context) in cases() {
        let now = parse_context(&context.to_string()).unwrap().now.0;
        let (decision, segments, until) = decided(&engine, &context, now);
        if until != i64::MAX && until - now < 7 * DAY {
            let (next, next_segments, _) = decided(&engine, &context, until);
            changed_at_until += usize::from(next != decision || next_segments != segments);
        }
    }
    assert!(changed_at_until >= 10, "only {changed_at_until} decisions change at their until");
}
