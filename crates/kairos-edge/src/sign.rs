//! The one HMAC-SHA256 setup behind every signed thing at the edge (history cookie, customer
//! id, open token): a domain prefix per use, so a signature for one can never pass as another.

use hmac::{KeyInit, Mac};

pub(crate) type HmacSha256 = hmac::Hmac<sha2::Sha256>;

/// HMAC-SHA256 over `domain` followed by `parts`, ready to finalize or verify.
pub(crate) fn mac(key: &[u8], domain: &[u8], parts: &[&[u8]]) -> HmacSha256 {
    // HMAC takes keys of any length, so this cannot fail.
    let mut mac = <HmacSha256 as KeyInit>::new_from_slice(key).unwrap_or_else(|_| unreachable!());
    mac.update(domain);
    for part in parts {
        mac.update(part);
    }
    mac
}
