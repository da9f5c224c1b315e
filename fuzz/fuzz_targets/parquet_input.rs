//! Arbitrary bytes as a Parquet event log (crates/kairos-replay/src/columnar): the footer and
//! schema read, the layout's columns and codecs checked, every row turned into a line and
//! replayed against the demo bundle, bad rows skipped so that decoding goes on. Never a panic:
//! whatever the bytes, a refusal (`ColumnError`) or a replay that ends in a report or an error.

#![no_main]

use kairos::Engine;
use kairos_replay::columnar::parquet_bytes_lines;
use kairos_replay::{Replay, ReplayOptions};
use libfuzzer_sys::fuzz_target;
use std::io::Read;
use std::sync::OnceLock;

/// Lines read per input at most: a few KB of Parquet can declare millions of rows (run-length
/// encoding), which would only make a unit slow.
const MAX_LINE_BYTES: u64 = 4 << 20;

fn engine() -> &'static Engine {
    static ENGINE: OnceLock<Engine> = OnceLock::new();
    ENGINE.get_or_init(|| Engine::from_rules_or_bundle(include_bytes!("../../examples/demo/rules.json")).unwrap())
}

fuzz_target!(|data: &[u8]| {
    let Ok(lines) = parquet_bytes_lines(data.to_vec()) else { return };
    // Steps of 30 days: rows far apart in time cannot make a unit slow by their step count.
    let opts = ReplayOptions { step: 30 * kairos::time::DAY_MS, skip_bad: true, ..ReplayOptions::default() };
    let mut replay = Replay::new(engine(), opts);
    if replay.read(lines.take(MAX_LINE_BYTES)).is_ok() {
        let _ = replay.finish().to_csv();
    }
});
