//! The event history, indexed once per decision by event name so every
//! aggregate reads only its own events and finds its window by binary search.

use crate::context::Event;
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

/// Events grouped by name id, oldest first.
pub struct History<'c> {
    /// All kept events, grouped by name id; each group sorted by time.
    events: Vec<&'c Event>,
    /// Group `id` is `events[starts[id]..starts[id + 1]]`.
    starts: Vec<usize>,
}

impl<'c> History<'c> {
    /// Keeps the newest `max` events not after `now` (ties: later in the input is newer),
    /// grouped by the ids `lookup` assigns (ids `>= names` are ignored).
    pub fn index(events: &'c [Event], now: i64, max: usize, lookup: &EventIds, names: usize) -> History<'c> {
        const SKIP: u32 = u32::MAX;
        // Name id of every event (`SKIP`: in the future, or a name no rule reads), and each group's size.
        let mut counts = vec![0usize; names];
        let mut past = 0usize;
        let mut ids: Vec<u32> = events
            .iter()
            .map(|e| {
                if e.at > now {
                    return SKIP;
                }
                past += 1;
                let Some(&id) = lookup.get(e.name.as_str()) else { return SKIP };
                match counts.get_mut(id as usize) {
                    Some(n) => {
                        *n += 1;
                        id
                    }
                    None => SKIP,
                }
            })
            .collect();
        let dropped = past.saturating_sub(max);
        if dropped > 0 {
            // Over the bound: keep the events at or after the `dropped`-th oldest (time, position)
            // key. Keys are unique, so exactly the newest `max` stay, found without a full sort.
            let mut keys: Vec<(i64, usize)> =
                events.iter().enumerate().filter(|(_, e)| e.at <= now).map(|(i, e)| (e.at, i)).collect();
            let cut = if dropped < keys.len() {
                keys.select_nth_unstable(dropped);
                keys.get(dropped).copied()
            } else {
                None // max = 0: nothing is kept
            };
            for (i, (e, id)) in events.iter().zip(&mut ids).enumerate() {
                if cut.is_none_or(|c| (e.at, i) < c) {
                    if let Some(n) = counts.get_mut(*id as usize) {
                        *n = n.saturating_sub(1);
                    }
                    *id = SKIP;
                }
            }
        }
        // Counting sort into one buffer of (time, position) keys, grouped by name.
        let mut starts = Vec::with_capacity(names + 1);
        let mut total = 0;
        starts.push(0);
        for n in &counts {
            total += n;
            starts.push(total);
        }
        let mut fill = starts.clone();
        let mut keys = vec![(0i64, 0usize); total];
        for (i, (e, &id)) in events.iter().zip(&ids).enumerate() {
            if let Some(at) = fill.get_mut(id as usize) {
                if let Some(place) = keys.get_mut(*at) {
                    *place = (e.at, i);
                }
                *at += 1;
            }
        }
        // Positions are unique, so sorting keys orders by time exactly as a stable sort by time would.
        for w in starts.windows(2) {
            let &[a, b] = w else { continue };
            if let Some(group) = keys.get_mut(a..b) {
                // Histories usually arrive in time order: skip the sort then.
                if !group.is_sorted() {
                    group.sort();
                }
            }
        }
        let events = keys.iter().filter_map(|&(_, i)| events.get(i)).collect();
        History { events, starts }
    }

    /// Events of one name with `from <= at <= now`, oldest first.
    pub fn window(&self, id: u32, from: Option<i64>) -> &[&'c Event] {
        let list = match self.starts.get(id as usize..) {
            Some(&[a, b, ..]) => self.events.get(a..b).unwrap_or(&[]),
            _ => &[],
        };
        match from {
            Some(from) => &list[list.partition_point(|e| e.at < from)..],
            None => list,
        }
    }
}
