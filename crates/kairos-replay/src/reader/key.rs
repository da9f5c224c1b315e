//! A line's key: whose it is and when, read without the rest of the line. Sharded replays
//! (`Replay::sharded`) route every line by it, and every shard moves its clock by it, so a line
//! belongs to exactly one shard and all shards count the same step boundaries.

use super::value::plain_prefix;
use super::Scanner;
use kairos::context::MAX_STRING_BYTES;
use std::borrow::Cow;
use std::ops::Range;

/// The compact layout's first three fields, found in place ([`Scanner::compact_head`]).
#[derive(Clone)]
pub(super) struct CompactHead {
    pub(super) id: Range<usize>,
    pub(super) name: Range<usize>,
    pub(super) at: i64,
    /// Where the bytes after the time start.
    pub(super) end: usize,
}

/// Whose a line is and when it happened.
#[derive(Debug, Clone, PartialEq)]
pub struct Key<'a> {
    pub id: Cow<'a, str>,
    pub at: i64,
}

impl<'a> Scanner<'a> {
    /// The key of the line starting at the cursor, leaving the cursor where it was. `None` when
    /// the line has no usable customer id (1 to 4,096 bytes) or time, or is broken before both
    /// were read: such a line is bad, and the full scan says why.
    pub fn key(&mut self) -> Option<Key<'a>> {
        let start = self.i;
        self.blank();
        let key = self.compact_key().or_else(|| {
            self.i = start;
            self.blank();
            self.general_key()
        });
        self.i = start;
        key.filter(|key| !key.id.is_empty() && key.id.len() <= MAX_STRING_BYTES)
    }

    /// `{"c":"ID","e":"NAME","t":MS` followed by `}` or `,`: the layout `kairos gen` writes. A line
    /// in this layout is its first `c`'s, whatever follows.
    fn compact_key(&mut self) -> Option<Key<'a>> {
        let head = self.compact_head()?;
        if !matches!(self.b.get(head.end), Some(b'}' | b',')) {
            return None;
        }
        Some(Key { id: Cow::Borrowed(self.s.get(head.id)?), at: head.at })
    }

    /// The exact bytes `{"c":"ID","e":"NAME","t":MS` at the cursor (plain id and name, no
    /// escapes or spaces; a time in years 1000–9999): what the key and the full scan's fast path
    /// both start from. The cursor does not move.
    pub(super) fn compact_head(&mut self) -> Option<CompactHead> {
        match &self.head {
            Some((at, head)) if *at == self.i => head.clone(),
            _ => {
                let head = self.find_compact_head();
                self.head = Some((self.i, head.clone()));
                head
            }
        }
    }

    fn find_compact_head(&self) -> Option<CompactHead> {
        let b = self.b;
        let lit = |i: usize, text: &[u8]| (b.get(i..i + text.len()) == Some(text)).then_some(i + text.len());
        // A plain string's bytes up to its closing quote, eight at a time while none is special.
        let plain = |from: usize| -> Option<usize> {
            let mut j = from + plain_prefix(b.get(from..).unwrap_or_default());
            while b.get(j).is_some_and(|&c| c != b'"' && c != b'\\' && c >= 0x20) {
                j += 1;
            }
            (b.get(j) == Some(&b'"')).then_some(j)
        };
        let id_from = lit(self.i, b"{\"c\":\"")?;
        let id_to = plain(id_from)?;
        let name_from = lit(id_to, b"\",\"e\":\"")?;
        let name_to = plain(name_from)?;
        let t = lit(name_to, b"\",\"t\":")?;
        let digits = b.get(t..).unwrap_or_default().iter().take_while(|c| c.is_ascii_digit()).count();
        if digits == 0 || digits > 18 || (digits > 1 && b.get(t) == Some(&b'0')) {
            return None;
        }
        let at = b.get(t..t + digits)?.iter().fold(0i64, |n, d| n * 10 + i64::from(d - b'0'));
        if !(kairos::context::MIN_MS..=kairos::context::MAX_MS).contains(&at) {
            return None;
        }
        Some(CompactHead { id: id_from..id_to, name: name_from..name_to, at, end: t + digits })
    }

    /// Any other object: its top-level fields, the id and time read as the full scan reads them
    /// (the last of a repeated key wins), everything else skipped.
    fn general_key(&mut self) -> Option<Key<'a>> {
        let (mut customer, mut anonymous, mut at) = (None, None, None);
        self.object(|sc, key| {
            match &*key {
                "c" | "customer_id" | "userId" | "user_id" => customer = Some(sc.text("a customer id string")?),
                "anonymousId" => anonymous = Some(sc.text("an id string")?),
                "t" | "timestamp" | "ts" | "time" => at = Some(sc.timestamp()?),
                _ => sc.skip()?,
            }
            Ok(())
        })
        .ok()?;
        Some(Key { id: customer.or(anonymous)?, at: at? })
    }
}
