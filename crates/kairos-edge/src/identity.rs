//! The signed customer-id cookie. The site signs the id at login with a secret it shares with the
//! Worker (`IDENTITY_KEY`); the Worker trusts only ids whose signature checks, so nobody can read
//! another customer's decisions (or their KV record's effects) by writing a cookie.
//!
//! Format: `<id>.<base64url(HMAC-SHA256(key, "kairos-uid1|" id))>`.

use crate::b64;
use crate::sign::{self, HmacSha256};
use hmac::Mac;

/// Shortest secret accepted for signing (bytes).
pub const MIN_KEY_BYTES: usize = 32;
/// Longest customer id accepted.
pub const MAX_CUSTOMER_ID_BYTES: usize = 128;

fn mac(key: &[u8], id: &str) -> HmacSha256 {
    sign::mac(key, b"kairos-uid1|", &[id.as_bytes()])
}

/// Whether an id is plain enough to be a cookie value and a KV key part.
pub fn sane_id(id: &str) -> bool {
    !id.is_empty()
        && id.len() <= MAX_CUSTOMER_ID_BYTES
        && id.bytes().all(|b| b.is_ascii_alphanumeric() || b"-_:@".contains(&b))
}

/// The cookie value for `id` (None for ids that are not [`sane_id`]).
pub fn sign(key: &[u8], id: &str) -> Option<String> {
    sane_id(id).then(|| format!("{id}.{}", b64::encode(mac(key, id).finalize().into_bytes())))
}

/// The id in a signed cookie value, if the signature checks (constant-time).
pub fn verify<'v>(key: &[u8], value: &'v str) -> Option<&'v str> {
    let (id, tag) = value.rsplit_once('.')?;
    let tag = b64::decode(tag).ok()?;
    (sane_id(id) && mac(key, id).verify_slice(&tag).is_ok()).then_some(id)
}

#[cfg(test)]
mod tests {
    use super::*;

    const KEY: &[u8] = b"identity-test-key-0123456789abcdef";

    #[test]
    fn signs_and_verifies() {
        let v = sign(KEY, "cust-42").unwrap();
        assert_eq!(verify(KEY, &v), Some("cust-42"));
        assert_eq!(verify(b"another key, also 32 bytes long!!", &v), None);
        assert_eq!(verify(KEY, "cust-42"), None);
        assert_eq!(verify(KEY, &v.replace("cust-42", "cust-43")), None);
        assert_eq!(verify(KEY, &format!("{v}x")), None);
        assert_eq!(sign(KEY, "has space"), None);
        assert_eq!(sign(KEY, "a.b"), None, "dots would make the format ambiguous");
    }
}
