//! Arbitrary bytes as a saved visitor: `Visitor::restore` returns a visitor or a coded error and
//! never panics; a restored visitor decides, tracks and saves again without panicking, and its
//! own bytes restore to a visitor that decides alike. The first byte picks the bundle; with the
//! second odd, the rest is written after a valid header for that bundle, so the payload checks
//! are reached rather than the header's.

#![no_main]

mod common;

use kairos::context::{Event, Scalar};
use kairos::{Moment, Options, Visitor};
use libfuzzer_sys::fuzz_target;

fn fnv1a32(bytes: &[u8]) -> u32 {
    bytes.iter().fold(0x811c_9dc5u32, |h, b| (h ^ u32::from(*b)).wrapping_mul(0x0100_0193))
}

fuzz_target!(|data: &[u8]| {
    let (Some(&which), Some(&mode)) = (data.first(), data.get(1)) else { return };
    let engines = common::shared_engines();
    let engine = &engines[which as usize % engines.len()];
    let rest = &data[2..];
    let bytes = if mode % 2 == 1 {
        let mut b = kairos::visitor::MAGIC.to_vec();
        b.extend_from_slice(&kairos::visitor::FORMAT_VERSION.to_le_bytes());
        b.extend_from_slice(&engine.fingerprint().to_le_bytes());
        b.extend_from_slice(&(rest.len() as u32).to_le_bytes());
        b.extend_from_slice(&fnv1a32(rest).to_le_bytes());
        b.extend_from_slice(rest);
        b
    } else {
        rest.to_vec()
    };
    let Ok(mut v) = Visitor::restore(engine.clone(), &bytes) else { return };
    let moment = Moment { now: kairos::context::Timestamp(1_795_458_600_000), ..Moment::default() };
    let first = kairos::json::decision_to_json(&v.decide(moment.clone(), Options::explaining(true)));
    let mut again = Visitor::restore(engine.clone(), &v.save()).expect("a restored visitor's own bytes restore");
    assert_eq!(kairos::json::decision_to_json(&again.decide(moment, Options::explaining(true))), first);
    let _ = v.track(Event { name: "login".into(), at: 1_795_458_600_000, props: vec![("amount".into(), Scalar::Num(1.0))] });
});
