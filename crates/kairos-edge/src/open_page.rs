//! What an email open answers: the slot's content as a sandboxed HTML fragment, or as one AMP
//! `amp-list` item.

use crate::http::HttpResponse;
use kairos::decide::SlotDecision;
use serde_json::Value;

/// The open's response for a rendered slot (`amp`: the AMP JSON form).
pub fn answer(rendered: &SlotDecision, amp: bool) -> HttpResponse {
    let content = serde_json::to_value(&rendered.content).unwrap_or(Value::Null);
    if amp {
        let mut item = serde_json::json!({ "variant": rendered.variant, "is_default": rendered.is_default });
        match content {
            Value::Object(fields) => {
                if let Some(o) = item.as_object_mut() {
                    o.extend(fields);
                }
            }
            other => item["content"] = other,
        }
        return HttpResponse::json(200, serde_json::json!({ "items": [item] }).to_string());
    }
    let html = kairos::html::project(rendered).to_html();
    HttpResponse {
        status: 200,
        headers: vec![
            ("content-type".into(), "text/html; charset=utf-8".into()),
            ("cache-control".into(), "private, no-store".into()),
            // Served on the site's own origin: no scripts, no forms, no same-origin rights, and
            // the token in the URL is not sent on as a referrer.
            (
                "content-security-policy".into(),
                "sandbox; default-src 'none'; img-src https: data:; style-src 'unsafe-inline'; font-src https:".into(),
            ),
            ("referrer-policy".into(), "no-referrer".into()),
            ("x-content-type-options".into(), "nosniff".into()),
        ],
        body: html.into_bytes(),
    }
}
