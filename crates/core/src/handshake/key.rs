//! `Sec-WebSocket-Key` and `Sec-WebSocket-Accept` (RFC 6455 §4.1, §4.2.2).

use base64::engine::general_purpose::STANDARD;
use base64::Engine as _;
use sha1::{Digest, Sha1};

use super::GUID;

/// The `Sec-WebSocket-Accept` value for a `Sec-WebSocket-Key`:
/// `base64(sha1(key + GUID))`.
///
/// The key is hashed as given (no trimming, no validation), as `ws` does.
///
/// ```
/// use ferrows_core::handshake::accept_key;
/// assert_eq!(accept_key(b"dGhlIHNhbXBsZSBub25jZQ=="), "s3pPLMBiTxaQ9kYGzzhZRbK+xOo=");
/// ```
pub fn accept_key(key: &[u8]) -> String {
    let mut hasher = Sha1::new();
    hasher.update(key);
    hasher.update(GUID.as_bytes());
    STANDARD.encode(hasher.finalize())
}

/// Whether `key` is a well-formed `Sec-WebSocket-Key`: exactly 22 characters
/// of the base64 alphabet followed by `==`, the check `ws` makes with
/// `/^[+/0-9A-Za-z]{22}==$/`. The padding bits of the last character are not
/// checked, as in `ws`.
///
/// ```
/// use ferrows_core::handshake::is_valid_key;
/// assert!(is_valid_key("dGhlIHNhbXBsZSBub25jZQ=="));
/// assert!(!is_valid_key("dGhlIHNhbXBsZSBub25jZQ"));
/// ```
pub fn is_valid_key(key: &str) -> bool {
    let bytes = key.as_bytes();
    bytes.len() == 24 && bytes[..22].iter().all(|&b| is_base64_char(b)) && &bytes[22..] == b"=="
}

/// A fresh `Sec-WebSocket-Key`: the base64 of 16 random bytes, which the
/// caller supplies (the core has no source of randomness).
///
/// ```
/// use ferrows_core::handshake::{generate_key, is_valid_key};
/// let key = generate_key([7; 16]);
/// assert!(is_valid_key(&key));
/// ```
pub fn generate_key(random16: [u8; 16]) -> String {
    STANDARD.encode(random16)
}

fn is_base64_char(b: u8) -> bool {
    b.is_ascii_alphanumeric() || b == b'+' || b == b'/'
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn accept_key_matches_rfc6455_example() {
        assert_eq!(
            accept_key(b"dGhlIHNhbXBsZSBub25jZQ=="),
            "s3pPLMBiTxaQ9kYGzzhZRbK+xOo="
        );
    }

    #[test]
    fn accept_key_hashes_key_verbatim() {
        assert_ne!(
            accept_key(b" dGhlIHNhbXBsZSBub25jZQ=="),
            accept_key(b"dGhlIHNhbXBsZSBub25jZQ==")
        );
    }

    #[test]
    fn generate_key_round_trips_through_validation() {
        for seed in [0_u8, 1, 0x7f, 0xfe, 0xff] {
            let key = generate_key([seed; 16]);
            assert_eq!(key.len(), 24);
            assert!(is_valid_key(&key), "{key}");
        }
        assert_eq!(
            generate_key(*b"the sample nonce"),
            "dGhlIHNhbXBsZSBub25jZQ=="
        );
    }

    #[test]
    fn valid_key_accepts_every_alphabet_char() {
        assert!(is_valid_key("+/0123456789ABCDEFGHIJ=="));
        assert!(is_valid_key("KLMNOPQRSTUVWXYZabcdef=="));
        assert!(is_valid_key("ghijklmnopqrstuvwxyzAA=="));
    }

    #[test]
    fn invalid_key_is_rejected() {
        for key in [
            "",
            "dGhlIHNhbXBsZSBub25jZQ=",
            "dGhlIHNhbXBsZSBub25jZQ===",
            "dGhlIHNhbXBsZSBub25jZQ==\n",
            " dGhlIHNhbXBsZSBub25jZQ==",
            "dGhlIHNhbXBsZSBub25jZ===",
            "dGhlIHNhbXBsZSBub25jZQ-=",
            "dGhlIHNhbXBsZSBub25j-Q==",
            "dGhlIHNhbXBsZSBub25jZQAA",
            "dGhlIHNhbXBsZSBub25jZQé=",
            "dGhlIHNhbXBsZSBub25jZQ",
        ] {
            assert!(!is_valid_key(key), "{key:?}");
        }
    }
}
