//! The event history, packed for the bundle that reads it: per event name, times in order, and
//! only the property columns, filter matches and running sums the bundle's rules need
//! ([`Plan`], found once per engine). Every decision reads it the same way, whether the history
//! came with a context (packed per call) or lives in a resident [`crate::Visitor`] (packed once,
//! appended to by `track`): one evaluator, one index.
//!
//! `plan` says what to keep; `packed` keeps it and answers windows by binary search; `saved`
//! is its compact, versioned byte form.

mod packed;
mod plan;
mod saved;

pub use packed::{Packed, View};
pub use plan::{Plan, QueryRef};
pub use saved::SavedHistory;
pub(crate) use saved::SavedScalar;

use std::collections::HashMap;
use std::hash::{BuildHasherDefault, Hasher};

/// Reserved events written by the surfaces: a variant was shown, or converted.
pub const EXPOSURE: &str = "$exposure";
/// Reserved event: a variant led to a conversion (suppresses it when asked).
pub const CONVERSION: &str = "$conversion";

/// Event name → id. Looked up once per event per decision, so it uses a cheap hasher:
/// its keys come from the bundle (not the visitor), so there is no flooding risk to
/// guard against, and SipHash was a visible share of a decision.
pub type EventIds = HashMap<String, u32, BuildHasherDefault<NameHasher>>;

/// A multiply-mix hasher for short names (std only, wasm-friendly), after rustc-hash 2:
/// names up to 16 bytes are read as two overlapping words, with no loop or copy.
#[derive(Default, Clone, Copy)]
pub struct NameHasher(u64);

const K: u64 = 0xf135_7aea_2e62_a9c5;

fn word(b: &[u8]) -> u64 {
    let mut w = [0u8; 8];
    if let Some(dst) = w.get_mut(..b.len()) {
        dst.copy_from_slice(b);
    }
    u64::from_le_bytes(w)
}

fn mix(a: u64, b: u64) -> u64 {
    let full = u128::from(a) * u128::from(b);
    (full as u64) ^ ((full >> 64) as u64)
}

impl Hasher for NameHasher {
    fn write(&mut self, bytes: &[u8]) {
        let len = bytes.len();
        let (mut s0, mut s1) = (0x243f_6a88_85a3_08d3_u64, 0x1319_8a2e_0370_7344_u64);
        if len <= 16 {
            if len >= 8 {
                s0 ^= word(bytes.get(..8).unwrap_or_default());
                s1 ^= word(bytes.get(len - 8..).unwrap_or_default());
            } else if len >= 4 {
                s0 ^= word(bytes.get(..4).unwrap_or_default());
                s1 ^= word(bytes.get(len - 4..).unwrap_or_default());
            } else if let (Some(&lo), Some(&mid), Some(&hi)) = (bytes.first(), bytes.get(len / 2), bytes.last()) {
                s0 ^= u64::from(lo);
                s1 ^= (u64::from(hi) << 8) | u64::from(mid);
            }
        } else {
            for c in bytes.chunks(16) {
                let (a, b) = c.split_at(c.len().min(8));
                s0 = mix(s0 ^ word(a), K ^ s1 ^ word(b));
                s1 = s0.rotate_left(23);
            }
        }
        self.0 = mix(self.0 ^ s0 ^ len as u64, K ^ s1);
    }
    fn write_u8(&mut self, b: u8) {
        self.write_u64(u64::from(b));
    }
    fn write_u32(&mut self, n: u32) {
        self.write_u64(u64::from(n));
    }
    fn write_u64(&mut self, n: u64) {
        self.0 = mix(self.0 ^ n, K);
    }
    fn write_usize(&mut self, n: usize) {
        self.write_u64(n as u64);
    }
    fn finish(&self) -> u64 {
        self.0
    }
}
