//! Arbitrary text read by `kairos::wire` (how the page and Node modules read every JS value) and
//! by serde_json (the CLI, the edge): both accept it or both refuse it at the same JSON path, and
//! what they accept is the same value. Never a panic: wire runs in wasm, where one kills the page.

#![no_main]

use kairos::{context::Event, json, wire, Context, Moment, Person};
use libfuzzer_sys::fuzz_target;

fn agree<T: serde::de::DeserializeOwned + std::fmt::Debug>(text: &str) {
    match (wire::from_str::<T>(text), json::parse::<T>(text)) {
        (Ok(a), Ok(b)) => assert_eq!(format!("{a:?}"), format!("{b:?}"), "values differ"),
        (Err(a), Err(b)) => {
            assert_eq!(a.at.path, b.at.path, "error paths differ: {a} / {b}");
            assert!(a.at.line >= 1 && a.at.line <= text.lines().count() + 1, "error line past the end: {a}");
        }
        (a, b) => panic!("one reader refused: wire {a:?} / serde_json {b:?}"),
    }
}

fuzz_target!(|data: &[u8]| {
    let Ok(text) = std::str::from_utf8(data) else { return };
    agree::<Context>(text);
    agree::<Moment>(text);
    agree::<Person>(text);
    agree::<Event>(text);
    agree::<serde_json::Value>(text);
});
