//! Visitor and customer ids as map keys, and the map they key (shared by replays and lifts).

use kairos::NameHasher;
use std::collections::HashMap;
use std::hash::BuildHasherDefault;

/// A map with the core's cheap hasher: keys are ids from logs, not attacker-chosen per request.
pub(crate) type FastMap<K, V> = HashMap<K, V, BuildHasherDefault<NameHasher>>;

/// A customer id as a map key: short ids (nearly all) live inside the key, so a lookup compares
/// bytes in place instead of following a pointer to another cache line.
#[derive(Clone, PartialEq, Eq)]
pub(crate) enum IdKey {
    Inline(u8, [u8; 22]),
    Heap(Box<str>),
}

impl std::hash::Hash for IdKey {
    fn hash<H: std::hash::Hasher>(&self, state: &mut H) {
        // The id's bytes only (one `write`: the cheap hasher reads short ids in two words).
        state.write(self.bytes());
    }
}

impl IdKey {
    fn bytes(&self) -> &[u8] {
        match self {
            IdKey::Inline(n, bytes) => bytes.get(..*n as usize).unwrap_or_default(),
            IdKey::Heap(s) => s.as_bytes(),
        }
    }

    pub(crate) fn new(id: &str) -> IdKey {
        match u8::try_from(id.len()) {
            Ok(n) if id.len() <= 22 => {
                let mut bytes = [0u8; 22];
                bytes[..id.len()].copy_from_slice(id.as_bytes());
                IdKey::Inline(n, bytes)
            }
            _ => IdKey::Heap(id.into()),
        }
    }
}
