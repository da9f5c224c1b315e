//! QA previews at the edge (docs/preview.md): a token signed with the bundle key forces its slots
//! for the session, records nothing as shown, and a bad token is ignored with one log line.

use kairos::preview::Preview;
use kairos::signing::SigningKey;
use kairos_edge::runtime::block_on;
use kairos_edge::service::BUNDLE_KEY;
use kairos_edge::{preview, Edge, EdgeRequest};
mod support;

use support::*;

fn site_key() -> SigningKey {
    SigningKey::from_seed([7; 32]).unwrap()
}

fn token(key: &SigningKey, expires_at: i64, pairs: &[(&str, &str)]) -> String {
    let pairs = pairs.iter().map(|(s, v)| (s.to_string(), v.to_string())).collect();
    Preview::new(expires_at, pairs).unwrap().sign(key)
}

/// An edge with the demo bundle signed by the site key, a collector and the history cookie.
fn site() -> (Fake, kairos_edge::EdgeConfig) {
    let rt = Fake::default().with(BUNDLE_KEY, Kv::Value(site_key().sign(&bundle(DEMO)).unwrap()));
    let cfg = config(&[
        ("ORIGIN", "http://origin.test"),
        ("HISTORY_KEY", HISTORY_KEY),
        ("IDENTITY_KEY", IDENTITY_KEY),
        ("BUNDLE_PUBLIC_KEY", &site_key().public_key().to_hex()),
        ("COLLECTOR", "https://collect.test/v1/batch"),
        ("TRACK", r#"[{"prefix": "/product/", "event": "product_viewed", "id_prop": "product_id"}]"#),
    ]);
    (rt, cfg)
}

fn header(d: &kairos_edge::service::EdgeDecision, name: &str) -> Option<String> {
    d.headers().into_iter().find(|(k, _)| k == name).map(|(_, v)| v)
}

fn slot<'d>(d: &'d kairos_edge::service::EdgeDecision, name: &str) -> &'d kairos::decide::SlotDecision {
    d.decision.slots.iter().find(|s| s.slot == name).unwrap()
}

fn with_query(req: &EdgeRequest, query: &str) -> EdgeRequest {
    EdgeRequest { url: format!("{}?{query}", req.url), ..req.clone() }
}

#[test]
fn a_preview_link_forces_its_slots_for_the_session_and_records_nothing_shown() {
    let (rt, cfg) = site();
    let edge = Edge::new(builtin());
    let t = token(&site_key(), NOW + 3_600_000, &[("offer", "propensity_override"), ("hero", "brand")]);
    let mut req = consented("/product/sku-1", None);

    let plain = block_on(edge.decide_for_request(&rt, &cfg, &req, true, false)).unwrap();
    assert_eq!(header(&plain, "x-kairos-preview"), None);
    let sent_before = rt.sent.borrow().len();
    assert!(sent_before > 0, "an ordinary view reports its exposures");
    keep_cookies(&mut req, &plain.set_cookies);

    let d = block_on(edge.decide_for_request(&rt, &cfg, &with_query(&req, &format!("kairos_preview={t}")), true, true))
        .unwrap();
    assert_eq!(header(&d, "x-kairos-preview").as_deref(), Some("active"));
    assert_eq!((slot(&d, "offer").variant.as_str(), slot(&d, "offer").reason), ("propensity_override", "forced"));
    assert_eq!((slot(&d, "hero").variant.as_str(), slot(&d, "hero").reason), ("brand", "forced"));
    assert_eq!(slot(&d, "cta").reason, slot(&plain, "cta").reason, "unforced slots decide as ever");
    let cookie = d.set_cookies.iter().find(|c| c.starts_with("kairos_preview=")).expect("the session cookie");
    assert_eq!(cookie, &format!("kairos_preview={t}; Path=/; Secure; SameSite=Lax"), "no Max-Age: the session only");
    assert_eq!(
        d.events.iter().filter(|e| e.name == "$exposure").count(),
        plain.events.iter().filter(|e| e.name == "$exposure").count(),
        "a forced view adds no exposure to the history"
    );
    assert_eq!(rt.sent.borrow().len(), sent_before, "nothing for the collector");

    // The next page of the session: the cookie alone keeps the preview.
    keep_cookies(&mut req, &d.set_cookies);
    let next = block_on(edge.decide_for_request(&rt, &cfg, &req, true, false)).unwrap();
    assert_eq!(slot(&next, "offer").reason, "forced");
    assert!(next.set_cookies.iter().all(|c| !c.starts_with("kairos_preview=")), "not rewritten");

    // `?kairos_preview=off` ends it.
    let off =
        block_on(edge.decide_for_request(&rt, &cfg, &with_query(&req, "kairos_preview=off"), true, false)).unwrap();
    assert_eq!(header(&off, "x-kairos-preview").as_deref(), Some("ended"));
    assert_eq!(slot(&off, "offer").reason, slot(&plain, "offer").reason);
    assert!(off.set_cookies.iter().any(|c| c.starts_with("kairos_preview=;") && c.contains("Max-Age=0")));
    assert!(rt.lines().is_empty(), "{:?}", rt.lines());
}

#[test]
fn unsigned_tampered_foreign_and_expired_tokens_are_ignored_with_one_log_line() {
    let good = token(&site_key(), NOW + 3_600_000, &[("offer", "propensity_override")]);
    let cases = [
        ("tampered", good.replace("propensity_override", "evening_offer"), "E_PREVIEW"),
        (
            "foreign",
            token(&SigningKey::from_seed([8; 32]).unwrap(), NOW + 3_600_000, &[("offer", "none")]),
            "E_PREVIEW",
        ),
        ("expired", token(&site_key(), NOW - 1_000, &[("offer", "none")]), "E_PREVIEW_EXPIRED"),
        ("unsigned", "kp1.1780003600.offer~none".to_owned(), "E_PREVIEW"),
        ("garbage", "<script>".to_owned(), "E_PREVIEW"),
    ];
    for (name, t, code) in cases {
        let (rt, cfg) = site();
        let edge = Edge::new(builtin());
        let plain = block_on(edge.decide_for_request(&rt, &cfg, &consented("/", None), true, false)).unwrap();
        let mut req = consented("/", None);
        req.headers.retain(|(k, _)| k != "cookie");
        req.headers.push(("cookie".into(), format!("kairos_consent=1; {}={t}", preview::COOKIE)));
        let d = block_on(edge.decide_for_request(&rt, &cfg, &req, true, false)).unwrap();
        assert_eq!(header(&d, "x-kairos-preview"), Some(format!("ignored; code={code}")), "{name}");
        assert_eq!(slot(&d, "offer").variant, slot(&plain, "offer").variant, "{name}: decided as without it");
        assert!(d.decision.slots.iter().all(|s| s.reason != "forced"), "{name}");
        assert!(d.set_cookies.iter().any(|c| c.starts_with("kairos_preview=;")), "{name}: its cookie is cleared");
        let lines = rt.lines();
        assert_eq!(lines.len(), 1, "{name}: {lines:?}");
        assert!(lines[0].starts_with("kairos: preview token ignored") && lines[0].contains(code), "{lines:?}");
        assert!(!lines[0].contains(&t), "the token is not logged");
        assert_impersonal(&lines);
    }
}

#[test]
fn without_a_bundle_key_no_preview_can_be_checked() {
    let edge = Edge::new(builtin());
    let rt = Fake::default().with(BUNDLE_KEY, Kv::Value(bundle(DEMO)));
    let t = token(&site_key(), NOW + 3_600_000, &[("offer", "none")]);
    let req = with_query(&consented("/", None), &format!("kairos_preview={t}"));
    let d = block_on(edge.decide_for_request(&rt, &full_config(), &req, true, false)).unwrap();
    assert_eq!(header(&d, "x-kairos-preview").as_deref(), Some("ignored; code=E_PREVIEW"));
    assert!(rt.lines()[0].contains("BUNDLE_PUBLIC_KEY"), "{:?}", rt.lines());
}
