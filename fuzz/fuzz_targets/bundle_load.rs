//! Arbitrary bytes as a compiled bundle. A bundle that loads is decided against the example
//! contexts (with and without explanations) and must re-encode to a bundle that loads.
//!
//! First byte even: the rest is the whole file, header included (exercises the header checks).
//! First byte odd: the rest is the postcard payload, and a correct header (length, checksum) is
//! put in front, so the fuzzer reaches the decoder and the structure checks instead of
//! stopping at the checksum.

#![no_main]

mod common;

use kairos::program::{FORMAT_VERSION, MAGIC};
use kairos::{Engine, Program};
use libfuzzer_sys::fuzz_target;

fn fnv1a32(bytes: &[u8]) -> u32 {
    bytes.iter().fold(0x811c_9dc5u32, |h, b| (h ^ u32::from(*b)).wrapping_mul(0x0100_0193))
}

fuzz_target!(|data: &[u8]| {
    let Some((&mode, rest)) = data.split_first() else { return };
    let bytes = if mode & 1 == 0 {
        rest.to_vec()
    } else {
        let mut b = Vec::with_capacity(16 + rest.len());
        b.extend_from_slice(MAGIC);
        b.extend_from_slice(&FORMAT_VERSION.to_le_bytes());
        b.extend_from_slice(&(rest.len() as u32).to_le_bytes());
        b.extend_from_slice(&fnv1a32(rest).to_le_bytes());
        b.extend_from_slice(rest);
        b
    };
    let Ok(engine) = Engine::load(&bytes) else { return };
    let again = engine.program.to_bytes();
    let reloaded = Program::from_bytes(&again).expect("a loaded bundle re-encodes to a loadable one");
    assert_eq!(reloaded.to_bytes(), again, "re-encoding is not stable");
    for ctx in common::contexts() {
        common::decide_checked(&engine, ctx);
    }
});
