//! Arbitrary text as rules in the text language (src/rules/text/). Whatever parses must print
//! back (`to_text`) to text that parses to the same bundle, and formatting (`format_text`, which
//! keeps comments) must not change the bundle either. Parsed bundles are compiled too, so the
//! compiler sees the shapes the text parser produces.

#![no_main]

use kairos::rules::text::{format_text, parse_text, to_text};
use libfuzzer_sys::fuzz_target;

/// Equal, or equal but for NaN (which no `==` holds for): the Debug forms compare those.
fn same<T: PartialEq + std::fmt::Debug>(a: &T, b: &T) -> bool {
    a == b || format!("{a:?}") == format!("{b:?}")
}

fuzz_target!(|data: &[u8]| {
    let Ok(src) = std::str::from_utf8(data) else { return };
    let bundle = match parse_text(src) {
        Ok(b) => b,
        Err(e) => {
            let _ = e.to_string();
            return;
        }
    };
    let printed = to_text(&bundle);
    let reparsed = parse_text(&printed)
        .unwrap_or_else(|e| panic!("printed text does not parse: {e}\n--- printed\n{printed}\n--- from\n{src}"));
    assert!(same(&bundle, &reparsed), "print → parse changed the bundle\n--- printed\n{printed}\n--- from\n{src}");
    let formatted = format_text(src).unwrap_or_else(|e| panic!("parsed text does not format: {e}"));
    let from_formatted = parse_text(&formatted)
        .unwrap_or_else(|e| panic!("formatted text does not parse: {e}\n--- formatted\n{formatted}\n--- from\n{src}"));
    assert!(
        same(&bundle, &from_formatted),
        "formatting changed the bundle\n--- formatted\n{formatted}\n--- from\n{src}"
    );
    let _ = kairos::rules::compile::compile(&bundle);
});
