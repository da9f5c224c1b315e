//! Exposure events: one per decided slot, whatever it showed (a variant, the default, the
//! holdout), in the shape analytics tools already read. It is Segment's `track` event named
//! `Experiment Viewed`, described by schema/exposure.schema.json. Lift is measured against the
//! holdout, so the holdout's exposures matter as much as the variants' (docs/measurement.md).
//!
//! The core keeps no clock and no randomness: the surface passes the time and message ids. The
//! page script builds the same shape in JavaScript (www/kairos.mjs), held to the same schema by
//! the tests.

use crate::Decision;
use serde::Serialize;

/// The event's name.
pub const EVENT: &str = "Experiment Viewed";

/// Where a decision was shown.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum Surface {
    /// The page script decided in the browser.
    Page,
    /// The edge Worker decided a page view.
    Edge,
    /// An email was rendered at open time.
    Email,
}

/// One exposure.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Exposure {
    /// Always `track`.
    #[serde(rename = "type")]
    pub kind: &'static str,
    /// Always [`EVENT`].
    pub event: &'static str,
    /// Unique per event, from the surface's random source: collectors deduplicate by it.
    #[serde(rename = "messageId")]
    pub message_id: String,
    /// RFC 3339, UTC, milliseconds.
    pub timestamp: String,
    /// The visitor's anonymous id (docs/identity.md).
    #[serde(rename = "anonymousId", skip_serializing_if = "Option::is_none")]
    pub anonymous_id: Option<String>,
    /// The customer's id, once known.
    #[serde(rename = "userId", skip_serializing_if = "Option::is_none")]
    pub user_id: Option<String>,
    /// What was shown.
    pub properties: ExposureProperties,
}

/// What was shown, and why.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct ExposureProperties {
    /// The measured unit: the slot, within its bundle (`bundle name:slot`, or the slot alone).
    pub experiment_id: String,
    /// The arm: `holdout` for a visitor in the holdout, else the variant shown.
    pub variation_id: String,
    /// The slot's name.
    pub slot: String,
    /// The variant shown (the default's id when the slot showed its default).
    pub variant: String,
    /// Why (`rule`, `holdout`, `no_eligible_variant`, `undecided`).
    pub reason: &'static str,
    /// Whether the visitor is in the bundle's holdout.
    pub holdout: bool,
    /// The compiled bundle's id (`Program::bundle_id`).
    pub bundle_id: String,
    /// Where it was shown.
    pub surface: Surface,
}

/// Who saw it, and with what.
#[derive(Debug, Clone, Copy)]
pub struct Seen<'a> {
    /// The visitor's anonymous id, if any.
    pub anonymous_id: Option<&'a str>,
    /// The customer's id, if known.
    pub user_id: Option<&'a str>,
    /// The bundle's `name` (may be empty).
    pub bundle_name: &'a str,
    /// The bundle's id (`Program::bundle_id`).
    pub bundle_id: &'a str,
    /// Where it was shown.
    pub surface: Surface,
    /// When, epoch milliseconds.
    pub now_ms: i64,
}

/// The exposures of every slot of `decision`, each with a message id from `message_id`. None
/// without consent, or without any id to attribute them to: nothing that names a visitor is
/// sent without consent (docs/measurement.md).
pub fn exposures(decision: &Decision, seen: Seen<'_>, mut message_id: impl FnMut() -> String) -> Vec<Exposure> {
    if !decision.consent || (seen.anonymous_id.is_none() && seen.user_id.is_none()) {
        return Vec::new();
    }
    let timestamp = crate::time::format_timestamp(seen.now_ms);
    decision
        .slots
        .iter()
        .map(|slot| {
            let experiment_id = match seen.bundle_name {
                "" => slot.slot.clone(),
                name => format!("{name}:{}", slot.slot),
            };
            let variation_id = if decision.holdout { "holdout".to_owned() } else { slot.variant.clone() };
            Exposure {
                kind: "track",
                event: EVENT,
                message_id: message_id(),
                timestamp: timestamp.clone(),
                anonymous_id: seen.anonymous_id.map(str::to_owned),
                user_id: seen.user_id.map(str::to_owned),
                properties: ExposureProperties {
                    experiment_id,
                    variation_id,
                    slot: slot.slot.clone(),
                    variant: slot.variant.clone(),
                    reason: slot.reason,
                    holdout: decision.holdout,
                    bundle_id: seen.bundle_id.to_owned(),
                    surface: seen.surface,
                },
            }
        })
        .collect()
}

#[cfg(all(test, feature = "json"))]
mod tests {
    use super::*;
    use crate::{Context, Engine, Options};

    fn seen(anonymous_id: Option<&str>) -> Seen<'_> {
        Seen { anonymous_id, user_id: None, bundle_name: "demo", bundle_id: "1-2", surface: Surface::Edge, now_ms: 0 }
    }

    #[test]
    fn every_slot_is_exposed_with_consent_and_none_without() {
        let rules = r#"{"kairos": 1, "name": "demo", "holdout": {"salt": "s", "percent": 50},
          "slots": {"a": {"default": {"id": "d", "content": "x"}, "variants": [{"id": "v", "when": {"eq": [1, 1]}, "content": "y"}]},
                    "b": {"default": {"id": "d2", "content": "z"}}}}"#;
        let engine = Engine::from_rules_or_bundle(rules.as_bytes()).unwrap();
        let mut arms = std::collections::BTreeSet::new();
        for i in 0..40 {
            let ctx: Context = crate::json::parse_context(&format!(
                r#"{{"now": 0, "anonymous_id": "anon-{i}", "consent": {{"personalization": true}}}}"#
            ))
            .unwrap();
            let d = engine.decide(&ctx, Options::default());
            let mut n = 0;
            let list = exposures(&d, seen(Some(&format!("anon-{i}"))), || {
                n += 1;
                format!("m{n}")
            });
            assert_eq!(list.len(), 2, "every slot, default ones too");
            assert_eq!(list[0].properties.experiment_id, "demo:a");
            assert_eq!((list[0].message_id.as_str(), list[1].message_id.as_str()), ("m1", "m2"));
            assert_eq!(list[0].timestamp, "1970-01-01T00:00:00.000Z");
            arms.insert((
                list[0].properties.variation_id.clone(),
                list[0].properties.reason,
                list[0].properties.holdout,
            ));
        }
        let want: std::collections::BTreeSet<_> =
            [("holdout".to_owned(), "holdout", true), ("v".to_owned(), "rule", false)].into_iter().collect();
        assert_eq!(arms, want, "the holdout's exposures are sent too");

        let no_consent: Context = crate::json::parse_context(r#"{"now": 0, "anonymous_id": "anon-1"}"#).unwrap();
        assert!(
            exposures(&engine.decide(&no_consent, Options::default()), seen(Some("anon-1")), String::new).is_empty()
        );
        let consent_no_id: Context =
            crate::json::parse_context(r#"{"now": 0, "consent": {"personalization": true}}"#).unwrap();
        assert!(exposures(&engine.decide(&consent_no_id, Options::default()), seen(None), String::new).is_empty());
    }
}
