//! What a page's `data-kairos-slot` elements become: the server-side twin of `applySlot` in
//! www/kairos.mjs (same fields, same safety rules). [`patches`] decides it; [`stream`] applies it
//! with lol_html (CLI, native), and the Worker applies the same patches with the runtime's
//! HTMLRewriter (worker/rewrite.mjs), which parses outside wasm.

use crate::decide::SlotDecision;
use crate::Decision;
use serde::Serialize;
use std::collections::HashMap;

#[cfg(feature = "rewrite")]
pub mod stream;
#[cfg(feature = "rewrite")]
pub use stream::PageRewriter;

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
                        p.attrs.push((name.clone(), value));
                    }
                }
            }
        }
        _ => {}
    }
    p
}

/// No event handlers, no odd names, and URL attributes only with safe schemes (no `javascript:`).
pub fn safe_attribute(name: &str, value: &str) -> bool {
    let mut chars = name.chars();
    let well_formed = chars.next().is_some_and(|c| c.is_ascii_alphabetic())
        && chars.all(|c| c.is_ascii_alphanumeric() || c == '-')
        && name.len() <= 64;
    if !well_formed || name.to_ascii_lowercase().starts_with("on") {
        return false;
    }
    if ["href", "src", "action", "formaction"].contains(&name.to_ascii_lowercase().as_str()) {
        return safe_url(value.trim());
    }
    true
}

/// `https:`, `http:`, `mailto:`, `tel:`, relative and fragment URLs.
fn safe_url(url: &str) -> bool {
    let lower = url.to_ascii_lowercase();
    ["https:", "http:", "mailto:", "tel:", "/", ".", "#"].iter().any(|p| lower.starts_with(p))
        || !url.split(['/', '?', '#']).next().unwrap_or("").contains(':')
}
