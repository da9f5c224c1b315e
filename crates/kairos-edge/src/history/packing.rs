//! The history cookie's payload: events in postcard's layout, written and read by hand. Through
//! serde, postcard instantiated its serializer and deserializer for these types alone in the
//! Worker (about 2 KB of its gzipped .wasm, which is at its budget). The tests hold these to
//! postcard itself, byte for byte, so cookies written before still read.
//!
//! Layout (postcard 1): a varint count, then per event its name (varint length, UTF-8), its time
//! in seconds (zigzag varint), its properties (a varint count of key and value strings), its id.

use super::EdgeEvent;

fn varint(out: &mut Vec<u8>, mut n: u64) {
    while n >= 0x80 {
        out.push(n as u8 | 0x80);
        n >>= 7;
    }
    out.push(n as u8);
}

fn string(out: &mut Vec<u8>, s: &str) {
    varint(out, s.len() as u64);
    out.extend_from_slice(s.as_bytes());
}

/// The events as postcard writes a `[EdgeEvent]`.
pub fn pack(events: &[EdgeEvent]) -> Vec<u8> {
    let mut out = Vec::new();
    varint(&mut out, events.len() as u64);
    for e in events {
        string(&mut out, &e.name);
        varint(&mut out, ((e.at_seconds << 1) ^ (e.at_seconds >> 63)) as u64);
        varint(&mut out, e.props.len() as u64);
        for (k, v) in &e.props {
            string(&mut out, k);
            string(&mut out, v);
        }
        string(&mut out, &e.id);
    }
    out
}

/// Bytes that are not a packed event list.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Unpackable;

struct Reader<'a>(&'a [u8]);

impl Reader<'_> {
    /// A varint of at most 10 bytes whose value fits 64 bits, as postcard reads a u64.
    fn varint(&mut self) -> Result<u64, Unpackable> {
        let mut n = 0u64;
        for i in 0..10 {
            let (&b, rest) = self.0.split_first().ok_or(Unpackable)?;
            self.0 = rest;
            if i == 9 && b > 1 {
                return Err(Unpackable);
            }
            n |= u64::from(b & 0x7f) << (7 * i);
            if b < 0x80 {
                return Ok(n);
            }
        }
        Err(Unpackable)
    }

    fn len(&mut self) -> Result<usize, Unpackable> {
        let n = usize::try_from(self.varint()?).map_err(|_| Unpackable)?;
        // Every item takes at least a byte: a count past what is left is a lie.
        if n > self.0.len() {
            return Err(Unpackable);
        }
        Ok(n)
    }

    fn string(&mut self) -> Result<String, Unpackable> {
        let n = self.len()?;
        let (bytes, rest) = self.0.split_at(n);
        self.0 = rest;
        String::from_utf8(bytes.to_vec()).map_err(|_| Unpackable)
    }
}

/// The events `pack` wrote (trailing bytes are allowed, as `postcard::from_bytes` allows them).
pub fn unpack(bytes: &[u8]) -> Result<Vec<EdgeEvent>, Unpackable> {
    let mut r = Reader(bytes);
    let count = r.len()?;
    let mut events = Vec::with_capacity(count);
    for _ in 0..count {
        let name = r.string()?;
        let z = r.varint()?;
        let at_seconds = (z >> 1) as i64 ^ -((z & 1) as i64);
        let props_count = r.len()?;
        let mut props = Vec::with_capacity(props_count);
        for _ in 0..props_count {
            props.push((r.string()?, r.string()?));
        }
        let id = r.string()?;
        events.push(EdgeEvent { name, at_seconds, props, id });
    }
    Ok(events)
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    fn event() -> impl Strategy<Value = EdgeEvent> {
        (".{0,20}", any::<i64>(), proptest::collection::vec((".{0,8}", ".{0,8}"), 0..3), "[a-z0-9]{0,12}")
            .prop_map(|(name, at_seconds, props, id)| EdgeEvent { name, at_seconds, props, id })
    }

    proptest! {
        #[test]
        fn the_same_bytes_as_postcard(events in proptest::collection::vec(event(), 0..6)) {
            let bytes = postcard::to_allocvec(&events).unwrap();
            prop_assert_eq!(&pack(&events), &bytes);
            prop_assert_eq!(unpack(&bytes).unwrap(), events);
        }

        #[test]
        fn refuses_what_postcard_refuses(bytes in proptest::collection::vec(any::<u8>(), 0..40)) {
            let ours = unpack(&bytes).ok();
            let theirs = postcard::from_bytes::<Vec<EdgeEvent>>(&bytes).ok();
            prop_assert_eq!(ours, theirs);
        }
    }
}
