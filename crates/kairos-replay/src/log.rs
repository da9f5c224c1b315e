//! A customer's kept events, packed in one byte buffer (oldest first) instead of one `Event`
//! with its own strings each: a replay holds tens of thousands of customers, and an `Event` with
//! a name and a property costs about ten times its packed size in allocations. Decisions get
//! real [`Event`]s back through [`Log::materialize`], which reuses the strings of the previous
//! customer's events.
//!
//! Layout of one event: `at` (i64 LE), name id (u16 LE), length of the property bytes (u16 LE),
//! property count (u8), then per property: key index (u8, into the properties the bundle reads
//! of that event), tag (u8), and the value: a string as u16 LE length and bytes, a number as f64
//! LE, a boolean in the tag.

use kairos::context::{Event, Scalar};

const HEADER: usize = 8 + 2 + 2 + 1;
const STR: u8 = 0;
const NUM: u8 = 1;
const TRUE: u8 = 2;
const FALSE: u8 = 3;

/// A property value to keep (strings longer than 65,535 bytes are cut: contexts refuse more than
/// 4,096 anyway, and the replay checks that first).
pub(super) enum Value<'a> {
    Str(&'a str),
    Num(f64),
    Bool(bool),
}

#[derive(Debug, Default)]
pub(super) struct Log {
    bytes: Vec<u8>,
    count: usize,
    /// Whether events are in time order (a late line can break it).
    sorted: bool,
    /// Time of the event pushed last.
    last_at: i64,
}

/// One packed event, found in place.
struct Packed<'a> {
    at: i64,
    name: u16,
    count: u8,
    props: &'a [u8],
    /// Bytes of the whole event.
    size: usize,
}

fn read_u16(b: &[u8], at: usize) -> usize {
    match b.get(at..at + 2) {
        Some(&[x, y]) => usize::from(u16::from_le_bytes([x, y])),
        _ => 0,
    }
}

fn read_8(b: &[u8], at: usize) -> [u8; 8] {
    let mut w = [0u8; 8];
    if let Some(src) = b.get(at..at + 8) {
        w.copy_from_slice(src);
    }
    w
}

fn unpack(b: &[u8], at: usize) -> Option<Packed<'_>> {
    let head = b.get(at..at + HEADER)?;
    let len = read_u16(head, 10);
    let props = b.get(at + HEADER..at + HEADER + len)?;
    Some(Packed {
        at: i64::from_le_bytes(read_8(head, 0)),
        name: read_u16(head, 8) as u16,
        count: head[12],
        props,
        size: HEADER + len,
    })
}

impl Log {
    pub fn new() -> Log {
        Log { bytes: Vec::new(), count: 0, sorted: true, last_at: i64::MIN }
    }

    pub fn len(&self) -> usize {
        self.count
    }

    fn packed(&self) -> impl Iterator<Item = Packed<'_>> {
        let mut at = 0;
        std::iter::from_fn(move || {
            let p = unpack(&self.bytes, at)?;
            at += p.size;
            Some(p)
        })
    }

    /// Appends an event; `props` are (key index, value), at most 255 of them.
    pub fn push<'v>(&mut self, at: i64, name: u16, props: impl Iterator<Item = (u8, Value<'v>)>) {
        if self.sorted && self.packed_last_at().is_some_and(|last| last > at) {
            self.sorted = false;
        }
        let b = &mut self.bytes;
        let start = b.len();
        b.extend_from_slice(&at.to_le_bytes());
        b.extend_from_slice(&name.to_le_bytes());
        b.extend_from_slice(&[0, 0, 0]);
        let mut count = 0u8;
        for (key, v) in props {
            let before = b.len();
            match v {
                Value::Str(s) => {
                    let s = kairos::context::clip(s, usize::from(u16::MAX));
                    b.extend_from_slice(&[key, STR]);
                    b.extend_from_slice(&(s.len() as u16).to_le_bytes());
                    b.extend_from_slice(s.as_bytes());
                }
                Value::Num(n) => {
                    b.extend_from_slice(&[key, NUM]);
                    b.extend_from_slice(&n.to_le_bytes());
                }
                Value::Bool(t) => b.extend_from_slice(&[key, if t { TRUE } else { FALSE }]),
            }
            // The property bytes' length must fit in 16 bits, and the count in 8.
            if count == u8::MAX || b.len() - start - HEADER > usize::from(u16::MAX) {
                b.truncate(before);
                break;
            }
            count += 1;
        }
        let len = (b.len() - start - HEADER) as u16;
        if let Some(head) = b.get_mut(start + 10..start + HEADER) {
            head.copy_from_slice(&[len.to_le_bytes()[0], len.to_le_bytes()[1], count]);
        }
        self.count += 1;
        self.last_at = at;
    }

    fn packed_last_at(&self) -> Option<i64> {
        (self.count > 0).then_some(self.last_at)
    }

    /// Puts events back in time order (stable: equal times keep their arrival order).
    fn sort(&mut self) {
        let mut spans: Vec<(i64, usize, usize)> = Vec::with_capacity(self.count);
        let mut at = 0;
        while let Some(p) = unpack(&self.bytes, at) {
            spans.push((p.at, at, p.size));
            at += p.size;
        }
        spans.sort_by_key(|s| s.0);
        let mut sorted = Vec::with_capacity(self.bytes.len());
        for (_, from, size) in spans {
            sorted.extend_from_slice(self.bytes.get(from..from + size).unwrap_or_default());
        }
        self.bytes = sorted;
        self.sorted = true;
        self.last_at = self.packed().last().map_or(i64::MIN, |p| p.at);
    }

    /// When the first event goes, time alone: `kept_for(name)` is how long after it happened an
    /// event of that name stays (see [`Log::keep`]); `i64::MAX` for none.
    pub fn first_dropped(&self, kept_for: impl Fn(u16) -> i64) -> i64 {
        self.packed().map(|p| p.at.saturating_add(kept_for(p.name)).saturating_add(1)).min().unwrap_or(i64::MAX)
    }

    /// Drops events older than their name's cutoff, then the oldest beyond the newest `max`.
    pub fn keep(&mut self, cutoff: impl Fn(u16) -> i64, max: usize) {
        if !self.sorted {
            self.sort();
        }
        let kept = self.packed().filter(|p| p.at >= cutoff(p.name)).count();
        let mut extra = kept.saturating_sub(max);
        if kept == self.count && extra == 0 {
            return;
        }
        // Compact in place, oldest first.
        let (mut read, mut write, mut count) = (0, 0, 0);
        while let Some((at, name, size)) = unpack(&self.bytes, read).map(|p| (p.at, p.name, p.size)) {
            let mut keep = at >= cutoff(name);
            if keep && extra > 0 {
                extra -= 1;
                keep = false;
            }
            if keep {
                self.bytes.copy_within(read..read + size, write);
                write += size;
                count += 1;
            }
            read += size;
        }
        self.bytes.truncate(write);
        self.count = count;
        if count == 0 {
            // Do not keep a big buffer for a customer that went quiet.
            self.bytes = Vec::new();
        }
    }

    /// The events as decisions read them, into `out` (whose strings are reused; events left
    /// over go to `spare`, and are taken from there when `out` needs more). `name_of` gives an
    /// event's name and the keys of the properties kept for it.
    pub fn materialize<'n>(
        &self,
        out: &mut Vec<Event>,
        spare: &mut Vec<Event>,
        name_of: impl Fn(u16) -> (&'n str, &'n [String]),
    ) {
        let mut n = 0;
        for p in self.packed() {
            if n == out.len() {
                out.push(spare.pop().unwrap_or_else(|| Event { name: String::new(), at: 0, props: Vec::new() }));
            }
            let Some(e) = out.get_mut(n) else { break };
            let (name, keys) = name_of(p.name);
            e.name.clear();
            e.name.push_str(name);
            e.at = p.at;
            let mut k = 0;
            let mut i = 0;
            for _ in 0..p.count {
                let (Some(&key), Some(&tag)) = (p.props.get(i), p.props.get(i + 1)) else { break };
                i += 2;
                let value = match tag {
                    STR => {
                        let len = read_u16(p.props, i);
                        let s = p.props.get(i + 2..i + 2 + len).and_then(|b| std::str::from_utf8(b).ok());
                        i += 2 + len;
                        Value::Str(s.unwrap_or_default())
                    }
                    NUM => {
                        let v = f64::from_le_bytes(read_8(p.props, i));
                        i += 8;
                        Value::Num(v)
                    }
                    t => Value::Bool(t == TRUE),
                };
                let Some(key) = keys.get(usize::from(key)) else { continue };
                if k == e.props.len() {
                    e.props.push((String::new(), Scalar::Null));
                }
                let Some((slot_key, slot_value)) = e.props.get_mut(k) else { break };
                slot_key.clear();
                slot_key.push_str(key);
                match (slot_value, value) {
                    (Scalar::Str(old), Value::Str(s)) => {
                        old.clear();
                        old.push_str(s);
                    }
                    (slot, Value::Str(s)) => *slot = Scalar::Str(s.to_owned()),
                    (slot, Value::Num(v)) => *slot = Scalar::Num(v),
                    (slot, Value::Bool(b)) => *slot = Scalar::Bool(b),
                }
                k += 1;
            }
            e.props.truncate(k);
            n += 1;
        }
        spare.extend(out.drain(n..));
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn packs_sorts_trims_and_unpacks() {
        let keys = vec!["product_id".to_string(), "price".into(), "ok".into()];
        let names = |id: u16| (if id == 1 { "cart_viewed" } else { "order_completed" }, keys.as_slice());
        let mut log = Log::new();
        log.push(30, 1, [(0, Value::Str("sku-3")), (1, Value::Num(9.5))].into_iter());
        log.push(10, 2, std::iter::empty());
        log.push(20, 1, [(2, Value::Bool(true)), (0, Value::Str("é"))].into_iter());
        assert_eq!(log.len(), 3);
        let (mut out, mut spare) = (Vec::new(), Vec::new());
        log.keep(|_| 0, 10); // sorts
        log.materialize(&mut out, &mut spare, names);
        let at: Vec<i64> = out.iter().map(|e| e.at).collect();
        assert_eq!(at, [10, 20, 30]);
        assert_eq!(out[0].name, "order_completed");
        assert!(out[0].props.is_empty());
        assert_eq!(out[1].props, [("ok".into(), Scalar::Bool(true)), ("product_id".into(), Scalar::Str("é".into()))]);
        assert_eq!(
            out[2].props,
            [("product_id".into(), Scalar::Str("sku-3".into())), ("price".into(), Scalar::Num(9.5))]
        );
        // Older than the cutoff of its name, then beyond the newest 1.
        log.keep(|name| if name == 2 { 15 } else { 0 }, 10);
        assert_eq!(log.len(), 2);
        log.keep(|_| 0, 1);
        assert_eq!(log.len(), 1);
        log.materialize(&mut out, &mut spare, names);
        assert_eq!((out.len(), spare.len(), out[0].at), (1, 2, 30));
        log.keep(|_| 31, 1);
        assert_eq!((log.len(), log.bytes.capacity()), (0, 0));
    }
}
