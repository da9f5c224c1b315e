//! Email open tokens: what a sent message links to (`GET /v1/open/<token>`). A token names the
//! campaign, the customer, the slot to render, a snapshot of the triggering event and an expiry,
//! signed with HMAC-SHA256 under a secret the sender shares with the Worker. Live values
//! (balance, scores) are not in it: they come from KV when the message is opened.
//!
//! Format: `base64url(JSON payload).base64url(HMAC-SHA256(key, "kairos-open1|" payload))`.

use crate::b64;
use crate::sign::{self, HmacSha256};
use hmac::Mac;
use kairos::context::{Event, Scalar};
use serde::{Deserialize, Serialize};

/// Longest token accepted (a URL path segment).
pub const MAX_TOKEN_BYTES: usize = 4096;
/// Longest validity a token may claim: a leaked link stops working within a year.
pub const MAX_TTL_SECONDS: i64 = 400 * 24 * 3600;

/// What a token carries.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct OpenToken {
    /// Campaign id, for reporting.
    #[serde(rename = "c")]
    pub campaign: String,
    #[serde(rename = "u")]
    pub customer_id: String,
    /// The slot to render (`email_body`).
    #[serde(rename = "s")]
    pub slot: String,
    /// The triggering event: name, epoch ms, string or number properties.
    #[serde(rename = "e", default, skip_serializing_if = "Option::is_none")]
    pub event: Option<TokenEvent>,
    /// Expiry, epoch seconds.
    #[serde(rename = "x")]
    pub expires_at: i64,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct TokenEvent {
    #[serde(rename = "e")]
    pub name: String,
    #[serde(rename = "t")]
    pub at_ms: i64,
    /// Scalar properties; a nested or null value reads as `Null` and is dropped from the event.
    #[serde(rename = "p", default, serialize_with = "scalars")]
    pub props: std::collections::BTreeMap<String, Scalar>,
}

fn scalars<S: serde::Serializer>(props: &std::collections::BTreeMap<String, Scalar>, s: S) -> Result<S::Ok, S::Error> {
    use serde::ser::SerializeMap;
    let mut map = s.serialize_map(Some(props.len()))?;
    for (name, value) in props {
        match value {
            Scalar::Null => map.serialize_entry(name, &())?,
            Scalar::Bool(b) => map.serialize_entry(name, b)?,
            Scalar::Num(n) => map.serialize_entry(name, n)?,
            Scalar::Str(v) => map.serialize_entry(name, v)?,
        }
    }
    map.end()
}

impl TokenEvent {
    /// As a core event (nested or null properties are dropped).
    pub fn to_event(&self) -> Event {
        let props =
            self.props.iter().filter(|(_, v)| **v != Scalar::Null).map(|(k, v)| (k.clone(), v.clone())).collect();
        Event { name: kairos::context::normalize_event_name(&self.name), at: self.at_ms, props }
    }
}

impl OpenToken {
    /// The decision context at open time: the token's customer and event, and the live KV record
    /// (profile, scores, events, consent). Without a record there is no consent: defaults only.
    pub fn context(&self, now_ms: i64, record: Option<&crate::CustomerRecord>) -> kairos::Context {
        let mut ctx = kairos::Context {
            now: kairos::context::Timestamp(now_ms),
            customer_id: Some(kairos::context::Text(self.customer_id.clone())),
            event: self.event.as_ref().map(TokenEvent::to_event),
            ..kairos::Context::default()
        };
        if let Some(r) = record {
            ctx.consent = r.consent.clone();
            ctx.timezone = r.timezone.clone();
            if ctx.has_consent() {
                ctx.profile = r.profile.clone();
                ctx.scores = r.scores.clone();
                ctx.events.0 = r.events.0.clone();
            }
        }
        ctx
    }
}

/// Why a token was refused. The caller shows generic content whatever the reason.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum TokenError {
    Malformed,
    BadSignature,
    Expired,
}

impl TokenError {
    pub fn as_str(self) -> &'static str {
        match self {
            TokenError::Malformed => "malformed",
            TokenError::BadSignature => "bad_signature",
            TokenError::Expired => "expired",
        }
    }
}

fn mac(key: &[u8], payload: &[u8]) -> HmacSha256 {
    sign::mac(key, b"kairos-open1|", &[payload])
}

/// Signs a token.
pub fn mint(key: &[u8], token: &OpenToken) -> String {
    let payload = kairos::wire::to_string(token).unwrap_or_default();
    let tag = mac(key, payload.as_bytes()).finalize().into_bytes();
    format!("{}.{}", b64::encode(&payload), b64::encode(tag))
}

/// Checks a token's signature (constant-time), then its expiry against `now_ms`.
pub fn verify(key: &[u8], token: &str, now_ms: i64) -> Result<OpenToken, TokenError> {
    if token.len() > MAX_TOKEN_BYTES {
        return Err(TokenError::Malformed);
    }
    let (payload, tag) = token.split_once('.').ok_or(TokenError::Malformed)?;
    let payload = b64::decode(payload).map_err(|_| TokenError::Malformed)?;
    let tag = b64::decode(tag).map_err(|_| TokenError::Malformed)?;
    mac(key, &payload).verify_slice(&tag).map_err(|_| TokenError::BadSignature)?;
    let payload = std::str::from_utf8(&payload).map_err(|_| TokenError::Malformed)?;
    let token: OpenToken = kairos::wire::from_str(payload).map_err(|_| TokenError::Malformed)?;
    let now = now_ms.div_euclid(1000);
    if now >= token.expires_at {
        return Err(TokenError::Expired);
    }
    if token.expires_at - now > MAX_TTL_SECONDS {
        return Err(TokenError::Malformed);
    }
    if !crate::identity::sane_id(&token.customer_id) {
        return Err(TokenError::Malformed);
    }
    Ok(token)
}

#[cfg(test)]
mod tests {
    use super::*;

    const KEY: &[u8] = b"open-token-test-key-0123456789abcdef";

    fn token() -> OpenToken {
        OpenToken {
            campaign: "deposit-nudge".into(),
            customer_id: "cust-501".into(),
            slot: "email_body".into(),
            event: Some(TokenEvent {
                name: "Deposit Started".into(),
                at_ms: 1_000,
                props: [("amount".to_string(), Scalar::Num(120.0))].into_iter().collect(),
            }),
            expires_at: 2_000,
        }
    }

    #[test]
    fn mints_verifies_and_refuses() {
        let t = mint(KEY, &token());
        assert_eq!(verify(KEY, &t, 1_999_999), Ok(token()));
        let forever = mint(KEY, &OpenToken { expires_at: 10 * MAX_TTL_SECONDS, ..token() });
        assert_eq!(verify(KEY, &forever, 0), Err(TokenError::Malformed));
        assert_eq!(verify(KEY, &t, 2_000_000), Err(TokenError::Expired));
        assert_eq!(verify(b"another key of thirty-two bytes!!!", &t, 0), Err(TokenError::BadSignature));
        let (payload, tag) = t.split_once('.').unwrap();
        let mut forged: serde_json::Value = serde_json::from_slice(&b64::decode(payload).unwrap()).unwrap();
        forged["u"] = "cust-502".into();
        let forged = format!("{}.{tag}", b64::encode(forged.to_string()));
        assert_eq!(verify(KEY, &forged, 0), Err(TokenError::BadSignature));
        for junk in ["", ".", "abc", "a.b", &"x".repeat(5000)] {
            assert!(verify(KEY, junk, 0).is_err());
        }
        let e = token().event.unwrap().to_event();
        assert_eq!((e.name.as_str(), e.prop("amount")), ("deposit_started", Some(&Scalar::Num(120.0))));
    }
}

#[cfg(test)]
mod context_tests {
    use super::*;
    use crate::CustomerRecord;

    #[test]
    fn live_record_and_consent_decide_what_is_used() {
        let t = OpenToken {
            campaign: String::new(),
            customer_id: "cust-1".into(),
            slot: "email_body".into(),
            event: None,
            expires_at: 10,
        };
        let with =
            CustomerRecord::parse(r#"{"consent": {"personalization": true}, "profile": {"balance": 12}}"#).unwrap();
        let ctx = t.context(5, Some(&with));
        assert!(ctx.has_consent() && ctx.profile.contains_key("balance"));
        let without = CustomerRecord::parse(r#"{"profile": {"balance": 12}}"#).unwrap();
        let ctx = t.context(5, Some(&without));
        assert!(!ctx.has_consent() && ctx.profile.is_empty());
        assert!(t.context(5, None).profile.is_empty());
    }
}
