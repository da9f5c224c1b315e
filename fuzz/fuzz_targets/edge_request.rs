//! A whole edge request with hostile parts (URL, method, headers, cookies, posted body) through
//! the edge service over a fake platform: routing, the decide routes, the email open, OFREP,
//! preview tokens (a valid one, its fragments, garbage; with and without BUNDLE_PUBLIC_KEY) and
//! what a proxied page becomes. Invariants: no panic; every answer is one of the statuses the routes
//! give; no header value carries a line break (no response splitting); JSON bodies parse; every
//! projected attribute passed the allow list.

#![no_main]

use kairos_edge::http::{self, Method, Route};
use kairos_edge::runtime::block_on;
use kairos_edge::service::BodyFault;
use kairos_edge::{Edge, EdgeConfig, EdgeRequest, PageAnswer, Runtime, StoreFault};
use libfuzzer_sys::arbitrary::{Result, Unstructured};
use libfuzzer_sys::fuzz_target;

mod common;

const DEMO: &str = include_str!("../../examples/demo/rules.json");

/// The demo rules compiled once, as the Worker's build script compiles its built-in bundle.
fn builtin() -> &'static [u8] {
    static BYTES: std::sync::OnceLock<Vec<u8>> = std::sync::OnceLock::new();
    BYTES.get_or_init(|| kairos::json::compile_json(DEMO).expect("the demo rules compile").to_bytes())
}
const NAMES: &[&str] = &[
    "cookie",
    "user-agent",
    "referer",
    "sec-ch-ua-mobile",
    "sec-ch-ua-platform",
    "sec-gpc",
    "accept",
    "origin",
    "amp-email-sender",
    "x-kairos-debug",
    "content-length",
    "connection",
    "range",
    "host",
    "x-forwarded-host",
    "if-none-match",
];
const COOKIE_PARTS: &[&str] =
    &["kairos_consent=1", "kairos_uid=", "kairos_h=", "kairos_aid=", "aBwcHBwcHBwcHBwcHBwcHBw", "kairos_pending=",
      "p1~W3siZSI6ImNhcnQiLCJ0IjoxfV0", "kairos_preview=", "kp1.", "~", "; ", "=", ".", "%", "\"", "a"];
const NOW: i64 = common::PREVIEW_NOW;

struct Fake {
    /// The KV bundle: the demo signed with the site key (None: KV is empty).
    signed: Option<Vec<u8>>,
}

impl Runtime for Fake {
    fn now_ms(&self) -> i64 {
        NOW
    }
    async fn kv_get(&self, key: &str) -> std::result::Result<Option<Vec<u8>>, StoreFault> {
        Ok(if key == "bundle" { self.signed.clone() } else { None })
    }
    async fn sleep(&self, _ms: u32) {}
    fn log(&self, _line: &str) {}
    fn random_bytes(&self) -> [u8; 16] {
        [7; 16]
    }
    fn send_later(&self, _url: &str, body: String) {
        // Every batch is JSON the collector can read.
        assert!(body.starts_with(r#"{"batch":["#), "{body}");
    }
}

fn text(u: &mut Unstructured, parts: &[&str]) -> Result<String> {
    let mut s = String::new();
    for _ in 0..u.int_in_range(0..=12u8)? {
        if u.ratio(1, 3)? {
            s.push_str(&u.arbitrary::<String>()?);
        } else {
            s.push_str(u.choose(parts)?);
        }
    }
    Ok(s)
}

fn check(resp: &http::HttpResponse) {
    assert!([200, 204, 304, 400, 404, 405, 413, 500, 502, 503].contains(&resp.status), "status {}", resp.status);
    check_headers(&resp.headers);
    if resp.header("content-type").is_some_and(|t| t.starts_with("application/json")) {
        serde_json::from_slice::<serde_json::Value>(&resp.body).expect("JSON body parses");
    }
}

fn check_headers(headers: &[(String, String)]) {
    for (k, v) in headers {
        assert!(!k.contains(['\r', '\n']) && !v.contains(['\r', '\n']), "line break in header {k}: {v:?}");
        if k == "x-kairos-preview" {
            let documented = ["active", "ended", "ignored; code=E_PREVIEW", "ignored; code=E_PREVIEW_EXPIRED"];
            assert!(documented.contains(&v.as_str()), "x-kairos-preview: {v}");
        }
    }
}

/// Text from `parts`, a valid preview token, its halves and arbitrary strings.
fn with_token(u: &mut Unstructured, parts: &[&str]) -> Result<String> {
    let token = common::demo_preview().1.as_str();
    let (head, tail) = token.split_at(u.int_in_range(0..=token.len())?);
    let mut all = parts.to_vec();
    all.extend([token, head, tail]);
    text(u, &all)
}

fn run(u: &mut Unstructured) -> Result<()> {
    let path = with_token(
        u,
        &["/", "/v1/decide", "/v1/open/", "/ofrep/v1/evaluate/flags", "/hero", "%2F", "?explain=1", "&format=json", "/product/", "#",
          "?kairos_preview=", "&kairos_preview=", "off"],
    )?;
    let url = format!("https://shop.test{path}");
    let method = Method::parse(u.choose(&["GET", "POST", "HEAD", "OPTIONS", "PUT", "get"])?);
    let mut headers = Vec::new();
    for _ in 0..u.int_in_range(0..=8u8)? {
        let name = (*u.choose(NAMES)?).to_owned();
        let value = if name == "cookie" { with_token(u, COOKIE_PARTS)? } else { u.arbitrary::<String>()? };
        headers.push((name, value));
    }
    let req = EdgeRequest {
        url,
        headers,
        identity_key: b"fuzz-identity-key-0123456789abcdef".to_vec(),
        ..Default::default()
    };
    let signed = u.arbitrary::<bool>()?;
    let public_key = common::site_key().public_key().to_hex();
    let config = EdgeConfig::from_vars(|name| match name {
        "ORIGIN" => Some("http://origin.test".into()),
        "BUNDLE_PUBLIC_KEY" if signed => Some(public_key.clone()),
        "HISTORY_KEY" => Some("fuzz-history-key-0123456789abcdef".into()),
        "OPEN_TOKEN_KEY" => Some("fuzz-open-token-key-0123456789abcdef".into()),
        "AMP_SENDERS" => Some("news@shop.test".into()),
        _ => None,
    });
    let edge = Edge::new(builtin());
    let rt = Fake { signed: signed.then(|| common::site_key().sign(builtin()).expect("signed")) };
    let route = Route::of(method, req.path());
    let body = if u.arbitrary()? { Ok(u.arbitrary::<Vec<u8>>()?) } else { Err(BodyFault::TooLarge) };
    match route {
        Route::DecidePosted => check(&block_on(edge.decide_posted(&rt, &config, &req, body))),
        Route::DecideEdge => check(&block_on(edge.decide_edge(&rt, &config, &req))),
        Route::Open(token) => check(&block_on(edge.open(&rt, &config, &req, &token))),
        Route::OpenPreflight => check(&edge.open_preflight(&config, &req)),
        Route::OfrepFlag(key) => check(&block_on(edge.ofrep(&rt, &config, &req, body, Some(&key)))),
        Route::OfrepBulk => check(&block_on(edge.ofrep(&rt, &config, &req, body, None))),
        Route::OfrepPreflight => check(&kairos_edge::ofrep::preflight()),
        Route::DecideWrongMethod | Route::OfrepWrongMethod => {}
        Route::Proxy => {
            if let Some(to_origin) = edge.origin_request(&config, &req, method) {
                check_headers(&to_origin.headers);
            }
            let status = *u.choose(&[200u16, 404, 500])?;
            let upstream =
                vec![("content-type".to_owned(), u.choose(&["text/html", "TEXT/HTML; x", "image/png"])?.to_string())];
            match block_on(edge.page(&rt, &config, &req, method, status, &upstream)) {
                PageAnswer::PassThrough { headers } | PageAnswer::Head { headers } => check_headers(&headers),
                PageAnswer::Personalised { headers, patches, state } => {
                    check_headers(&headers);
                    // The state island is one element whose JSON no value can close or break out of.
                    let json = state
                        .strip_prefix(r#"<script type="application/json" id="kairos-state">"#)
                        .and_then(|s| s.strip_suffix("</script>"))
                        .expect("one script element");
                    assert!(!json.contains(['<', '>', '&']), "{json}");
                    // Values come in rewriter form (`&` as `&amp;`, html::attr_text): undone exactly.
                    for p in patches.values() {
                        assert!(p.attrs.iter().all(|(k, v)| kairos::html::safe_attribute(k, &v.replace("&amp;", "&"))));
                    }
                }
            }
        }
    }
    Ok(())
}

fuzz_target!(|data: &[u8]| {
    let _ = run(&mut Unstructured::new(data));
});
