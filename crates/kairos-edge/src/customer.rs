//! The customer record a data team keeps in Workers KV, one per customer.
//!
//! Key `customer/<customer_id>`, value JSON with any of:
//! `{"profile": {...}, "scores": {"name": {"value": 0.9, "computed_at": "…"}}, "events": [...]}`,
//! each field in exactly the shape a decision context takes (docs/edge.md). Scores carry their
//! `computed_at`, so a rule's `max_age` turns a stale score into a missing one.
//!
//! Beside it, key `visitor/<customer_id>` may hold the same record packed for the bundle in use
//! (`Visitor::save` bytes, written by `kairos kv-customers --bundle`): the Worker restores it
//! instead of parsing and packing a long history on every request, and falls back to the JSON
//! record when the bytes were packed for a bundle that reads the history differently.

use crate::b64;
use crate::error::EdgeError;
use kairos::context::{CachedScore, Events, Scalar, Text};
use kairos::visitor::EventError;
use kairos::ErrorCode;
use kairos::{ContextError, Engine, Person, Visitor};
use serde::Deserialize;
use std::collections::BTreeMap;
use std::sync::Arc;

/// KV key prefix for customer records.
pub const KEY_PREFIX: &str = "customer/";
/// KV key prefix for customer records packed as saved visitors.
pub const VISITOR_PREFIX: &str = "visitor/";

/// The KV key of a customer's record.
pub fn key(customer_id: &str) -> String {
    format!("{KEY_PREFIX}{customer_id}")
}

/// The KV key of a customer's packed record.
pub fn visitor_key(customer_id: &str) -> String {
    format!("{VISITOR_PREFIX}{customer_id}")
}

#[derive(Debug, Clone, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct CustomerRecord {
    #[serde(default)]
    pub profile: BTreeMap<String, Scalar>,
    #[serde(default)]
    pub scores: BTreeMap<String, CachedScore>,
    /// Server-side events (transactions, emails opened, orders) the web never sees.
    #[serde(default)]
    pub events: Events,
    /// Consent as the customer's account records it; email opens use it (a browser's cookie
    /// does not come with an email client). Absent: no personalisation.
    #[serde(default)]
    pub consent: BTreeMap<String, bool>,
    /// The customer's IANA zone, for local-time rules and dates where no request gives one (email opens).
    #[serde(default)]
    pub timezone: Option<kairos::context::Text>,
}

impl CustomerRecord {
    /// Parses a record; errors name the JSON path, line and column. Read by `kairos::wire`, as
    /// the Worker reads everything, so it carries no serde_json.
    pub fn parse(text: &str) -> Result<CustomerRecord, ContextError> {
        kairos::wire::from_str(text).map_err(ContextError::from)
    }

    /// The record as a resident visitor of `engine`: the person (consent and zone as the account
    /// records them) and the events, in the order listed. Parsed events were already checked,
    /// so only a bundle-independent bound could refuse one: its index in `events`, and why.
    pub fn visitor(&self, engine: Arc<Engine>, customer_id: &str) -> Result<Visitor, (usize, EventError)> {
        let person = Person {
            customer_id: Some(Text(customer_id.to_owned())),
            consent: self.consent.clone(),
            profile: self.profile.clone(),
            scores: self.scores.clone(),
            timezone: self.timezone.clone(),
            utc_offset: None,
            anonymous_id: None,
        };
        let mut visitor = Visitor::new(engine, person);
        visitor.track_all(self.events.0.clone())?;
        Ok(visitor)
    }
}

/// One line of an upload file: a record plus the customer it belongs to.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct UploadLine {
    customer_id: kairos::context::Text,
    // Validated, then stored as written; packed when a bundle is given.
    #[serde(default)]
    profile: BTreeMap<String, Scalar>,
    #[serde(default)]
    scores: BTreeMap<String, CachedScore>,
    #[serde(default)]
    events: Events,
    #[serde(default)]
    consent: BTreeMap<String, bool>,
    #[serde(default)]
    timezone: Option<kairos::context::Text>,
}

/// Turns JSON Lines of `{"customer_id": …, "profile": …, "scores": …, "events": …}` into
/// `wrangler kv bulk put` input (`[{"key", "value"}]`), validating every record first.
/// With `packed_for`, each record also gets its `visitor/<id>` entry: the record packed for that
/// bundle, base64 (`"base64": true`, as wrangler takes binary values).
/// Errors say which line and where in it.
pub fn bulk_from_jsonl(text: &str, packed_for: Option<&Arc<Engine>>) -> Result<String, EdgeError> {
    let mut out = Vec::new();
    for (n, line) in text.lines().enumerate().filter(|(_, l)| !l.trim().is_empty()) {
        let at = Some(n + 1);
        let bad = |e: &dyn std::fmt::Display| EdgeError::new(ErrorCode::Record, at, e);
        let parsed: UploadLine = kairos::json::parse(line).map_err(|e| bad(&e))?;
        if parsed.customer_id.0.is_empty() {
            return Err(bad(&"customer_id is empty"));
        }
        let mut record: serde_json::Map<String, serde_json::Value> = serde_json::from_str(line).map_err(|e| bad(&e))?;
        record.remove("customer_id");
        let value = serde_json::Value::Object(record).to_string();
        out.push(serde_json::json!({ "key": key(&parsed.customer_id.0), "value": value }));
        if let Some(engine) = packed_for {
            let id = &parsed.customer_id.0;
            let full = CustomerRecord {
                profile: parsed.profile,
                scores: parsed.scores,
                events: parsed.events,
                consent: parsed.consent,
                timezone: parsed.timezone,
            };
            let packed = full
                .visitor(engine.clone(), id)
                .map_err(|(i, e)| bad(&format!("events[{i}].{}: {}", e.field, e.message)))?
                .save();
            out.push(
                serde_json::json!({ "key": visitor_key(id), "value": b64::encode_standard(packed), "base64": true }),
            );
        }
    }
    serde_json::to_string_pretty(&out).map_err(|e| EdgeError::new(ErrorCode::Internal, None, e))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parses_a_record_and_locates_errors() {
        let r = CustomerRecord::parse(
            r#"{"profile": {"home_country": "FR"}, "scores": {"p": {"value": 0.9, "computed_at": 1000}},
                "events": [{"e": "salary_received", "t": 5}]}"#,
        )
        .unwrap();
        assert_eq!(r.profile["home_country"], Scalar::Str("FR".into()));
        assert_eq!(r.events.0.len(), 1);
        let e = CustomerRecord::parse("{\"scores\": {\"p\": {\"value\": \"high\"}}}").unwrap_err();
        assert_eq!(e.at.path, "scores.p.value");
        let e = CustomerRecord::parse("{\"profil\": {}}").unwrap_err();
        assert!(e.message.contains("unknown field"), "{}", e.message);
    }

    #[test]
    fn bulk_upload_validates_each_line() {
        let ok = bulk_from_jsonl(
            "{\"customer_id\": \"c1\", \"profile\": {\"tier\": \"gold\"}}\n\n{\"customer_id\": \"c2\"}\n",
            None,
        )
        .unwrap();
        let v: serde_json::Value = serde_json::from_str(&ok).unwrap();
        assert_eq!(v[0]["key"], "customer/c1");
        assert_eq!(v[1]["key"], "customer/c2");
        assert_eq!(v[0]["value"], "{\"profile\":{\"tier\":\"gold\"}}");
        let err = bulk_from_jsonl("{\"customer_id\": \"c1\"}\n{\"customer_id\": \"c2\", \"scores\": {\"p\": 1}}", None)
            .unwrap_err();
        assert_eq!((err.code(), err.line), (kairos::ErrorCode::Record, Some(2)));
        assert!(err.to_string().starts_with("line 2: "), "{err}");
        assert!(err.message.contains("scores.p (line 1, column"), "{err}");
    }
}
