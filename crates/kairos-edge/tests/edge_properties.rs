//! Property tests for the edge surfaces: whatever arrives in headers, cookies, `cf` fields,
//! KV records or pages, the code answers without panicking (a panic would kill the Worker's
//! wasm instance), and signed history survives only unmodified.

use kairos::html::{patches, safe_attribute};
use kairos::json::compile_json;
use kairos::{Engine, Options};
use kairos_edge::customer::{bulk_from_jsonl, CustomerRecord};
use kairos_edge::PageRewriter;
use kairos_edge::{track, CfProperties, EdgeEvent, EdgeRequest, HistoryCookie};
use proptest::prelude::*;

const KEY: &[u8] = b"property-test-key-0123456789abcdef";

fn any_text() -> impl Strategy<Value = String> {
    prop_oneof![
        any::<String>(),
        "[ -~]{0,80}",
        Just("kairos_uid=cust-1; kairos_consent=1; kairos_h=1.AAAA.BBBB".to_string()),
        Just("?1".to_string()),
    ]
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 256, ..ProptestConfig::default() })]

    #[test]
    fn any_request_makes_a_context_and_a_decision(
        url in any_text(), cookie in any_text(), ua in any_text(), mobile in any_text(), gpc in any_text(),
        country in proptest::option::of(any_text()), tz in proptest::option::of(any_text()),
        lat in proptest::option::of(any_text()), now in any::<i64>(),
    ) {
        let req = EdgeRequest {
            url,
            headers: vec![
                ("cookie".into(), cookie), ("user-agent".into(), ua),
                ("sec-ch-ua-mobile".into(), mobile), ("sec-gpc".into(), gpc),
            ],
            cf: CfProperties { country, timezone: tz, latitude: lat.clone(), longitude: lat, ..CfProperties::default() },
            identity_key: KEY.to_vec(),
        };
        // Clamp like the Worker's clock would be: within the context's valid years.
        let now = now.rem_euclid(4_000_000_000_000);
        let ctx = req.context(now, None, &[EdgeEvent::new("cart_viewed", now, &[("path", req.path())])]);
        let engine = Engine::new(compile_json(include_str!("../../../examples/demo/rules.json")).unwrap());
        let d = engine.decide(&ctx, Options::explaining(true));
        prop_assert_eq!(d.consent, req.consent());
    }

    #[test]
    fn history_cookie_reads_never_panic_and_only_accept_what_was_signed(
        value in any_text(), customer in "[a-z0-9-]{0,20}", names in proptest::collection::vec(any_text(), 0..40),
    ) {
        let jar = HistoryCookie::new(KEY);
        let now = 1_795_000_000_000;
        let _ = jar.read(&value, &customer, now);
        let events: Vec<EdgeEvent> = names.iter().enumerate()
            .map(|(i, n)| EdgeEvent::new(n, now - i as i64 * 60_000, &[("k", n)])).collect();
        let signed = jar.write(&events, &customer, now);
        let back = jar.read(&signed, &customer, now).unwrap();
        prop_assert!(back.len() <= events.len());
        if !signed.is_empty() {
            let mut forged = signed.clone().into_bytes();
            let i = forged.len() / 2;
            forged[i] = if forged[i] == b'x' { b'y' } else { b'x' };
            let forged = String::from_utf8(forged).unwrap();
            if forged != signed {
                prop_assert!(jar.read(&forged, &customer, now).is_err());
            }
        }
    }

    #[test]
    fn records_configs_and_pages_never_panic(text in any_text(), page in proptest::collection::vec(any::<u8>(), 0..600)) {
        let _ = CustomerRecord::parse(&text);
        let _ = bulk_from_jsonl(&text, None);
        let _ = track::parse_rules(&text);
        let _ = safe_attribute(&text, &text);
        let engine = Engine::new(compile_json(include_str!("../../../examples/demo/rules.json")).unwrap());
        let ctx = kairos::json::parse_context(include_str!("../../../examples/demo/context.json")).unwrap();
        let out = PageRewriter::rewrite_all(patches(&engine.decide(&ctx, Options::default())), &page);
        // Pages without slots pass through byte for byte.
        if !page.windows(10).any(|w| w.eq_ignore_ascii_case(b"data-kairo")) && std::str::from_utf8(&page).is_ok() {
            prop_assert_eq!(out, page);
        }
    }

    #[test]
    fn tokens_and_templates_never_panic(text in any_text(), value in any_text(), now in any::<i64>()) {
        let _ = kairos_edge::open_token::verify(KEY, &text, now);
        let _ = kairos_edge::identity::verify(KEY, &text);
        let _ = kairos::template::parse_hole(&text);
        let segs = kairos::template::segments(&text);
        let _ = kairos::template::check_blocks(&segs);
        let vars = vec![(text.trim().to_string(), value.clone()), ("#if x".to_string(), value)];
        for sink in [kairos::Sink::Html, kairos::Sink::Url, kairos::Sink::Text] {
            let _ = kairos::decide::substitute(&text, &vars, sink);
        }
        let mut scanner = kairos::HtmlScanner::default();
        scanner.feed(&text);
        let _ = scanner.spot();
    }
}
