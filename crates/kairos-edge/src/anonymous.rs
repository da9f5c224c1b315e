//! The first-party anonymous id: one per browser, the same for the page script and the edge, kept
//! across sessions in the `kairos_aid` cookie (which the page reads and mirrors to localStorage).
//! It is the customer id of a visitor who has not identified, so holdout and A/B buckets stay the
//! same from one session to the next. Written only with consent (docs/identity.md).
//!
//! Format: `a` and 22 base64url characters (128 random bits), signed as `<id>.<base64url(HMAC-
//! SHA256(key, "kairos-aid1|" id))>` when the site gives the edge an `IDENTITY_KEY`. With a key,
//! the edge adopts an unsigned id the page created (it signs it: the page may run before the edge
//! ever answers it) and refuses one whose signature does not check: a visitor cannot move an id
//! the edge has signed, so a bucket the edge assigned stays assigned.

use crate::b64;
use crate::sign::{self, HmacSha256};
use hmac::Mac;

/// The cookie's name.
pub const COOKIE: &str = "kairos_aid";
/// Its lifetime: 400 days, the most browsers keep a cookie.
pub const MAX_AGE_SECONDS: u32 = 400 * 24 * 3600;
/// Characters after the leading `a`: 128 bits in base64url.
const ID_CHARS: usize = 22;

/// An id from 16 random bytes.
pub fn from_random(bytes: [u8; 16]) -> String {
    format!("a{}", b64::encode(bytes))
}

/// Whether `id` has the anonymous id's form (so it can never be a site's customer id by accident
/// of format, and is safe in a cookie and a KV key).
pub fn well_formed(id: &str) -> bool {
    id.len() == 1 + ID_CHARS
        && id.starts_with('a')
        && id.bytes().skip(1).all(|b| b.is_ascii_alphanumeric() || b == b'-' || b == b'_')
}

fn mac(key: &[u8], id: &str) -> HmacSha256 {
    sign::mac(key, b"kairos-aid1|", &[id.as_bytes()])
}

/// The cookie value for `id`: signed with `key`, else the id itself.
pub fn cookie_value(key: Option<&[u8]>, id: &str) -> String {
    match key {
        Some(key) => format!("{id}.{}", b64::encode(mac(key, id).finalize().into_bytes())),
        None => id.to_owned(),
    }
}

/// The `Set-Cookie` value for `id`. Not `HttpOnly`: the page script reads the id (it carries
/// nothing but the id and its signature).
pub fn set_cookie(key: Option<&[u8]>, id: &str) -> String {
    format!("{COOKIE}={}; Path=/; Max-Age={MAX_AGE_SECONDS}; Secure; SameSite=Lax", cookie_value(key, id))
}

/// What the request's cookie said.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum IdState {
    /// The id checks (signed under the key, or well-formed without one).
    Valid,
    /// An unsigned, well-formed id (the page made it), signed now.
    Adopted,
    /// No cookie: a new id.
    New,
    /// Malformed, or a signature that does not check: replaced by a new id.
    Refused,
}

impl IdState {
    /// `x-kairos-id`.
    pub fn as_str(self) -> &'static str {
        match self {
            IdState::Valid => "valid",
            IdState::Adopted => "adopted",
            IdState::New => "new",
            IdState::Refused => "refused",
        }
    }
}

/// The visitor's anonymous id from the cookie `value`, and whether to (re)write the cookie.
/// `fresh` makes a new id when there is none to keep.
pub fn read(value: Option<&str>, key: Option<&[u8]>, fresh: impl FnOnce() -> String) -> (String, IdState) {
    let Some(value) = value else { return (fresh(), IdState::New) };
    match (value.split_once('.'), key) {
        (None, _) if well_formed(value) => {
            (value.to_owned(), if key.is_some() { IdState::Adopted } else { IdState::Valid })
        }
        (Some((id, tag)), Some(key)) if well_formed(id) => {
            let checks = b64::decode(tag).is_ok_and(|tag| mac(key, id).verify_slice(&tag).is_ok());
            if checks {
                (id.to_owned(), IdState::Valid)
            } else {
                (fresh(), IdState::Refused)
            }
        }
        // Signed, but the edge has no key to check it with: the id is kept as it is.
        (Some((id, _)), None) if well_formed(id) => (id.to_owned(), IdState::Valid),
        _ => (fresh(), IdState::Refused),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const KEY: &[u8] = b"identity-test-key-0123456789abcdef";

    fn fresh() -> String {
        from_random([7; 16])
    }

    #[test]
    fn ids_are_128_random_bits_in_a_fixed_form() {
        let id = from_random([0xff; 16]);
        assert!(well_formed(&id), "{id}");
        assert_eq!(id.len(), 23);
        for bad in ["", "a", "b1234567890123456789012", "a123456789012345678901.", "a12345678901234567890 2", "cust-42"]
        {
            assert!(!well_formed(bad), "{bad}");
        }
    }

    #[test]
    fn signed_ids_check_and_unsigned_ones_are_adopted_under_a_key() {
        let id = fresh();
        let signed = cookie_value(Some(KEY), &id);
        assert_eq!(read(Some(&signed), Some(KEY), || unreachable!()), (id.clone(), IdState::Valid));
        assert_eq!(read(Some(&id), Some(KEY), || unreachable!()), (id.clone(), IdState::Adopted));
        assert_eq!(read(Some(&id), None, || unreachable!()), (id.clone(), IdState::Valid));
        assert_eq!(read(Some(&signed), None, || unreachable!()), (id.clone(), IdState::Valid));
        assert_eq!(read(None, Some(KEY), fresh), (id.clone(), IdState::New));
    }

    #[test]
    fn tampered_or_malformed_ids_are_replaced() {
        let id = fresh();
        let other = from_random([8; 16]);
        let signed = cookie_value(Some(KEY), &id);
        let moved = signed.replace(&id, &other);
        let renew = || from_random([9; 16]);
        for bad in [moved.as_str(), "a.b", "cust-42", "<script>", &format!("{signed}x")] {
            let (got, state) = read(Some(bad), Some(KEY), renew);
            assert_eq!((got.as_str(), state), (renew().as_str(), IdState::Refused), "{bad}");
        }
        assert_eq!(read(Some("cust-42"), None, renew).1, IdState::Refused);
    }

    #[test]
    fn the_cookie_is_readable_by_the_page_and_long_lived() {
        let c = set_cookie(None, &fresh());
        assert!(c.starts_with("kairos_aid=a") && c.contains("Max-Age=34560000") && c.contains("Secure"));
        assert!(!c.contains("HttpOnly"));
    }
}
