//! Arbitrary text read by `kairos::wire` (how the page and Node modules read every JS value) and
//! by serde_json (the CLI, the edge): both accept it or both refuse it at the same JSON path, and
//! what they accept is the same value; and the hand-written readers the modules use
//! (`wire::shapes`) agree with wire's serde reader the same way. Never a panic: wire runs in wasm,
//! where one kills the page.

#![no_main]

use kairos::context::{Event, Events};
use kairos::{json, wire, Context, Moment, Person};
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

/// The hand-written reader against wire's serde reader: equal values, or refusals at one path.
fn hand<T: serde::de::DeserializeOwned + std::fmt::Debug>(text: &str, read: fn(&str) -> Result<T, wire::JsonError>) {
    match (read(text), wire::from_str::<T>(text)) {
        (Ok(a), Ok(b)) => assert_eq!(format!("{a:?}"), format!("{b:?}"), "values differ"),
        (Err(a), Err(b)) => {
            assert_eq!(a.at.path, b.at.path, "error paths differ: {a} / {b}");
            assert_eq!(a.too_deep.is_some(), b.too_deep.is_some(), "depth errors differ: {a} / {b}");
        }
        (a, b) => panic!("one reader refused: hand {a:?} / wire {b:?}"),
    }
}

fuzz_target!(|data: &[u8]| {
    let Ok(text) = std::str::from_utf8(data) else { return };
    agree::<Context>(text);
    agree::<Moment>(text);
    agree::<Person>(text);
    agree::<Event>(text);
    agree::<serde_json::Value>(text);
    hand(text, wire::shapes::context);
    hand(text, wire::shapes::moment);
    hand(text, wire::shapes::person);
    hand(text, wire::shapes::event);
    hand::<Events>(text, wire::shapes::events);
    // OFREP's body: text that is not JSON is always PARSE_ERROR, never INVALID_CONTEXT.
    if let Err(wire::shapes::RequestError::InvalidContext(e)) = wire::shapes::evaluation_request(text) {
        assert!(serde_json::from_str::<serde_json::Value>(text).is_ok(), "not JSON, yet INVALID_CONTEXT: {e}");
    }
});
