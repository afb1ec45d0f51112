//! Randomness from the operating system: masking seeds and handshake keys.
//!
//! The engine has no random source of its own; RFC 6455 §10.3 asks for
//! unpredictable masking keys and §4.1 for a random `Sec-WebSocket-Key`.

use std::collections::hash_map::RandomState;
use std::hash::{BuildHasher, Hasher};

/// 32 random bytes for the engine's masking-key generator.
pub(crate) fn seed() -> [u8; 32] {
    let mut out = [0; 32];
    fill(&mut out);
    out
}

/// 16 random bytes for a `Sec-WebSocket-Key`.
pub(crate) fn key_bytes() -> [u8; 16] {
    let mut out = [0; 16];
    fill(&mut out);
    out
}

/// Fills `out` from the OS. Should the OS source fail, falls back to std's
/// per-process random SipHash keys, so a connection never panics for it.
fn fill(out: &mut [u8]) {
    if getrandom::fill(out).is_ok() {
        return;
    }
    for chunk in out.chunks_mut(8) {
        let mut hasher = RandomState::new().build_hasher();
        hasher.write_usize(chunk.as_ptr() as usize);
        let bytes = hasher.finish().to_le_bytes();
        chunk.copy_from_slice(&bytes[..chunk.len()]);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn keys_are_not_repeated() {
        assert_ne!(key_bytes(), key_bytes());
        assert_ne!(seed(), [0; 32]);
    }
}
