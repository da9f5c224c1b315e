//! The Cloudflare Worker: routes, KV, cookies and streams. Deciding, edge signals and
//! rewriting live in the core, [`kairos_edge`] and [`kairos::html`]; this file only moves
//! data between them and the Workers runtime.
//!
//! Routes: `POST /v1/decide` (a context in, a decision out), `GET /v1/decide` (the decision
//! for this request's own edge signals), everything else proxied to `ORIGIN` with
//! `data-kairos-slot` elements rewritten in the streamed HTML.
//!
//! Owns: the Workers runtime glue (request and response types, KV, `cf`, streams). Must not hold
//! decision or edge logic that could be tested natively: that belongs in kairos-edge.

use futures_util::StreamExt;
use kairos::html::patches;
use kairos::signing::PublicKey;
use kairos::{json, Decision, Engine, Options};
use kairos_edge::{
    cookies, customer, history, identity, open_token, track, CfProperties, CustomerRecord, EdgeEvent, EdgeRequest,
};
use kairos_edge::{HistoryCookie, HistoryState};
use std::cell::RefCell;
use std::rc::Rc;
use wasm_bindgen::prelude::wasm_bindgen;
use wasm_bindgen::JsValue;
use worker::{event, Context, Env, Fetch, Headers, Method, Request, RequestInit, RequestRedirect, Response};

/// The bundle used when KV has none, cannot be reached, or holds a corrupt one.
const BUILTIN_RULES: &str = include_str!("../../../examples/demo/rules.json");
/// KV key of the compiled bundle (`kairos compile -o`).
const BUNDLE_KEY: &str = "bundle";
const DEFAULT_BUNDLE_TTL_MS: f64 = 60_000.0;
/// Largest `POST /v1/decide` body.
const MAX_BODY_BYTES: usize = 1 << 20;

struct CachedBundle {
    /// None: no usable bundle (a signature is required and none is valid).
    engine: Option<Rc<Engine>>,
    source: &'static str,
    loaded_at_ms: f64,
}

thread_local! {
    static BUNDLE: RefCell<Option<CachedBundle>> = const { RefCell::new(None) };
    static BUILTIN: RefCell<Option<Option<Rc<Engine>>>> = const { RefCell::new(None) };
}

#[wasm_bindgen(module = "/js/rewrite.mjs")]
extern "C" {
    /// Streams `response` through the runtime's HTMLRewriter with the slot patches (JSON).
    #[wasm_bindgen(js_name = rewriteSlots)]
    fn rewrite_slots(response: web_sys::Response, patches_json: &str) -> web_sys::Response;
}

fn now_ms() -> f64 {
    js_sys::Date::now()
}

/// The built-in bundle, compiled once per isolate (the test suite checks that it compiles).
fn builtin() -> Option<Rc<Engine>> {
    BUILTIN.with(|b| {
        b.borrow_mut()
            .get_or_insert_with(|| json::compile_json(BUILTIN_RULES).ok().map(|p| Rc::new(Engine::new(p))))
            .clone()
    })
}

fn var(env: &Env, name: &str) -> Option<String> {
    env.var(name).ok().map(|v| v.to_string()).filter(|v| !v.is_empty())
}

/// `BUNDLE_PUBLIC_KEY`: None when bundles need no signature; `Some(None)` when the variable is
/// set but is not a valid key (then no bundle is accepted: the operator asked for signatures).
fn bundle_key(env: &Env) -> Option<Option<PublicKey>> {
    let text = var(env, "BUNDLE_PUBLIC_KEY")?;
    match PublicKey::parse(&text) {
        Ok(key) => Some(Some(key)),
        Err(e) => {
            worker::console_error!("kairos: BUNDLE_PUBLIC_KEY is unusable ({e}): every bundle is refused");
            Some(None)
        }
    }
}

/// The rule bundle: from KV, cached in the isolate for `BUNDLE_TTL_SECONDS`; otherwise built in.
/// With `BUNDLE_PUBLIC_KEY`, only a KV bundle signed by that key is used and never the built-in
/// one (it is unsigned): without a valid signed bundle there is none, so pages pass through with
/// their own defaults and the decide routes answer 503 (docs/signing.md).
async fn engine(env: &Env) -> Option<(Rc<Engine>, &'static str)> {
    let now = now_ms();
    let ttl = var(env, "BUNDLE_TTL_SECONDS")
        .and_then(|s| s.parse::<f64>().ok())
        .map_or(DEFAULT_BUNDLE_TTL_MS, |s| s * 1000.0);
    let cached = BUNDLE.with(|b| {
        b.borrow().as_ref().filter(|c| now - c.loaded_at_ms < ttl).map(|c| c.engine.clone().map(|e| (e, c.source)))
    });
    if let Some(cached) = cached {
        return cached;
    }
    let required = bundle_key(env);
    let fallback =
        if required.is_some() { "no bundle, pages keep their defaults" } else { "using the built-in bundle" };
    let fresh = match env.kv("KAIROS") {
        Ok(kv) => match kv.get(BUNDLE_KEY).bytes().await {
            Ok(Some(bytes)) => {
                let loaded = match &required {
                    None => Engine::load(&bytes),
                    Some(Some(key)) => Engine::load_verified(&bytes, key),
                    Some(None) => Err(kairos::LoadError::BadSignature("BUNDLE_PUBLIC_KEY is not a valid key".into())),
                };
                match loaded {
                    Ok(engine) => Some(Rc::new(engine)),
                    Err(e) => {
                        worker::console_error!("kairos: KV bundle rejected [{}], {fallback}: {e}", e.code());
                        None
                    }
                }
            }
            Ok(None) => None,
            Err(e) => {
                worker::console_error!("kairos: KV unreachable, {fallback}: {e}");
                None
            }
        },
        Err(_) => None,
    };
    let (engine, source) = match (fresh, &required) {
        (Some(engine), _) => (Some(engine), "kv"),
        // The built-in bundle is unsigned: it never stands in for a required signature.
        (None, Some(_)) => (None, "none"),
        (None, None) => (builtin(), "builtin"),
    };
    // A refusal is cached like a bundle: a bad KV bundle is not verified again on every request.
    BUNDLE.with(|b| *b.borrow_mut() = Some(CachedBundle { engine: engine.clone(), source, loaded_at_ms: now }));
    engine.map(|e| (e, source))
}

#[event(fetch)]
async fn fetch(req: Request, env: Env, _ctx: Context) -> worker::Result<Response> {
    match (req.method(), req.path().as_str()) {
        (Method::Post, "/v1/decide") => decide_posted(req, env).await,
        (Method::Get, "/v1/decide") => decide_edge(req, env).await,
        (_, "/v1/decide") => error_response(405, "use GET or POST", None),
        (Method::Get, path) if path.starts_with("/v1/open/") => open_email(req, env).await,
        (Method::Options, path) if path.starts_with("/v1/open/") => {
            let headers = amp_cors(&req, &env);
            let _ = headers.set("access-control-allow-methods", "GET");
            let _ = headers.set("access-control-allow-headers", "AMP-Email-Sender, Accept");
            Ok(Response::empty()?.with_status(204).with_headers(headers))
        }
        _ => proxy(req, env).await,
    }
}

fn json_response(status: u16, body: String) -> worker::Result<Response> {
    let headers = Headers::new();
    headers.set("content-type", "application/json; charset=utf-8")?;
    headers.set("cache-control", "private, no-store")?;
    Ok(Response::from_bytes(body.into_bytes())?.with_status(status).with_headers(headers))
}

fn explain_requested(req: &Request) -> bool {
    req.url().is_ok_and(|u| u.query_pairs().any(|(k, v)| k == "explain" && (v == "1" || v == "true")))
}

/// Explanations of edge decisions show rule logic and the values seen: only for callers holding
/// `DEBUG_TOKEN` (16+ bytes) in `X-Kairos-Debug`.
fn debug_allowed(req: &Request, env: &Env) -> bool {
    let Some(token) = var(env, "DEBUG_TOKEN").filter(|t| t.len() >= 16) else { return false };
    let given = req.headers().get("x-kairos-debug").ok().flatten().unwrap_or_default();
    // Every byte compared, whatever the first difference.
    given.len() == token.len() && given.bytes().zip(token.bytes()).fold(0u8, |acc, (a, b)| acc | (a ^ b)) == 0
}

/// `POST /v1/decide`: the posted context, as given. Bad input is a located 400, never a 500.
async fn decide_posted(mut req: Request, env: Env) -> worker::Result<Response> {
    let explain = explain_requested(&req);
    let too_large = || error_response(413, &format!("the body limit is {MAX_BODY_BYTES} bytes"), None);
    // Refused before reading when declared too large; otherwise read with a running cap, so an
    // endless chunked body cannot fill the wasm memory.
    let declared = req.headers().get("content-length").ok().flatten().and_then(|v| v.trim().parse::<u64>().ok());
    if declared.is_some_and(|n| n > MAX_BODY_BYTES as u64) {
        return too_large();
    }
    let mut body = Vec::new();
    let Ok(mut stream) = req.stream() else { return error_response(400, "could not read the request body", None) };
    while let Some(chunk) = stream.next().await {
        let Ok(chunk) = chunk else { return error_response(400, "could not read the request body", None) };
        if body.len() + chunk.len() > MAX_BODY_BYTES {
            return too_large();
        }
        body.extend_from_slice(&chunk);
    }
    let Ok(text) = std::str::from_utf8(&body) else {
        return error_response(400, "body is not UTF-8 text", None);
    };
    let ctx = match json::parse_context(text) {
        Ok(ctx) => ctx,
        Err(e) => return error_response(400, &e.message, Some(&e.at)),
    };
    let Some((engine, source)) = engine(&env).await else {
        return error_response(503, "no rule bundle available", None);
    };
    let decision = engine.decide(&ctx, Options { explain });
    let mut resp = json_response(200, json::decision_to_json(&decision))?;
    resp.headers_mut().set("x-kairos-bundle", source)?;
    Ok(resp)
}

fn error_response(status: u16, message: &str, at: Option<&kairos::Location>) -> worker::Result<Response> {
    let mut error = serde_json::json!({ "message": message });
    if let Some(at) = at {
        error["path"] = at.path.clone().into();
        error["line"] = at.line.into();
        error["column"] = at.column.into();
    }
    json_response(status, serde_json::json!({ "error": error }).to_string())
}

/// Everything the edge knows about this request, and what it did with the history cookie.
struct EdgeDecision {
    decision: Decision,
    bundle: &'static str,
    customer: &'static str,
    history: HistoryState,
    /// The history to write back (None: leave the cookie alone).
    set_cookie: Option<String>,
}

fn edge_request(req: &Request, env: &Env) -> EdgeRequest {
    let headers = req.headers().entries().map(|(k, v)| (k.to_ascii_lowercase(), v)).collect();
    EdgeRequest {
        url: req.url().map(|u| u.to_string()).unwrap_or_default(),
        headers,
        cf: cf_properties(req),
        identity_key: secret(env, "IDENTITY_KEY").map(String::into_bytes).unwrap_or_default(),
    }
}

/// A secret of at least 32 bytes, or none: the feature it guards is then off (and the log says why).
fn secret(env: &Env, name: &str) -> Option<String> {
    let value = var(env, name)?;
    if value.len() < identity::MIN_KEY_BYTES {
        worker::console_error!("kairos: {name} is shorter than {} bytes: ignored", identity::MIN_KEY_BYTES);
        return None;
    }
    Some(value)
}

/// Reads `request.cf` directly: workers-rs's `Cf` getters panic on absent fields.
fn cf_properties(req: &Request) -> CfProperties {
    let cf = js_sys::Reflect::get(req.inner(), &JsValue::from_str("cf")).unwrap_or(JsValue::UNDEFINED);
    let get = |name: &str| -> Option<String> {
        if !cf.is_object() {
            return None;
        }
        let v = js_sys::Reflect::get(&cf, &JsValue::from_str(name)).ok()?;
        v.as_string().or_else(|| v.as_f64().map(|n| n.to_string())).filter(|s| !s.is_empty())
    };
    CfProperties {
        country: get("country"),
        region: get("region"),
        city: get("city"),
        latitude: get("latitude"),
        longitude: get("longitude"),
        timezone: get("timezone"),
    }
}

async fn customer_record(env: &Env, id: &str) -> (Option<CustomerRecord>, &'static str) {
    let Ok(kv) = env.kv("KAIROS") else { return (None, "absent") };
    match kv.get(&customer::key(id)).text().await {
        Ok(Some(text)) => match CustomerRecord::parse(&text) {
            Ok(record) => (Some(record), "found"),
            Err(e) => {
                // The location, not the record: nothing personal in logs.
                worker::console_error!("kairos: customer record rejected at {}", e.at);
                (None, "invalid")
            }
        },
        Ok(None) => (None, "absent"),
        Err(_) => (None, "unreachable"),
    }
}

/// Decides for the request's own signals. `record_visit` adds this page's tracked event and the
/// shown variants to the history cookie (page views do; `GET /v1/decide` only reads).
async fn decide_for_request(req: &Request, env: &Env, record_visit: bool, explain: bool) -> Option<EdgeDecision> {
    let edge = edge_request(req, env);
    let now = now_ms() as i64;
    let consent = edge.consent();
    let customer_id = edge.customer_id().unwrap_or("").to_owned();
    let (record, customer) = match (consent, customer_id.is_empty()) {
        (true, false) => customer_record(env, &customer_id).await,
        (true, true) => (None, "absent"),
        (false, _) => (None, "off"),
    };
    let key = secret(env, "HISTORY_KEY");
    let had_cookie = edge.cookie(cookies::HISTORY).is_some();
    let (mut events, history) = match (&key, consent, edge.cookie(cookies::HISTORY)) {
        (Some(_), false, _) | (None, _, _) => (Vec::new(), HistoryState::Off),
        (Some(_), true, None) => (Vec::new(), HistoryState::Absent),
        (Some(k), true, Some(value)) => match HistoryCookie::new(k.as_bytes()).read(value, &customer_id, now) {
            Ok(events) => (events, HistoryState::Valid),
            Err(state) => (Vec::new(), state),
        },
    };
    if record_visit && history != HistoryState::Off {
        let rules = var(env, "TRACK").and_then(|t| track::parse_rules(&t).ok()).unwrap_or_default();
        events.extend(track::event_for(&rules, edge.path(), now));
    }
    let (engine, bundle) = engine(env).await?;
    let ctx = edge.context(now, record.as_ref(), &events);
    let decision = engine.decide(&ctx, Options { explain });
    let set_cookie = match (&key, history) {
        (Some(k), HistoryState::Absent | HistoryState::Valid | HistoryState::Invalid) if record_visit => {
            // Exposures matter only to capped or conversion-suppressed variants: only those are
            // recorded, so page intent is not pushed out of the bounded cookie. A variant decided
            // for the page counts as shown (the cookie is set before the body streams, so a slot
            // absent from the page counts too: caps err towards showing less).
            for (slot, def) in decision.slots.iter().zip(&engine.program.slots).filter(|(s, _)| !s.is_default) {
                let capped = def
                    .variants
                    .iter()
                    .any(|v| v.id == slot.variant && (v.cap.is_some() || v.suppress_after_conversion));
                if capped {
                    events.push(EdgeEvent::new("$exposure", now, &[("slot", &slot.slot), ("variant", &slot.variant)]));
                }
            }
            let value = HistoryCookie::new(k.as_bytes()).write(&events, &customer_id, now);
            Some(cookies::set(cookies::HISTORY, &value, history::COOKIE_MAX_AGE_SECONDS))
        }
        // No consent: history is neither used nor kept.
        (_, HistoryState::Off) if had_cookie && !consent => Some(cookies::clear(cookies::HISTORY)),
        _ => None,
    };
    Some(EdgeDecision { decision, bundle, customer, history, set_cookie })
}

fn diagnostics(headers: &Headers, d: &EdgeDecision) {
    let _ = headers.set("x-kairos-bundle", d.bundle);
    let _ = headers.set("x-kairos-customer", d.customer);
    let _ = headers.set("x-kairos-history", d.history.as_str());
    if let Some(cookie) = &d.set_cookie {
        let _ = headers.append("set-cookie", cookie);
    }
}

/// `GET /v1/decide`: what the proxy would decide for this request, as JSON.
async fn decide_edge(req: Request, env: Env) -> worker::Result<Response> {
    let explain = explain_requested(&req) && debug_allowed(&req, &env);
    let Some(d) = decide_for_request(&req, &env, false, explain).await else {
        return error_response(503, "no rule bundle available", None);
    };
    let mut resp = json_response(200, json::decision_to_json(&d.decision))?;
    let h = resp.headers_mut();
    diagnostics(h, &d);
    h.set("vary", "Cookie")?;
    Ok(resp)
}

fn is_html(headers: &Headers) -> bool {
    headers
        .get("content-type")
        .ok()
        .flatten()
        .is_some_and(|ct| ct.trim_start().to_ascii_lowercase().starts_with("text/html"))
}

/// CORS for AMP for Email (`amp-list`): the mail client's origin may read the response, and the
/// sender check is answered both ways AMP has asked for it (`AMP-Email-Sender` header,
/// `__amp_source_origin` parameter). Nothing personal depends on the origin.
fn amp_cors(req: &Request, env: &Env) -> Headers {
    let headers = Headers::new();
    let get =
        |name: &str| req.headers().get(name).ok().flatten().filter(|v| v.len() <= 256 && !v.contains(['\r', '\n']));
    if let Some(origin) = get("origin") {
        // No credentials: the answer depends on the bearer token alone, never on cookies.
        let _ = headers.set("access-control-allow-origin", &origin);
        let _ = headers.append("vary", "Origin");
    }
    // Only senders the site lists (AMP_SENDERS, comma-separated) are allowed: echoing any sender
    // would switch AMP's sender check off.
    let allowed = var(env, "AMP_SENDERS").unwrap_or_default();
    if let Some(sender) =
        get("amp-email-sender").filter(|s| allowed.split(',').any(|a| a.trim().eq_ignore_ascii_case(s)))
    {
        let _ = headers.set("amp-email-allow-sender", &sender);
    }
    let source = req
        .url()
        .ok()
        .and_then(|u| u.query_pairs().find(|(k, _)| k == "__amp_source_origin").map(|(_, v)| v.to_string()));
    if let Some(source) = source.filter(|s| s.len() <= 256) {
        let _ = headers.set("amp-access-control-allow-source-origin", &source);
        let _ = headers.set("access-control-expose-headers", "AMP-Access-Control-Allow-Source-Origin");
    }
    headers
}

fn wants_json(req: &Request) -> bool {
    let accept = req.headers().get("accept").ok().flatten().unwrap_or_default();
    accept.contains("application/json")
        || req.url().is_ok_and(|u| u.query_pairs().any(|(k, v)| k == "format" && v == "json"))
}

/// `GET /v1/open/<token>`: an email opened now. A valid token's customer gets content from
/// their live KV record; a tampered, expired or unsigned token gets the slot's generic default
/// and no customer's data. HTML by default; AMP `amp-list` JSON on request.
async fn open_email(req: Request, env: Env) -> worker::Result<Response> {
    let path = req.path();
    let token = path.trim_start_matches("/v1/open/");
    let now = now_ms() as i64;
    let verified = match secret(&env, "OPEN_TOKEN_KEY") {
        None => Err("off"),
        Some(key) => open_token::verify(key.as_bytes(), token, now).map_err(|e| e.as_str()),
    };
    let Some((engine, _)) = engine(&env).await else {
        return error_response(503, "no rule bundle available", None);
    };
    let (ctx, slot, state) = match &verified {
        Ok(t) => {
            let (record, _) = customer_record(&env, &t.customer_id).await;
            (t.context(now, record.as_ref()), t.slot.clone(), "ok")
        }
        Err(why) => {
            // Nothing from a refused token is trusted, not even its slot: the bundle's first.
            let slot = engine.program.slots.first().map(|s| s.name.clone()).unwrap_or_default();
            (kairos::Context { now: kairos::context::Timestamp(now), ..kairos::Context::default() }, slot, *why)
        }
    };
    let rendered = match engine.render(&ctx, &slot) {
        Ok(r) => r,
        Err(_) => return error_response(404, "no such slot in the bundle", None),
    };
    let content = serde_json::to_value(&rendered.content).unwrap_or(serde_json::Value::Null);
    let mut resp = if wants_json(&req) {
        let mut item = serde_json::json!({ "variant": rendered.variant, "is_default": rendered.is_default });
        match content {
            serde_json::Value::Object(fields) => {
                if let Some(o) = item.as_object_mut() {
                    o.extend(fields);
                }
            }
            other => item["content"] = other,
        }
        json_response(200, serde_json::json!({ "items": [item] }).to_string())?
    } else {
        let html = match &content {
            serde_json::Value::Object(f) if f.get("html").is_some_and(|h| h.is_string()) => {
                f["html"].as_str().unwrap_or_default().to_owned()
            }
            serde_json::Value::String(s) => html_text(s),
            serde_json::Value::Object(f) => ["text", "body", "headline", "title"]
                .iter()
                .find_map(|k| f.get(*k)?.as_str())
                .map(html_text)
                .unwrap_or_default(),
            _ => String::new(),
        };
        let headers = Headers::new();
        headers.set("content-type", "text/html; charset=utf-8")?;
        headers.set("cache-control", "private, no-store")?;
        // Served on the site's own origin: no scripts, no forms, no same-origin rights, and the
        // token in the URL is not sent on as a referrer.
        headers.set(
            "content-security-policy",
            "sandbox; default-src 'none'; img-src https: data:; style-src 'unsafe-inline'; font-src https:",
        )?;
        headers.set("referrer-policy", "no-referrer")?;
        headers.set("x-content-type-options", "nosniff")?;
        Response::from_bytes(html.into_bytes())?.with_headers(headers)
    };
    let headers = resp.headers_mut();
    for (k, v) in amp_cors(&req, &env).entries() {
        let _ = headers.append(&k, &v);
    }
    let _ = headers.set("x-kairos-token", state);
    let _ = headers.set("x-kairos-variant", &rendered.variant);
    Ok(resp)
}

/// Plain content text as an HTML paragraph.
fn html_text(s: &str) -> String {
    let mut out = String::from("<p>");
    kairos::escape::Sink::Html.push_escaped(&mut out, s);
    out.push_str("</p>");
    out
}

/// Hop-by-hop headers (RFC 9110 §7.6.1) belong to one connection and are never forwarded,
/// nor are the headers a `Connection` header names.
fn hop_by_hop(headers: &Headers) -> Vec<String> {
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
    if let Ok(Some(listed)) = headers.get("connection") {
        names.extend(listed.split(',').map(|n| n.trim().to_ascii_lowercase()).filter(|n| !n.is_empty()));
    }
    names
}

/// A page that may be personalised must come whole and fresh from the origin: a range or a
/// validator would let the origin answer 206 or 304 for a body the visitor never saw.
const PERSONALISED_REQUEST_DROPS: &[&str] =
    &["range", "if-range", "if-none-match", "if-modified-since", "if-match", "if-unmodified-since"];

/// Proxies to `ORIGIN`. Only `200` HTML answers to GET are personalised; the rest passes through.
async fn proxy(req: Request, env: Env) -> worker::Result<Response> {
    let Some(origin) = var(&env, "ORIGIN") else {
        return error_response(502, "no ORIGIN configured", None);
    };
    let url = req.url()?;
    let target = format!(
        "{}{}{}",
        origin.trim_end_matches('/'),
        url.path(),
        url.query().map(|q| format!("?{q}")).unwrap_or_default()
    );
    let method = req.method();
    let may_personalise = matches!(method, Method::Get | Method::Head);
    let skip = hop_by_hop(req.headers());
    let forward = Headers::new();
    for (k, v) in req.headers().entries() {
        let k = k.to_ascii_lowercase();
        if k == "host" || skip.contains(&k) || (may_personalise && PERSONALISED_REQUEST_DROPS.contains(&k.as_str())) {
            continue;
        }
        let _ = forward.append(&k, &v);
    }
    // The origin builds absolute links and redirects for the host the visitor asked for.
    let _ = forward.set("x-forwarded-host", url.host_str().unwrap_or_default());
    let _ = forward.set("x-forwarded-proto", url.scheme());
    let mut init = RequestInit::new();
    init.with_method(method.clone()).with_headers(forward).with_redirect(RequestRedirect::Manual);
    if !may_personalise {
        init.with_body(req.inner().body().map(JsValue::from));
    }
    let upstream = match Fetch::Request(Request::new_with_init(&target, &init)?).send().await {
        Ok(r) => r,
        Err(_) => return error_response(502, "origin unreachable", None),
    };
    let status = upstream.status_code();
    let html = is_html(upstream.headers());
    let skip = hop_by_hop(upstream.headers());
    let copy_headers = |drop_validators: bool| {
        let headers = Headers::new();
        for (k, v) in upstream.headers().entries() {
            let k = k.to_ascii_lowercase();
            // A rewritten body changes: its length, encoding and validators no longer hold.
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
            let dropped = skip.contains(&k) || (drop_validators && body_bound);
            if !dropped {
                let _ = headers.append(&k, &v);
            }
        }
        headers
    };
    if !(may_personalise && status == 200 && html) {
        let headers = copy_headers(false);
        return Ok(Response::from_body(upstream.body().clone())?.with_status(status).with_headers(headers));
    }
    if method == Method::Head {
        // What the GET would say about caching, without deciding (no body to personalise).
        let headers = copy_headers(true);
        let _ = headers.set("cache-control", "private, no-store");
        let _ = headers.append("vary", "Cookie");
        return Ok(Response::empty()?.with_status(status).with_headers(headers));
    }

    // No bundle at all: the page as the origin sent it.
    let Some(d) = decide_for_request(&req, &env, true, false).await else { return Ok(upstream) };
    let headers = copy_headers(true);
    // A personalised page must never be stored by a shared cache.
    let _ = headers.set("cache-control", "private, no-store");
    let _ = headers.append("vary", "Cookie");
    diagnostics(&headers, &d);

    let patches = patches(&d.decision);
    let body = Response::from_body(upstream.body().clone())?.with_status(status).with_headers(headers);
    if patches.is_empty() {
        // Every slot shows the page's own default: nothing to rewrite, so no parse at all.
        return Ok(body);
    }
    let patches_json = serde_json::to_string(&patches).unwrap_or_else(|_| "{}".into());
    Ok(Response::from(rewrite_slots(body.into(), &patches_json)))
}
