//! Reading postcard bytes (compiled bundles, saved visitors) without serde's visitors.
//!
//! `postcard::from_bytes` through the derived `Deserialize` impls instantiates a visitor per type
//! and the postcard deserializer around each: about 20 KB of the page's gzipped .wasm for the
//! bundle and the saved visitor together. These hand-written readers decode the same bytes into
//! the same values (the tests below hold them to postcard on every example bundle and scenario
//! visitor, and on corrupted copies of them), and refuse what postcard refuses: bad varints,
//! bools and option tags other than 0 or 1, unknown variants, invalid UTF-8, truncation. Writing
//! stays with serde and postcard (`postcard::to_allocvec`), which owns the format.
//!
//! The layouts follow the types' declarations: fields in order, enum variants by their index.
//! Unit-only enums are read through their derived `Deserialize` from the index, so a variant
//! added to one cannot be misnumbered here.

use serde::de::value::{Error as ValueError, U32Deserializer};
use serde::Deserialize;
use std::sync::Arc;

/// Why bytes could not be decoded: a static reason, for `E_*_CORRUPT` messages.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) struct DecodeError(pub(crate) &'static str);

pub(crate) type Result<T> = std::result::Result<T, DecodeError>;

/// The bytes still to read.
pub(crate) struct Bytes<'a> {
    rest: &'a [u8],
}

impl<'a> Bytes<'a> {
    fn byte(&mut self) -> Result<u8> {
        let (&b, rest) = self.rest.split_first().ok_or(DecodeError("unexpected end of the payload"))?;
        self.rest = rest;
        Ok(b)
    }

    fn take(&mut self, n: usize) -> Result<&'a [u8]> {
        if n > self.rest.len() {
            return Err(DecodeError("unexpected end of the payload"));
        }
        let (taken, rest) = self.rest.split_at(n);
        self.rest = rest;
        Ok(taken)
    }

    /// LEB128, at most `max_bytes` long, the last byte within `last_max` (postcard's rule).
    fn varint(&mut self, max_bytes: u32, last_max: u8) -> Result<u64> {
        let mut out = 0u64;
        for i in 0..max_bytes {
            let b = self.byte()?;
            out |= u64::from(b & 0x7f) << (7 * i);
            if b & 0x80 == 0 {
                return if i == max_bytes - 1 && b > last_max { Err(DecodeError("bad varint")) } else { Ok(out) };
            }
        }
        Err(DecodeError("bad varint"))
    }

    fn u32(&mut self) -> Result<u32> {
        self.varint(5, 0x0f).map(|v| v as u32)
    }

    fn u64(&mut self) -> Result<u64> {
        self.varint(10, 0x01)
    }

    fn i64(&mut self) -> Result<i64> {
        let v = self.u64()?;
        Ok(((v >> 1) as i64) ^ -((v & 1) as i64))
    }

    fn i32(&mut self) -> Result<i32> {
        let v = self.u32()?;
        Ok(((v >> 1) as i32) ^ -((v & 1) as i32))
    }

    /// A length, as 64-bit postcard writes it; never more than the bytes left could hold.
    fn len(&mut self) -> Result<usize> {
        let n = self.u64()?;
        usize::try_from(n).ok().filter(|&n| n <= self.rest.len()).ok_or(DecodeError("a length runs past the payload"))
    }

    /// A unit-only enum by its variant index, through its derived `Deserialize`.
    pub(crate) fn unit_enum<T: for<'de> Deserialize<'de>>(&mut self) -> Result<T> {
        let index = self.u32()?;
        T::deserialize(U32Deserializer::<ValueError>::new(index)).map_err(|_| DecodeError("unknown variant"))
    }
}

/// A value read from postcard bytes.
pub(crate) trait Decode: Sized {
    fn decode(b: &mut Bytes<'_>) -> Result<Self>;
}

/// Reads one `T` from the start of `bytes` (trailing bytes ignored, as `postcard::from_bytes`).
pub(crate) fn from_bytes<T: Decode>(bytes: &[u8]) -> Result<T> {
    T::decode(&mut Bytes { rest: bytes })
}

impl Decode for bool {
    fn decode(b: &mut Bytes<'_>) -> Result<bool> {
        match b.byte()? {
            0 => Ok(false),
            1 => Ok(true),
            _ => Err(DecodeError("bad bool")),
        }
    }
}

impl Decode for u8 {
    fn decode(b: &mut Bytes<'_>) -> Result<u8> {
        b.byte()
    }
}

impl Decode for u32 {
    fn decode(b: &mut Bytes<'_>) -> Result<u32> {
        b.u32()
    }
}

impl Decode for u64 {
    fn decode(b: &mut Bytes<'_>) -> Result<u64> {
        b.u64()
    }
}

impl Decode for i32 {
    fn decode(b: &mut Bytes<'_>) -> Result<i32> {
        b.i32()
    }
}

impl Decode for i64 {
    fn decode(b: &mut Bytes<'_>) -> Result<i64> {
        b.i64()
    }
}

impl Decode for f64 {
    fn decode(b: &mut Bytes<'_>) -> Result<f64> {
        let bytes: [u8; 8] = b.take(8)?.try_into().map_err(|_| DecodeError("unexpected end of the payload"))?;
        Ok(f64::from_le_bytes(bytes))
    }
}

impl Decode for String {
    fn decode(b: &mut Bytes<'_>) -> Result<String> {
        let n = b.len()?;
        let bytes = b.take(n)?;
        std::str::from_utf8(bytes).map(str::to_owned).map_err(|_| DecodeError("a string is not UTF-8"))
    }
}

impl<T: Decode> Decode for Option<T> {
    fn decode(b: &mut Bytes<'_>) -> Result<Option<T>> {
        match b.byte()? {
            0 => Ok(None),
            1 => T::decode(b).map(Some),
            _ => Err(DecodeError("bad option tag")),
        }
    }
}

impl<T: Decode> Decode for Vec<T> {
    fn decode(b: &mut Bytes<'_>) -> Result<Vec<T>> {
        // Every element takes at least one byte, so `len` (checked against what is left) bounds
        // the allocation by the payload's size.
        let n = b.len()?;
        let mut out = Vec::with_capacity(n);
        for _ in 0..n {
            out.push(T::decode(b)?);
        }
        Ok(out)
    }
}

impl<T: Decode> Decode for Arc<[T]> {
    fn decode(b: &mut Bytes<'_>) -> Result<Arc<[T]>> {
        Vec::<T>::decode(b).map(Arc::from)
    }
}

impl<A: Decode, B: Decode> Decode for (A, B) {
    fn decode(b: &mut Bytes<'_>) -> Result<(A, B)> {
        Ok((A::decode(b)?, B::decode(b)?))
    }
}

impl<A: Decode, B: Decode, C: Decode> Decode for (A, B, C) {
    fn decode(b: &mut Bytes<'_>) -> Result<(A, B, C)> {
        Ok((A::decode(b)?, B::decode(b)?, C::decode(b)?))
    }
}

/// `Decode` for a struct whose fields are read in declaration order.
macro_rules! decode_struct {
    ($ty:path { $($field:ident),* $(,)? }) => {
        impl $crate::decode::Decode for $ty {
            fn decode(b: &mut $crate::decode::Bytes<'_>) -> $crate::decode::Result<Self> {
                Ok(Self { $($field: $crate::decode::Decode::decode(b)?),* })
            }
        }
    };
}
pub(crate) use decode_struct;

/// `Decode` for unit-only enums, through their derived `Deserialize` (see the module docs).
macro_rules! decode_unit_enum {
    ($($ty:path),* $(,)?) => {
        $(impl $crate::decode::Decode for $ty {
            fn decode(b: &mut $crate::decode::Bytes<'_>) -> $crate::decode::Result<Self> {
                b.unit_enum()
            }
        })*
    };
}
pub(crate) use decode_unit_enum;

/// The variant index of an enum with content; what follows is the variant's fields.
pub(crate) fn variant(b: &mut Bytes<'_>) -> Result<u32> {
    b.u32()
}

/// The error for a variant index the enum does not have.
pub(crate) const UNKNOWN_VARIANT: DecodeError = DecodeError("unknown variant");

/// Held to postcard: the same bytes give the same values, or both readers refuse them.
#[cfg(test)]
mod tests {
    use super::*;
    use crate::engine::Engine;
    use crate::program::Program;
    use crate::visitor::saved_for_tests::SavedVisitor;
    use serde::Serialize;

    /// Every bundle the examples hold, as the compiler writes it.
    fn programs() -> Vec<Program> {
        let root = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("examples");
        let mut out = Vec::new();
        for dir in ["scenarios", "demo", "email"] {
            let mut files: Vec<_> = std::fs::read_dir(root.join(dir)).unwrap().map(|e| e.unwrap().path()).collect();
            files.sort();
            for path in files {
                let name = path.file_name().unwrap().to_string_lossy().into_owned();
                if name.ends_with(".json") && !name.contains("context") {
                    let text = std::fs::read_to_string(&path).unwrap();
                    out.push(crate::json::compile_json(&text).unwrap_or_else(|e| panic!("{name}: {e:?}")));
                }
            }
        }
        assert!(out.len() > 20, "only {} bundles found", out.len());
        out
    }

    /// Both readers on `bytes`: equal values (compared as re-encoded bytes, so NaNs compare
    /// too), or both refusing.
    fn agree<T>(bytes: &[u8]) -> bool
    where
        T: Decode + Serialize + for<'de> Deserialize<'de>,
    {
        let by_hand = from_bytes::<T>(bytes).map(|v| postcard::to_allocvec(&v).unwrap());
        let by_serde = postcard::from_bytes::<T>(bytes).map(|v| postcard::to_allocvec(&v).unwrap());
        match (by_hand, by_serde) {
            (Ok(a), Ok(b)) => a == b,
            (Err(_), Err(_)) => true,
            _ => false,
        }
    }

    /// Truncations at every length and single-byte changes at every offset.
    fn corrupted(bytes: &[u8]) -> impl Iterator<Item = Vec<u8>> + '_ {
        let cuts = (0..bytes.len()).map(|n| bytes[..n].to_vec());
        let changes = (0..bytes.len()).flat_map(move |i| {
            [0x00u8, 0x01, 0x02, 0x7f, 0x80, 0xff].into_iter().map(move |v| {
                let mut b = bytes.to_vec();
                b[i] = v;
                b
            })
        });
        cuts.chain(changes)
    }

    #[test]
    fn bundles_decode_as_postcard_decodes_them() {
        for program in programs() {
            let bytes = postcard::to_allocvec(&program).unwrap();
            assert_eq!(from_bytes::<Program>(&bytes).unwrap(), program, "{}", program.name);
            for bad in corrupted(&bytes) {
                assert!(agree::<Program>(&bad), "{}: the readers disagree on {bad:?}", program.name);
            }
        }
    }

    #[test]
    fn saved_visitors_decode_as_postcard_decodes_them() {
        let root = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("examples/scenarios");
        let mut checked = 0;
        for entry in std::fs::read_dir(&root).unwrap() {
            let path = entry.unwrap().path();
            let name = path.file_name().unwrap().to_string_lossy().into_owned();
            let Some(stem) = name.strip_suffix(".context.json") else { continue };
            let rules = std::fs::read_to_string(root.join(format!("{stem}.json"))).unwrap();
            let engine = std::sync::Arc::new(Engine::new(crate::json::compile_json(&rules).unwrap()));
            let ctx = crate::json::parse_context(&std::fs::read_to_string(&path).unwrap()).unwrap();
            let visitor = crate::Visitor::from_context(engine, &ctx);
            let saved = visitor.save();
            let payload = &saved[crate::visitor::saved_for_tests::HEADER_LEN..];
            assert!(from_bytes::<SavedVisitor>(payload).is_ok(), "{name}");
            for bad in corrupted(payload) {
                assert!(agree::<SavedVisitor>(&bad), "{name}: the readers disagree on {bad:?}");
            }
            checked += 1;
        }
        assert!(checked > 10, "only {checked} saved visitors checked");
    }

    #[test]
    fn varints_are_bounded_as_postcard_bounds_them() {
        for bytes in [
            &[0xff, 0xff, 0xff, 0xff, 0x0f][..],
            &[0xff, 0xff, 0xff, 0xff, 0x10],
            &[0x80, 0x80, 0x80, 0x80, 0x80, 0x01],
            &[0x80, 0x00],
        ] {
            assert!(agree::<u32>(bytes), "{bytes:?}");
            assert!(agree::<i64>(bytes), "{bytes:?}");
            assert!(agree::<u64>(bytes), "{bytes:?}");
        }
        let max = [0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0x01];
        assert_eq!(from_bytes::<u64>(&max), Ok(u64::MAX));
        assert!(from_bytes::<u64>(&[0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0x02]).is_err());
        assert_eq!(from_bytes::<i64>(&[0x03]), Ok(-2));
    }
}
