//! Signed bundles: an Ed25519 signature over a compiled bundle, checked before it is loaded
//! (docs/signing.md has the format, the choices behind it and a test vector).
//!
//! ```text
//! offset  bytes  field
//!      0      9  magic `KAIROSSIG`
//!      9      1  envelope version (1)
//!     10      8  key id: the first 8 bytes of SHA-512(public key)
//!     18     64  Ed25519 signature (RFC 8032, pure) of the message below
//!     82      …  the compiled bundle (`KAIROS` header and payload), unchanged
//! ```
//!
//! The signed message is the envelope without its signature: bytes 0–17 followed by the bundle.
//! Its first ten bytes, `KAIROSSIG` and the version, separate it from anything else a key might
//! sign (domain separation), and the key id is covered too.
//!
//! Reading an envelope's fields ([`open`], [`unwrap`]) needs no cryptography, so every build
//! loads signed bundles; checking the signature ([`PublicKey::verify`]) and making one
//! ([`SigningKey`]) need the `signing` feature (ed25519-compact).

use crate::error::{ErrorCode, LoadError};

/// Bytes every signed envelope starts with (they begin with the bundle magic `KAIROS`).
pub const MAGIC: &[u8; 9] = b"KAIROSSIG";
/// Envelope format version.
pub const VERSION: u8 = 1;
/// Length of a key id.
pub const KEY_ID_LEN: usize = 8;
/// Length of an Ed25519 signature.
pub const SIGNATURE_LEN: usize = 64;
/// Length of an Ed25519 public key, and of the secret seed it comes from.
pub const KEY_LEN: usize = 32;
/// Envelope header: magic, version, key id, signature.
pub const HEADER_LEN: usize = MAGIC.len() + 1 + KEY_ID_LEN + SIGNATURE_LEN;
/// The part of the header that is signed: magic, version, key id.
const SIGNED_HEADER_LEN: usize = MAGIC.len() + 1 + KEY_ID_LEN;

/// A signed envelope, split into its fields (signature not checked).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Envelope<'a> {
    /// Names the key that signed (first 8 bytes of SHA-512 of the public key).
    pub key_id: [u8; KEY_ID_LEN],
    /// The Ed25519 signature over the signed header and the bundle.
    pub signature: [u8; SIGNATURE_LEN],
    /// The compiled bundle inside.
    pub bundle: &'a [u8],
    /// Magic, version and key id: the signed header.
    signed_header: &'a [u8],
}

/// Splits a signed envelope; `Ok(None)` when `bytes` are not one (a plain bundle, or anything else).
pub fn open(bytes: &[u8]) -> Result<Option<Envelope<'_>>, LoadError> {
    if !bytes.starts_with(MAGIC) {
        return Ok(None);
    }
    if bytes.len() < HEADER_LEN {
        return Err(LoadError::BadSignature(format!(
            "the signed envelope is truncated: {} bytes, its header alone is {HEADER_LEN}",
            bytes.len()
        )));
    }
    let version = bytes[MAGIC.len()];
    if version != VERSION {
        return Err(LoadError::BadSignature(format!(
            "signed envelope version {version}, this kairos reads version {VERSION}"
        )));
    }
    let mut key_id = [0; KEY_ID_LEN];
    key_id.copy_from_slice(&bytes[MAGIC.len() + 1..SIGNED_HEADER_LEN]);
    let mut signature = [0; SIGNATURE_LEN];
    signature.copy_from_slice(&bytes[SIGNED_HEADER_LEN..HEADER_LEN]);
    Ok(Some(Envelope { key_id, signature, bundle: &bytes[HEADER_LEN..], signed_header: &bytes[..SIGNED_HEADER_LEN] }))
}

/// The bundle inside a signed envelope, signature unchecked, or `bytes` themselves when they
/// are not an envelope: what loading without a required key accepts.
pub fn unwrap(bytes: &[u8]) -> Result<&[u8], LoadError> {
    Ok(open(bytes)?.map_or(bytes, |e| e.bundle))
}

/// Lower-case hexadecimal.
pub fn to_hex(bytes: &[u8]) -> String {
    const DIGITS: &[u8; 16] = b"0123456789abcdef";
    let mut out = String::with_capacity(bytes.len() * 2);
    for b in bytes {
        out.push(DIGITS[usize::from(b >> 4)] as char);
        out.push(DIGITS[usize::from(b & 15)] as char);
    }
    out
}

/// Exactly `N` bytes from hexadecimal (either case, surrounding whitespace ignored).
pub fn from_hex<const N: usize>(text: &str) -> Option<[u8; N]> {
    let mut out = [0; N];
    hex_into(text, &mut out).then_some(out)
}

/// One copy of the decoder for every `N` (keys, signatures): the page module pays for it once.
fn hex_into(text: &str, out: &mut [u8]) -> bool {
    let text = text.trim().as_bytes();
    if text.len() != out.len() * 2 {
        return false;
    }
    let digit = |c: u8| (c as char).to_digit(16).map(|d| d as u8);
    for (o, pair) in out.iter_mut().zip(text.chunks_exact(2)) {
        match (digit(pair[0]), digit(pair[1])) {
            (Some(hi), Some(lo)) => *o = hi << 4 | lo,
            _ => return false,
        }
    }
    true
}

/// A key that cannot be used: wrong length or encoding, or not a valid Ed25519 key.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct KeyError(pub String);

impl KeyError {
    /// The one code of key errors.
    pub const CODE: ErrorCode = ErrorCode::Key;

    /// Always [`KeyError::CODE`]; a method too, like the other errors' codes.
    pub fn code(&self) -> ErrorCode {
        Self::CODE
    }
}

impl std::fmt::Display for KeyError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(&self.0)
    }
}

impl std::error::Error for KeyError {}

#[cfg(feature = "signing")]
pub use keys::{PublicKey, SigningKey};

#[cfg(feature = "signing")]
mod keys {
    use super::*;
    use ed25519_compact as ed;

    /// An Ed25519 public key that bundles must be signed by.
    #[derive(Debug, Clone, Copy, PartialEq, Eq)]
    pub struct PublicKey {
        key: ed::PublicKey,
        id: [u8; KEY_ID_LEN],
    }

    impl PublicKey {
        /// A 32-byte key; refuses encodings that are not canonical points and weak (small-order) keys.
        pub fn from_bytes(bytes: &[u8]) -> Result<PublicKey, KeyError> {
            let key = ed::PublicKey::from_slice(bytes)
                .map_err(|_| KeyError(format!("a public key is {KEY_LEN} bytes, not {}", bytes.len())))?;
            key.validate().map_err(|_| KeyError("not a valid Ed25519 public key".into()))?;
            let mut id = [0; KEY_ID_LEN];
            id.copy_from_slice(&ed::sha512::Hash::hash(*key)[..KEY_ID_LEN]);
            Ok(PublicKey { key, id })
        }

        /// A key written as 64 hexadecimal digits (what `kairos keygen` prints).
        pub fn parse(text: &str) -> Result<PublicKey, KeyError> {
            let bytes = from_hex::<KEY_LEN>(text).ok_or_else(|| {
                KeyError(format!("a public key is {} hexadecimal digits (`kairos keygen` prints one)", KEY_LEN * 2))
            })?;
            PublicKey::from_bytes(&bytes)
        }

        /// The first 8 bytes of SHA-512 of the key: names the key in envelopes and errors.
        pub fn id(&self) -> [u8; KEY_ID_LEN] {
            self.id
        }

        /// The 32 raw bytes.
        pub fn to_bytes(&self) -> [u8; KEY_LEN] {
            *self.key
        }

        /// The 64 hex digits `kairos keygen` prints.
        pub fn to_hex(&self) -> String {
            to_hex(&*self.key)
        }

        /// Whether `signature` is this key's over `message` (preview tokens: src/preview.rs).
        pub(crate) fn verify_message(&self, message: &[u8], signature: &[u8; SIGNATURE_LEN]) -> bool {
            // Incremental, as bundles are checked: one-shot `verify` is a second copy of the
            // curve arithmetic in the page module (5 KB gzipped).
            let Ok(mut state) = self.key.verify_incremental(&ed::Signature::new(*signature)) else { return false };
            state.absorb(message);
            state.verify().is_ok()
        }

        /// The bundle inside `bytes` if they are an envelope signed by this key; otherwise why not.
        pub fn verify<'a>(&self, bytes: &'a [u8]) -> Result<&'a [u8], LoadError> {
            let env = open(bytes)?.ok_or(LoadError::Unsigned)?;
            if env.key_id != self.id {
                return Err(LoadError::WrongKey { found: to_hex(&env.key_id), expected: to_hex(&self.id) });
            }
            let mismatch = || LoadError::BadSignature("the signature does not match the bundle".into());
            let mut state = self.key.verify_incremental(&ed::Signature::new(env.signature)).map_err(|_| mismatch())?;
            state.absorb(env.signed_header);
            state.absorb(env.bundle);
            state.verify().map_err(|_| mismatch())?;
            Ok(env.bundle)
        }
    }

    /// An Ed25519 secret key that signs bundles. Its text form (the `.key` file) is the 32-byte
    /// seed in hexadecimal; the public key follows from it.
    pub struct SigningKey {
        pair: ed::KeyPair,
    }

    impl std::fmt::Debug for SigningKey {
        fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
            write!(f, "SigningKey({})", self.public_key().to_hex())
        }
    }

    impl SigningKey {
        /// A new key from the operating system's random number generator (native builds only).
        #[cfg(not(target_family = "wasm"))]
        pub fn generate() -> SigningKey {
            SigningKey { pair: ed::KeyPair::from_seed(ed::Seed::generate()) }
        }

        /// The key of a 32-byte seed (all zeros is refused: no generator produces it).
        pub fn from_seed(seed: [u8; KEY_LEN]) -> Result<SigningKey, KeyError> {
            ed::KeyPair::try_from_seed(ed::Seed::new(seed))
                .map(|pair| SigningKey { pair })
                .map_err(|_| KeyError("an all-zero seed is not a key".into()))
        }

        /// A key file's text: the seed as 64 hexadecimal digits.
        pub fn parse(text: &str) -> Result<SigningKey, KeyError> {
            let seed = from_hex::<KEY_LEN>(text).ok_or_else(|| {
                KeyError(format!("a secret key file holds {} hexadecimal digits (`kairos keygen`)", KEY_LEN * 2))
            })?;
            SigningKey::from_seed(seed)
        }

        /// The text of a key file.
        pub fn seed_hex(&self) -> String {
            to_hex(&*self.pair.sk.seed())
        }

        /// The public key to verify this key's signatures with.
        pub fn public_key(&self) -> PublicKey {
            // A key pair's own public key is valid.
            let key = self.pair.pk;
            let mut id = [0; KEY_ID_LEN];
            id.copy_from_slice(&ed::sha512::Hash::hash(*key)[..KEY_ID_LEN]);
            PublicKey { key, id }
        }

        /// This key's signature over `message` (preview tokens: src/preview.rs).
        pub(crate) fn sign_message(&self, message: &[u8]) -> [u8; SIGNATURE_LEN] {
            *self.pair.sk.sign(message, None)
        }

        /// Wraps a compiled bundle in a signed envelope. Deterministic (RFC 8032): the same key
        /// and bundle always give the same bytes. An envelope is not signed again.
        pub fn sign(&self, bundle: &[u8]) -> Result<Vec<u8>, LoadError> {
            if bundle.starts_with(MAGIC) {
                return Err(LoadError::BadSignature("the bundle is signed already".into()));
            }
            let mut out = Vec::with_capacity(HEADER_LEN + bundle.len());
            out.extend_from_slice(MAGIC);
            out.push(VERSION);
            out.extend_from_slice(&self.public_key().id());
            let mut message = Vec::with_capacity(SIGNED_HEADER_LEN + bundle.len());
            message.extend_from_slice(&out);
            message.extend_from_slice(bundle);
            let signature = self.pair.sk.sign(&message, None);
            out.extend_from_slice(&*signature);
            out.extend_from_slice(bundle);
            Ok(out)
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn hex_round_trips_and_refuses_bad_text() {
        assert_eq!(to_hex(&[0, 0xab, 0xff]), "00abff");
        assert_eq!(from_hex::<3>(" 00ABff\n"), Some([0, 0xab, 0xff]));
        assert_eq!(from_hex::<3>("00abf"), None);
        assert_eq!(from_hex::<2>("zz00"), None);
        assert_eq!(from_hex::<1>("é"), None);
    }

    #[test]
    fn envelopes_are_split_without_cryptography() {
        assert_eq!(open(b"KAIROS\x01\x00").unwrap(), None);
        assert_eq!(unwrap(b"plain").unwrap(), b"plain");
        assert_eq!(open(b"KAIROSSIG\x01").unwrap_err().code(), ErrorCode::BundleSignature);
        let mut env = MAGIC.to_vec();
        env.push(VERSION);
        env.extend_from_slice(&[7; KEY_ID_LEN + SIGNATURE_LEN]);
        env.extend_from_slice(b"inner");
        let e = open(&env).unwrap().unwrap();
        assert_eq!((e.key_id, e.bundle), ([7; KEY_ID_LEN], &b"inner"[..]));
        env[MAGIC.len()] = 2;
        assert!(open(&env).unwrap_err().to_string().contains("version 2"));
    }
}
