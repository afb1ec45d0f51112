//! Streaming UTF-8 validation that fails at the first bad byte.
//!
//! A text message reaches the engine in pieces: frame fragments, partial
//! frames and TCP chunks split anywhere, even inside a code point.
//! [`Utf8Stream`] validates those pieces as they arrive, so invalid text is
//! rejected (close code 1007) **before the rest of the message is awaited**.
//! This is what Autobahn 6.4.1–6.4.4 score as strict. `ws` validates only once
//! the whole message is there, so it scores them NON-STRICT.
//! [`validate`] checks a complete buffer, such as a close reason or a whole
//! unfragmented payload.
//!
//! # Contract
//!
//! - **Same answer as `std`.** Feeding the pieces of a message and then
//!   calling [`Utf8Stream::finish`] succeeds exactly when
//!   [`std::str::from_utf8`] accepts their concatenation. This holds whatever
//!   the split, including empty pieces and 1-byte pieces. Noncharacters
//!   (U+FFFE, U+FFFF, U+FDD0…) are valid. Overlongs, surrogates, code points
//!   above U+10FFFF and the bytes `C0`, `C1` and `F5`–`FF` are invalid.
//! - **Fail fast.** [`Utf8Stream::feed`] fails in the call whose bytes first
//!   make the input so far impossible to extend into valid UTF-8, which is when
//!   `std` reports an `error_len` of `Some` for that prefix. This includes an
//!   incomplete sequence at the end of the piece that is already wrong, such as
//!   `F4 90` (above U+10FFFF), `ED A0` (a surrogate), `E0 80` (an overlong),
//!   `C0` or `F5`. A sequence that is merely cut short (`E2 82`) is carried
//!   and does not fail until [`Utf8Stream::finish`].
//! - **Sticky failure.** After a failure, every `feed` fails until `finish`
//!   or [`Utf8Stream::reset`]. `finish` always leaves a fresh stream for the
//!   next message.
//! - **Bounded.** A stream is a few bytes on the stack with no heap. Each
//!   `feed` looks only at its own bytes plus at most 3 carried ones.
//!
//! # Algorithm
//!
//! A stream carries at most 3 bytes: the start of a code point that a piece
//! cut short. It has already checked that those bytes can begin a valid
//! sequence. `feed(bytes)` works in three steps.
//!
//! 1. **Complete the carried code point.** If bytes are carried, copy them
//!    into a 4-byte scratch array. Then append the missing bytes from the
//!    front of `bytes` (the lead byte gives the length), or as many as there
//!    are. `simdutf8::compat::from_utf8` runs on those at most 4 bytes. `Ok`
//!    means the code point is complete. An `error_len` of `None` means it is
//!    still a valid prefix, so it is carried again. In that case all of `bytes`
//!    has been used, since it was too short to finish the code point.
//!    `Some` means the input is invalid.
//! 2. **Split off an incomplete tail.** Look at the last 3 bytes of what
//!    remains for the last byte that is not a continuation byte
//!    (`10xxxxxx`). If it is a lead byte (`>= C0`) whose sequence needs more
//!    bytes than are left, the *tail* starts there and is 1–3 bytes long.
//!    Otherwise the tail is empty.
//! 3. **Validate the body, then check the tail.** The body is everything
//!    before the tail and must be complete UTF-8, so the fast path is one
//!    `simdutf8::basic::from_utf8` call. A failure there is final: the body
//!    holds a bad sequence, or it ends in a cut-short sequence that is followed
//!    by the tail's lead byte. (With an empty tail, step 2 has shown that the
//!    piece does not end in a valid cut-short sequence.) The tail goes through
//!    `compat::from_utf8` as in step 1: `error_len` `None` carries it, `Some`
//!    (for example `F4 90` or `C0`) fails now, without waiting for more input.
//!
//! **Why it is linear.** Every new byte is handed to `simdutf8` exactly once:
//! in the step-1 scratch array, in the body or in the tail. The only bytes
//! looked at again are carried ones, at most 3 per `feed`. So the work for a
//! message is O(total bytes + number of feeds), whatever the split, and no
//! complete code point already accepted is validated again. The `differential` tests count the
//! bytes handed to `simdutf8` and check this bound.

mod error;
mod stream;
mod tail;

#[cfg(test)]
mod conformance;
#[cfg(test)]
mod differential;

pub use error::Utf8Error;
pub use stream::Utf8Stream;

/// Validates a complete buffer as UTF-8 with `simdutf8`'s fast path, for
/// whole payloads and close reasons.
///
/// ```
/// # use ferrows_core::utf8::validate;
/// assert!(validate("κόσμε \u{FFFF}".as_bytes()));
/// assert!(!validate(b"\xED\xA0\x80"));
/// ```
#[must_use]
pub fn validate(bytes: &[u8]) -> bool {
    simdutf8::basic::from_utf8(bytes).is_ok()
}
