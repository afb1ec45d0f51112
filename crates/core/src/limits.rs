//! Receive-side limits, with `ws` 8.23 defaults and semantics.
//!
//! | limit | default | counts | on excess |
//! |---|---|---|---|
//! | `max_payload` | 100 MiB | payload bytes of one message, summed over its frames and measured again after inflation | 1009 |
//! | `max_fragments` | 16 384 | data frames of one message, empty ones included (ws #2329) | 1008 |
//! | `max_buffered_chunks` | 262 144 | receive chunks held while a frame is still incomplete | 1008 |
//! | `max_pending_pongs` | 60 | automatic pongs queued but not yet written | terminate |
//!
//! A value of 0 disables a limit, as in `ws`. The `ws` option values are
//! coerced to 32-bit signed integers (`value | 0`); [`Limits::from_ws`] does
//! the same so that `-1` or `2**32` behave exactly as they do there.
//!
//! # Retained memory (CVE-2026-48779)
//!
//! `ws` < 8.21 kept one `Buffer` object per received fragment and chunk, so a
//! stream of tiny parts pinned far more memory than its byte count. This
//! engine keeps a message in one contiguous buffer and a frame's bytes in one
//! read buffer, so a part costs no memory beyond its payload bytes:
//! what a connection retains is bounded by `max_payload` plus one read buffer
//! and one inflate window, whatever the number of parts. The part counts are
//! still enforced, so an attacker gets the same 1008 that `ws` gives.

/// `ws`'s default `maxPayload`: 100 MiB.
pub const DEFAULT_MAX_PAYLOAD: usize = 100 * 1024 * 1024;
/// `ws`'s default `maxFragments` (8.21.x+).
pub const DEFAULT_MAX_FRAGMENTS: u32 = 16_384;
/// `ws`'s default `maxBufferedChunks` (8.21.x+).
pub const DEFAULT_MAX_BUFFERED_CHUNKS: u32 = 262_144;
/// `ws`'s default `maxPendingAutoPongs` (8.23.0).
pub const DEFAULT_MAX_PENDING_PONGS: u32 = 60;
/// The largest payload length `ws` accepts in a frame header: 2^53 − 1.
pub const MAX_SAFE_LENGTH: u64 = (1 << 53) - 1;

/// Receive limits for one connection. Zero disables a limit.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Limits {
    /// Largest message, in payload bytes (after inflation too).
    pub max_payload: usize,
    /// Most data frames in one message.
    pub max_fragments: u32,
    /// Most receive chunks buffered while a frame is incomplete.
    pub max_buffered_chunks: u32,
    /// Most automatic pongs pending before the connection is terminated.
    pub max_pending_pongs: u32,
}

impl Default for Limits {
    fn default() -> Self {
        Self {
            max_payload: DEFAULT_MAX_PAYLOAD,
            max_fragments: DEFAULT_MAX_FRAGMENTS,
            max_buffered_chunks: DEFAULT_MAX_BUFFERED_CHUNKS,
            max_pending_pongs: DEFAULT_MAX_PENDING_PONGS,
        }
    }
}

impl Limits {
    /// No limits at all. For tests and trusted peers only.
    pub const fn unlimited() -> Self {
        Self {
            max_payload: 0,
            max_fragments: 0,
            max_buffered_chunks: 0,
            max_pending_pongs: 0,
        }
    }

    /// Builds limits from `ws` option values, applying `ws`'s `value | 0`
    /// coercion: the low 32 bits read as a signed integer, with anything not
    /// positive meaning "no limit".
    pub fn from_ws(max_payload: i64, max_fragments: i64, max_chunks: i64, max_pongs: i64) -> Self {
        Self {
            max_payload: to_limit(max_payload),
            max_fragments: to_limit(max_fragments) as u32,
            max_buffered_chunks: to_limit(max_chunks) as u32,
            max_pending_pongs: to_limit(max_pongs) as u32,
        }
    }

    /// Whether a message of `total` payload bytes is over `max_payload`.
    pub const fn payload_exceeded(&self, total: u64) -> bool {
        self.max_payload > 0 && total > self.max_payload as u64
    }

    /// Whether `count` data frames in one message is over `max_fragments`.
    pub const fn fragments_exceeded(&self, count: u32) -> bool {
        self.max_fragments > 0 && count > self.max_fragments
    }

    /// Whether `count` buffered chunks has reached `max_buffered_chunks`
    /// (`ws` refuses the chunk that would make the count exceed it).
    pub const fn chunks_exceeded(&self, count: u32) -> bool {
        self.max_buffered_chunks > 0 && count > self.max_buffered_chunks
    }

    /// Whether one more automatic pong may be queued when `pending` are.
    pub const fn pong_allowed(&self, pending: u32) -> bool {
        self.max_pending_pongs == 0 || pending < self.max_pending_pongs
    }
}

/// `ws`'s `value | 0`, then "≤ 0 means unlimited".
fn to_limit(value: i64) -> usize {
    // Truncation to the low 32 bits is the point: it is JavaScript's ToInt32.
    let coerced = value as i32;
    usize::try_from(coerced).unwrap_or(0)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn defaults_match_ws_8_23() {
        let limits = Limits::default();
        assert_eq!(limits.max_payload, 104_857_600);
        assert_eq!(limits.max_fragments, 16_384);
        assert_eq!(limits.max_buffered_chunks, 262_144);
        assert_eq!(limits.max_pending_pongs, 60);
    }

    #[test]
    fn ws_coercion_is_to_int32() {
        let limits = Limits::from_ws(1 << 32, -1, (1 << 32) + 5, 0);
        assert_eq!(limits, Limits::from_ws(0, 0, 5, 0));
        assert_eq!(limits.max_payload, 0);
        assert_eq!(limits.max_buffered_chunks, 5);
        assert_eq!(Limits::from_ws(2_147_483_648, 1, 1, 1).max_payload, 0);
    }

    #[test]
    fn zero_disables_each_limit() {
        let limits = Limits::unlimited();
        assert!(!limits.payload_exceeded(u64::MAX));
        assert!(!limits.fragments_exceeded(u32::MAX));
        assert!(!limits.chunks_exceeded(u32::MAX));
        assert!(limits.pong_allowed(u32::MAX));
    }

    #[test]
    fn boundaries_are_inclusive_like_ws() {
        let limits = Limits::from_ws(10, 2, 3, 2);
        assert!(!limits.payload_exceeded(10) && limits.payload_exceeded(11));
        assert!(!limits.fragments_exceeded(2) && limits.fragments_exceeded(3));
        assert!(!limits.chunks_exceeded(3) && limits.chunks_exceeded(4));
        assert!(limits.pong_allowed(1) && !limits.pong_allowed(2));
    }
}
