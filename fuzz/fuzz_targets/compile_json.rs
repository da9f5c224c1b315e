//! Arbitrary text as rules JSON. Rules that compile must survive the bundle round trip
//! (serialise, load, serialise again: the same bytes) and decide the same on both engines.

#![no_main]

mod common;

use kairos::json::{compile_json, decision_to_json};
use kairos::{Engine, Options, Program};
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    let Ok(text) = std::str::from_utf8(data) else { return };
    let program = match compile_json(text) {
        Ok(p) => p,
        Err(e) => {
            // Every error renders, and its location is inside the text (or just after it).
            let _ = e.to_string();
            assert!(e.at.line <= text.lines().count() + 1, "error line {} past the end: {e}", e.at.line);
            return;
        }
    };
    let bytes = program.to_bytes();
    let loaded = Program::from_bytes(&bytes).unwrap_or_else(|e| panic!("a compiled bundle does not load: {e}"));
    assert_eq!(loaded.to_bytes(), bytes, "the bundle changed in the round trip");
    let compiled = Engine::new(program);
    let loaded = Engine::new(loaded);
    for ctx in common::contexts() {
        let a = common::decide_checked(&compiled, ctx);
        let b = decision_to_json(&loaded.decide(ctx, Options::default()));
        assert_eq!(a, b, "the loaded bundle decided otherwise than the compiled one");
    }
});
