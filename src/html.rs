//! What a page's `data-kairos-slot` elements become: the server-side twin of `applySlot` in
//! www/kairos.mjs (same fields, same safety rules). [`patches`] decides it; [`stream`] applies it
//! with lol_html (CLI, native), and the Worker applies the same patches with the runtime's
//! HTMLRewriter (worker/rewrite.mjs), which parses outside wasm.

use crate::decide::SlotDecision;
use crate::Decision;
use serde::Serialize;
use std::collections::HashMap;

/// What one slot's element becomes.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct SlotPatch {
    pub variant: String,
    /// Bundle-authored HTML whose `{{vars}}` the core already escaped.
    pub html: Option<String>,
    /// Plain text, escaped on output.
    pub text: Option<String>,
    /// Attributes that passed [`safe_attribute`], in order.
    pub attrs: Vec<(String, String)>,
}

/// Patches for a decision's non-default slots, by slot name. Default slots keep the page's own markup.
pub fn patches(decision: &Decision) -> HashMap<String, SlotPatch> {
    decision.slots.iter().filter(|s| !s.is_default).map(|s| (s.slot.clone(), patch(s))).collect()
}

fn patch(slot: &SlotDecision) -> SlotPatch {
    let content = serde_json::to_value(&slot.content).unwrap_or(serde_json::Value::Null);
    let mut p = SlotPatch { variant: slot.variant.clone(), html: None, text: None, attrs: Vec::new() };
    match &content {
        serde_json::Value::String(s) => p.text = Some(s.clone()),
        serde_json::Value::Object(fields) => {
            let str_field = |k: &str| fields.get(k).and_then(|v| v.as_str()).map(str::to_owned);
            p.html = str_field("html");
            if p.html.is_none() {
                p.text = ["text", "headline", "title", "label"].iter().find_map(|k| str_field(k));
            }
            if let Some(serde_json::Value::Object(attrs)) = fields.get("attrs") {
                for (name, value) in attrs {
                    let value = match value {
                        serde_json::Value::String(s) => s.clone(),
                        other => other.to_string(),
                    };
                    if safe_attribute(name, &value) {
                        p.attrs.push((name.to_ascii_lowercase(), attr_text(&value)));
                    }
                }
            }
        }
        _ => {}
    }
    p
}

/// Attributes a variant may set: presentation and link attributes, `aria-*` and `data-*`.
/// An allow list, because the deny-list alternative keeps missing one (`srcdoc`, `formaction`, `style`…).
const ALLOWED_ATTRS: &[&str] = &[
    "class", "id", "title", "alt", "href", "src", "target", "rel", "lang", "dir", "role", "width", "height", "loading",
    "hidden",
];
const URL_ATTRS: &[&str] = &["href", "src"];

/// Allowed names only (see [`ALLOWED_ATTRS`]), and URL attributes only with safe schemes.
pub fn safe_attribute(name: &str, value: &str) -> bool {
    let lower = name.to_ascii_lowercase();
    let well_formed =
        name.len() <= 64 && lower.bytes().all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'-');
    let allowed = ALLOWED_ATTRS.contains(&lower.as_str())
        || (lower.starts_with("aria-") || lower.starts_with("data-")) && !lower.starts_with("data-kairos-");
    if !well_formed || !allowed {
        return false;
    }
    // Entities (`javascript&#58;`) cannot hide a scheme: values are written with `&` escaped ([`attr_text`]).
    !URL_ATTRS.contains(&lower.as_str()) || crate::escape::safe_url(value)
}

/// An attribute value as lol_html and HTMLRewriter should receive it: they escape quotes but
/// not `&`, so `&` is escaped here and character references in data stay literal text.
pub fn attr_text(value: &str) -> String {
    value.replace('&', "&amp;")
}
