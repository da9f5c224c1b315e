//! QA preview tokens: a signed list of slots to force, with an expiry (docs/preview.md).
//!
//! ```text
//! kp1.1765000000.hero~evening_offer~cta~urgency_copy.<128 hex digits>
//! ^   ^          ^                                    ^
//! |   |          slot~variant pairs                   Ed25519 signature
//! |   expiry, Unix seconds
//! format version
//! ```
//!
//! The signature is the site's Ed25519 key's (`kairos keygen`, the key bundles are signed with)
//! over [`DOMAIN`] followed by everything before the last `.`: the domain keeps a token from ever
//! verifying as a signed bundle, and a bundle's signature from verifying as a token.
//!
//! Every character is URL- and cookie-safe (ids are letters, digits, `_` and `-`), so a token
//! travels as `?kairos_preview=…` and as a cookie value unescaped.
//!
//! Reading a token needs the `signing` feature (verification); forcing what it names does not:
//! [`crate::Options::forced`] takes a verified [`Preview`].

use crate::error::ErrorCode;
use crate::limits::{MAX_IDENT_BYTES, MAX_SLOTS};
use crate::program::Program;

/// The first field of every token: the format version.
pub const VERSION_TAG: &str = "kp1";
/// What the signature covers before the token's text: separates tokens from signed bundles.
pub const DOMAIN: &[u8] = b"KAIROSPREVIEW\x01";
/// The longest token read: 64 pairs of the longest ids fit; anything longer is refused unread.
pub const MAX_TOKEN_BYTES: usize = 8192;

/// A verified preview: which variant each named slot shows, until when.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Preview {
    expires_at: i64,
    slots: Vec<(String, String)>,
}

/// Why a preview token was not used: always ignored, with one warning, by the surfaces.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PreviewError {
    /// `E_PREVIEW` or `E_PREVIEW_EXPIRED`.
    pub code: ErrorCode,
    /// What was wrong, without the token itself.
    pub message: String,
}

impl PreviewError {
    fn malformed(message: impl Into<String>) -> PreviewError {
        PreviewError { code: ErrorCode::Preview, message: message.into() }
    }

    /// The error's code.
    pub fn code(&self) -> ErrorCode {
        self.code
    }
}

impl std::fmt::Display for PreviewError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(&self.message)
    }
}

impl std::error::Error for PreviewError {}

fn is_ident(s: &str) -> bool {
    !s.is_empty()
        && s.len() <= MAX_IDENT_BYTES
        && s.bytes().all(|b| b.is_ascii_alphanumeric() || b == b'_' || b == b'-')
}

impl Preview {
    /// A preview forcing `slots` (slot → variant, each named once) until `expires_at` (Unix ms,
    /// kept to the second).
    pub fn new(expires_at: i64, slots: Vec<(String, String)>) -> Result<Preview, PreviewError> {
        // Plain messages, no formatting: every byte here is in the page module.
        let problem = if slots.is_empty() || slots.len() > MAX_SLOTS {
            Some("a preview forces 1 to 256 slots")
        } else if slots.iter().any(|(slot, variant)| !is_ident(slot) || !is_ident(variant)) {
            Some("slots and variants are 1 to 64 letters, digits, `_` or `-`")
        } else if slots.iter().enumerate().any(|(i, (slot, _))| slots[..i].iter().any(|(s, _)| s == slot)) {
            Some("a slot is forced twice")
        } else if !(0..=i64::from(u32::MAX) * 1000).contains(&expires_at) {
            Some("the expiry is out of range")
        } else {
            None
        };
        match problem {
            Some(message) => Err(PreviewError::malformed(message)),
            None => Ok(Preview { expires_at: expires_at - expires_at % 1000, slots }),
        }
    }

    /// When the preview ends (Unix ms).
    pub fn expires_at(&self) -> i64 {
        self.expires_at
    }

    /// The forced slots and their variants, in the token's order.
    pub fn slots(&self) -> &[(String, String)] {
        &self.slots
    }

    /// The variant forced for `slot`, if any.
    pub fn variant_for(&self, slot: &str) -> Option<&str> {
        self.slots.iter().find(|(s, _)| s == slot).map(|(_, v)| v.as_str())
    }

    /// What of this preview a bundle cannot show (a slot it lacks, a variant its slot lacks), in
    /// words; None when every pair is known. Unknown pairs are not forced.
    pub fn unknown_in(&self, program: &Program) -> Option<String> {
        // Pushed rather than formatted: this runs in the page module.
        let mut out = String::new();
        for (slot, variant) in &self.slots {
            let known = program.slots.iter().find(|s| s.name == *slot).is_some_and(|s| s.choice(variant).is_some());
            if !known {
                let sep = if out.is_empty() { "the bundle lacks " } else { ", " };
                for part in [sep, "`", slot, "~", variant, "`"] {
                    out.push_str(part);
                }
            }
        }
        (!out.is_empty()).then(|| out + ": not forced")
    }

    /// The signed part of the token: version, expiry and pairs.
    #[cfg(feature = "signing")]
    fn payload(&self) -> String {
        let mut out = format!("{VERSION_TAG}.{}.", self.expires_at / 1000);
        for (i, (slot, variant)) in self.slots.iter().enumerate() {
            if i > 0 {
                out.push('~');
            }
            out.push_str(slot);
            out.push('~');
            out.push_str(variant);
        }
        out
    }

    /// Reads a token's payload (signature unchecked): the preview and the signature's text.
    #[cfg(feature = "signing")]
    fn parse(token: &str) -> Result<(Preview, &str, &str), PreviewError> {
        let malformed = |message: &str| Err(PreviewError::malformed(message));
        if token.len() > MAX_TOKEN_BYTES {
            return malformed("a preview token is at most 8192 bytes");
        }
        let shape = "a preview token is `kp1.<expiry>.<slot>~<variant>….<signature>`";
        let Some((payload, signature)) = token.rsplit_once('.') else { return malformed(shape) };
        let mut fields = payload.split('.');
        let (Some(version), Some(expiry), Some(pairs), None) =
            (fields.next(), fields.next(), fields.next(), fields.next())
        else {
            return malformed(shape);
        };
        if version != VERSION_TAG {
            return malformed("this kairos reads preview tokens of version kp1 only");
        }
        // By hand: `str::parse` costs the page module more than this whole check.
        if !(1..=10).contains(&expiry.len()) || !expiry.bytes().all(|b| b.is_ascii_digit()) {
            return malformed("the preview token's expiry is not a number of seconds");
        }
        let seconds = expiry.bytes().fold(0i64, |n, b| n * 10 + i64::from(b - b'0'));
        let mut words = pairs.split('~');
        let mut slots = Vec::new();
        while let Some(slot) = words.next() {
            let Some(variant) = words.next() else {
                return malformed("the preview token's pairs are `slot~variant`, joined by `~`");
            };
            slots.push((slot.to_owned(), variant.to_owned()));
        }
        Ok((Preview::new(seconds * 1000, slots)?, payload, signature))
    }
}

#[cfg(feature = "signing")]
mod signed {
    use super::*;
    use crate::signing::{from_hex, to_hex, PublicKey, SigningKey, SIGNATURE_LEN};

    fn message(payload: &str) -> Vec<u8> {
        [DOMAIN, payload.as_bytes()].concat()
    }

    /// The preview a token forces, if `key` signed it and it has not expired at `now` (Unix ms).
    /// The checks run in this order: shape, signature, expiry, so an expired token is reported
    /// as expired only when it is genuine.
    pub fn verify(token: &str, key: &PublicKey, now: i64) -> Result<Preview, PreviewError> {
        let (preview, payload, signature) = Preview::parse(token.trim())?;
        // Exactly the digits: `from_hex` trims whitespace, and a token has one spelling (fuzzed).
        let signature = from_hex::<SIGNATURE_LEN>(signature)
            .filter(|_| signature.bytes().all(|b| b.is_ascii_hexdigit()))
            .ok_or_else(|| PreviewError::malformed("the preview token's signature is not 128 hexadecimal digits"))?;
        if !key.verify_message(&message(payload), &signature) {
            return Err(PreviewError::malformed(
                "the preview token's signature does not match this site's key (altered, or made with another key)",
            ));
        }
        if now >= preview.expires_at {
            // The time is the caller's to show (`Preview` is not returned): no date formatting here.
            return Err(PreviewError {
                code: ErrorCode::PreviewExpired,
                message: "the preview token has expired: `kairos preview` makes a new one".into(),
            });
        }
        Ok(preview)
    }

    impl Preview {
        /// The token for this preview, signed with `key` (deterministic: RFC 8032).
        pub fn sign(&self, key: &SigningKey) -> String {
            let payload = self.payload();
            let signature = key.sign_message(&message(&payload));
            format!("{payload}.{}", to_hex(&signature))
        }
    }
}

#[cfg(feature = "signing")]
pub use signed::verify;

#[cfg(all(test, feature = "signing"))]
mod tests {
    use super::*;
    use crate::signing::SigningKey;

    const NOW: i64 = 1_765_000_000_000;

    fn key(seed: u8) -> SigningKey {
        SigningKey::from_seed([seed; 32]).unwrap()
    }

    fn pairs(list: &[(&str, &str)]) -> Vec<(String, String)> {
        list.iter().map(|(s, v)| (s.to_string(), v.to_string())).collect()
    }

    #[test]
    fn a_signed_token_round_trips_until_it_expires() {
        let preview =
            Preview::new(NOW + 7_200_000, pairs(&[("hero", "evening_offer"), ("cta", "urgency_copy")])).unwrap();
        let token = preview.sign(&key(1));
        assert!(token.starts_with("kp1.1765007200.hero~evening_offer~cta~urgency_copy."), "{token}");
        assert!(token.bytes().all(|b| b.is_ascii_alphanumeric() || b"._~-".contains(&b)), "URL and cookie safe");
        let read = verify(&token, &key(1).public_key(), NOW).unwrap();
        assert_eq!(read, preview);
        assert_eq!(read.variant_for("cta"), Some("urgency_copy"));
        assert_eq!(read.variant_for("footer"), None);
        let late = verify(&token, &key(1).public_key(), NOW + 7_200_000).unwrap_err();
        assert_eq!(late.code, ErrorCode::PreviewExpired);
        assert!(late.message.contains("has expired"), "{}", late.message);
    }

    #[test]
    fn altered_foreign_and_malformed_tokens_are_refused_with_a_reason() {
        let token = Preview::new(NOW + 60_000, pairs(&[("hero", "evening_offer")])).unwrap().sign(&key(1));
        let public = key(1).public_key();
        let refused = |t: &str| verify(t, &public, NOW).unwrap_err();
        let forged = token.replace("evening_offer", "morning_offer");
        assert!(refused(&forged).message.contains("does not match"));
        let dot = token.rfind('.').unwrap() + 1;
        let spaced = format!("{}\u{c}{}", &token[..dot], &token[dot..]);
        assert!(refused(&spaced).message.contains("signature is not"), "one spelling per token (a fuzz finding)");
        let later = token.replace("kp1.1765000060", "kp1.1765999999");
        assert!(refused(&later).message.contains("does not match"), "the expiry is signed");
        assert!(verify(&token, &key(2).public_key(), NOW).unwrap_err().message.contains("another key"));
        for (bad, says) in [
            ("", "kp1.<expiry>"),
            ("kp1.1765000060.hero~evening_offer", "kp1.<expiry>"),
            ("kp1.1765000060.hero~evening_offer.zz", "signature is not"),
            ("kp2.1.a~b.00", "version kp1 only"),
            ("kp1.+5.a~b.00", "number of seconds"),
            ("kp1.5.a~b~c.00", "`slot~variant`"),
            ("kp1.5.a~b~a~c.00", "forced twice"),
            ("kp1.12345678901.a~b.00", "number of seconds"),
            ("kp1.5.a~b<x>.00", "letters, digits"),
            ("kp1.5..00", "`slot~variant`"),
            ("kp1.5.~.00", "letters, digits"),
        ] {
            let e = refused(bad);
            assert_eq!(e.code, ErrorCode::Preview, "{bad}");
            assert!(e.message.contains(says), "{bad}: {}", e.message);
        }
        assert!(refused(&"x".repeat(MAX_TOKEN_BYTES + 1)).message.contains("at most"));
    }

    #[test]
    fn a_bundle_signature_never_verifies_as_a_token() {
        // The same key signs bundles and tokens; the domains keep the two apart.
        let signed = key(1).sign(b"KAIROS\x01payload").unwrap();
        let signature = &signed[crate::signing::HEADER_LEN - 64..crate::signing::HEADER_LEN];
        let token = format!("kp1.1765000060.hero~x.{}", crate::signing::to_hex(signature));
        assert_eq!(verify(&token, &key(1).public_key(), NOW).unwrap_err().code, ErrorCode::Preview);
    }
}
