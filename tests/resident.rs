//! A [`Resident`] (the resident visitor without its engine, what a replay keeps per customer)
//! decides as the context it came from, at the context's instant and later ones: built at once,
//! built event by event through `track_ref`, and after `forget_before` (against a context that
//! never had the forgotten events). Segments and `until` agree too.
#![cfg(all(feature = "stability", feature = "json"))]

mod support;

use kairos::context::{Context, Event, Timestamp};
use kairos::json::{decision_to_json, parse_context};
use kairos::{Engine, Moment, Options, Person, Resident};
use serde_json::Value;

const HOUR: i64 = 3_600_000;

fn cases() -> Vec<(String, Engine, Context)> {
    let parsed =
        |(name, engine, context): (String, Engine, Value)| (name, engine, parse_context(&context.to_string()).unwrap());
    support::scenario_cases().into_iter().map(parsed).collect()
}

/// The context's events up to its instant, in time order: what a resident made from it keeps.
fn told(ctx: &Context) -> Vec<Event> {
    let mut events: Vec<Event> = ctx.events.0.iter().filter(|e| e.at <= ctx.now.0).cloned().collect();
    events.sort_by_key(|e| e.at);
    events
}

type Counted = (String, Vec<kairos::Tri>, i64);

fn by_context(engine: &Engine, ctx: &Context, now: i64) -> Counted {
    let mut ctx = ctx.clone();
    ctx.now = Timestamp(now);
    let (d, segments, until) = engine.decide_counted(&ctx, Options::default(), true);
    (decision_to_json(&d), segments, until)
}

fn by_resident(engine: &Engine, resident: &mut Resident, desk: &mut Context, ctx: &Context, now: i64) -> Counted {
    let moment = Moment { now: Timestamp(now), ..Moment::of(ctx) };
    let (d, segments, until) = resident.decide_counted(engine, desk, moment, Options::default(), true);
    (decision_to_json(&d), segments, until)
}

#[test]
fn a_resident_decides_as_its_context_at_every_instant() {
    // One desk for every case, as a replay uses one for every customer.
    let mut desk = Context::default();
    let mut checked = 0;
    for (name, engine, ctx) in cases() {
        let now = ctx.now.0;
        let mut at_once = Resident::from_context(&engine, &ctx);
        let mut one_by_one = Resident::new(&engine, Person::of(&ctx));
        let events = told(&ctx);
        for e in &events {
            one_by_one.track_ref(&engine, e).unwrap();
        }
        let history_only = Context { events: kairos::context::Events(events), ..ctx.clone() };
        for later in [0, 1, HOUR + 7, 26 * HOUR, 9 * 24 * HOUR] {
            let expected = by_context(&engine, &history_only, now + later);
            assert_eq!(by_resident(&engine, &mut at_once, &mut desk, &ctx, now + later), expected, "{name} +{later}");
            assert_eq!(
                by_resident(&engine, &mut one_by_one, &mut desk, &ctx, now + later),
                expected,
                "{name} +{later}"
            );
            checked += 1;
        }
        // The person is back after each decision.
        assert_eq!(format!("{:?}", one_by_one.person), format!("{:?}", Person::of(&ctx)), "{name}");
    }
    assert!(checked > 100, "only {checked} instants checked");
}

#[test]
fn forgetting_is_as_if_the_events_never_were() {
    let mut desk = Context::default();
    let mut forgot_some = 0;
    for (name, engine, ctx) in cases() {
        let now = ctx.now.0;
        let events = told(&ctx);
        let Some(first) = events.first().map(|e| e.at) else { continue };
        // Forget one name's events older than the middle of the history, and keep at most 3.
        let middle = first + (now - first) / 2;
        let group = engine.history_group(&events[0].name);
        let cutoff = |g: u32| if Some(g) == group { middle } else { i64::MIN };
        let mut resident = Resident::from_context(&engine, &ctx);
        let before = resident.len();
        resident.forget_before(&engine, cutoff, 3);
        let mut kept: Vec<_> =
            events.into_iter().filter(|e| engine.history_group(&e.name).is_none_or(|g| e.at >= cutoff(g))).collect();
        kept.drain(..kept.len().saturating_sub(3));
        assert_eq!(resident.len(), kept.len(), "{name}");
        forgot_some += usize::from(resident.len() < before);
        let shorter = Context { events: kairos::context::Events(kept), ..ctx.clone() };
        for later in [0, HOUR] {
            assert_eq!(
                by_resident(&engine, &mut resident, &mut desk, &ctx, now + later),
                by_context(&engine, &shorter, now + later),
                "{name} +{later}"
            );
        }
    }
    assert!(forgot_some > 20, "only {forgot_some} cases forgot anything");
}

#[test]
fn first_forgotten_is_the_oldest_event_plus_its_stay() {
    for (name, engine, ctx) in cases() {
        let resident = Resident::from_context(&engine, &ctx);
        let stay = |g: u32| 1_000 * (i64::from(g) + 1);
        let expected = told(&ctx)
            .iter()
            .filter_map(|e| engine.history_group(&e.name).map(|g| e.at + stay(g) + 1))
            .min()
            .unwrap_or(i64::MAX);
        assert_eq!(resident.first_forgotten(stay), expected, "{name}");
    }
}
