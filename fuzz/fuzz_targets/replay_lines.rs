//! Event logs built from the input, replayed against the demo bundle three ways: on one thread,
//! on two to five (customers split between shards), and deciding every customer at every step instead
//! of only those that can have changed. Never a panic (overflow checks are on), and the three
//! reports agree: the threads' byte for byte, the full pass's rows and missing signals too.
//!
//! Each 4 input bytes make a line: a template (profile, session, events the rules read, a
//! malformed line), a customer (16 of them, so they come back and go quiet), and minutes to
//! advance the clock, so steps, sessions, windows, reuse and forgetting all happen.

#![no_main]

use kairos::Engine;
use kairos_replay::{replay_threads, Replay, ReplayOptions};
use libfuzzer_sys::fuzz_target;
use std::sync::OnceLock;

const TEMPLATES: &[&str] = &[
    r#"{"c":"C","e":"identify","t":TIME,"profile":{"home_country":"US","loyalty_tier":"gold","balance":2999.5},"timezone":"America/New_York","consent":{"personalization":true},"scores":{"purchase_propensity":{"value":0.8,"computed_at":TIME}}}"#,
    r#"{"c":"C","e":"identify","t":TIME,"profile":{"loyalty_tier":"bronze"},"timezone":"Europe/London","consent":{"personalization":false}}"#,
    r#"{"c":"C","e":"session_started","t":TIME,"p":{"device":"mobile","country":"GB","referrer":"https://www.google.com/"}}"#,
    r#"{"c":"C","e":"product_viewed","t":TIME,"p":{"product_id":"sku-1","category":"shoes","price":59.9}}"#,
    r#"{"c":"C","e":"product_added","t":TIME,"p":{"product_id":"sku-2","price":19}}"#,
    r#"{"c":"C","e":"cart_viewed","t":TIME,"p":{"value":120}}"#,
    r#"{"c":"C","e":"checkout_started","t":TIME,"p":{"value":120}}"#,
    r#"{"c":"C","e":"order_completed","t":TIME,"p":{"value":78.5}}"#,
    r#"{"c":"C","e":"coupon_searched","t":TIME,"p":{"term":"spring"}}"#,
    r#"{"c":"C","e":"page_viewed","t":TIME,"p":{"page":"/pricing"}}"#,
    r#"{"c":"C","e":"$exposure","t":TIME,"p":{"slot":"offer","variant":"winter_sale"}}"#,
    r#"{"c":"C","e":"$conversion","t":TIME,"p":{"slot":"offer","variant":"winter_sale"}}"#,
    r#"{"c":"C","e":"bet_settled","t":TIME,"p":{"stake":5,"won":true}}"#,
    r#"{"c":"C","e":"deposit_started","t":TIME,"p":{"amount":50}}"#,
    r#"{"c":"C","e":"product_viewed","t":TIME,"p":{"product_id":"sku-1","category":null}}"#,
    r#"{"c":"C","e":"product_viewed","t":TIME"#,
];

fn engine() -> &'static Engine {
    static ENGINE: OnceLock<Engine> = OnceLock::new();
    ENGINE.get_or_init(|| Engine::from_rules_or_bundle(include_bytes!("../../examples/demo/rules.json")).unwrap())
}

fuzz_target!(|data: &[u8]| {
    let Some((&first, rest)) = data.split_first() else { return };
    let mut log = String::new();
    let mut t: i64 = 1_793_491_200_000;
    for c in rest.chunks_exact(4).take(2_000) {
        let template = TEMPLATES[usize::from(c[0]) % TEMPLATES.len()];
        // Mostly forward, now and then a late line (a minute to an hour back).
        let minutes = i64::from(u16::from_le_bytes([c[2], c[3]]) % 600);
        t += if c[0] >= 0xf0 { -minutes * 6_000 } else { minutes * 60_000 };
        let line = template.replace("\"C\"", &format!("\"c{}\"", c[1] % 16)).replace("TIME", &t.to_string());
        log.push_str(&line);
        log.push('\n');
    }
    let steps = [15, 60, 360, 1_440];
    let opts = ReplayOptions {
        step: steps[usize::from(first) % steps.len()] * 60_000,
        skip_bad: true,
        assume_consent: first & 0x10 != 0,
        ..ReplayOptions::default()
    };
    let one = {
        let mut r = Replay::new(engine(), opts.clone());
        r.read(log.as_bytes()).map(|()| r.finish())
    };
    let many = replay_threads(engine(), opts.clone(), log.as_bytes(), 2 + usize::from(first >> 6));
    let all = replay_threads(engine(), ReplayOptions { decide_all: true, ..opts }, log.as_bytes(), 1);
    match (one, many, all) {
        (Ok(one), Ok(many), Ok(all)) => {
            assert_eq!(one, many, "1 and more threads differ");
            assert_eq!(one.rows, all.rows, "reusing decisions changed a figure");
            assert_eq!(one.missing, all.missing);
            assert_eq!(one.missing_totals, all.missing_totals);
        }
        (Err(a), Err(b), Err(c)) => {
            assert_eq!(a.to_string(), b.to_string());
            assert_eq!(a.to_string(), c.to_string());
        }
        (a, b, c) => panic!("outcomes differ: {:?} {:?} {:?}", a.is_ok(), b.is_ok(), c.is_ok()),
    }
});
