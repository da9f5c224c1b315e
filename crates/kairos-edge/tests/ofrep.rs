//! OFREP at the edge, natively: every slot a flag, reasons and metadata mapped, the bulk answer's
//! ETag and 304, and OpenFeature's error codes for bad input (docs/openfeature.md).

mod support;

use kairos_edge::http::{Method, Route};
use kairos_edge::runtime::block_on;
use kairos_edge::service::{BodyFault, BUNDLE_KEY};
use kairos_edge::{Edge, EdgeConfig, EdgeRequest};
use support::*;

fn post(
    edge: &Edge,
    rt: &Fake,
    cfg: &EdgeConfig,
    req: &EdgeRequest,
    key: Option<&str>,
    body: &str,
) -> kairos_edge::http::HttpResponse {
    block_on(edge.ofrep(rt, cfg, req, Ok(body.as_bytes().to_vec()), key))
}

/// A customer in the cart-abandoner segment, on mobile, at 18:30 in Paris, with consent.
const ABANDONER: &str = r#"{"context": {
  "targetingKey": "cust-42", "now": "2026-11-23T17:30:00Z", "timezone": "Europe/Paris",
  "consent": {"personalization": true},
  "session": {"device": "mobile", "product_views": [{"id": "sku-77", "category": "running"}]},
  "events": [{"e": "cart_viewed", "p": {"product_id": "sku-77"}, "t": "2026-11-23T16:50:00Z"},
             {"e": "cart_viewed", "p": {"product_id": "sku-77"}, "t": "2026-11-23T17:10:00Z"}],
  "tier": "gold"
}}"#;

/// An edge whose KV holds the demo bundle, with every setting on.
fn demo_edge() -> (Fake, Edge, EdgeConfig) {
    (Fake::default().with(BUNDLE_KEY, Kv::Value(bundle(DEMO))), Edge::new(builtin()), full_config())
}

#[test]
fn routes() {
    let flags = "/ofrep/v1/evaluate/flags";
    assert_eq!(Route::of(Method::Post, flags), Route::OfrepBulk);
    assert_eq!(Route::of(Method::Post, &format!("{flags}/hero")), Route::OfrepFlag("hero".into()));
    assert_eq!(Route::of(Method::Post, &format!("{flags}/a%20b%2Fc")), Route::OfrepFlag("a b/c".into()));
    assert_eq!(Route::of(Method::Options, &format!("{flags}/hero")), Route::OfrepPreflight);
    assert_eq!(Route::of(Method::Get, flags), Route::OfrepWrongMethod);
}

#[test]
fn a_slot_is_a_flag_and_its_answer_matches_the_decision() {
    let (rt, edge, cfg) = demo_edge();
    let req = request("/ofrep/v1/evaluate/flags/hero", &[]);
    let resp = post(&edge, &rt, &cfg, &req, Some("hero"), ABANDONER);
    assert_eq!(resp.status, 200);
    assert!(resp.header("content-type").unwrap().starts_with("application/json"));
    let flag = json(&resp);
    // The same context through POST /v1/decide (kairos's own shape).
    let context = r#"{"customer_id": "cust-42", "now": "2026-11-23T17:30:00Z", "timezone": "Europe/Paris",
      "consent": {"personalization": true},
      "session": {"device": "mobile", "product_views": [{"id": "sku-77", "category": "running"}]},
      "events": [{"e": "cart_viewed", "p": {"product_id": "sku-77"}, "t": "2026-11-23T16:50:00Z"},
                 {"e": "cart_viewed", "p": {"product_id": "sku-77"}, "t": "2026-11-23T17:10:00Z"}],
      "profile": {"tier": "gold"}}"#;
    let decided = json(&block_on(edge.decide_posted(&rt, &cfg, &req, Ok(context.as_bytes().to_vec()))));
    let hero = &decided["slots"]["hero"];
    assert_eq!(flag["key"], "hero");
    assert_eq!(flag["variant"], hero["variant"]);
    assert_eq!(flag["value"], hero["content"]);
    assert_eq!(flag["variant"], "category_intent", "{flag}");
    assert_eq!(flag["reason"], "TARGETING_MATCH");
    assert_eq!(flag["metadata"]["kairosReason"], "rule");
    assert!(flag["metadata"]["bundleId"].as_str().unwrap().contains('-'));
    assert!(flag["metadata"].as_object().unwrap().values().all(|v| !v.is_object() && !v.is_array()), "flat");
    // Without consent: the default, DISABLED.
    let refused = json(&post(&edge, &rt, &cfg, &req, Some("hero"), r#"{"context": {"targetingKey": "cust-42"}}"#));
    assert_eq!((refused["reason"].as_str(), refused["variant"].as_str()), (Some("DISABLED"), Some("brand")));
}

#[test]
fn every_flag_at_once_with_an_etag() {
    let (rt, edge, cfg) = demo_edge();
    let req = request("/ofrep/v1/evaluate/flags", &[]);
    let resp = post(&edge, &rt, &cfg, &req, None, ABANDONER);
    assert_eq!(resp.status, 200);
    let body = json(&resp);
    let keys: Vec<&str> = body["flags"].as_array().unwrap().iter().map(|f| f["key"].as_str().unwrap()).collect();
    assert_eq!(keys, ["cta", "hero", "offer"]);
    let etag = resp.header("etag").unwrap().to_owned();
    assert!(etag.starts_with("W/\""), "{etag}");
    assert_eq!(resp.header("access-control-expose-headers"), Some("ETag, Retry-After"));
    // The same context again, naming the tag: 304, no body, the tag again.
    let again = request("/ofrep/v1/evaluate/flags", &[("if-none-match", &etag)]);
    let not_modified = post(&edge, &rt, &cfg, &again, None, ABANDONER);
    assert_eq!((not_modified.status, not_modified.body.len()), (304, 0));
    assert_eq!(not_modified.header("etag"), Some(etag.as_str()));
    // Another context: a new answer and a new tag.
    let other = post(&edge, &rt, &cfg, &again, None, r#"{"context": {"targetingKey": "cust-7"}}"#);
    assert_eq!(other.status, 200);
    assert_ne!(other.header("etag"), Some(etag.as_str()));
}

#[test]
fn bad_input_gets_openfeatures_error_codes() {
    let (rt, edge, cfg) = demo_edge();
    let req = request("/ofrep/v1/evaluate/flags/x", &[]);
    let check = |key: Option<&str>, body: &str, status: u16, code: &str, detail: &str| {
        let resp = post(&edge, &rt, &cfg, &req, key, body);
        let v = json(&resp);
        assert_eq!((resp.status, v["errorCode"].as_str()), (status, Some(code)), "{body}: {v}");
        assert!(v["errorDetails"].as_str().unwrap().contains(detail), "{v}");
        if let Some(key) = key {
            assert_eq!(v["key"], key);
        }
    };
    check(Some("nope"), r#"{"context": {}}"#, 404, "FLAG_NOT_FOUND", "its slots are: cta, hero, offer");
    check(Some("we\"ird\\ \u{1} ü"), r#"{"context": {}}"#, 404, "FLAG_NOT_FOUND", "no slot `we\"ird");
    check(Some("hero"), "{not json", 400, "PARSE_ERROR", "line 1, column 2");
    check(None, "[1, 2", 400, "PARSE_ERROR", "expected an evaluation request");
    check(Some("hero"), r#"{"context": {"consent": "yes"}}"#, 400, "INVALID_CONTEXT", "context.consent");
    check(Some("hero"), r#"{"context": {"tier": {"nested": 1}}}"#, 400, "INVALID_CONTEXT", "context.tier");
    check(Some("hero"), r#"{"ctx": {}}"#, 400, "PARSE_ERROR", "missing field `context`");
    check(None, r#"{"context": {"now": "yesterday"}}"#, 400, "INVALID_CONTEXT", "context.now");
    let big = block_on(edge.ofrep(&rt, &cfg, &req, Err(BodyFault::TooLarge), Some("hero")));
    assert_eq!((big.status, json(&big)["errorCode"].as_str()), (413, Some("PARSE_ERROR")));
}

#[test]
fn the_context_maps_onto_kairos_signals() {
    let (rt, edge, cfg) = demo_edge();
    let req = request("/ofrep/v1/evaluate/flags/offer", &[]);
    // No `now`: the edge's clock. A targeting key in the holdout gets SPLIT everywhere.
    let held_out = (0..400).map(|i| format!("cust-{i}")).find(|id| kairos::bucket("demo-2026", id) < 1000).unwrap();
    let body = format!(r#"{{"context": {{"targetingKey": "{held_out}", "consent": {{"personalization": true}}}}}}"#);
    let flag = json(&post(&edge, &rt, &cfg, &req, Some("offer"), &body));
    assert_eq!((flag["reason"].as_str(), flag["metadata"]["holdout"].as_bool()), (Some("SPLIT"), Some(true)), "{flag}");
}
