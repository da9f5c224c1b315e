//! A visitor's bytes: `KVIS`, format version (u16 LE), the history layout's fingerprint (u64 LE),
//! payload length (u32 LE), FNV-1a 32 checksum of the payload (u32 LE), then the postcard payload:
//! the person and the packed history (src/history/saved.rs). Bytes of another format version, or
//! packed for a bundle that reads the history differently, are refused with a coded error. A
//! deploy that changes only what is shown (content, priorities, conditions on session signals)
//! keeps the layout, so saved visitors outlive it.

use super::{Person, Resident, Visitor};
use crate::context::{CachedScore, Finite, Text, Timestamp, MAX_MS, MIN_MS};
use crate::error::ErrorCode;
use crate::history::{Packed, SavedHistory, SavedScalar};
use crate::limits::MAX_CONTEXT_STRING_BYTES;
use crate::program::fnv1a32;
use crate::Engine;
use serde::{Deserialize, Serialize};
use std::fmt;
use std::sync::Arc;

/// Bytes every saved visitor starts with.
pub const MAGIC: &[u8; 4] = b"KVIS";
/// Format version of saved visitors; bump on any layout change. 2: the person's `anonymous_id`.
/// Bytes of another version are refused (`E_VISITOR_VERSION`) and the page rebuilds the visitor
/// from its event log.
pub const FORMAT_VERSION: u16 = 2;
pub(crate) const HEADER_LEN: usize = 4 + 2 + 8 + 4 + 4;
/// Largest saved visitor accepted.
pub const MAX_SAVED_BYTES: usize = 4 << 20;

/// Why saved bytes were refused.
#[derive(Debug, Clone, PartialEq)]
pub enum SaveError {
    /// Another format version (or not a saved visitor at all).
    Version {
        /// The version found, when the bytes had the magic.
        found: Option<u16>,
    },
    /// Packed for a bundle that reads the history differently: the layout does not fit this one.
    Bundle,
    /// Truncated, altered, over the size limit or inconsistent; says what.
    Corrupt(String),
}

impl SaveError {
    /// The stable code: `E_VISITOR_VERSION`, `E_VISITOR_BUNDLE` or `E_VISITOR_CORRUPT`.
    pub fn code(&self) -> ErrorCode {
        match self {
            SaveError::Version { .. } => ErrorCode::VisitorVersion,
            SaveError::Bundle => ErrorCode::VisitorBundle,
            SaveError::Corrupt(_) => ErrorCode::VisitorCorrupt,
        }
    }
}

impl fmt::Display for SaveError {
    fn fmt(&self, f: &mut fmt::Formatter) -> fmt::Result {
        match self {
            SaveError::Version { found: Some(v) } => {
                write!(f, "saved visitor is format version {v}; this build reads version {FORMAT_VERSION}")
            }
            SaveError::Version { found: None } => write!(f, "not a saved visitor (no KVIS header)"),
            SaveError::Bundle => write!(f, "saved visitor was packed for a bundle that reads the history differently"),
            SaveError::Corrupt(what) => write!(f, "saved visitor is corrupt: {what}"),
        }
    }
}

impl std::error::Error for SaveError {}

#[derive(Serialize, Deserialize)]
struct SavedPerson {
    customer_id: Option<String>,
    anonymous_id: Option<String>,
    consent: Vec<(String, bool)>,
    profile: Vec<(String, Option<SavedScalar>)>,
    scores: Vec<(String, f64, i64)>,
    timezone: Option<String>,
    utc_offset: Option<String>,
}

#[derive(Serialize, Deserialize)]
pub(crate) struct SavedVisitor {
    person: SavedPerson,
    history: SavedHistory,
}

// Read by hand ([`crate::decode`]), in declaration order.
crate::decode::decode_struct!(SavedPerson {
    customer_id,
    anonymous_id,
    consent,
    profile,
    scores,
    timezone,
    utc_offset
});
crate::decode::decode_struct!(SavedVisitor { person, history });

impl Engine {
    /// Identifies the history layout a saved visitor was packed for (event groups, filters,
    /// columns, running sums and `max_history`): bytes saved under one bundle restore under any
    /// bundle that reads the history alike.
    pub fn fingerprint(&self) -> u64 {
        *self.fingerprint.get_or_init(|| self.plan.layout_fingerprint(self.program.max_history))
    }
}

fn text(s: Option<String>, field: &str) -> Result<Option<Text>, SaveError> {
    match s {
        Some(s) if s.len() > MAX_CONTEXT_STRING_BYTES => Err(SaveError::Corrupt(format!("{field} is too long"))),
        s => Ok(s.map(Text)),
    }
}

impl Visitor {
    /// The visitor as compact bytes: the person and the packed history (see the module docs).
    pub fn save(&self) -> Vec<u8> {
        let p = self.person();
        let person = SavedPerson {
            customer_id: p.customer_id.map(|t| t.0),
            anonymous_id: p.anonymous_id.map(|t| t.0),
            consent: p.consent.into_iter().collect(),
            profile: p.profile.iter().map(|(k, v)| (k.clone(), SavedScalar::of(v))).collect(),
            scores: p.scores.iter().map(|(k, s)| (k.clone(), s.value.0, s.computed_at.0)).collect(),
            timezone: p.timezone.map(|t| t.0),
            utc_offset: p.utc_offset.map(|t| t.0),
        };
        let saved = SavedVisitor { person, history: self.resident.history().to_saved(&self.engine.plan) };
        let payload = postcard::to_allocvec(&saved).unwrap_or_default();
        let mut out = Vec::with_capacity(HEADER_LEN + payload.len());
        out.extend_from_slice(MAGIC);
        out.extend_from_slice(&FORMAT_VERSION.to_le_bytes());
        out.extend_from_slice(&self.engine.fingerprint().to_le_bytes());
        out.extend_from_slice(&(payload.len() as u32).to_le_bytes());
        out.extend_from_slice(&fnv1a32(&payload).to_le_bytes());
        out.extend_from_slice(&payload);
        out
    }

    /// A visitor from [`Visitor::save`]'s bytes, for `engine`'s bundle. Never panics: every
    /// length and value is checked, and refused bytes say why with a coded [`SaveError`].
    pub fn restore(engine: Arc<Engine>, bytes: &[u8]) -> Result<Visitor, SaveError> {
        let corrupt = |what: &str| SaveError::Corrupt(what.to_owned());
        if bytes.len() > MAX_SAVED_BYTES {
            return Err(SaveError::Corrupt(format!("{} bytes, over the {MAX_SAVED_BYTES}-byte limit", bytes.len())));
        }
        let Some(rest) = bytes.strip_prefix(MAGIC.as_slice()) else { return Err(SaveError::Version { found: None }) };
        let field = |at: usize, len: usize| rest.get(at..at + len).ok_or_else(|| corrupt("truncated header"));
        let version = u16::from_le_bytes(field(0, 2)?.try_into().map_err(|_| corrupt("truncated header"))?);
        if version != FORMAT_VERSION {
            return Err(SaveError::Version { found: Some(version) });
        }
        let fingerprint = u64::from_le_bytes(field(2, 8)?.try_into().map_err(|_| corrupt("truncated header"))?);
        let len = u32::from_le_bytes(field(10, 4)?.try_into().map_err(|_| corrupt("truncated header"))?) as usize;
        let sum = u32::from_le_bytes(field(14, 4)?.try_into().map_err(|_| corrupt("truncated header"))?);
        if fingerprint != engine.fingerprint() {
            return Err(SaveError::Bundle);
        }
        let payload = rest.get(HEADER_LEN - 4..).unwrap_or_default();
        if payload.len() != len {
            return Err(SaveError::Corrupt(format!("payload is {} bytes, header says {len}", payload.len())));
        }
        if fnv1a32(payload) != sum {
            return Err(corrupt("checksum mismatch"));
        }
        let saved: SavedVisitor = crate::decode::from_bytes(payload)
            .map_err(|e| SaveError::Corrupt(format!("undecodable payload: {}", e.0)))?;
        let p = saved.person;
        let mut profile = std::collections::BTreeMap::new();
        for (k, v) in p.profile {
            let v =
                v.map(SavedScalar::into_scalar).transpose().map_err(|e| SaveError::Corrupt(format!("profile: {e}")))?;
            profile.insert(k, v.unwrap_or(crate::context::Scalar::Null));
        }
        let mut scores = std::collections::BTreeMap::new();
        for (k, value, at) in p.scores {
            if !value.is_finite() || !(MIN_MS..=MAX_MS).contains(&at) {
                return Err(corrupt("a score is out of range"));
            }
            scores.insert(k, CachedScore { value: Finite(value), computed_at: Timestamp(at) });
        }
        let person = Person {
            customer_id: text(p.customer_id, "customer_id")?,
            anonymous_id: text(p.anonymous_id, "anonymous_id")?,
            consent: p.consent.into_iter().collect(),
            profile,
            scores,
            timezone: text(p.timezone, "timezone")?,
            utc_offset: text(p.utc_offset, "utc_offset")?,
        };
        let hist =
            Packed::from_saved(&engine.plan, saved.history).map_err(|e| SaveError::Corrupt(format!("history: {e}")))?;
        Ok(Visitor { engine, resident: Resident::from_parts(person, hist), desk: Default::default() })
    }
}
