//! Preview tokens (src/preview.rs) as the page and the edge read them: arbitrary text, and a
//! valid token with bytes changed, inserted or cut. Invariants: no panic; a token verifies only
//! if it is the valid one or means the same (then it forces the same pairs); every refusal has a
//! preview code; a verified preview's unknown pairs are reported for the demo bundle without panic.

#![no_main]

use kairos::preview;
use kairos::ErrorCode;
use libfuzzer_sys::arbitrary::{Result, Unstructured};
use libfuzzer_sys::fuzz_target;

mod common;

use common::{demo_preview, site_key as key, PREVIEW_NOW as NOW};

fn program() -> &'static kairos::program::Program {
    static PROGRAM: std::sync::OnceLock<kairos::program::Program> = std::sync::OnceLock::new();
    PROGRAM.get_or_init(|| kairos::json::compile_json(include_str!("../../examples/demo/rules.json")).expect("demo"))
}

fn run(u: &mut Unstructured) -> Result<()> {
    let (preview, token) = demo_preview();
    let text = if u.arbitrary()? {
        u.arbitrary::<String>()?
    } else {
        let mut bytes = token.clone().into_bytes();
        for _ in 0..u.int_in_range(1..=4u8)? {
            let at = u.int_in_range(0..=bytes.len())?;
            match u.int_in_range(0..=2u8)? {
                0 if at < bytes.len() => bytes[at] = u.arbitrary()?,
                1 => bytes.insert(at, u.arbitrary()?),
                _ => bytes.truncate(at),
            }
        }
        String::from_utf8_lossy(&bytes).into_owned()
    };
    let now = if u.arbitrary()? { NOW } else { u.arbitrary()? };
    match preview::verify(&text, &key().public_key(), now) {
        Ok(read) => {
            // Only the signed text verifies (surrounding whitespace trimmed, the signature's hex in
            // either case; this token's payload is lower case): the same pairs.
            assert_eq!(read.slots(), preview.slots(), "{text:?}");
            assert_eq!(text.trim().to_ascii_lowercase(), token.as_str());
            let _ = read.unknown_in(program());
        }
        Err(e) => assert!(matches!(e.code(), ErrorCode::Preview | ErrorCode::PreviewExpired), "{e}"),
    }
    Ok(())
}

fuzz_target!(|data: &[u8]| {
    let _ = run(&mut Unstructured::new(data));
});
