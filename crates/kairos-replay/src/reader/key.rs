//! A line's key: whose it is and when, read without the rest of the line. Sharded replays
//! (`Replay::sharded`) route every line by it, and every shard moves its clock by it, so a line
//! belongs to exactly one shard and all shards count the same step boundaries.

use super::Scanner;
use kairos::context::MAX_STRING_BYTES;
use std::borrow::Cow;

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
    pub fn key(&self) -> Option<Key<'a>> {
        let mut sc = Scanner { s: self.s, b: self.b, i: self.i };
        sc.blank();
        let key = sc.compact_key().or_else(|| {
            sc.i = self.i;
            sc.blank();
            sc.general_key()
        })?;
        (!key.id.is_empty() && key.id.len() <= MAX_STRING_BYTES).then_some(key)
    }

    /// `{"c":"ID","e":"NAME","t":MS` followed by `}` or `,`: the layout `kairos gen` writes. A line
    /// in this layout is its first `c`'s, whatever follows.
    fn compact_key(&mut self) -> Option<Key<'a>> {
        let rest = self.b.get(self.i..)?;
        let after_c = rest.strip_prefix(b"{\"c\":\"")?;
        let id_len = after_c.iter().position(|&c| c == b'"' || c == b'\\' || c < 0x20)?;
        let after_id = after_c.get(id_len..)?.strip_prefix(b"\",\"e\":\"")?;
        let name_len = after_id.iter().position(|&c| c == b'"' || c == b'\\' || c < 0x20)?;
        let after_t = after_id.get(name_len..)?.strip_prefix(b"\",\"t\":")?;
        let digits = after_t.iter().take_while(|c| c.is_ascii_digit()).count();
        if digits == 0 || digits > 18 || (digits > 1 && after_t.first() == Some(&b'0')) {
            return None;
        }
        let tail = after_t.get(digits..)?;
        if !matches!(tail.first(), Some(b'}' | b',')) {
            return None;
        }
        let at = after_t.get(..digits)?.iter().fold(0i64, |n, d| n * 10 + i64::from(d - b'0'));
        if !(kairos::context::MIN_MS..=kairos::context::MAX_MS).contains(&at) {
            return None;
        }
        let from = self.i + 6;
        Some(Key { id: Cow::Borrowed(self.s.get(from..from + id_len)?), at })
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
