//! The customer record a data team keeps in Workers KV, one per customer.
//!
//! Key `customer/<customer_id>`, value JSON with any of:
//! `{"profile": {...}, "scores": {"name": {"value": 0.9, "computed_at": "…"}}, "events": [...]}`,
//! each field in exactly the shape a decision context takes (docs/edge.md). Scores carry their
//! `computed_at`, so a rule's `max_age` turns a stale score into a missing one.

use crate::error::EdgeError;
use kairos::context::{CachedScore, Events, Scalar};
use kairos::ContextError;
use kairos::ErrorCode;
use serde::Deserialize;
use std::collections::BTreeMap;

/// KV key prefix for customer records.
pub const KEY_PREFIX: &str = "customer/";

/// The KV key of a customer's record.
pub fn key(customer_id: &str) -> String {
    format!("{KEY_PREFIX}{customer_id}")
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
    /// Parses a record; errors name the JSON path, line and column.
    pub fn parse(text: &str) -> Result<CustomerRecord, ContextError> {
        kairos::json::parse(text).map_err(ContextError::from)
    }
}

/// One line of an upload file: a record plus the customer it belongs to.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct UploadLine {
    customer_id: kairos::context::Text,
    #[serde(default)]
    #[allow(dead_code)] // validated, then stored as written
    profile: BTreeMap<String, Scalar>,
    #[serde(default)]
    #[allow(dead_code)]
    scores: BTreeMap<String, CachedScore>,
    #[serde(default)]
    #[allow(dead_code)]
    events: Events,
    #[serde(default)]
    #[allow(dead_code)]
    consent: BTreeMap<String, bool>,
    #[serde(default)]
    #[allow(dead_code)]
    timezone: Option<kairos::context::Text>,
}

/// Turns JSON Lines of `{"customer_id": …, "profile": …, "scores": …, "events": …}` into
/// `wrangler kv bulk put` input (`[{"key", "value"}]`), validating every record first.
/// Errors say which line and where in it.
pub fn bulk_from_jsonl(text: &str) -> Result<String, EdgeError> {
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
        )
        .unwrap();
        let v: serde_json::Value = serde_json::from_str(&ok).unwrap();
        assert_eq!(v[0]["key"], "customer/c1");
        assert_eq!(v[1]["key"], "customer/c2");
        assert_eq!(v[0]["value"], "{\"profile\":{\"tier\":\"gold\"}}");
        let err = bulk_from_jsonl("{\"customer_id\": \"c1\"}\n{\"customer_id\": \"c2\", \"scores\": {\"p\": 1}}")
            .unwrap_err();
        assert_eq!((err.code(), err.line), (kairos::ErrorCode::Record, Some(2)));
        assert!(err.to_string().starts_with("line 2: "), "{err}");
        assert!(err.message.contains("scores.p (line 1, column"), "{err}");
    }
}
