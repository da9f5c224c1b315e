//! The Cloudflare Worker entry: routing and runtime glue only. Request handling (bundles and
//! key policy, deciding, exposures, email opens, proxy header rules, faults) is
//! [`kairos_edge::service`], tested natively; this file moves data between it and workers-rs.
//!
//! Owns: the Workers runtime glue (request and response types, KV, `cf`, timers, streams). Must
//! not hold decision or edge logic that could be tested natively: that belongs in kairos-edge.

use futures_util::StreamExt;
use kairos_edge::http::{self, codes, HttpResponse, Method, Route};
use kairos_edge::service::BodyFault;
use kairos_edge::{CfProperties, Edge, EdgeConfig, EdgeRequest, PageAnswer, Runtime, StoreFault};
use std::rc::Rc;
use wasm_bindgen::prelude::wasm_bindgen;
use wasm_bindgen::JsCast;
use wasm_bindgen::JsValue;
use wasm_bindgen_futures::JsFuture;
use worker::{event, ByteStream, Context, Env, Headers, Response};
mod timer;

thread_local! {
    /// One service per isolate (its bundle cache); the built-in bundle stands in for a missing KV
    /// one. Compiled from examples/demo/rules.json by build.rs, so the Worker carries no compiler.
    static EDGE: Rc<Edge> = Rc::new(Edge::new(include_bytes!(concat!(env!("OUT_DIR"), "/builtin.bin"))));
}

#[wasm_bindgen(module = "/js/rewrite.mjs")]
extern "C" {
    /// Streams `response` through the runtime's HTMLRewriter with the slot patches (JSON) and
    /// the state island.
    #[wasm_bindgen(js_name = rewritePage)]
    fn rewrite_page(response: web_sys::Response, patches_json: &str, state_html: &str) -> web_sys::Response;
}

/// The platform under the service: KV namespace `KAIROS`, the clock, timers, the console, and
/// `waitUntil` for what is sent after the response.
struct Workers<'e>(&'e Env, &'e Context);

impl Runtime for Workers<'_> {
    fn now_ms(&self) -> i64 {
        js_sys::Date::now() as i64
    }
    async fn kv_get(&self, key: &str) -> Result<Option<Vec<u8>>, StoreFault> {
        let kv = self.0.kv("KAIROS").map_err(|_| StoreFault::Unreachable)?;
        kv.get(key).bytes().await.map_err(|_| StoreFault::Unreachable)
    }
    async fn sleep(&self, ms: u32) {
        timer::Sleep::new(ms).await
    }
    fn log(&self, line: &str) {
        worker::console_error!("{line}");
    }
    fn random_bytes(&self) -> [u8; 16] {
        let mut bytes = [0u8; 16];
        // The runtime's CSPRNG (`crypto.getRandomValues`); it cannot fail for 16 bytes.
        let crypto =
            js_sys::Reflect::get(&js_sys::global(), &JsValue::from_str("crypto")).unwrap_or(JsValue::UNDEFINED);
        let array = js_sys::Uint8Array::new_with_length(16);
        let get = js_sys::Reflect::get(&crypto, &JsValue::from_str("getRandomValues")).unwrap_or(JsValue::UNDEFINED);
        if let Some(get) = get.dyn_ref::<js_sys::Function>() {
            let _ = get.call1(&crypto, &array);
        }
        array.copy_to(&mut bytes);
        bytes
    }
    fn send_later(&self, url: &str, body: String) {
        let init = web_sys::RequestInit::new();
        init.set_method("POST");
        init.set_body(&JsValue::from_str(&body));
        let headers = web_sys::Headers::new().ok();
        if let Some(h) = &headers {
            let _ = h.set("content-type", "application/json");
            init.set_headers(h);
        }
        let Ok(request) = web_sys::Request::new_with_str_and_init(url, &init) else { return };
        let global: web_sys::WorkerGlobalScope = js_sys::global().unchecked_into();
        let sent = JsFuture::from(global.fetch_with_request(&request));
        // A collector that is down, slow or answering an error costs the visitor nothing.
        self.1.wait_until(async move {
            if sent.await.is_err() {
                worker::console_error!("kairos: exposure batch not delivered");
            }
        });
    }
}

// The request as the runtime's own object: workers-rs's `Request` parses its URL with the `url`
// crate on every conversion, and that parser's IDNA tables were a large share of the .wasm.
#[event(fetch)]
async fn fetch(req: web_sys::Request, env: Env, ctx: Context) -> worker::Result<Response> {
    // This build has no zone or case tables: workerd's Intl and String methods stand in.
    kairos_js_host::install();
    let rt = Workers(&env, &ctx);
    let edge = EDGE.with(Rc::clone);
    let config = edge.config(&rt, || EdgeConfig::from_vars(|name| env.var(name).ok().map(|v| v.to_string())));
    let method = Method::parse(&req.method());
    let visitor = edge_request(&req, config);
    let answer = match Route::of(method, http::path_of(&visitor.url)) {
        Route::DecidePosted => edge.decide_posted(&rt, config, &visitor, read_body(&req).await).await,
        Route::DecideEdge => edge.decide_edge(&rt, config, &visitor).await,
        Route::DecideWrongMethod => HttpResponse::error(405, codes::METHOD, "use GET or POST", None),
        Route::Open(token) => edge.open(&rt, config, &visitor, &token).await,
        Route::OpenPreflight => edge.open_preflight(config, &visitor),
        Route::OfrepFlag(key) => edge.ofrep(&rt, config, &visitor, read_body(&req).await, Some(&key)).await,
        Route::OfrepBulk => edge.ofrep(&rt, config, &visitor, read_body(&req).await, None).await,
        Route::OfrepPreflight => kairos_edge::ofrep::preflight(),
        Route::OfrepWrongMethod => kairos_edge::ofrep::failure(405, None, "GENERAL", "use POST"),
        Route::Proxy => return proxy(&req, &rt, config, &edge, &visitor, method).await,
    };
    respond(answer)
}

/// The visitor's request as the service reads it (header names in lower case).
fn edge_request(req: &web_sys::Request, config: &EdgeConfig) -> EdgeRequest {
    EdgeRequest {
        url: req.url(),
        headers: Headers(req.headers()).entries().map(|(k, v)| (k.to_ascii_lowercase(), v)).collect(),
        cf: cf_properties(req),
        identity_key: config.identity_key.clone().map(String::into_bytes).unwrap_or_default(),
    }
}

/// Reads `request.cf` directly: workers-rs's `Cf` getters panic on absent fields.
fn cf_properties(req: &web_sys::Request) -> CfProperties {
    let cf = js_sys::Reflect::get(req, &JsValue::from_str("cf")).unwrap_or(JsValue::UNDEFINED);
    let get = |name: &str| -> Option<String> {
        let v = js_sys::Reflect::get(&cf, &JsValue::from_str(name)).ok().filter(|_| cf.is_object())?;
        v.as_string().or_else(|| v.as_f64().map(|n| n.to_string())).filter(|s| !s.is_empty())
    };
    CfProperties::from_lookup(get)
}

/// The posted body, refused before reading when declared too large, else read with a running
/// cap so an endless chunked body cannot fill the wasm memory.
async fn read_body(req: &web_sys::Request) -> Result<Vec<u8>, BodyFault> {
    if http::declared_too_large(req.headers().get("content-length").ok().flatten().as_deref()) {
        return Err(BodyFault::TooLarge);
    }
    let mut stream = ByteStream::from(req.body().ok_or(BodyFault::Unreadable)?);
    let mut body = Vec::new();
    while let Some(chunk) = stream.next().await {
        let chunk = chunk.map_err(|_| BodyFault::Unreadable)?;
        if body.len() + chunk.len() > http::MAX_BODY_BYTES {
            return Err(BodyFault::TooLarge);
        }
        body.extend_from_slice(&chunk);
    }
    Ok(body)
}

fn headers_of(pairs: &[(String, String)]) -> Headers {
    let headers = Headers::new();
    pairs.iter().for_each(|(k, v)| _ = headers.append(k, v));
    headers
}

fn respond(answer: HttpResponse) -> worker::Result<Response> {
    Ok(Response::from_bytes(answer.body)?.with_status(answer.status).with_headers(headers_of(&answer.headers)))
}

/// Proxies to `ORIGIN` and streams its answer back, rewritten when the service says so.
async fn proxy(
    req: &web_sys::Request,
    rt: &Workers<'_>,
    config: &EdgeConfig,
    edge: &Edge,
    visitor: &EdgeRequest,
    method: Method,
) -> worker::Result<Response> {
    let Some(to_origin) = edge.origin_request(config, visitor, method) else { return respond(Edge::no_origin()) };
    let init = web_sys::RequestInit::new();
    init.set_method(&req.method());
    init.set_headers(&headers_of(&to_origin.headers).0);
    init.set_redirect(web_sys::RequestRedirect::Manual);
    if let Some(body) = req.body().filter(|_| !to_origin.may_personalise) {
        init.set_body(&body);
    }
    let to_origin = web_sys::Request::new_with_str_and_init(&to_origin.url, &init)?;
    let global: web_sys::WorkerGlobalScope = js_sys::global().unchecked_into();
    let upstream = match JsFuture::from(global.fetch_with_request(&to_origin)).await {
        Ok(upstream) => Response::from(upstream.unchecked_into::<web_sys::Response>()),
        Err(_) => return respond(edge.origin_unreachable(rt)),
    };
    let status = upstream.status_code();
    let upstream_headers: Vec<(String, String)> = upstream.headers().entries().collect();
    let body = |headers: &[(String, String)]| {
        Ok::<_, worker::Error>(
            Response::from_body(upstream.body().clone())?.with_status(status).with_headers(headers_of(headers)),
        )
    };
    match edge.page(rt, config, visitor, method, status, &upstream_headers).await {
        PageAnswer::PassThrough { headers } => body(&headers),
        PageAnswer::Head { headers } => Ok(Response::empty()?.with_status(status).with_headers(headers_of(&headers))),
        PageAnswer::Personalised { headers, patches, state } => {
            let patches_json = kairos::wire::to_string(&patches).unwrap_or_else(|_| "{}".into());
            Ok(Response::from(rewrite_page(body(&headers)?.into(), &patches_json, &state)))
        }
    }
}
