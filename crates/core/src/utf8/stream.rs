//! [`Utf8Stream`]: validation of one text message that arrives in pieces.

use super::error::Utf8Error;
use super::tail::{incomplete_start, sequence_len};

/// Validates one text message delivered in pieces: frame fragments, partial
/// frames, or TCP chunks split anywhere.
///
/// Call [`feed`](Self::feed) for each piece in order, then
/// [`finish`](Self::finish) at the end of the message. `feed` fails in the
/// call whose bytes first make the message impossible to complete as UTF-8
/// (see the [module docs](super) for the exact contract and the algorithm).
///
/// ```
/// # use ferrows_core::utf8::Utf8Stream;
/// let mut stream = Utf8Stream::new();
/// // "€" (E2 82 AC) split across two fragments.
/// stream.feed(b"price: \xE2\x82")?;
/// assert!(!stream.is_boundary());
/// stream.feed(b"\xAC 5")?;
/// stream.finish()?;
///
/// // F4 90 is above U+10FFFF: rejected before the rest arrives.
/// assert!(stream.feed(b"ok \xF4\x90").is_err());
/// # Ok::<(), ferrows_core::utf8::Utf8Error>(())
/// ```
#[derive(Clone, Copy, Debug, Default)]
pub struct Utf8Stream {
    /// The first bytes of a code point that the last piece cut short.
    carry: [u8; 3],
    /// How many bytes of `carry` are in use (0 at a code point boundary).
    carried: u8,
    /// Set by a failed `feed`; every `feed` fails until `finish` or `reset`.
    failed: bool,
}

impl Utf8Stream {
    /// A stream at the start of a message.
    #[must_use]
    pub const fn new() -> Self {
        Self {
            carry: [0; 3],
            carried: 0,
            failed: false,
        }
    }

    /// Validates the next bytes of the message.
    ///
    /// Fails as soon as the input so far cannot be the start of valid UTF-8.
    /// That includes an incomplete sequence at the end of `bytes` that is
    /// already wrong (such as `F4 90`, `ED A0`, `E0 80`, `C0` or `F5`). The
    /// error does not wait for more input. A correct but cut-short sequence is
    /// carried into the next call. Empty `bytes` are fine.
    ///
    /// # Errors
    ///
    /// [`Utf8Error`] if the message cannot be valid UTF-8, or if an earlier
    /// `feed` already failed.
    pub fn feed(&mut self, bytes: &[u8]) -> Result<(), Utf8Error> {
        if self.failed {
            return Err(Utf8Error::new());
        }
        let result = self.feed_valid(bytes);
        if result.is_err() {
            self.failed = true;
            self.carried = 0;
        }
        result
    }

    /// Ends the message and resets the stream for the next one.
    ///
    /// # Errors
    ///
    /// [`Utf8Error`] if a code point is still incomplete, or if a `feed`
    /// failed.
    pub fn finish(&mut self) -> Result<(), Utf8Error> {
        let complete = !self.failed && self.carried == 0;
        self.reset();
        if complete {
            Ok(())
        } else {
            Err(Utf8Error::new())
        }
    }

    /// Drops any carried state and any failure, for example when a message
    /// is abandoned.
    pub fn reset(&mut self) {
        *self = Self::new();
    }

    /// True when no partial code point is carried.
    #[must_use]
    pub const fn is_boundary(&self) -> bool {
        self.carried == 0
    }

    /// `feed` on a stream that has not failed.
    fn feed_valid(&mut self, bytes: &[u8]) -> Result<(), Utf8Error> {
        let mut rest = bytes;
        if self.carried != 0 {
            rest = &rest[self.complete_carried(rest)?..];
            if self.carried != 0 {
                return Ok(());
            }
        }
        let (body, tail) = rest.split_at(incomplete_start(rest));
        note_examined(body.len());
        if simdutf8::basic::from_utf8(body).is_err() {
            return Err(Utf8Error::new());
        }
        self.hold(tail)
    }

    /// Appends the missing bytes of the carried code point from the front of
    /// `bytes`, or as many as there are, and returns how many it used.
    fn complete_carried(&mut self, bytes: &[u8]) -> Result<usize, Utf8Error> {
        let have = usize::from(self.carried);
        let take = (sequence_len(self.carry[0]) - have).min(bytes.len());
        let mut seq = [0; 4];
        seq[..have].copy_from_slice(&self.carry[..have]);
        seq[have..have + take].copy_from_slice(&bytes[..take]);
        self.hold(&seq[..have + take])?;
        Ok(take)
    }

    /// Checks `seq`, which is empty or one code point from its lead byte on,
    /// maybe cut short. Carries it if it is cut short but still a valid
    /// start; fails if it can never become valid.
    fn hold(&mut self, seq: &[u8]) -> Result<(), Utf8Error> {
        note_examined(seq.len());
        self.carried = 0;
        match simdutf8::compat::from_utf8(seq) {
            Ok(_) => Ok(()),
            Err(err) if err.error_len().is_none() => {
                debug_assert!(err.valid_up_to() == 0 && seq.len() <= 3);
                self.carry[..seq.len()].copy_from_slice(seq);
                self.carried = seq.len() as u8;
                Ok(())
            }
            Err(_) => Err(Utf8Error::new()),
        }
    }
}

#[cfg(test)]
thread_local! {
    /// Bytes handed to `simdutf8` on this thread, so tests can check that the
    /// work is linear.
    pub(super) static EXAMINED: std::cell::Cell<usize> = const { std::cell::Cell::new(0) };
}

/// Counts bytes handed to `simdutf8` (tests only; free otherwise).
#[inline(always)]
fn note_examined(len: usize) {
    #[cfg(test)]
    EXAMINED.with(|count| count.set(count.get() + len));
    #[cfg(not(test))]
    let _ = len;
}

#[cfg(test)]
mod tests {
    use super::Utf8Stream;

    #[test]
    fn stream_new_equals_default_and_is_at_boundary() {
        let stream = Utf8Stream::new();
        assert!(stream.is_boundary());
        assert_eq!(
            format!("{stream:?}"),
            format!("{:?}", Utf8Stream::default())
        );
    }

    #[test]
    fn stream_receives_empty_feeds_succeeds() {
        let mut stream = Utf8Stream::new();
        stream.feed(b"").unwrap();
        stream.feed(b"\xF0").unwrap();
        stream.feed(b"").unwrap();
        stream.feed(b"\x9F\x98").unwrap();
        stream.feed(b"").unwrap();
        assert!(!stream.is_boundary());
        stream.feed(b"\x80").unwrap();
        stream.feed(b"").unwrap();
        assert!(stream.is_boundary());
        stream.finish().unwrap();
    }

    #[test]
    fn stream_receives_empty_message_succeeds() {
        let mut stream = Utf8Stream::new();
        stream.finish().unwrap();
        stream.feed(b"").unwrap();
        stream.finish().unwrap();
    }

    #[test]
    fn stream_finishes_after_truncated_sequences_fails() {
        let truncated: [&[u8]; 6] = [
            b"\xC3",
            b"\xE2",
            b"\xE2\x82",
            b"\xF0",
            b"\xF0\x9F",
            b"\xF0\x9F\x98",
        ];
        for prefix in truncated {
            let mut stream = Utf8Stream::new();
            stream.feed(b"abc").unwrap();
            stream.feed(prefix).unwrap();
            assert!(!stream.is_boundary(), "{prefix:02X?}");
            assert!(stream.finish().is_err(), "{prefix:02X?}");
            assert!(stream.is_boundary());
            stream.feed(b"next message").unwrap();
            stream.finish().unwrap();
        }
    }

    #[test]
    fn stream_receives_bytes_after_failure_fails() {
        let mut stream = Utf8Stream::new();
        assert!(stream.feed(b"a\xFFb").is_err());
        assert!(stream.is_boundary());
        assert!(stream.feed(b"valid").is_err());
        assert!(stream.feed(b"").is_err());
        assert!(stream.finish().is_err());
        stream.feed(b"valid").unwrap();
        stream.finish().unwrap();
    }

    #[test]
    fn stream_reset_drops_carried_bytes_and_failure() {
        let mut stream = Utf8Stream::new();
        stream.feed(b"\xE2\x82").unwrap();
        stream.reset();
        assert!(stream.is_boundary());
        // The carried E2 82 is gone, so AC is now a stray continuation byte.
        assert!(stream.feed(b"\xAC").is_err());
        stream.reset();
        stream.feed(b"ok").unwrap();
        stream.finish().unwrap();
    }

    #[test]
    fn stream_copy_validates_independently() {
        let mut first = Utf8Stream::new();
        first.feed(b"\xCE").unwrap();
        let mut second = first;
        first.feed(b"\xBA").unwrap();
        assert!(second.feed(b"A").is_err());
        first.finish().unwrap();
    }

    #[test]
    fn stream_receives_bad_continuation_of_carried_code_point_fails() {
        let mut stream = Utf8Stream::new();
        stream.feed(b"\xE2").unwrap();
        assert!(stream.feed(b"\x82A").is_err());
    }

    #[test]
    fn stream_receives_piece_completing_and_starting_code_points_succeeds() {
        let mut stream = Utf8Stream::new();
        stream.feed(b"\xE2").unwrap();
        stream.feed(b"\x82\xACx\xF0\x9F").unwrap();
        assert!(!stream.is_boundary());
        stream.feed(b"\x98\x80\xC3").unwrap();
        stream.feed(b"\xA9").unwrap();
        stream.finish().unwrap();
    }
}
