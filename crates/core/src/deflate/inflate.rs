//! Bounded decompression (RFC 7692 §7.2.2).
//!
//! Output grows at most [`CHUNK`] bytes per zlib call and never past the
//! limit: once the output holds `limit` bytes, zlib decodes into a one-byte
//! probe, and any byte there ends the message as too big. A decompression
//! bomb therefore costs at most `limit` bytes of output buffer.

use core::fmt;
use core::mem::MaybeUninit;

use bytes::BytesMut;
use zlib_rs::{Inflate, InflateFlush, Status};

use super::TRAILER;

/// The most output one zlib call may produce.
pub(crate) const CHUNK: usize = 32 * 1024;

/// Decoding always uses the largest window (see the module doc of `deflate`).
const DECODE_WINDOW_BITS: u8 = 15;

/// Why a compressed message was rejected.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum InflateError {
    /// The inflated message would exceed the limit (ws: 1009,
    /// `WS_ERR_UNSUPPORTED_MESSAGE_LENGTH`).
    TooBig,
    /// The payload is not a valid deflate stream (ws: 1007).
    Corrupt,
}

impl InflateError {
    /// The close code ws uses for this error.
    pub fn close_code(self) -> u16 {
        match self {
            Self::TooBig => 1009,
            Self::Corrupt => 1007,
        }
    }
}

impl fmt::Display for InflateError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            Self::TooBig => "Max payload size exceeded",
            Self::Corrupt => "Invalid compressed data",
        })
    }
}

impl std::error::Error for InflateError {}

/// Decompressor for one direction of one connection.
///
/// - The zlib state is allocated on first use and freed by
///   [`release`](Self::release).
/// - After an error the inflater is failed for good: every later call
///   returns the same error, and the connection must be closed.
/// - A message may end its deflate stream with a final block (BFINAL = 1,
///   RFC 7692 §7.2.3.4). Bytes after that block are ignored, as ws (Node's
///   zlib) does, and the next message starts a fresh stream.
/// - A message whose payload is empty in every frame is an empty message; the
///   trailer is not appended for it, so it cannot desynchronise the stream.
pub struct Inflater {
    window_bits: u8,
    no_context_takeover: bool,
    state: Option<Inflate>,
    /// The current message has carried compressed bytes.
    has_input: bool,
    /// The current message's deflate stream ended with a final block.
    ended: bool,
    failed: Option<InflateError>,
}

impl Inflater {
    /// A decompressor for a peer that compresses with `window_bits` (8 to 15)
    /// and resets after each message when `no_context_takeover`.
    /// Allocates nothing.
    pub fn new(window_bits: u8, no_context_takeover: bool) -> Self {
        Self {
            window_bits,
            no_context_takeover,
            state: None,
            has_input: false,
            ended: false,
            failed: None,
        }
    }

    /// The peer's negotiated window bits (decoding itself uses 15).
    pub fn window_bits(&self) -> u8 {
        self.window_bits
    }

    /// Whether the zlib state is currently allocated.
    pub fn is_allocated(&self) -> bool {
        self.state.is_some()
    }

    /// Inflates one frame's compressed payload, appending the output to
    /// `out`. On `fin`, appends the `00 00 ff ff` trailer first (RFC 7692
    /// §7.2.2) and, with no context takeover, resets afterwards.
    ///
    /// `limit` is the most bytes `out` may hold for this message (0 means
    /// unlimited). Inflation stops as soon as the output would pass it, with
    /// [`InflateError::TooBig`]; `out` never holds more than `limit` bytes,
    /// and this call never grows its capacity past `limit`.
    ///
    /// ```
    /// use bytes::BytesMut;
    /// use ferrows_core::deflate::{InflateError, Inflater};
    /// let mut inflater = Inflater::new(15, false);
    /// let mut out = BytesMut::new();
    /// // "Hello" (RFC 7692 §7.2.3.1) in two frames.
    /// inflater.inflate(&[0xf2, 0x48, 0xcd], false, &mut out, 0).unwrap();
    /// inflater.inflate(&[0xc9, 0xc9, 0x07, 0x00], true, &mut out, 0).unwrap();
    /// assert_eq!(&out[..], b"Hello");
    /// let mut small = BytesMut::new();
    /// let err = inflater.inflate(&[0xf2, 0x00, 0x11, 0x00, 0x00], true, &mut small, 4);
    /// assert_eq!(err, Err(InflateError::TooBig));
    /// assert_eq!(InflateError::TooBig.close_code(), 1009);
    /// ```
    pub fn inflate(
        &mut self,
        input: &[u8],
        fin: bool,
        out: &mut BytesMut,
        limit: usize,
    ) -> Result<(), InflateError> {
        if let Some(err) = self.failed {
            return Err(err);
        }
        self.has_input |= !input.is_empty();
        let mut result = self.feed(input, out, limit);
        if fin && self.has_input && result.is_ok() {
            result = self.feed(&TRAILER, out, limit);
        }
        if let Err(err) = result {
            self.failed = Some(err);
            self.state = None;
            return Err(err);
        }
        if fin {
            self.end_message();
        }
        Ok(())
    }

    /// Frees the zlib state. Between messages this loses nothing when the
    /// peer does not take over its context; otherwise the next message
    /// referring to earlier data fails as [`InflateError::Corrupt`]. Call it
    /// on idle no-context-takeover connections, after an error, or at close.
    pub fn release(&mut self) {
        self.state = None;
        self.has_input = false;
        self.ended = false;
    }

    fn end_message(&mut self) {
        if self.ended || self.no_context_takeover {
            if let Some(state) = &mut self.state {
                state.reset(false);
            }
        }
        self.has_input = false;
        self.ended = false;
    }

    fn feed(
        &mut self,
        mut input: &[u8],
        out: &mut BytesMut,
        limit: usize,
    ) -> Result<(), InflateError> {
        if self.ended || input.is_empty() {
            return Ok(());
        }
        let state = self
            .state
            .get_or_insert_with(|| Inflate::new(false, DECODE_WINDOW_BITS));
        loop {
            let step = step(state, input, out, limit)?;
            input = &input[step.consumed..];
            if step.status == Status::StreamEnd {
                self.ended = true;
                return Ok(());
            }
            if step.produced < step.room && input.is_empty() {
                return Ok(());
            }
            if step.consumed == 0 && step.produced == 0 {
                return Err(InflateError::Corrupt);
            }
        }
    }
}

/// The outcome of one zlib call.
struct Step {
    consumed: usize,
    produced: usize,
    /// The output room the call was given.
    room: usize,
    status: Status,
}

/// One zlib call. Below the limit it writes up to one chunk into `out`; at
/// the limit it decodes into a one-byte probe, and any output there means
/// the message is too big. So `out` never grows past `limit`.
fn step(
    state: &mut Inflate,
    input: &[u8],
    out: &mut BytesMut,
    limit: usize,
) -> Result<Step, InflateError> {
    if limit != 0 && out.len() >= limit {
        let mut probe = [MaybeUninit::uninit(); 1];
        let step = decompress(state, input, &mut probe)?;
        if step.produced > 0 {
            return Err(InflateError::TooBig);
        }
        return Ok(step);
    }
    let room = make_room(out, input.len(), limit);
    let step = decompress(state, input, &mut out.spare_capacity_mut()[..room])?;
    // SAFETY: zlib wrote `step.produced` (≤ `room`) initialised bytes at the
    // start of the spare capacity it was given, directly after `out.len()`.
    unsafe { out.set_len(out.len() + step.produced) };
    Ok(step)
}

fn decompress(
    state: &mut Inflate,
    input: &[u8],
    output: &mut [MaybeUninit<u8>],
) -> Result<Step, InflateError> {
    let (in_before, out_before) = (state.total_in(), state.total_out());
    let status = state
        .decompress_uninit(input, output, InflateFlush::SyncFlush)
        .map_err(|_| InflateError::Corrupt)?;
    let consumed = usize::try_from(state.total_in() - in_before).unwrap_or(usize::MAX);
    let produced = usize::try_from(state.total_out() - out_before).unwrap_or(usize::MAX);
    Ok(Step {
        consumed: consumed.min(input.len()),
        produced: produced.min(output.len()),
        room: output.len(),
        status,
    })
}

/// Below this much spare capacity, the output buffer is grown first.
const MIN_ROOM: usize = 512;

/// Ensures spare capacity below the limit and returns the room for the next
/// call: at most one chunk, never past the limit. Small inputs get small
/// reservations; `BytesMut`'s doubling keeps large outputs amortised.
fn make_room(out: &mut BytesMut, input_len: usize, limit: usize) -> usize {
    let allowed = if limit == 0 {
        CHUNK
    } else {
        CHUNK.min(limit - out.len())
    };
    if out.capacity() - out.len() < MIN_ROOM.min(allowed) {
        let want = input_len
            .saturating_mul(4)
            .clamp(MIN_ROOM, CHUNK)
            .min(allowed);
        reserve_bounded(out, want, limit);
    }
    (out.capacity() - out.len()).min(allowed)
}

/// Reserves `room` more bytes without letting the capacity pass `limit`:
/// `BytesMut::reserve` doubles, which could overshoot a limit by almost 2×,
/// so the last growth before the limit is exact.
fn reserve_bounded(out: &mut BytesMut, room: usize, limit: usize) {
    let len = out.len();
    if out.capacity() - len >= room {
        return;
    }
    let doubled = out.capacity().saturating_mul(2).max(len + room);
    if limit == 0 || doubled <= limit {
        out.reserve(room);
        return;
    }
    let mut exact = BytesMut::with_capacity(limit.max(len + room));
    exact.extend_from_slice(out);
    *out = exact;
}

impl fmt::Debug for Inflater {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Inflater")
            .field("window_bits", &self.window_bits)
            .field("no_context_takeover", &self.no_context_takeover)
            .field("allocated", &self.state.is_some())
            .field("failed", &self.failed)
            .finish()
    }
}

#[cfg(test)]
#[path = "inflate_tests.rs"]
mod tests;
