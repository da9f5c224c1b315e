//! Customers whose decisions cannot have changed are not decided again: the report is the same
//! as deciding every active customer at every step, on every example bundle, both line shapes,
//! steps from 15 minutes to a day.

mod support;

use kairos::Engine;
use kairos_replay::gen::{Shape, DEFAULT_START_MS};
use kairos_replay::{replay_threads, Replay, ReplayOptions, Report};
use support::{examples, generated as log};

const MINUTE: i64 = 60_000;

fn replay(engine: &Engine, opts: ReplayOptions, log: &[u8]) -> Report {
    let mut r = Replay::new(engine, opts);
    r.read(log).unwrap();
    r.finish()
}

/// The report with the one figure that must differ (how many decisions were reused) set aside.
fn figures(mut r: Report) -> (Report, u64) {
    let reused = std::mem::take(&mut r.stats.reused);
    (r, reused)
}

#[test]
fn skipping_unchanged_customers_changes_no_figure() {
    let compact = log(300, 5, 21, Shape::Compact);
    let track = log(120, 3, 22, Shape::Track);
    let (mut reused, mut decisions) = (0, 0);
    for (path, engine) in examples() {
        for (log, step) in
            [(&compact, 60 * MINUTE), (&compact, 15 * MINUTE), (&compact, 24 * 60 * MINUTE), (&track, 60 * MINUTE)]
        {
            let opts = ReplayOptions { step, ..ReplayOptions::default() };
            let (all, none_reused) = figures(replay(&engine, ReplayOptions { decide_all: true, ..opts.clone() }, log));
            assert_eq!(none_reused, 0);
            let (skipping, r) = figures(replay(&engine, opts.clone(), log));
            assert_eq!(skipping, all, "{path}, step {step}");
            assert_eq!(skipping.to_table(), all.to_table(), "{path}");
            reused += r;
            decisions += all.stats.decisions;
            // And on several threads.
            let (threaded, r2) = figures(replay_threads(&engine, opts, &log[..], 3).unwrap());
            assert_eq!(threaded, all, "{path}, step {step}, 3 threads");
            assert_eq!(r2, r);
        }
    }
    // Skipping happens: most customer-steps at hourly steps have nothing new.
    assert!(reused * 4 > decisions, "{reused} of {decisions} decisions reused");
}

/// History kept for a whole-history rule goes after the lookback: time alone changes the
/// decision then, though no window the rules name does.
#[test]
fn events_leaving_the_lookback_decide_again() {
    let rules = r#"{"kairos": 1, "segments": {"ever_carted": {"gte": [{"count": {"event": "cart_viewed"}}, 1]}},
        "slots": {"s": {"default": {"id": "d", "content": null},
        "variants": [{"id": "v", "when": {"segment": "ever_carted"}, "content": 1}]}}}"#;
    let engine = Engine::from_rules_or_bundle(rules.as_bytes()).unwrap();
    let t0 = DEFAULT_START_MS;
    // A cart view, then a page view 75 minutes later: at the 3-hour step the customer is still
    // held (seen within 2 hours) with nothing new since the last step, but the cart view is gone.
    let log = format!(
        "{{\"c\":\"a\",\"e\":\"cart_viewed\",\"t\":{t0}}}\n{{\"c\":\"a\",\"e\":\"page_viewed\",\"t\":{}}}\n",
        t0 + 75 * MINUTE
    );
    let opts = ReplayOptions {
        from: Some(t0 + 60 * MINUTE),
        to: Some(t0 + 240 * MINUTE),
        step: 60 * MINUTE,
        lookback: Some(120 * MINUTE),
        ..ReplayOptions::default()
    };
    let (skipping, _) = figures(replay(&engine, opts.clone(), log.as_bytes()));
    let (all, _) = figures(replay(&engine, ReplayOptions { decide_all: true, ..opts }, log.as_bytes()));
    assert_eq!(skipping, all);
    let sizes: Vec<u64> = all.rows.iter().map(|r| r.segments[0].size).collect();
    assert_eq!(sizes, [1, 1, 0, 0], "the cart view goes with the lookback");
}
