//! Exposures for the site's collector (`COLLECTOR`): one batch per answer, in the shape the page
//! script sends too (`{"batch": [exposure…], "sentAt"}`, schema/exposure.schema.json), POSTed
//! after the response through [`Runtime::send_later`]. Nothing is sent without consent (the core
//! makes no exposure then) or without a collector.

use crate::runtime::Runtime;
use crate::EdgeConfig;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use base64::Engine as _;
use kairos::exposure::{self, Exposure, Seen};
use kairos::Decision;
use serde::Serialize;

#[derive(Serialize)]
struct Batch<'a> {
    batch: &'a [Exposure],
    #[serde(rename = "sentAt")]
    sent_at: String,
}

/// A message id: 128 random bits, base64url.
fn message_id(rt: &impl Runtime) -> String {
    URL_SAFE_NO_PAD.encode(rt.random_bytes())
}

/// The exposures of `decision` (those of `only_slot` when given), as the collector receives them.
pub fn exposures(rt: &impl Runtime, decision: &Decision, seen: Seen<'_>, only_slot: Option<&str>) -> Vec<Exposure> {
    let mut list = exposure::exposures(decision, seen, || message_id(rt));
    if let Some(slot) = only_slot {
        list.retain(|e| e.properties.slot == slot);
    }
    list
}

/// Sends `exposures` to the collector, if one is configured and there is anything to send.
pub fn send(rt: &impl Runtime, config: &EdgeConfig, exposures: &[Exposure]) {
    let Some(url) = &config.collector else { return };
    if exposures.is_empty() {
        return;
    }
    let body = Batch { batch: exposures, sent_at: kairos::time::format_timestamp(rt.now_ms()) };
    if let Ok(json) = kairos::wire::to_string(&body) {
        rt.send_later(url, json);
    }
}
