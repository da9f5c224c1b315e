//! The fake platform and request helpers the edge's integration tests share: a runtime whose KV
//! throws, stalls or holds garbage on demand, a cookie jar, and requests with and without consent.
#![allow(dead_code)] // each test file uses its own part

use kairos::json::compile_json;
use kairos_edge::http::HttpResponse;
use kairos_edge::{cookies, identity, EdgeConfig, EdgeRequest};
use kairos_edge::{Runtime, StoreFault};
use std::cell::RefCell;
use std::collections::HashMap;
use std::future::pending;

pub const DEMO: &str = include_str!("../../../../examples/demo/rules.json");

/// The demo rules compiled, as the Worker's build script compiles its built-in bundle.
pub fn builtin() -> &'static [u8] {
    static BYTES: std::sync::OnceLock<Vec<u8>> = std::sync::OnceLock::new();
    BYTES.get_or_init(|| bundle(DEMO))
}
pub const HISTORY_KEY: &str = "test-history-key-0123456789abcdef";
pub const IDENTITY_KEY: &str = "test-identity-key-0123456789abcdef";
pub const OPEN_KEY: &str = "test-open-token-key-0123456789abcdef";
pub const NOW: i64 = 1_780_000_000_000;

/// What the fake KV does for a key.
#[derive(Clone)]
pub enum Kv {
    Value(Vec<u8>),
    Throws,
    Stalls,
}

#[derive(Default)]
pub struct Fake {
    pub kv: HashMap<String, Kv>,
    pub log: RefCell<Vec<String>>,
    pub reads: RefCell<usize>,
    pub randoms: RefCell<u8>,
    /// What `send_later` was given: (url, body).
    pub sent: RefCell<Vec<(String, String)>>,
}

impl Runtime for Fake {
    fn now_ms(&self) -> i64 {
        NOW
    }
    async fn kv_get(&self, key: &str) -> Result<Option<Vec<u8>>, StoreFault> {
        *self.reads.borrow_mut() += 1;
        match self.kv.get(key).cloned() {
            None => Ok(None),
            Some(Kv::Value(v)) => Ok(Some(v)),
            Some(Kv::Throws) => Err(StoreFault::Unreachable),
            Some(Kv::Stalls) => pending().await,
        }
    }
    /// The budget has always already passed: only a read that completes at once beats it.
    async fn sleep(&self, _ms: u32) {}
    fn log(&self, line: &str) {
        self.log.borrow_mut().push(line.to_owned());
    }
    fn send_later(&self, url: &str, body: String) {
        self.sent.borrow_mut().push((url.to_owned(), body));
    }
    /// Distinct per call, the same in every run.
    fn random_bytes(&self) -> [u8; 16] {
        let mut n = self.randoms.borrow_mut();
        *n += 1;
        [*n; 16]
    }
}

impl Fake {
    pub fn with(mut self, key: &str, value: Kv) -> Fake {
        self.kv.insert(key.to_owned(), value);
        self
    }
    pub fn lines(&self) -> Vec<String> {
        self.log.borrow().clone()
    }
}

/// What a browser does with the answer's `Set-Cookie`s: the next request carries them (a
/// `Max-Age=0` one removed).
pub fn keep_cookies(req: &mut EdgeRequest, set_cookies: &[String]) {
    let mut jar: Vec<(String, String)> = req
        .header("cookie")
        .unwrap_or("")
        .split(';')
        .filter_map(|p| p.split_once('=').map(|(k, v)| (k.trim().to_owned(), v.trim().to_owned())))
        .collect();
    for set in set_cookies {
        let pair = set.split(';').next().unwrap();
        let (name, value) = pair.split_once('=').unwrap();
        jar.retain(|(k, _)| k != name);
        if !set.contains("Max-Age=0") {
            jar.push((name.to_owned(), value.to_owned()));
        }
    }
    let header = jar.iter().map(|(k, v)| format!("{k}={v}")).collect::<Vec<_>>().join("; ");
    req.headers.retain(|(k, _)| k != "cookie");
    req.headers.push(("cookie".into(), header));
}

pub fn config(vars: &[(&str, &str)]) -> EdgeConfig {
    let vars: HashMap<String, String> = vars.iter().map(|(k, v)| (k.to_string(), v.to_string())).collect();
    EdgeConfig::from_vars(|name| vars.get(name).cloned())
}

pub fn full_config() -> EdgeConfig {
    config(&[
        ("ORIGIN", "http://origin.test"),
        ("HISTORY_KEY", HISTORY_KEY),
        ("IDENTITY_KEY", IDENTITY_KEY),
        ("OPEN_TOKEN_KEY", OPEN_KEY),
        ("TRACK", r#"[{"prefix": "/product/", "event": "product_viewed", "id_prop": "product_id"}]"#),
    ])
}

pub fn request(path: &str, headers: &[(&str, &str)]) -> EdgeRequest {
    EdgeRequest {
        url: format!("https://shop.test{path}"),
        headers: headers.iter().map(|(k, v)| (k.to_string(), v.to_string())).collect(),
        identity_key: IDENTITY_KEY.as_bytes().to_vec(),
        ..EdgeRequest::default()
    }
}

pub fn consented(path: &str, customer: Option<&str>) -> EdgeRequest {
    let mut cookie = format!("{}=1", cookies::CONSENT);
    if let Some(id) = customer {
        cookie.push_str(&format!("; {}={}", cookies::CUSTOMER, identity::sign(IDENTITY_KEY.as_bytes(), id).unwrap()));
    }
    request(path, &[("cookie", &cookie), ("user-agent", "Mozilla/5.0 (iPhone; CPU iPhone OS 17_0 like Mac OS X)")])
}

pub fn bundle(rules: &str) -> Vec<u8> {
    compile_json(rules).unwrap().to_bytes()
}

pub fn json(resp: &HttpResponse) -> serde_json::Value {
    serde_json::from_slice(&resp.body).unwrap()
}

pub fn html_headers() -> Vec<(String, String)> {
    vec![
        ("content-type".into(), "text/html; charset=utf-8".into()),
        ("content-length".into(), "1234".into()),
        ("etag".into(), "\"abc\"".into()),
        ("cache-control".into(), "public, max-age=600".into()),
        ("connection".into(), "x-secret-hop".into()),
        ("x-secret-hop".into(), "1".into()),
        ("x-origin".into(), "yes".into()),
    ]
}

/// Nothing that names a visitor reaches the log.
pub fn assert_impersonal(lines: &[String]) {
    for line in lines {
        for secret in ["cust-", HISTORY_KEY, IDENTITY_KEY, OPEN_KEY, "shop.test", "iPhone"] {
            assert!(!line.contains(secret), "log line leaks `{secret}`: {line}");
        }
    }
}
