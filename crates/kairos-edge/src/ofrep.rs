//! OFREP, the OpenFeature Remote Evaluation Protocol (docs/openfeature.md): each slot is a flag.
//! `POST /ofrep/v1/evaluate/flags/{key}` evaluates one, `POST /ofrep/v1/evaluate/flags` all of
//! them with an ETag, so a client that already holds the answer gets a bodiless 304.
//!
//! A flag's value is the slot's content, its variant the variant's id. Reasons map as the
//! OpenFeature providers map them: `rule` → TARGETING_MATCH, `holdout` → SPLIT, a default →
//! DEFAULT, `no_consent` → DISABLED, a preview's `forced` → STATIC. Metadata carries the bundle id, kairos's own reason and the
//! signals the decision missed. OFREP's errors are `{key, errorCode, errorDetails}`.

use crate::http::{self, HttpResponse};
use kairos::decide::SlotDecision;
use kairos::wire::shapes::{evaluation_request, RequestError};
use kairos::wire::JsonError;
use kairos::{Decision, Engine};

/// The OpenFeature reason for a kairos reason.
pub fn reason(kairos_reason: &str) -> &'static str {
    use kairos::decide::reason::{FORCED, HOLDOUT, NO_CONSENT, RULE};
    match kairos_reason {
        RULE => "TARGETING_MATCH",
        HOLDOUT => "SPLIT",
        NO_CONSENT => "DISABLED",
        // A QA preview's choice, not an evaluation (docs/preview.md).
        FORCED => "STATIC",
        _ => "DEFAULT",
    }
}

// The answers are written by hand rather than derived: each derived `Serialize` instantiates the
// JSON writer again, and the Worker's .wasm is at its size budget (benches/size-budget.json).

/// `s` as a JSON string, by the wire writer every other answer uses.
fn string(out: &mut String, s: &str) {
    out.push_str(&http::to_json(s));
}

/// OFREP's `evaluationSuccess` for one slot: its content as the value, flat metadata.
fn evaluated(out: &mut String, slot: &SlotDecision, decision: &Decision, missing: &str, bundle_id: &str) {
    out.push_str("{\"key\":");
    string(out, &slot.slot);
    out.push_str(",\"value\":");
    out.push_str(&http::to_json(&slot.content));
    out.push_str(",\"reason\":");
    string(out, reason(slot.reason));
    out.push_str(",\"variant\":");
    string(out, &slot.variant);
    out.push_str(",\"metadata\":{\"bundleId\":");
    string(out, bundle_id);
    out.push_str(",\"kairosReason\":");
    string(out, slot.reason);
    out.push_str(",\"missing\":");
    string(out, missing);
    out.push_str(if decision.holdout { ",\"holdout\":true}}" } else { ",\"holdout\":false}}" });
}

/// An OFREP error answer.
pub fn failure(status: u16, key: Option<&str>, code: &str, details: &str) -> HttpResponse {
    let mut body = String::from("{");
    if let Some(key) = key {
        body.push_str("\"key\":");
        string(&mut body, key);
        body.push(',');
    }
    body.push_str("\"errorCode\":");
    string(&mut body, code);
    body.push_str(",\"errorDetails\":");
    string(&mut body, details);
    body.push('}');
    with_cors(HttpResponse::json(status, body))
}

/// The request's context, or the OFREP error answer (`key` for a single flag's).
pub fn read_context(body: &[u8], key: Option<&str>, now_ms: i64) -> Result<kairos::Context, HttpResponse> {
    let Ok(text) = std::str::from_utf8(body) else {
        return Err(failure(400, key, "PARSE_ERROR", "the body is not UTF-8 text"));
    };
    let located = |e: &JsonError| match (e.at.path.as_str(), e.at.line) {
        ("", 0) => e.message.clone(),
        ("", line) => format!("line {line}, column {}: {}", e.at.column, e.message),
        (path, 0) => format!("{path}: {}", e.message),
        (path, line) => format!("{path} (line {line}, column {}): {}", e.at.column, e.message),
    };
    match evaluation_request(text) {
        Ok(request) => Ok(request.at(now_ms)),
        Err(RequestError::Parse(e)) => Err(failure(400, key, "PARSE_ERROR", &located(&e))),
        Err(RequestError::InvalidContext(e)) => Err(failure(400, key, "INVALID_CONTEXT", &located(&e))),
    }
}

/// One flag: the slot's evaluation, or FLAG_NOT_FOUND naming the slots there are.
pub fn single(engine: &Engine, decision: &Decision, key: &str) -> HttpResponse {
    let bundle_id = engine.bundle_id().unwrap_or_default();
    let missing = decision.missing.join(",");
    match decision.slots.iter().find(|s| s.slot == key) {
        Some(slot) => {
            let mut body = String::new();
            evaluated(&mut body, slot, decision, &missing, bundle_id);
            with_cors(HttpResponse::json(200, body))
        }
        None => {
            let known: Vec<&str> = decision.slots.iter().map(|s| s.slot.as_str()).collect();
            let details = format!("no slot `{key}` in this bundle; its slots are: {}", known.join(", "));
            failure(404, Some(key), "FLAG_NOT_FOUND", &details)
        }
    }
}

/// Every flag, with a weak ETag of the answer: `If-None-Match` naming it gets a bodiless 304.
pub fn bulk(engine: &Engine, decision: &Decision, if_none_match: Option<&str>) -> HttpResponse {
    let bundle_id = engine.bundle_id().unwrap_or_default();
    let missing = decision.missing.join(",");
    let mut body = String::from("{\"flags\":[");
    for (i, slot) in decision.slots.iter().enumerate() {
        if i > 0 {
            body.push(',');
        }
        evaluated(&mut body, slot, decision, &missing, bundle_id);
    }
    body.push_str("],\"metadata\":{\"bundleId\":");
    string(&mut body, bundle_id);
    body.push_str("}}");
    let etag = etag_of(body.as_bytes());
    let mut resp = if if_none_match.is_some_and(|header| etag_matches(header, &etag)) {
        HttpResponse { status: 304, headers: Vec::new(), body: Vec::new() }
    } else {
        HttpResponse::json(200, body)
    };
    resp.set("etag", &etag);
    // The answer depends on the posted context only: any cache must revalidate it.
    resp.set("cache-control", "private, no-cache");
    with_cors(resp)
}

/// `W/"…"`: 64-bit FNV-1a of the body. Weak, because a CDN compressing the body weakens strong
/// tags anyway, and the answer is the same JSON, not the same bytes on the wire.
fn etag_of(body: &[u8]) -> String {
    let hash = body.iter().fold(0xcbf2_9ce4_8422_2325u64, |h, &b| (h ^ u64::from(b)).wrapping_mul(0x0100_0000_01b3));
    format!("W/\"{hash:016x}\"")
}

/// Whether an `If-None-Match` header names `etag` (weak comparison; `*` names any).
fn etag_matches(header: &str, etag: &str) -> bool {
    let bare = |t: &str| t.trim().trim_start_matches("W/").to_owned();
    let ours = bare(etag);
    header.split(',').any(|t| t.trim() == "*" || bare(t) == ours)
}

/// Browsers call OFREP from other origins with no credentials: any origin may read the answer
/// and its ETag.
fn with_cors(mut resp: HttpResponse) -> HttpResponse {
    resp.set("access-control-allow-origin", "*");
    resp.set("access-control-expose-headers", "ETag, Retry-After");
    resp
}

/// The CORS preflight of an OFREP route.
pub fn preflight() -> HttpResponse {
    let mut resp = with_cors(HttpResponse { status: 204, headers: Vec::new(), body: Vec::new() });
    resp.set("access-control-allow-methods", "POST, OPTIONS");
    resp.set("access-control-allow-headers", "Content-Type, If-None-Match, Authorization, X-API-Key");
    resp.set("access-control-max-age", "86400");
    resp
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn etags_compare_weakly_and_in_lists() {
        let tag = etag_of(b"{}");
        assert!(tag.starts_with("W/\"") && tag.len() == 20, "{tag}");
        assert!(etag_matches(&tag, &tag));
        assert!(etag_matches(tag.trim_start_matches("W/"), &tag), "a strong copy of the tag");
        assert!(etag_matches(&format!("\"x\", {tag}"), &tag));
        assert!(etag_matches("*", &tag));
        assert!(!etag_matches("\"x\"", &tag));
        assert_ne!(etag_of(b"{}"), etag_of(b"{ }"));
    }

    #[test]
    fn reasons_map_as_openfeature_names_them() {
        assert_eq!(
            ["rule", "holdout", "no_consent", "no_eligible_variant", "undecided", "forced"].map(reason),
            ["TARGETING_MATCH", "SPLIT", "DISABLED", "DEFAULT", "DEFAULT", "STATIC"]
        );
    }
}
