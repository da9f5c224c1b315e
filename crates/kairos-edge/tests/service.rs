//! The edge service natively, over a fake platform: deciding for a request, exposure recording,
//! bundle and key policy, email opens, proxy header rules, and every store fault (throws,
//! stalls past its budget, holds garbage). The visitor always gets the origin's page or the
//! defaults, and each fault logs exactly one line with nothing personal in it.
//! The fake platform is in support/mod.rs; the anonymous id's cases are in identity.rs.

use kairos::json::compile_json;
use kairos_edge::http::{self, Method, Route};
use kairos_edge::runtime::block_on;
use kairos_edge::service::{BodyFault, BUNDLE_KEY};
use kairos_edge::{anonymous, cookies, customer, open_token, Edge, PageAnswer};
mod support;

use support::*;

#[test]
fn routes() {
    assert_eq!(Route::of(Method::Post, "/v1/decide"), Route::DecidePosted);
    assert_eq!(Route::of(Method::Get, "/v1/decide"), Route::DecideEdge);
    assert_eq!(Route::of(Method::Other, "/v1/decide"), Route::DecideWrongMethod);
    assert_eq!(Route::of(Method::Get, "/v1/open/abc"), Route::Open("abc".into()));
    assert_eq!(Route::of(Method::Options, "/v1/open/abc"), Route::OpenPreflight);
    assert_eq!(Route::of(Method::Get, "/product/1"), Route::Proxy);
    assert_eq!(Method::parse("post"), Method::Post);
}

#[test]
fn posted_context_is_decided_with_the_kv_bundle_and_bad_input_is_a_coded_400() {
    let rt = Fake::default().with(BUNDLE_KEY, Kv::Value(bundle(DEMO)));
    let edge = Edge::new(builtin());
    let cfg = full_config();
    let req = request("/v1/decide", &[]);
    let ok = block_on(edge.decide_posted(&rt, &cfg, &req, Ok(br#"{"now": "2026-06-01T12:00:00Z"}"#.to_vec())));
    assert_eq!(ok.status, 200);
    assert_eq!(ok.header("x-kairos-bundle"), Some("kv"));
    assert!(json(&ok)["slots"]["hero"]["variant"].is_string(), "{}", json(&ok));

    let bad = block_on(edge.decide_posted(&rt, &cfg, &req, Ok(br#"{"now": 5, "consent": []}"#.to_vec())));
    assert_eq!(bad.status, 400);
    let error = &json(&bad)["error"];
    assert_eq!(error["code"], "E_CONTEXT");
    assert!(error["path"].is_string() && error["message"].is_string(), "{error}");

    let big = block_on(edge.decide_posted(&rt, &cfg, &req, Err(BodyFault::TooLarge)));
    assert_eq!((big.status, json(&big)["error"]["code"].as_str()), (413, Some("E_BODY_TOO_LARGE")));
    let binary = block_on(edge.decide_posted(&rt, &cfg, &req, Ok(vec![0xff, 0xfe])));
    assert_eq!((binary.status, json(&binary)["error"]["code"].as_str()), (400, Some("E_BODY")));
    assert!(http::declared_too_large(Some("1048577")) && !http::declared_too_large(Some("1048576")));
}

#[test]
fn kv_faults_fall_back_to_the_built_in_bundle_with_one_log_line_each() {
    for (name, kv) in [
        ("throws", Kv::Throws),
        ("stalls", Kv::Stalls),
        ("garbage", Kv::Value(b"KAIROS\x00\x02 not really a bundle".to_vec())),
        ("not a bundle", Kv::Value(b"<html>".to_vec())),
    ] {
        let rt = Fake::default().with(BUNDLE_KEY, kv);
        let edge = Edge::new(builtin());
        let cfg = full_config();
        let resp = block_on(edge.decide_edge(&rt, &cfg, &request("/v1/decide", &[])));
        assert_eq!(resp.status, 200, "{name}");
        assert_eq!(resp.header("x-kairos-bundle"), Some("builtin"), "{name}");
        // The fallback is cached like a bundle: the next request neither reads KV nor logs.
        let reads = *rt.reads.borrow();
        block_on(edge.decide_edge(&rt, &cfg, &request("/v1/decide", &[])));
        assert_eq!(*rt.reads.borrow(), reads, "{name}: cached");
        let lines = rt.lines();
        assert_eq!(lines.len(), 1, "{name}: {lines:?}");
        assert!(lines[0].starts_with("kairos: KV bundle"), "{name}: {lines:?}");
        assert_impersonal(&lines);
    }
}

#[test]
fn a_stalled_or_broken_customer_record_costs_only_the_record() {
    let id = "cust-42";
    for (name, kv, state) in [
        ("throws", Kv::Throws, "unreachable"),
        ("stalls", Kv::Stalls, "unreachable"),
        ("garbage", Kv::Value(b"{\"profile\": 7, \"name\": \"cust-42\"}".to_vec()), "invalid"),
        ("binary", Kv::Value(vec![0xc3, 0x28]), "invalid"),
    ] {
        let rt = Fake::default().with(&customer::key(id), kv);
        let edge = Edge::new(builtin());
        let cfg = full_config();
        let d = block_on(edge.decide_for_request(&rt, &cfg, &consented("/", Some(id)), true, false)).unwrap();
        assert_eq!(d.customer, state, "{name}");
        assert!(d.decision.slots.iter().all(|s| !s.variant.is_empty()), "{name}: every slot decided");
        let lines = rt.lines();
        assert_eq!(lines.len(), 1, "{name}: {lines:?}");
        assert!(lines[0].starts_with("kairos: customer record"), "{name}: {lines:?}");
        assert_impersonal(&lines);
    }
}

#[test]
fn signatures_required_refuse_unsigned_and_never_use_the_built_in_bundle() {
    let secret = kairos::signing::SigningKey::from_seed([7; 32]).unwrap();
    let key_hex = secret.public_key().to_hex();
    let signed = secret.sign(&bundle(DEMO)).unwrap();
    let edge = Edge::new(builtin());
    let cfg = config(&[("BUNDLE_PUBLIC_KEY", &key_hex)]);
    let rt = Fake::default().with(BUNDLE_KEY, Kv::Value(signed));
    assert_eq!(block_on(edge.engine(&rt, &cfg)).map(|(_, s)| s.as_str()), Some("kv"));

    let unsigned = Fake::default().with(BUNDLE_KEY, Kv::Value(bundle(DEMO)));
    let edge = Edge::new(builtin());
    assert!(block_on(edge.engine(&unsigned, &cfg)).is_none());
    assert!(unsigned.lines()[0].contains("E_BUNDLE_UNSIGNED"), "{:?}", unsigned.lines());
    let resp = block_on(edge.decide_edge(&unsigned, &cfg, &request("/v1/decide", &[])));
    assert_eq!((resp.status, json(&resp)["error"]["code"].as_str()), (503, Some("E_NO_BUNDLE")));
    // A page still gets through, as the origin sent it.
    let page = block_on(edge.page(&unsigned, &cfg, &request("/", &[]), Method::Get, 200, &html_headers()));
    assert!(matches!(page, PageAnswer::PassThrough { .. }));

    let broken = config(&[("BUNDLE_PUBLIC_KEY", "not-a-key")]);
    assert_eq!(broken.warnings.len(), 1, "{:?}", broken.warnings);
    let rt = Fake::default().with(BUNDLE_KEY, Kv::Value(bundle(DEMO)));
    assert!(block_on(Edge::new(builtin()).engine(&rt, &broken)).is_none());
}

#[test]
fn a_page_view_records_the_tracked_event_and_capped_exposures_in_the_history_cookie() {
    let rules = r#"{
      "kairos": 1,
      "slots": { "offer": { "default": { "id": "none", "content": "" }, "variants": [
        { "id": "promo", "when": { "starts_with": [{ "var": "session.page" }, "/product/"] },
          "cap": { "max": 2, "within": "7d" }, "content": "10% off" } ] } }
    }"#;
    let rt = Fake::default().with(BUNDLE_KEY, Kv::Value(bundle(rules)));
    let edge = Edge::new(builtin());
    let cfg = full_config();
    let mut req = consented("/product/sku-9", None);
    let mut shown = 0;
    for _ in 0..4 {
        let d = block_on(edge.decide_for_request(&rt, &cfg, &req, true, false)).unwrap();
        if d.decision.slots[0].variant == "promo" {
            shown += 1;
        }
        assert!(d.set_cookies.iter().any(|c| c.starts_with("kairos_h=")), "history cookie written");
        keep_cookies(&mut req, &d.set_cookies);
    }
    assert_eq!(shown, 2, "the cap of 2 per 7 days holds across page views");

    let history = kairos_edge::HistoryCookie::new(HISTORY_KEY.as_bytes());
    let cookie = req.cookie(cookies::HISTORY).unwrap();
    // Bound to the visitor's anonymous id, issued on the first answer and kept since.
    let id = req.cookie(anonymous::COOKIE).unwrap().split('.').next().unwrap();
    let events = history.read(cookie, id, NOW).unwrap();
    let names: Vec<String> = events.iter().map(|e| e.to_event().name).collect();
    assert_eq!(names.iter().filter(|n| *n == kairos::EXPOSURE).count(), 2, "{names:?}");
    assert_eq!(names.iter().filter(|n| *n == "product_viewed").count(), 4, "{names:?}");
}

#[test]
fn without_consent_nothing_is_read_or_kept_and_an_old_history_is_cleared() {
    let rt = Fake::default().with(BUNDLE_KEY, Kv::Value(bundle(DEMO)));
    let edge = Edge::new(builtin());
    let cfg = full_config();
    let cookie = format!("{}=1; {}=something", cookies::CUSTOMER, cookies::HISTORY);
    let req = request("/", &[("cookie", &cookie)]);
    let d = block_on(edge.decide_for_request(&rt, &cfg, &req, true, false)).unwrap();
    assert_eq!((d.customer, d.history.as_str()), ("off", "off"));
    assert_eq!(d.set_cookies.len(), 1);
    assert!(d.set_cookies[0].starts_with("kairos_h=;") && d.set_cookies[0].contains("Max-Age=0"));
    assert_eq!(*rt.reads.borrow(), 1, "only the bundle is read");
}

#[test]
fn proxy_header_rules() {
    let req = request(
        "/page?q=1#frag",
        &[
            ("host", "shop.test"),
            ("cookie", "a=b"),
            ("range", "bytes=0-10"),
            ("if-none-match", "\"x\""),
            ("connection", "keep-alive, x-hop"),
            ("x-hop", "1"),
            ("x-forwarded-host", "evil.test"),
            ("x-split", "a\r\nset-cookie: evil=1"),
        ],
    );
    let get = http::origin_request(&req, Method::Get, "http://origin.test/");
    assert_eq!(get.url, "http://origin.test/page?q=1");
    let names: Vec<&str> = get.headers.iter().map(|(k, _)| k.as_str()).collect();
    assert_eq!(names, ["cookie", "x-forwarded-host", "x-forwarded-proto"], "{:?}", get.headers);
    assert!(get.headers.contains(&("x-forwarded-host".into(), "shop.test".into())));
    let post = http::origin_request(&req, Method::Post, "http://origin.test");
    assert!(post.headers.iter().any(|(k, _)| k == "range"), "validators pass on requests that are not personalised");
    assert!(!post.may_personalise);

    let rewritten: Vec<String> = http::visitor_headers(&html_headers(), true).into_iter().map(|(k, _)| k).collect();
    assert_eq!(rewritten, ["content-type", "x-origin"]);
    let passed: Vec<String> = http::visitor_headers(&html_headers(), false).into_iter().map(|(k, _)| k).collect();
    assert_eq!(passed, ["content-type", "content-length", "etag", "cache-control", "x-origin"]);
}

#[test]
fn origin_answers_pass_through_unless_they_are_200_html_to_a_get() {
    let rt = Fake::default().with(BUNDLE_KEY, Kv::Value(bundle(DEMO)));
    let edge = Edge::new(builtin());
    let cfg = full_config();
    let req = consented("/", None);
    for (method, status, headers) in [
        (Method::Get, 500, html_headers()),
        (Method::Get, 404, html_headers()),
        (Method::Get, 200, vec![("content-type".to_owned(), "application/json".to_owned())]),
        (Method::Post, 200, html_headers()),
    ] {
        let page = block_on(edge.page(&rt, &cfg, &req, method, status, &headers));
        let PageAnswer::PassThrough { headers: out } = page else { panic!("{status} {method:?} passes through") };
        assert!(!out.iter().any(|(k, _)| k.starts_with("x-kairos")), "not decided: {out:?}");
    }
    let PageAnswer::Head { headers } = block_on(edge.page(&rt, &cfg, &req, Method::Head, 200, &html_headers())) else {
        panic!("HEAD")
    };
    assert!(headers.contains(&("cache-control".into(), "private, no-store".into())));
    assert!(rt.lines().is_empty());
    let unreachable = edge.origin_unreachable(&rt);
    assert_eq!((unreachable.status, json(&unreachable)["error"]["code"].as_str()), (502, Some("E_ORIGIN_UNREACHABLE")));
    assert_eq!(rt.lines(), ["kairos: origin unreachable"]);
}

#[test]
fn oversized_headers_are_proxied_and_decided_within_the_limits() {
    let rt = Fake::default().with(BUNDLE_KEY, Kv::Value(bundle(DEMO)));
    let edge = Edge::new(builtin());
    let cfg = full_config();
    let huge = "x".repeat(64 * 1024);
    let cookie = format!("{}=1; junk={huge}; {}={huge}", cookies::CONSENT, cookies::HISTORY);
    let mut req = request(&format!("/?{huge}"), &[("cookie", &cookie), ("user-agent", &huge), ("referer", &huge)]);
    req.headers.extend((0..200).map(|i| (format!("x-h{i}"), huge.clone())));
    let page = block_on(edge.page(&rt, &cfg, &req, Method::Get, 200, &html_headers()));
    let headers = match page {
        PageAnswer::Personalised { headers, .. } | PageAnswer::PassThrough { headers } => headers,
        PageAnswer::Head { .. } => unreachable!(),
    };
    assert!(headers.contains(&("x-kairos-history".into(), "invalid".into())), "{headers:?}");
    let to_origin = http::origin_request(&req, Method::Get, "http://origin.test");
    assert_eq!(to_origin.headers.len(), req.headers.len() + 2);
}

#[test]
fn email_open_chooses_content_by_token_and_refuses_tampering() {
    let rules = include_str!("../../../examples/email/rules.json");
    let rt = Fake::default().with(BUNDLE_KEY, Kv::Value(bundle(rules)));
    let edge = Edge::new(builtin());
    let cfg = full_config();
    let slot = kairos::json::compile_json(rules).unwrap().slots[0].name.clone();
    let token = open_token::mint(
        OPEN_KEY.as_bytes(),
        &open_token::OpenToken {
            campaign: "c1".into(),
            customer_id: "cust-501".into(),
            slot: slot.clone(),
            event: None,
            expires_at: NOW / 1000 + 3600,
        },
    );
    let html = block_on(edge.open(&rt, &cfg, &request("/v1/open/x", &[]), &token));
    assert_eq!((html.status, html.header("x-kairos-token")), (200, Some("ok")));
    assert!(html.header("content-security-policy").unwrap().starts_with("sandbox"));
    let amp = block_on(edge.open(&rt, &cfg, &request("/v1/open/x?format=json", &[]), &token));
    assert!(json(&amp)["items"][0]["variant"].is_string());

    let reads = *rt.reads.borrow();
    let mut tampered = token.clone();
    tampered.pop();
    tampered.push(if token.ends_with('A') { 'B' } else { 'A' });
    let refused = block_on(edge.open(&rt, &cfg, &request("/v1/open/x", &[]), &tampered));
    assert_eq!(refused.status, 200);
    assert_ne!(refused.header("x-kairos-token"), Some("ok"));
    assert_eq!(*rt.reads.borrow(), reads, "a refused token reads no customer record");
}

#[test]
fn settings_that_are_too_weak_switch_their_feature_off_and_say_so_by_name() {
    let cfg = config(&[
        ("HISTORY_KEY", "tiny-secret"),
        ("TRACK", "[{]"),
        ("DEBUG_TOKEN", "tiny-secret"),
        ("BUNDLE_TTL_SECONDS", "-4"),
    ]);
    assert!(cfg.history_key.is_none() && cfg.debug_token.is_none() && cfg.track.is_empty());
    assert_eq!(cfg.bundle_ttl_ms, kairos_edge::config::DEFAULT_BUNDLE_TTL_MS);
    assert_eq!(cfg.warnings.len(), 2, "{:?}", cfg.warnings);
    assert!(cfg.warnings.iter().all(|w| !w.contains("tiny-secret")), "values never appear: {:?}", cfg.warnings);
    let rt = Fake::default();
    let edge = Edge::new(builtin());
    let reads = std::cell::Cell::new(0);
    for _ in 0..2 {
        let got = edge.config(&rt, || {
            reads.set(reads.get() + 1);
            cfg.clone()
        });
        assert!(got.history_key.is_none());
    }
    assert_eq!(reads.get(), 1, "read once per isolate");
    assert_eq!(rt.lines().len(), 2, "warnings logged once per isolate");
}

/// A customer record packed for the bundle (`kv-customers --bundle`) decides exactly as the JSON
/// record does, with one KV read; bytes packed for a bundle that reads the history differently,
/// or for another customer, are logged by code and the JSON record is read instead.
#[test]
fn a_packed_customer_record_decides_as_its_json_record_and_falls_back_when_it_does_not_fit() {
    use base64::Engine as _;
    let id = "cust-77";
    let at = |ago_min: i64| NOW - ago_min * 60_000;
    let line = |id: &str| {
        let score = format!(r#"{{"purchase_propensity": {{"value": 0.9, "computed_at": {}}}}}"#, at(60));
        let events = format!(r#"[{{"e": "cart_viewed", "t": {}}}, {{"e": "cart_viewed", "t": {}}}]"#, at(300), at(30));
        format!(r#"{{"customer_id": "{id}", "scores": {score}, "events": {events}}}"#)
    };
    let packed_for = |rules: &str, id: &str| {
        let engine = std::sync::Arc::new(kairos::Engine::new(compile_json(rules).unwrap()));
        let bulk: serde_json::Value =
            serde_json::from_str(&customer::bulk_from_jsonl(&line(id), Some(&engine)).unwrap()).unwrap();
        assert_eq!(
            (bulk[1]["key"].as_str(), bulk[1]["base64"].as_bool()),
            (Some(&*customer::visitor_key(id)), Some(true))
        );
        let packed = base64::engine::general_purpose::STANDARD.decode(bulk[1]["value"].as_str().unwrap()).unwrap();
        (bulk[0]["value"].as_str().unwrap().as_bytes().to_vec(), packed)
    };
    let (record, packed) = packed_for(DEMO, id);
    let decide = |rt: &Fake| {
        let mut cfg = full_config();
        cfg.packed_customers = true;
        let d = block_on(Edge::new(builtin()).decide_for_request(rt, &cfg, &consented("/", Some(id)), true, true));
        let d = d.unwrap();
        (d.customer, kairos::json::decision_to_json(&d.decision))
    };

    let from_json = decide(&Fake::default().with(&customer::key(id), Kv::Value(record.clone())));
    let rt = Fake::default().with(&customer::visitor_key(id), Kv::Value(packed));
    let from_packed = decide(&rt);
    assert_eq!((from_json.0, from_packed.0), ("found", "packed"));
    assert_eq!(from_packed.1, from_json.1);
    assert!(
        from_packed.1.contains("propensity_override"),
        "the record's score and events were read: {}",
        from_packed.1
    );
    assert_eq!(*rt.reads.borrow(), 2, "the bundle and the packed record, not the JSON record");
    assert!(rt.lines().is_empty(), "{:?}", rt.lines());

    // Off by default: a deployment that does not pack reads only the JSON record.
    let unpacked = Fake::default().with(&customer::visitor_key(id), Kv::Value(packed_for(DEMO, id).1));
    let d = block_on(Edge::new(builtin()).decide_for_request(
        &unpacked,
        &full_config(),
        &consented("/", Some(id)),
        true,
        true,
    ));
    assert_eq!((d.unwrap().customer, *unpacked.reads.borrow()), ("absent", 2), "the bundle and the JSON record only");

    let reads_more = DEMO.replacen(
        "\"event\": \"cart_viewed\",",
        "\"event\": \"cart_viewed\", \"where\": {\"product_id\": \"sku-1\"},",
        1,
    );
    for (why, (_, bytes)) in
        [("another layout", packed_for(&reads_more, id)), ("another customer", packed_for(DEMO, "cust-78"))]
    {
        let rt = Fake::default()
            .with(&customer::visitor_key(id), Kv::Value(bytes))
            .with(&customer::key(id), Kv::Value(record.clone()));
        assert_eq!(decide(&rt), ("found", from_json.1.clone()), "{why}");
        let lines = rt.lines();
        assert!(lines.len() == 1 && lines[0].starts_with("kairos: packed customer record"), "{why}: {lines:?}");
        assert_impersonal(&lines);
    }
}
