//! The edge's request handling, runtime-free: which bundle to use, deciding for a request,
//! recording exposures in the history cookie, answering the decide and email-open routes, and
//! what a proxied page becomes. The Worker only moves bytes between this and the platform.
//!
//! Faults degrade, never fail: a store that throws, stalls or holds garbage means the built-in
//! bundle (or none), no customer record, no history; the visitor gets the origin's page or the
//! defaults. Each fault logs one line without personal data.
//! One file (about 400 lines): the handlers share the bundle cache and the per-request decision.

use crate::anonymous::{self, IdState};
use crate::config::{BundlePolicy, EdgeConfig};
use crate::history::{self, EdgeEvent, HistoryCookie, HistoryState};
use crate::http::{self, codes, HttpResponse, Method};
use crate::preview::{self, PreviewState};
use crate::runtime::{kv_get_within, Runtime};
use crate::{collect, cookies, customer, handoff, ofrep, open_token, track, CustomerRecord, EdgeRequest};
use kairos::html::{patches, SlotPatch};
use kairos::{wire, ContextError, Decision, Engine, LoadError, Moment, Options, Person, Visitor};
use std::cell::{OnceCell, RefCell};
use std::collections::HashMap;
use std::sync::Arc;

/// KV key of the compiled bundle (`kairos compile -o`, scripts/kv-upload.sh).
pub const BUNDLE_KEY: &str = "bundle";

/// Where the bundle in use came from (`x-kairos-bundle`).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum BundleSource {
    Kv,
    Builtin,
}

impl BundleSource {
    /// The header value.
    pub fn as_str(self) -> &'static str {
        match self {
            BundleSource::Kv => "kv",
            BundleSource::Builtin => "builtin",
        }
    }
}

struct CachedBundle {
    /// None: no usable bundle (a signature is required and none is valid).
    engine: Option<(Arc<Engine>, BundleSource)>,
    loaded_at_ms: i64,
}

/// One isolate's edge service: the bundle cache, and the built-in bundle loaded once.
pub struct Edge {
    /// A compiled bundle (the Worker compiles its own at build time, so it carries no compiler).
    builtin_bundle: &'static [u8],
    builtin: OnceCell<Option<Arc<Engine>>>,
    cached: RefCell<Option<CachedBundle>>,
    /// The settings, read on the first request: an isolate's environment never changes.
    config: OnceCell<EdgeConfig>,
}

/// Everything the edge decided for one request, and what to do with the history cookie.
pub struct EdgeDecision {
    pub decision: Decision,
    pub bundle: BundleSource,
    /// `x-kairos-customer`: packed, found, absent, invalid, unreachable or off (no consent).
    pub customer: &'static str,
    pub history: HistoryState,
    /// `x-kairos-id`: what became of the anonymous id cookie (None: no consent, no id).
    pub id: Option<IdState>,
    /// The anonymous id the decision was made for (None without consent).
    pub anonymous_id: Option<String>,
    /// Whether the decision had personalisation consent.
    pub consent: bool,
    /// The loaded bundle's id.
    pub bundle_id: Option<String>,
    /// The history after this request (cookie, page events and this view), oldest first.
    pub events: Vec<EdgeEvent>,
    /// The `set-cookie` values to send (the history, anonymous id and preview cookies).
    pub set_cookies: Vec<String>,
    /// `x-kairos-preview`: what became of a QA preview token (None: there was none).
    pub preview: Option<PreviewState>,
}

impl EdgeDecision {
    /// The diagnostic headers and the history cookie.
    pub fn headers(&self) -> Vec<(String, String)> {
        let mut out = vec![
            ("x-kairos-bundle".to_owned(), self.bundle.as_str().to_owned()),
            ("x-kairos-customer".to_owned(), self.customer.to_owned()),
            ("x-kairos-history".to_owned(), self.history.as_str().to_owned()),
        ];
        if let Some(id) = self.id {
            out.push(("x-kairos-id".to_owned(), id.as_str().to_owned()));
        }
        if let Some(preview) = self.preview {
            out.push(("x-kairos-preview".to_owned(), preview.header()));
        }
        out.extend(self.set_cookies.iter().map(|c| ("set-cookie".to_owned(), c.clone())));
        out
    }
}

/// Why a posted body could not be read.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum BodyFault {
    TooLarge,
    Unreadable,
}

/// What a proxied origin response becomes.
#[derive(Debug)]
pub enum PageAnswer {
    /// The origin's body unchanged, with these headers and the origin's status.
    PassThrough { headers: Vec<(String, String)> },
    /// The origin's body rewritten: `patches` applied to the slots (attribute values already in
    /// markup form, [`SlotPatch::for_rewriter`]; empty when every slot keeps its default), and
    /// `state`, the `kairos-state` island, put first in `<head>` (docs/handoff.md).
    Personalised { headers: Vec<(String, String)>, patches: HashMap<String, SlotPatch>, state: String },
    /// A HEAD for a page that would be personalised: its headers, no body.
    Head { headers: Vec<(String, String)> },
}

impl Edge {
    /// A service whose fallback bundle is `builtin_bundle` (compiled bundle bytes, loaded on
    /// first use).
    pub fn new(builtin_bundle: &'static [u8]) -> Edge {
        Edge { builtin_bundle, builtin: OnceCell::new(), cached: RefCell::new(None), config: OnceCell::new() }
    }

    /// The settings, read by `read` on the first call only (an isolate's environment is fixed
    /// for its life), their warnings logged then, so once per isolate rather than per request.
    pub fn config(&self, rt: &impl Runtime, read: impl FnOnce() -> EdgeConfig) -> &EdgeConfig {
        self.config.get_or_init(|| {
            let config = read();
            config.warnings.iter().for_each(|w| rt.log(&format!("kairos: {w}")));
            config
        })
    }

    fn builtin(&self, rt: &impl Runtime) -> Option<Arc<Engine>> {
        self.builtin
            .get_or_init(|| match Engine::load(self.builtin_bundle) {
                Ok(engine) => Some(Arc::new(engine)),
                Err(e) => {
                    rt.log(&format!("kairos: the built-in bundle does not load [{}]", e.code()));
                    None
                }
            })
            .clone()
    }

    /// The bundle to decide with: KV's, cached for `bundle_ttl_ms`, else the built-in one (never
    /// when signatures are required: it is unsigned). A refusal is cached like a bundle, so a bad
    /// KV bundle is not verified again on every request.
    pub async fn engine<R: Runtime>(&self, rt: &R, config: &EdgeConfig) -> Option<(Arc<Engine>, BundleSource)> {
        let now = rt.now_ms();
        let fresh = |c: &CachedBundle| now.saturating_sub(c.loaded_at_ms) < config.bundle_ttl_ms;
        if let Some(cached) = self.cached.borrow().as_ref().filter(|c| fresh(c)) {
            return cached.engine.clone();
        }
        let signed = !matches!(config.policy, BundlePolicy::Any);
        let fallback = if signed { "no bundle, pages keep their defaults" } else { "using the built-in bundle" };
        let from_kv = match kv_get_within(rt, BUNDLE_KEY, config.kv_budget_ms).await {
            Ok(Some(bytes)) => {
                let loaded = match &config.policy {
                    BundlePolicy::Any => Engine::load(&bytes),
                    BundlePolicy::SignedBy(key) => Engine::load_verified(&bytes, key),
                    BundlePolicy::Refuse => Err(LoadError::BadSignature("BUNDLE_PUBLIC_KEY is not a valid key".into())),
                };
                match loaded {
                    Ok(engine) => Some(Arc::new(engine)),
                    Err(e) => {
                        rt.log(&format!("kairos: KV bundle rejected [{}], {fallback}", e.code()));
                        None
                    }
                }
            }
            Ok(None) => None,
            Err(fault) => {
                rt.log(&format!("kairos: KV bundle read {}, {fallback}", fault.as_str()));
                None
            }
        };
        let engine = match from_kv {
            Some(engine) => Some((engine, BundleSource::Kv)),
            None if signed => None,
            None => self.builtin(rt).map(|e| (e, BundleSource::Builtin)),
        };
        *self.cached.borrow_mut() = Some(CachedBundle { engine: engine.clone(), loaded_at_ms: now });
        engine
    }

    /// The customer's KV record; the state names what happened (`x-kairos-customer`).
    async fn customer_record<R: Runtime>(
        &self,
        rt: &R,
        config: &EdgeConfig,
        id: &str,
    ) -> (Option<CustomerRecord>, &'static str) {
        match kv_get_within(rt, &customer::key(id), config.kv_budget_ms).await {
            Ok(Some(bytes)) => {
                let parsed = std::str::from_utf8(&bytes).ok().map(CustomerRecord::parse);
                match parsed {
                    Some(Ok(record)) => (Some(record), "found"),
                    // The location, not the record: nothing personal in logs.
                    Some(Err(e)) => {
                        rt.log(&format!("kairos: customer record rejected at {}", e.at));
                        (None, "invalid")
                    }
                    None => {
                        rt.log("kairos: customer record rejected: not UTF-8");
                        (None, "invalid")
                    }
                }
            }
            Ok(None) => (None, "absent"),
            Err(fault) => {
                rt.log(&format!("kairos: customer record read {}", fault.as_str()));
                (None, "unreachable")
            }
        }
    }

    /// The customer as a resident visitor of `engine`: with `PACKED_CUSTOMERS`, their packed
    /// record (`visitor/<id>`, state `packed`) when it was packed for a bundle that reads the history as this one does,
    /// else their JSON record packed now (`found`), else nobody (`absent`, `invalid`,
    /// `unreachable`). The person is as the account records it; callers put this request's
    /// signals over it. One KV read when the packed record is current, two after a deploy that
    /// changed what the rules read, until the records are packed again.
    async fn customer_visitor<R: Runtime>(
        &self,
        rt: &R,
        config: &EdgeConfig,
        engine: &Arc<Engine>,
        id: &str,
    ) -> (Option<Visitor>, &'static str) {
        let packed = match config.packed_customers {
            true => kv_get_within(rt, &customer::visitor_key(id), config.kv_budget_ms).await,
            false => Ok(None),
        };
        match packed {
            Ok(Some(bytes)) => match Visitor::restore(engine.clone(), &bytes) {
                Ok(v) if v.person().customer_id.is_some_and(|c| c.0 == id) => return (Some(v), "packed"),
                Ok(_) => rt.log("kairos: packed customer record rejected: packed for another customer"),
                // The code only (E_VISITOR_BUNDLE after such a deploy): nothing personal in logs.
                Err(e) => rt.log(&format!("kairos: packed customer record not used [{}]", e.code())),
            },
            Ok(None) => {}
            // The JSON record lives in the same store: a second read would fail or stall alike.
            Err(fault) => {
                rt.log(&format!("kairos: packed customer record read {}", fault.as_str()));
                return (None, "unreachable");
            }
        }
        let (record, state) = self.customer_record(rt, config, id).await;
        let Some(record) = record else { return (None, state) };
        match record.visitor(engine.clone(), id) {
            Ok(v) => (Some(v), state),
            // Where, not what: the value may be personal.
            Err((i, e)) => {
                rt.log(&format!("kairos: customer record refused at events[{i}].{}", e.field));
                (None, "invalid")
            }
        }
    }

    /// Decides for the request's own signals. `record_visit` adds this page's tracked event and
    /// the shown capped variants to the history cookie (page views do; `GET /v1/decide` only
    /// reads). None: no bundle at all.
    pub async fn decide_for_request<R: Runtime>(
        &self,
        rt: &R,
        config: &EdgeConfig,
        req: &EdgeRequest,
        record_visit: bool,
        explain: bool,
    ) -> Option<EdgeDecision> {
        let now = rt.now_ms();
        let consent = req.consent();
        let customer_id = req.customer_id().unwrap_or("").to_owned();
        let mut set_cookies = Vec::new();
        // The anonymous id: with consent, kept or made (and its cookie written when it changed);
        // without, none, and a cookie left from before is wiped.
        let id_cookie = req.cookie(anonymous::COOKIE);
        let anonymous = match consent {
            true => {
                let id_key = req.anonymous_key();
                let (id, state) = anonymous::read(id_cookie, id_key, || anonymous::from_random(rt.random_bytes()));
                if state == IdState::Refused {
                    rt.log(
                        "kairos: anonymous id cookie refused (malformed or signature mismatch); a new id was issued",
                    );
                }
                if state != IdState::Valid {
                    set_cookies.push(anonymous::set_cookie(id_key, &id));
                }
                Some((id, state))
            }
            false => {
                if id_cookie.is_some() {
                    set_cookies.push(cookies::clear(anonymous::COOKIE));
                }
                None
            }
        };
        // Whom the history is bound to: the signed customer, else the anonymous id.
        let decided_for = match (customer_id.as_str(), &anonymous) {
            ("", Some((id, _))) => id.clone(),
            _ => customer_id.clone(),
        };
        let key = config.history_key.as_deref().map(str::as_bytes);
        let cookie = req.cookie(cookies::HISTORY);
        let (mut events, history) = match (key, consent, cookie) {
            (Some(_), false, _) | (None, _, _) => (Vec::new(), HistoryState::Off),
            (Some(_), true, None) => (Vec::new(), HistoryState::Absent),
            (Some(k), true, Some(value)) => {
                // Bound to whom it was written for: this visitor, or (just identified) their
                // anonymous id, or (written before anonymous ids) nobody. All are this browser's.
                let anonymous_id = anonymous.as_ref().map_or("", |(id, _)| id.as_str());
                let read = |bound_to: &str| HistoryCookie::new(k).read(value, bound_to, now);
                match read(&decided_for).or_else(|_| read(anonymous_id)).or_else(|_| read("")) {
                    Ok(events) => (events, HistoryState::Valid),
                    Err(state) => (Vec::new(), state),
                }
            }
        };
        // The page's events the edge has not seen yet: merged by id, so none counts twice.
        let pending = req.cookie(handoff::PENDING_COOKIE);
        if let (true, Some(value)) = (consent, pending) {
            let (page_events, readable) = handoff::read_pending(value);
            if !readable {
                rt.log("kairos: pending page events cookie unreadable; ignored");
            }
            history::merge(&mut events, page_events);
        }
        if record_visit && history != HistoryState::Off {
            events.extend(track::event_for(&config.track, req.path(), now));
        }
        let (engine, bundle) = self.engine(rt, config).await?;
        let (known, customer) = match (consent, customer_id.is_empty()) {
            (true, false) => self.customer_visitor(rt, config, &engine, &customer_id).await,
            (true, true) => (None, "absent"),
            (false, _) => (None, "off"),
        };
        // This request's signals; the customer's record and the cookie's events go into a
        // resident visitor, so the decision is the visitor's (one evaluator on every path).
        let mut ctx = req.context(now, None, &[]);
        ctx.anonymous_id = anonymous.as_ref().map(|(id, _)| kairos::context::Text(id.clone()));
        let mut visitor = match known {
            Some(mut v) => {
                let saved = v.person();
                v.set_person(Person { profile: saved.profile, scores: saved.scores, ..Person::of(&ctx) });
                v
            }
            None => Visitor::new(engine.clone(), Person::of(&ctx)),
        };
        if consent {
            // Cookie events were bounded and normalised when written; none is refused.
            let _ = visitor.track_all(events.iter().map(EdgeEvent::to_event).collect());
        }
        // A QA preview forces its slots; nothing of such a view is recorded as shown (no exposure
        // in the history, none for the collector).
        let preview = preview::read(req, &config.policy, &engine, now);
        if let Some(warning) = &preview.warning {
            rt.log(warning);
        }
        set_cookies.extend(preview.set_cookie);
        let previewing = preview.forced.is_some();
        let decision = visitor.decide(Moment::of(&ctx), Options { explain, forced: preview.forced.as_ref() });
        match (key, history) {
            (Some(k), HistoryState::Absent | HistoryState::Valid | HistoryState::Invalid) if record_visit => {
                if !previewing {
                    events.extend(exposures(&engine, &decision, now));
                }
                for e in events.iter_mut().filter(|e| e.id.is_empty()) {
                    e.id = history::edge_event_id(rt.random_bytes());
                }
                let value = HistoryCookie::new(k).write(&events, &decided_for, now);
                set_cookies.push(cookies::set(cookies::HISTORY, &value, history::COOKIE_MAX_AGE_SECONDS));
                if pending.is_some() {
                    // Kept in the history now (the page holds its own copy).
                    set_cookies.push(cookies::clear(handoff::PENDING_COOKIE));
                }
            }
            // No consent: history is neither used nor kept.
            (_, HistoryState::Off) if cookie.is_some() && !consent => {
                set_cookies.push(cookies::clear(cookies::HISTORY))
            }
            _ => {}
        }
        if !consent && pending.is_some() {
            set_cookies.push(cookies::clear(handoff::PENDING_COOKIE));
        }
        let (anonymous_id, id) = match anonymous {
            Some((anonymous_id, state)) => (Some(anonymous_id), Some(state)),
            None => (None, None),
        };
        let bundle_id = engine.bundle_id().map(str::to_owned);
        if record_visit && !previewing {
            // A page view: every slot's exposure, for the site's collector (after the response).
            let seen = kairos::exposure::Seen {
                anonymous_id: anonymous_id.as_deref(),
                user_id: (!customer_id.is_empty()).then_some(customer_id.as_str()),
                bundle_name: &engine.program.name,
                bundle_id: bundle_id.as_deref().unwrap_or(""),
                surface: kairos::exposure::Surface::Edge,
                now_ms: now,
            };
            collect::report(rt, config, &decision, seen, None);
        }
        Some(EdgeDecision {
            decision,
            bundle,
            customer,
            history,
            id,
            anonymous_id,
            consent,
            bundle_id,
            events: if consent { events } else { Vec::new() },
            set_cookies,
            preview: preview.state,
        })
    }

    /// `POST /v1/decide`: the posted context, as given. Bad input is a located, coded 400.
    pub async fn decide_posted<R: Runtime>(
        &self,
        rt: &R,
        config: &EdgeConfig,
        req: &EdgeRequest,
        body: Result<Vec<u8>, BodyFault>,
    ) -> HttpResponse {
        let body = match body {
            Ok(body) => body,
            Err(BodyFault::TooLarge) => {
                let message = format!("the body limit is {} bytes", http::MAX_BODY_BYTES);
                return HttpResponse::error(413, codes::BODY_TOO_LARGE, &message, None);
            }
            Err(BodyFault::Unreadable) => {
                return HttpResponse::error(400, codes::BODY, "could not read the request body", None)
            }
        };
        let Ok(text) = std::str::from_utf8(&body) else {
            return HttpResponse::error(400, codes::BODY, "body is not UTF-8 text", None);
        };
        // The hand-written context reader the page and Node modules use: the same values and
        // located errors as serde_json's, without serde_json's readers in the Worker.
        let context = match wire::shapes::context(text) {
            Ok(context) => context,
            Err(e) => {
                let e = ContextError::from(e);
                return HttpResponse::error(400, ContextError::CODE, &e.message, Some(&e.at));
            }
        };
        let Some((engine, source)) = self.engine(rt, config).await else {
            return no_bundle();
        };
        let explain = http::query_flag(&req.url, "explain");
        let decision = engine.decide(&context, Options::explaining(explain));
        let mut resp = HttpResponse::json(200, http::to_json(&decision));
        resp.set("x-kairos-bundle", source.as_str());
        resp
    }

    /// `GET /v1/decide`: what the proxy would decide for this request, as JSON.
    pub async fn decide_edge<R: Runtime>(&self, rt: &R, config: &EdgeConfig, req: &EdgeRequest) -> HttpResponse {
        let explain = http::query_flag(&req.url, "explain") && http::debug_allowed(req, config);
        let Some(d) = self.decide_for_request(rt, config, req, false, explain).await else {
            return no_bundle();
        };
        let mut resp = HttpResponse::json(200, http::to_json(&d.decision));
        resp.headers.extend(d.headers());
        resp.append("vary", "Cookie");
        resp
    }

    /// `GET /v1/open/<token>`: an email opened now. A valid token's customer gets content from
    /// their live KV record; a tampered, expired or unsigned token gets the bundle's first slot's
    /// generic default and no customer's data. HTML by default; AMP `amp-list` JSON on request.
    pub async fn open<R: Runtime>(&self, rt: &R, config: &EdgeConfig, req: &EdgeRequest, token: &str) -> HttpResponse {
        let now = rt.now_ms();
        let verified = match &config.open_token_key {
            None => Err("off"),
            Some(key) => open_token::verify(key.as_bytes(), token, now).map_err(|e| e.as_str()),
        };
        let Some((engine, _)) = self.engine(rt, config).await else {
            return no_bundle();
        };
        let (found, state) = match &verified {
            Ok(t) => {
                let (known, _) = self.customer_visitor(rt, config, &engine, &t.customer_id).await;
                let ctx = t.context(now, None);
                // An email client brings no consent cookie: the account's consent rules, and
                // without it only the zone is used (no profile, scores or history).
                let mut visitor = match known {
                    Some(v) if v.has_consent() => v,
                    known => {
                        let saved = known.map(|v| v.person()).unwrap_or_default();
                        let person = Person { consent: saved.consent, timezone: saved.timezone, ..Person::of(&ctx) };
                        Visitor::new(engine.clone(), person)
                    }
                };
                let decision = visitor.decide(Moment::of(&ctx), Options::default());
                let seen = kairos::exposure::Seen {
                    anonymous_id: None,
                    user_id: Some(&t.customer_id),
                    bundle_name: &engine.program.name,
                    bundle_id: engine.bundle_id().unwrap_or(""),
                    surface: kairos::exposure::Surface::Email,
                    now_ms: now,
                };
                collect::report(rt, config, &decision, seen, Some(&t.slot));
                let slot = decision.slots.into_iter().find(|s| s.slot == t.slot);
                (slot.ok_or(()), "ok")
            }
            Err(why) => {
                // Nothing from a refused token is trusted, not even its slot.
                let slot = engine.program.slots.first().map(|s| s.name.clone()).unwrap_or_default();
                let ctx = kairos::Context { now: kairos::context::Timestamp(now), ..kairos::Context::default() };
                (engine.render(&ctx, &slot).map_err(|_| ()), *why)
            }
        };
        let Ok(rendered) = found else {
            return HttpResponse::error(404, codes::NO_SLOT, "no such slot in the bundle", None);
        };
        let mut resp = crate::open_page::answer(&rendered, http::wants_json(req));
        resp.headers.extend(http::amp_cors(req, config));
        resp.set("x-kairos-token", state);
        resp.set("x-kairos-variant", &rendered.variant);
        resp
    }

    /// `POST /ofrep/v1/evaluate/flags[/<key>]`: OpenFeature's remote evaluation of one slot
    /// (`key`) or all of them (docs/openfeature.md). The posted evaluation context is decided
    /// as given, at the edge's clock unless it says `now`; nothing is recorded (no exposure, no
    /// history: the caller decides what it shows).
    pub async fn ofrep<R: Runtime>(
        &self,
        rt: &R,
        config: &EdgeConfig,
        req: &EdgeRequest,
        body: Result<Vec<u8>, BodyFault>,
        key: Option<&str>,
    ) -> HttpResponse {
        let body = match body {
            Ok(body) => body,
            Err(BodyFault::TooLarge) => {
                let details = format!("the body limit is {} bytes", http::MAX_BODY_BYTES);
                return ofrep::failure(413, key, "PARSE_ERROR", &details);
            }
            Err(BodyFault::Unreadable) => return ofrep::failure(400, key, "PARSE_ERROR", "could not read the body"),
        };
        let context = match ofrep::read_context(&body, key, rt.now_ms()) {
            Ok(context) => context,
            Err(answer) => return answer,
        };
        let Some((engine, source)) = self.engine(rt, config).await else {
            return ofrep::failure(500, key, "GENERAL", "no bundle is deployed (E_NO_BUNDLE)");
        };
        let decision = engine.decide(&context, Options::default());
        let mut resp = match key {
            Some(key) => ofrep::single(&engine, &decision, key),
            None => ofrep::bulk(&engine, &decision, req.header("if-none-match")),
        };
        resp.set("x-kairos-bundle", source.as_str());
        resp
    }

    /// `OPTIONS /v1/open/<token>`: the AMP preflight.
    pub fn open_preflight(&self, config: &EdgeConfig, req: &EdgeRequest) -> HttpResponse {
        let mut resp = HttpResponse { status: 204, headers: http::amp_cors(req, config), body: Vec::new() };
        resp.set("access-control-allow-methods", "GET");
        resp.set("access-control-allow-headers", "AMP-Email-Sender, Accept");
        resp
    }

    /// What the origin's answer becomes. Only `200` HTML answers to GET are personalised (HEAD
    /// gets the headers the GET would have); everything else passes through as it came.
    pub async fn page<R: Runtime>(
        &self,
        rt: &R,
        config: &EdgeConfig,
        req: &EdgeRequest,
        method: Method,
        status: u16,
        upstream: &[(String, String)],
    ) -> PageAnswer {
        let content_type =
            upstream.iter().find(|(k, _)| k.eq_ignore_ascii_case("content-type")).map(|(_, v)| v.as_str());
        if !(matches!(method, Method::Get | Method::Head) && status == 200 && http::is_html(content_type)) {
            return PageAnswer::PassThrough { headers: http::visitor_headers(upstream, false) };
        }
        let personal = |mut headers: Vec<(String, String)>| {
            // A personalised page must never be stored by a shared cache.
            headers.push(("cache-control".into(), "private, no-store".into()));
            headers.push(("vary".into(), "Cookie".into()));
            headers
        };
        if method == Method::Head {
            return PageAnswer::Head { headers: personal(http::visitor_headers(upstream, true)) };
        }
        // No bundle at all: the page as the origin sent it.
        let Some(d) = self.decide_for_request(rt, config, req, true, false).await else {
            return PageAnswer::PassThrough { headers: http::visitor_headers(upstream, false) };
        };
        let mut headers = personal(http::visitor_headers(upstream, true));
        headers.extend(d.headers());
        // The runtime's HTMLRewriter takes attribute values as markup.
        let patches: HashMap<String, SlotPatch> =
            patches(&d.decision).into_iter().map(|(slot, p)| (slot, p.for_rewriter())).collect();
        // Written even when every slot keeps its default: the page then adopts that decision too,
        // and loads no wasm to reach the same one.
        let state = handoff::island(&handoff::PageState {
            v: handoff::STATE_VERSION,
            bundle: d.bundle_id.as_deref(),
            anonymous_id: d.anonymous_id.as_deref(),
            consent: d.consent,
            decision: &d.decision,
            events: &d.events,
        });
        PageAnswer::Personalised { headers, patches, state }
    }

    /// The request to send to `ORIGIN`, or None when none is configured.
    pub fn origin_request(
        &self,
        config: &EdgeConfig,
        req: &EdgeRequest,
        method: Method,
    ) -> Option<http::OriginRequest> {
        config.origin.as_deref().map(|origin| http::origin_request(req, method, origin))
    }

    /// The answer when no `ORIGIN` is configured.
    pub fn no_origin() -> HttpResponse {
        HttpResponse::error(502, codes::NO_ORIGIN, "no ORIGIN configured", None)
    }

    /// The answer when the origin could not be reached (refused, reset, DNS): a coded 502, the
    /// one 5xx kairos gives of its own, since there is no page to show.
    pub fn origin_unreachable(&self, rt: &impl Runtime) -> HttpResponse {
        rt.log("kairos: origin unreachable");
        HttpResponse::error(502, codes::ORIGIN_UNREACHABLE, "origin unreachable", None)
    }
}

/// Exposures matter only to capped or conversion-suppressed variants: only those are recorded,
/// so page intent is not pushed out of the bounded cookie. A variant decided for the page counts
/// as shown (the cookie is set before the body streams, so a slot absent from the page counts
/// too: caps err towards showing less).
pub fn exposures(engine: &Engine, decision: &Decision, now_ms: i64) -> Vec<EdgeEvent> {
    let shown = decision.slots.iter().zip(&engine.program.slots).filter(|(s, _)| !s.is_default);
    shown
        .filter(|(slot, def)| {
            def.variants.iter().any(|v| v.id == slot.variant && (v.cap.is_some() || v.suppress_after_conversion))
        })
        .map(|(slot, _)| EdgeEvent::new(kairos::EXPOSURE, now_ms, &[("slot", &slot.slot), ("variant", &slot.variant)]))
        .collect()
}

fn no_bundle() -> HttpResponse {
    HttpResponse::error(503, codes::NO_BUNDLE, "no rule bundle available", None)
}
