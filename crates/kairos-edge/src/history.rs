//! The cross-session history the edge keeps for a visitor: a bounded list of recent
//! events in a cookie, signed with HMAC-SHA256 so it is tamper-evident.
//!
//! Why a cookie and not a Durable Object per customer: the history arrives with the
//! request, so deciding needs no extra round trip and no storage bill; it works for
//! anonymous visitors; and the bound (32 events, 30 days, under 3 KB) is what rules at
//! the edge need (recent page intent). Long histories belong to the data team's
//! customer record in KV (see [`crate::customer`]). Trade-offs: docs/edge.md.
//!
//! Format: `2.<base64url(postcard events)>.<base64url(HMAC-SHA256(key, "kairos-h1|" customer "|" payload))>`.
//! The MAC binds the history to the customer id (else the anonymous id), so a cookie copied to
//! another id is rejected. Every event has an id, so the page's history and this one merge
//! without counting an event twice (docs/handoff.md). Version 1 cookies (no ids) read as invalid
//! and are replaced.

use crate::b64;
use crate::sign::{self, HmacSha256};
use hmac::Mac;
use kairos::context::clip;
use kairos::context::{normalize_event_name, Event, Scalar};
use serde::{Deserialize, Serialize};

mod packing;

/// Newest events kept.
pub const MAX_EVENTS: usize = 32;
/// Events older than this are dropped.
pub const MAX_AGE_MS: i64 = 30 * 24 * 3600 * 1000;
/// Encoded cookie value bound (browsers allow about 4 KB per cookie, name and attributes included).
pub const MAX_COOKIE_BYTES: usize = 3000;
/// Longest event name or property value kept.
pub const MAX_FIELD_BYTES: usize = 64;
/// Cookie lifetime.
pub const COOKIE_MAX_AGE_SECONDS: u32 = 30 * 24 * 3600;

/// Most properties kept per event.
pub const MAX_PROPS: usize = 2;
/// Longest event id kept (the page's and the edge's ids are 12 characters).
pub const MAX_ID_BYTES: usize = 24;

/// One remembered event: a name, a time (whole seconds) and at most [`MAX_PROPS`] properties.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct EdgeEvent {
    pub name: String,
    pub at_seconds: i64,
    pub props: Vec<(String, String)>,
    /// Unique per event (`e…` made here, `p…` by the page): what merging deduplicates by.
    pub id: String,
}

impl EdgeEvent {
    /// An event at `now_ms`, names and values cut to [`MAX_FIELD_BYTES`].
    pub fn new(name: &str, now_ms: i64, props: &[(&str, &str)]) -> EdgeEvent {
        EdgeEvent {
            name: clip(&normalize_event_name(name), MAX_FIELD_BYTES).to_owned(),
            at_seconds: now_ms.div_euclid(1000),
            props: props
                .iter()
                .take(MAX_PROPS)
                .map(|(k, v)| (clip(k, MAX_FIELD_BYTES).to_owned(), clip(v, MAX_FIELD_BYTES).to_owned()))
                .collect(),
            id: String::new(),
        }
    }

    /// The event with `id`, if it is a well-formed event id (else the event keeps none and the
    /// edge gives it one when it is kept).
    pub fn with_id(mut self, id: &str) -> EdgeEvent {
        if well_formed_id(id) {
            self.id = id.to_owned();
        }
        self
    }

    /// As a core history event.
    pub fn to_event(&self) -> Event {
        let props = self.props.iter().map(|(k, v)| (k.clone(), Scalar::Str(v.clone()))).collect();
        Event { name: self.name.clone(), at: self.at_seconds.saturating_mul(1000), props }
    }
}

/// What became of the cookie sent with a request.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum HistoryState {
    /// No cookie.
    Absent,
    /// Signature and format good.
    Valid,
    /// Present but unreadable, forged, or signed for another customer: ignored and replaced.
    Invalid,
    /// History is off: no key configured, or no consent.
    Off,
}

impl HistoryState {
    pub fn as_str(self) -> &'static str {
        match self {
            HistoryState::Absent => "absent",
            HistoryState::Valid => "valid",
            HistoryState::Invalid => "invalid",
            HistoryState::Off => "off",
        }
    }
}

/// Signs and verifies history cookies with one secret key.
pub struct HistoryCookie<'k> {
    key: &'k [u8],
}

impl<'k> HistoryCookie<'k> {
    /// `key` should be at least 32 random bytes (a Workers secret).
    pub fn new(key: &'k [u8]) -> HistoryCookie<'k> {
        HistoryCookie { key }
    }

    fn mac(&self, customer: &str, payload: &[u8]) -> HmacSha256 {
        sign::mac(self.key, b"kairos-h1|", &[customer.as_bytes(), b"|", payload])
    }

    /// Reads a cookie value: the events still within [`MAX_AGE_MS`] of `now_ms`, oldest first.
    pub fn read(&self, value: &str, customer: &str, now_ms: i64) -> Result<Vec<EdgeEvent>, HistoryState> {
        let invalid = HistoryState::Invalid;
        if value.len() > MAX_COOKIE_BYTES {
            return Err(invalid);
        }
        let rest = value.strip_prefix("2.").ok_or(invalid)?;
        let (payload, tag) = rest.split_once('.').ok_or(invalid)?;
        let payload = b64::decode(payload).map_err(|_| invalid)?;
        let tag = b64::decode(tag).map_err(|_| invalid)?;
        // Constant-time comparison.
        self.mac(customer, &payload).verify_slice(&tag).map_err(|_| invalid)?;
        let mut events = packing::unpack(&payload).map_err(|_| invalid)?;
        // Signed by us, so within bounds; cut anyway so a leaked key cannot grow the context.
        events.truncate(MAX_EVENTS);
        events.iter_mut().for_each(|e| e.props.truncate(MAX_PROPS));
        Ok(retain_recent(events, now_ms))
    }

    /// Writes `events` (oldest first) as a cookie value, keeping the newest that fit the bounds.
    pub fn write(&self, events: &[EdgeEvent], customer: &str, now_ms: i64) -> String {
        let recent = retain_recent(events.to_vec(), now_ms);
        let mut keep = &recent[recent.len().saturating_sub(MAX_EVENTS)..];
        loop {
            let payload = packing::pack(keep);
            let tag = self.mac(customer, &payload).finalize().into_bytes();
            let value = format!("2.{}.{}", b64::encode(&payload), b64::encode(tag));
            if value.len() <= MAX_COOKIE_BYTES || keep.is_empty() {
                return value;
            }
            keep = &keep[1..];
        }
    }
}

/// Whether `id` can be an event id: 1 to [`MAX_ID_BYTES`] base64url characters.
pub fn well_formed_id(id: &str) -> bool {
    (1..=MAX_ID_BYTES).contains(&id.len()) && id.bytes().all(|b| b.is_ascii_alphanumeric() || b == b'-' || b == b'_')
}

/// An edge-made event id: `e` and 11 base64url characters from 8 random bytes.
pub fn edge_event_id(random: [u8; 16]) -> String {
    format!("e{}", b64::encode(&random[..8]))
}

/// Adds `more` to `events`, leaving out any whose id is already there: the same event from the
/// page and from the cookie counts once.
pub fn merge(events: &mut Vec<EdgeEvent>, more: impl IntoIterator<Item = EdgeEvent>) {
    for e in more {
        if e.id.is_empty() || !events.iter().any(|known| known.id == e.id) {
            events.push(e);
        }
    }
}

/// Drops events older than [`MAX_AGE_MS`] or more than a minute in the future, and sorts by time.
fn retain_recent(mut events: Vec<EdgeEvent>, now_ms: i64) -> Vec<EdgeEvent> {
    let now = now_ms.div_euclid(1000);
    events.retain(|e| e.at_seconds >= now - MAX_AGE_MS / 1000 && e.at_seconds <= now + 60);
    events.sort_by_key(|e| e.at_seconds);
    events
}

#[cfg(test)]
mod tests {
    use super::*;

    const NOW: i64 = 1_795_000_000_000;
    const KEY: &[u8] = b"test key of at least thirty-two bytes!";

    fn ev(name: &str, ago_s: i64) -> EdgeEvent {
        EdgeEvent::new(name, NOW - ago_s * 1000, &[("path", "/cart")])
    }

    #[test]
    fn round_trips_and_binds_to_the_customer() {
        let jar = HistoryCookie::new(KEY);
        let events = vec![ev("Cart Viewed", 3600), ev("page_viewed", 60)];
        let value = jar.write(&events, "cust-1", NOW);
        assert_eq!(jar.read(&value, "cust-1", NOW).unwrap(), events);
        assert_eq!(events[0].name, "cart_viewed");
        assert_eq!(jar.read(&value, "cust-2", NOW), Err(HistoryState::Invalid));
        assert_eq!(HistoryCookie::new(b"another key").read(&value, "cust-1", NOW), Err(HistoryState::Invalid));
    }

    #[test]
    fn every_tampered_byte_is_rejected() {
        let jar = HistoryCookie::new(KEY);
        let value = jar.write(&[ev("cart_viewed", 10)], "c", NOW);
        for i in 0..value.len() {
            let mut bytes = value.clone().into_bytes();
            bytes[i] = if bytes[i] == b'A' { b'B' } else { b'A' };
            let forged = String::from_utf8(bytes).unwrap();
            if forged != value {
                assert_eq!(jar.read(&forged, "c", NOW), Err(HistoryState::Invalid), "byte {i}");
            }
        }
        for junk in ["", "1.", "1..", "2.abc.def", "1.!!.??", &"x".repeat(5000)] {
            assert_eq!(jar.read(junk, "c", NOW), Err(HistoryState::Invalid));
        }
    }

    #[test]
    fn bounded_by_count_age_and_size() {
        let jar = HistoryCookie::new(KEY);
        let mut events: Vec<EdgeEvent> = (0..100).map(|i| ev("page_viewed", 100 - i)).collect();
        events.push(ev("too_old", 31 * 24 * 3600));
        let kept = jar.read(&jar.write(&events, "c", NOW), "c", NOW).unwrap();
        assert_eq!(kept.len(), MAX_EVENTS);
        assert_eq!(kept.last().unwrap().at_seconds, (NOW - 1000) / 1000);
        assert!(kept.iter().all(|e| e.name == "page_viewed"));

        let long = "x".repeat(500);
        let big: Vec<EdgeEvent> = (0..32)
            .map(|i| EdgeEvent::new(&long, NOW - i * 1000, &[(&long, &long), ("b", &long), ("c", "x")]))
            .collect();
        let value = jar.write(&big, "c", NOW);
        assert!(value.len() <= MAX_COOKIE_BYTES);
        let kept = jar.read(&value, "c", NOW).unwrap();
        assert!(!kept.is_empty() && kept.len() < 32);
        assert!(kept.iter().all(|e| e.name.len() <= MAX_FIELD_BYTES && e.props.len() == MAX_PROPS));
    }

    #[test]
    fn converts_to_core_events() {
        let e = EdgeEvent::new("Cart Viewed", NOW + 999, &[("product_id", "sku-1")]).to_event();
        assert_eq!(e.name, "cart_viewed");
        assert_eq!(e.at, NOW);
        assert_eq!(e.prop("product_id"), Some(&Scalar::Str("sku-1".into())));
    }
}
