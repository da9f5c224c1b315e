//! Base64 (RFC 4648) for cookies, ids and tokens: the URL-safe alphabet without padding, and the
//! standard one with padding for KV uploads. Written here rather than taken from the `base64`
//! crate, whose general-purpose engine cost the Worker about 2 KB gzipped; the tests hold this
//! one to that crate, byte for byte, on random input.

const URL_SAFE: &[u8; 64] = b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_";
const STANDARD: &[u8; 64] = b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";

fn encode_with(bytes: &[u8], alphabet: &[u8; 64], pad: bool) -> String {
    let mut out = String::with_capacity(bytes.len().div_ceil(3) * 4);
    for chunk in bytes.chunks(3) {
        let n = chunk.iter().enumerate().fold(0u32, |n, (i, &b)| n | u32::from(b) << (16 - 8 * i));
        let chars = chunk.len() + 1;
        for i in 0..4 {
            if i < chars {
                out.push(char::from(alphabet[(n >> (18 - 6 * i) & 63) as usize]));
            } else if pad {
                out.push('=');
            }
        }
    }
    out
}

/// URL-safe, unpadded.
pub fn encode(bytes: impl AsRef<[u8]>) -> String {
    encode_with(bytes.as_ref(), URL_SAFE, false)
}

/// Standard alphabet, padded.
pub fn encode_standard(bytes: impl AsRef<[u8]>) -> String {
    encode_with(bytes.as_ref(), STANDARD, true)
}

/// Not URL-safe unpadded base64 in its one canonical form.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Invalid;

/// URL-safe, unpadded, canonical only: padding, other characters, a length that leaves a lone
/// character, or bits set past the last byte are refused (as the `base64` crate refuses them).
pub fn decode(text: impl AsRef<[u8]>) -> Result<Vec<u8>, Invalid> {
    let text = text.as_ref();
    let value = |c: u8| -> Result<u32, Invalid> {
        Ok(u32::from(match c {
            b'A'..=b'Z' => c - b'A',
            b'a'..=b'z' => c - b'a' + 26,
            b'0'..=b'9' => c - b'0' + 52,
            b'-' => 62,
            b'_' => 63,
            _ => return Err(Invalid),
        }))
    };
    let mut out = Vec::with_capacity(text.len() / 4 * 3 + 2);
    for chunk in text.chunks(4) {
        if chunk.len() == 1 {
            return Err(Invalid);
        }
        let mut n = 0u32;
        for (i, &c) in chunk.iter().enumerate() {
            n |= value(c)? << (18 - 6 * i);
        }
        let bytes = chunk.len() - 1;
        // Bits below the last whole byte must be zero.
        if n & (0xff_ffff >> (8 * bytes)) != 0 {
            return Err(Invalid);
        }
        out.extend((0..bytes).map(|i| (n >> (16 - 8 * i)) as u8));
    }
    Ok(out)
}

#[cfg(test)]
mod tests {
    use super::*;
    use base64::engine::general_purpose::{STANDARD as CRATE_STANDARD, URL_SAFE_NO_PAD};
    use base64::Engine as _;
    use proptest::prelude::*;

    #[test]
    fn rfc_4648_vectors() {
        for (plain, coded) in [
            ("", ""),
            ("f", "Zg"),
            ("fo", "Zm8"),
            ("foo", "Zm9v"),
            ("foob", "Zm9vYg"),
            ("fooba", "Zm9vYmE"),
            ("foobar", "Zm9vYmFy"),
        ] {
            assert_eq!(encode(plain), coded);
            assert_eq!(decode(coded).unwrap(), plain.as_bytes());
        }
        assert_eq!(encode_standard("fo"), "Zm8=");
        assert_eq!(encode([0xfb, 0xff]), "-_8");
        for bad in ["Zm8=", "Z", "Zm9vY", "Zm+v", "Zh", "Zm9"] {
            assert_eq!(decode(bad), Err(Invalid), "{bad}");
        }
    }

    proptest! {
        #[test]
        fn agrees_with_the_base64_crate(bytes in proptest::collection::vec(any::<u8>(), 0..64), text in "[A-Za-z0-9_=+/-]{0,12}") {
            prop_assert_eq!(encode(&bytes), URL_SAFE_NO_PAD.encode(&bytes));
            prop_assert_eq!(encode_standard(&bytes), CRATE_STANDARD.encode(&bytes));
            prop_assert_eq!(decode(encode(&bytes)).unwrap(), bytes);
            prop_assert_eq!(decode(&text).ok(), URL_SAFE_NO_PAD.decode(&text).ok(), "{}", text);
        }
    }
}
