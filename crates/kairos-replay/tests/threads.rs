//! Replays on several threads give the report of one replay, byte for byte: every bundle of the
//! examples, both line shapes, daily and hourly steps, bad lines skipped or stopping the replay.

mod support;

use kairos::Engine;
use kairos_replay::gen::{Shape, DEFAULT_START_MS};
use kairos_replay::{replay_threads, Replay, ReplayOptions, Report};
use support::{examples, generated as log};

const HOUR: i64 = 3_600_000;

/// Everything a report says, in every form it is printed in.
fn printed(r: &Report) -> String {
    format!("{}\n{}\n{}\n{:?}", r.to_table(), r.to_csv(), r.to_svg(), r.stats)
}

fn one_thread(engine: &Engine, opts: &ReplayOptions, log: &[u8]) -> Report {
    let mut r = Replay::new(engine, opts.clone());
    r.read(log).unwrap();
    r.finish()
}

#[test]
fn every_thread_count_gives_the_same_report() {
    let compact = log(400, 6, 3, Shape::Compact);
    let track = log(150, 4, 5, Shape::Track);
    let mut decided = 0;
    for (path, engine) in examples() {
        for (log, step) in [(&compact, 24 * HOUR), (&compact, HOUR), (&track, 6 * HOUR)] {
            let opts = ReplayOptions { step, ..ReplayOptions::default() };
            let one = one_thread(&engine, &opts, log);
            decided += one.stats.decisions;
            let expected = printed(&one);
            for threads in [1, 2, 3, 5] {
                let many = replay_threads(&engine, opts.clone(), &log[..], threads).unwrap();
                assert_eq!(many, one, "{path}, step {step}, {threads} threads");
                assert_eq!(printed(&many), expected, "{path}, step {step}, {threads} threads");
            }
        }
    }
    assert!(decided > 100_000, "the logs decide something: {decided}");
}

/// The step grid is laid by the input's first line, in every shard: also in a shard whose first
/// own line comes steps later (short steps make that likely; a wrong grid shifts every row).
#[test]
fn every_shard_counts_on_the_first_lines_grid() {
    let engine = Engine::from_rules_or_bundle(include_bytes!("../../../examples/demo/rules.json")).unwrap();
    let track = log(60, 1, 11, Shape::Track);
    for step in [60_000, 15 * 60_000] {
        let opts = ReplayOptions { step, ..ReplayOptions::default() };
        let one = one_thread(&engine, &opts, &track);
        for threads in [2, 3, 4, 5, 7] {
            let many = replay_threads(&engine, opts.clone(), &track[..], threads).unwrap();
            assert_eq!(many, one, "step {step}, {threads} threads");
        }
    }
}

#[test]
fn bad_lines_are_the_same_on_every_thread_count() {
    let good = String::from_utf8(log(120, 3, 9, Shape::Compact)).unwrap();
    let mut lines: Vec<String> = good.lines().map(|l| format!("{l}\n")).collect();
    // A broken line that still has a customer and time, one without a customer, one that is not
    // JSON, one whose time is unreadable, and a line that is not UTF-8 at the end.
    lines.insert(40, "{\"c\":\"cust-1\",\"e\":\"x\",\"t\":1793577600000,\"p\":{\"a\":}}\n".into());
    lines.insert(90, "{\"e\":\"x\",\"t\":1793577600000}\n".into());
    lines.insert(300, "nope\n".into());
    lines.insert(700, "{\"userId\":\"u\",\"timestamp\":\"monday\",\"event\":\"x\"}\n".into());
    let mut bytes = lines.concat().into_bytes();
    bytes.extend_from_slice(b"{\"c\":\"\xff\"}\n");
    let engine = Engine::from_rules_or_bundle(include_bytes!("../../../examples/demo/rules.json")).unwrap();
    let strict = ReplayOptions { step: 6 * HOUR, ..ReplayOptions::default() };
    let skipping = ReplayOptions { skip_bad: true, ..strict.clone() };
    let one = one_thread(&engine, &skipping, &bytes);
    assert_eq!(one.stats.skipped, 5, "{:?}", one.stats.bad_lines);
    let first = Replay::new(&engine, strict.clone()).read(&bytes[..]).unwrap_err();
    assert_eq!(first.line, 41);
    for threads in [2, 3, 4] {
        let many = replay_threads(&engine, skipping.clone(), &bytes[..], threads).unwrap();
        assert_eq!(printed(&many), printed(&one), "{threads} threads");
        let err = replay_threads(&engine, strict.clone(), &bytes[..], threads).unwrap_err();
        assert_eq!(err, first, "{threads} threads");
    }
}

#[test]
fn a_bounded_replay_stops_at_the_same_line() {
    let log = log(200, 5, 4, Shape::Compact);
    let engine = Engine::from_rules_or_bundle(include_bytes!("../../../examples/demo/rules.json")).unwrap();
    let opts = ReplayOptions {
        from: Some(DEFAULT_START_MS + 30 * HOUR),
        to: Some(DEFAULT_START_MS + 60 * HOUR),
        step: HOUR,
        ..ReplayOptions::default()
    };
    let one = one_thread(&engine, &opts, &log);
    assert_eq!(one.rows.len(), 31);
    assert_eq!(replay_threads(&engine, opts, &log[..], 2).unwrap(), one);
}
