//! HTTP as the edge service sees it: routes, responses with coded JSON errors, and the header
//! rules of the proxy (what is forwarded to the origin, what comes back to the visitor).

use crate::config::EdgeConfig;
use crate::request::EdgeRequest;
use kairos::{query_param, Location};
use serde::Serialize;

/// The request methods the routes tell apart.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Method {
    Get,
    Head,
    Post,
    Options,
    /// Anything else (PUT, DELETE, …): proxied with its body.
    Other,
}

impl Method {
    /// From the method token, case-insensitively.
    pub fn parse(name: &str) -> Method {
        match name.to_ascii_uppercase().as_str() {
            "GET" => Method::Get,
            "HEAD" => Method::Head,
            "POST" => Method::Post,
            "OPTIONS" => Method::Options,
            _ => Method::Other,
        }
    }
}

/// What a request asks for.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Route {
    /// `POST /v1/decide`: a posted context.
    DecidePosted,
    /// `GET /v1/decide`: this request's own edge signals.
    DecideEdge,
    /// `/v1/decide` with another method.
    DecideWrongMethod,
    /// `GET /v1/open/<token>`: an email opened now.
    Open(String),
    /// `OPTIONS /v1/open/<token>`: the AMP preflight.
    OpenPreflight,
    /// `POST /ofrep/v1/evaluate/flags/<key>`: one slot as an OpenFeature flag (the key
    /// percent-decoded).
    OfrepFlag(String),
    /// `POST /ofrep/v1/evaluate/flags`: every slot.
    OfrepBulk,
    /// `OPTIONS /ofrep/…`: the CORS preflight.
    OfrepPreflight,
    /// An OFREP path with another method.
    OfrepWrongMethod,
    /// Everything else goes to the origin.
    Proxy,
}

impl Route {
    /// Routes by method and path.
    pub fn of(method: Method, path: &str) -> Route {
        match (method, path) {
            (Method::Post, "/v1/decide") => Route::DecidePosted,
            (Method::Get, "/v1/decide") => Route::DecideEdge,
            (_, "/v1/decide") => Route::DecideWrongMethod,
            (Method::Get, p) if p.starts_with("/v1/open/") => Route::Open(p["/v1/open/".len()..].to_owned()),
            (Method::Options, p) if p.starts_with("/v1/open/") => Route::OpenPreflight,
            (method, p) if p.starts_with(OFREP_FLAGS) => match (method, &p[OFREP_FLAGS.len()..]) {
                (Method::Options, _) => Route::OfrepPreflight,
                (Method::Post, "" | "/") => Route::OfrepBulk,
                (Method::Post, key) if key.starts_with('/') => Route::OfrepFlag(kairos::percent_decode(&key[1..])),
                _ => Route::OfrepWrongMethod,
            },
            _ => Route::Proxy,
        }
    }
}

const OFREP_FLAGS: &str = "/ofrep/v1/evaluate/flags";

/// The path of an absolute URL as the runtime hands it over (already normalised by the WHATWG
/// parser): from the first `/` after the authority up to `?` or `#`; `/` when there is none.
/// Read here so the Worker needs no URL parser of its own (the `url` crate brings IDNA tables).
pub fn path_of(url: &str) -> &str {
    let after_scheme = url.find("://").map_or(0, |i| i + 3);
    let rest = &url[after_scheme..];
    let Some(start) = rest.find(['/', '?', '#']) else { return "/" };
    let rest = &rest[start..];
    if !rest.starts_with('/') {
        return "/";
    }
    rest.find(['?', '#']).map_or(rest, |end| &rest[..end])
}

/// A whole response the service built (the proxy's streamed pages are not these).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct HttpResponse {
    pub status: u16,
    /// Lower-case names, in order; a name may repeat (`set-cookie`, `vary`).
    pub headers: Vec<(String, String)>,
    pub body: Vec<u8>,
}

impl HttpResponse {
    /// A JSON answer that no cache keeps.
    pub fn json(status: u16, body: String) -> HttpResponse {
        HttpResponse {
            status,
            headers: vec![
                ("content-type".into(), "application/json; charset=utf-8".into()),
                ("cache-control".into(), "private, no-store".into()),
            ],
            body: body.into_bytes(),
        }
    }

    /// `{"error": {"code", "message", "path"?, "line"?, "column"?}}`.
    pub fn error(status: u16, code: kairos::ErrorCode, message: &str, at: Option<&Location>) -> HttpResponse {
        let located = at.filter(|at| at.line > 0);
        let error = ErrorBody {
            code: code.as_str(),
            message,
            path: at.map(|at| at.path.as_str()),
            line: located.map(|at| at.line),
            column: located.map(|at| at.column),
        };
        HttpResponse::json(status, to_json(&ErrorResponse { error }))
    }

    /// Sets a header, replacing any of the same name.
    pub fn set(&mut self, name: &str, value: &str) {
        self.headers.retain(|(k, _)| k != name);
        self.headers.push((name.to_owned(), value.to_owned()));
    }

    /// Adds a header, keeping any of the same name.
    pub fn append(&mut self, name: &str, value: &str) {
        self.headers.push((name.to_owned(), value.to_owned()));
    }

    /// The first value of a header.
    pub fn header(&self, name: &str) -> Option<&str> {
        self.headers.iter().find(|(k, _)| k == name).map(|(_, v)| v.as_str())
    }
}

/// The error codes of the edge's own answers (docs/errors.md, "Answering at the edge").
pub mod codes {
    use kairos::ErrorCode;
    pub const BODY_TOO_LARGE: ErrorCode = ErrorCode::BodyTooLarge;
    pub const BODY: ErrorCode = ErrorCode::Body;
    pub const METHOD: ErrorCode = ErrorCode::Method;
    pub const NO_BUNDLE: ErrorCode = ErrorCode::NoBundle;
    pub const NO_SLOT: ErrorCode = ErrorCode::Slot;
    pub const NO_ORIGIN: ErrorCode = ErrorCode::NoOrigin;
    pub const ORIGIN_UNREACHABLE: ErrorCode = ErrorCode::OriginUnreachable;
}

#[derive(Serialize)]
struct ErrorResponse<'a> {
    error: ErrorBody<'a>,
}

#[derive(Serialize)]
struct ErrorBody<'a> {
    code: &'a str,
    message: &'a str,
    #[serde(skip_serializing_if = "Option::is_none")]
    path: Option<&'a str>,
    #[serde(skip_serializing_if = "Option::is_none")]
    line: Option<usize>,
    #[serde(skip_serializing_if = "Option::is_none")]
    column: Option<usize>,
}

/// A response body as compact JSON text, written by `kairos::wire` (the Worker carries no
/// serde_json).
pub fn to_json<T: Serialize + ?Sized>(value: &T) -> String {
    kairos::wire::to_string(value)
        .unwrap_or_else(|_| r#"{"error":{"code":"E_OUTPUT","message":"output is not JSON"}}"#.into())
}

/// Largest `POST /v1/decide` body.
pub const MAX_BODY_BYTES: usize = 1 << 20;

/// Whether a declared `Content-Length` is over [`MAX_BODY_BYTES`] (the body is then not read).
pub fn declared_too_large(content_length: Option<&str>) -> bool {
    content_length.and_then(|v| v.trim().parse::<u64>().ok()).is_some_and(|n| n > MAX_BODY_BYTES as u64)
}

/// `?name=1` or `?name=true` in the URL's query.
pub fn query_flag(url: &str, name: &str) -> bool {
    query_param(url, name).is_some_and(|v| v == "1" || v == "true")
}

/// Explanations of edge decisions show rule logic and the values seen: only for callers holding
/// `DEBUG_TOKEN` in `X-Kairos-Debug`.
pub fn debug_allowed(req: &EdgeRequest, config: &EdgeConfig) -> bool {
    let Some(token) = &config.debug_token else { return false };
    let given = req.header("x-kairos-debug").unwrap_or_default();
    // Every byte compared, whatever the first difference.
    given.len() == token.len() && given.bytes().zip(token.bytes()).fold(0u8, |acc, (a, b)| acc | (a ^ b)) == 0
}

/// Whether a content type is HTML.
pub fn is_html(content_type: Option<&str>) -> bool {
    content_type.is_some_and(|ct| ct.trim_start().to_ascii_lowercase().starts_with("text/html"))
}

/// Hop-by-hop headers (RFC 9110 §7.6.1) belong to one connection and are never forwarded, nor
/// are the headers a `Connection` header names.
fn hop_by_hop(headers: &[(String, String)]) -> Vec<String> {
    let mut names: Vec<String> = [
        "connection",
        "keep-alive",
        "te",
        "trailer",
        "transfer-encoding",
        "upgrade",
        "proxy-authorization",
        "proxy-authenticate",
        "proxy-connection",
    ]
    .iter()
    .map(|s| s.to_string())
    .collect();
    for (k, v) in headers {
        if k.eq_ignore_ascii_case("connection") {
            names.extend(v.split(',').map(|n| n.trim().to_ascii_lowercase()).filter(|n| !n.is_empty()));
        }
    }
    names
}

/// A page that may be personalised must come whole and fresh from the origin: a range or a
/// validator would let the origin answer 206 or 304 for a body the visitor never saw.
const PERSONALISED_REQUEST_DROPS: &[&str] =
    &["range", "if-range", "if-none-match", "if-modified-since", "if-match", "if-unmodified-since"];

/// What goes to the origin: its URL and headers.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct OriginRequest {
    pub url: String,
    pub headers: Vec<(String, String)>,
    /// GET and HEAD may be personalised (and carry no body); others pass through with theirs.
    pub may_personalise: bool,
}

/// The request to send to `origin` for a visitor's request.
pub fn origin_request(req: &EdgeRequest, method: Method, origin: &str) -> OriginRequest {
    let after_scheme = req.url.split_once("://").map_or(req.url.as_str(), |(_, rest)| rest);
    let (host, path_and_query) = match after_scheme.find('/') {
        Some(i) => (&after_scheme[..i], &after_scheme[i..]),
        None => (after_scheme, "/"),
    };
    let path_and_query = path_and_query.split('#').next().unwrap_or("/");
    let scheme = req.url.split_once("://").map_or("https", |(s, _)| s);
    let may_personalise = matches!(method, Method::Get | Method::Head);
    let skip = hop_by_hop(&req.headers);
    let mut headers: Vec<(String, String)> = req
        .headers
        .iter()
        .filter(|(k, v)| {
            // A line break or NUL cannot be sent on (runtimes refuse them): such a header is dropped, not split.
            let sendable = !k.contains(['\r', '\n', '\0']) && !v.contains(['\r', '\n', '\0']);
            sendable
                && k != "host"
                && !skip.contains(k)
                && !(may_personalise && PERSONALISED_REQUEST_DROPS.contains(&k.as_str()))
        })
        .cloned()
        .collect();
    // The origin builds absolute links and redirects for the host the visitor asked for.
    headers.retain(|(k, _)| k != "x-forwarded-host" && k != "x-forwarded-proto");
    // Only a host and scheme that look like one are passed on (a runtime's URL always does).
    let plain =
        |s: &str, extra: &[u8]| !s.is_empty() && s.bytes().all(|b| b.is_ascii_alphanumeric() || extra.contains(&b));
    if plain(host, b".-:[]") {
        headers.push(("x-forwarded-host".into(), host.to_owned()));
    }
    if plain(scheme, b"+.-") {
        headers.push(("x-forwarded-proto".into(), scheme.to_owned()));
    }
    OriginRequest { url: format!("{}{path_and_query}", origin.trim_end_matches('/')), headers, may_personalise }
}

/// The origin's headers as the visitor gets them. `rewritten`: the body will change, so its
/// length, encoding, validators and cache policy no longer hold.
pub fn visitor_headers(upstream: &[(String, String)], rewritten: bool) -> Vec<(String, String)> {
    let skip = hop_by_hop(upstream);
    upstream
        .iter()
        .map(|(k, v)| (k.to_ascii_lowercase(), v.clone()))
        .filter(|(k, _)| {
            let body_bound = matches!(
                k.as_str(),
                "content-length"
                    | "content-encoding"
                    | "etag"
                    | "last-modified"
                    | "cache-control"
                    | "accept-ranges"
                    | "content-range"
            );
            !(skip.contains(k) || (rewritten && body_bound))
        })
        .collect()
}

/// CORS for AMP for Email (`amp-list`): the mail client's origin may read the response, and the
/// sender check is answered both ways AMP has asked for it (`AMP-Email-Sender` header,
/// `__amp_source_origin` parameter). Nothing personal depends on the origin.
pub fn amp_cors(req: &EdgeRequest, config: &EdgeConfig) -> Vec<(String, String)> {
    let mut out = Vec::new();
    let get = |name: &str| req.header(name).filter(|v| v.len() <= 256 && !v.contains(['\r', '\n']));
    if let Some(origin) = get("origin") {
        // No credentials: the answer depends on the bearer token alone, never on cookies.
        out.push(("access-control-allow-origin".into(), origin.to_owned()));
        out.push(("vary".into(), "Origin".into()));
    }
    // Only senders the site lists are allowed: echoing any sender would switch AMP's check off.
    if let Some(sender) = get("amp-email-sender").filter(|s| config.amp_senders.contains(&s.to_ascii_lowercase())) {
        out.push(("amp-email-allow-sender".into(), sender.to_owned()));
    }
    let source = query_param(&req.url, "__amp_source_origin").filter(|s| s.len() <= 256 && !s.contains(['\r', '\n']));
    if let Some(source) = source {
        out.push(("amp-access-control-allow-source-origin".into(), source));
        out.push(("access-control-expose-headers".into(), "AMP-Access-Control-Allow-Source-Origin".into()));
    }
    out
}

/// Whether an open should answer AMP JSON rather than HTML.
pub fn wants_json(req: &EdgeRequest) -> bool {
    req.header("accept").is_some_and(|a| a.contains("application/json"))
        || query_param(&req.url, "format").as_deref() == Some("json")
}

#[cfg(test)]
mod path_tests {
    use super::path_of;

    #[test]
    fn the_path_is_what_a_url_parser_gives() {
        for (url, path) in [
            ("https://shop.test/v1/decide", "/v1/decide"),
            ("https://shop.test/v1/open/abc?x=1#y", "/v1/open/abc"),
            ("https://shop.test", "/"),
            ("https://shop.test?q=/v1/decide", "/"),
            ("https://shop.test#/v1/decide", "/"),
            ("http://user:pw@shop.test:8080/a/b/?c", "/a/b/"),
            ("https://shop.test/caf%C3%A9", "/caf%C3%A9"),
        ] {
            assert_eq!(path_of(url), path, "{url}");
        }
    }
}
