//! Exposures for the site's collector (`COLLECTOR`): one batch per answer, in the shape the page
//! script sends too (`{"batch": [exposure…], "sentAt"}`, schema/exposure.schema.json), POSTed
//! after the response through [`Runtime::send_later`]. Nothing is sent without consent (the core
//! makes no exposure then) or without a collector.

use crate::b64;
use crate::runtime::Runtime;
use crate::EdgeConfig;
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
    b64::encode(rt.random_bytes())
}

/// Reports the exposures of `decision` (those of `only_slot` when given) to the collector: built
/// only when one is configured, so a site without one pays nothing per page view.
pub fn report(rt: &impl Runtime, config: &EdgeConfig, decision: &Decision, seen: Seen<'_>, only_slot: Option<&str>) {
    let Some(url) = &config.collector else { return };
    let mut batch = exposure::exposures(decision, seen, || message_id(rt));
    if let Some(slot) = only_slot {
        batch.retain(|e| e.properties.slot == slot);
    }
    if batch.is_empty() {
        return;
    }
    let body = Batch { batch: &batch, sent_at: kairos::time::format_timestamp(rt.now_ms()) };
    if let Ok(json) = kairos::wire::to_string(&body) {
        rt.send_later(url, json);
    }
}
