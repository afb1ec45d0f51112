//! Compression (RFC 7692 §7.2.1).
//!
//! Every call ends with a sync flush, as ws does, so each fragment can be
//! sent as soon as it is compressed. On the last fragment the flush's
//! `00 00 ff ff` tail is removed.

use core::fmt;

use zlib_rs::{Deflate, DeflateConfig, DeflateFlush, Method, Status, Strategy};

use super::TRAILER;

/// zlib needs more than 6 bytes of output room to finish a flush cleanly.
const MIN_ROOM: usize = 64;

/// The first output reservation for large inputs.
const MAX_FIRST_RESERVE: usize = 64 * 1024;

/// Compressor for one direction of one connection.
///
/// The zlib state is allocated on first use. [`release`](Self::release) is
/// safe at any time between calls: a fresh stream never refers to data the
/// peer's decoder has not seen, so the peer is unaffected.
///
/// A window of 8 bits (which zlib cannot produce) is honoured with the
/// Huffman-only strategy: the output then has no back-references at all.
pub struct Deflater {
    config: DeflateConfig,
    no_context_takeover: bool,
    state: Option<Deflate>,
}

impl Deflater {
    /// A compressor limited to a `window_bits` window (8 to 15), resetting
    /// after each message when `no_context_takeover`, with zlib `level`
    /// (0 to 9) and `mem_level` (1 to 9). Out-of-range values are clamped
    /// ([`DeflateConfig::validate`](super::DeflateConfig::validate) rejects
    /// them earlier); a window below 9 selects Huffman-only coding.
    /// Allocates nothing.
    pub fn new(window_bits: u8, no_context_takeover: bool, level: u32, mem_level: u8) -> Self {
        let (window_bits, strategy) = if window_bits < 9 {
            (9, Strategy::HuffmanOnly)
        } else {
            (window_bits.min(15), Strategy::Default)
        };
        let config = DeflateConfig {
            level: i32::from(u8::try_from(level.min(9)).unwrap_or(9)),
            method: Method::Deflated,
            // Negative window bits select a raw deflate stream.
            window_bits: -i32::from(window_bits),
            mem_level: i32::from(mem_level.clamp(1, 9)),
            strategy,
        };
        Self {
            config,
            no_context_takeover,
            state: None,
        }
    }

    /// Whether the zlib state is currently allocated.
    pub fn is_allocated(&self) -> bool {
        self.state.is_some()
    }

    /// Compresses one message, or with `fin = false` one fragment of it,
    /// appending to `out`. Every call sync-flushes; on `fin` the trailing
    /// `00 00 ff ff` is removed and, with no context takeover, the stream is
    /// reset. An empty final fragment yields the single byte `00`, which with
    /// the receiver's trailer forms an empty stored block.
    ///
    /// ```
    /// use ferrows_core::deflate::Deflater;
    /// let mut deflater = Deflater::new(15, false, 6, 8);
    /// let mut first = Vec::new();
    /// deflater.compress(b"Hello", true, &mut first);
    /// let mut second = Vec::new();
    /// deflater.compress(b"Hello", true, &mut second);
    /// // RFC 7692 §7.2.3.2: the second message refers back to the first.
    /// assert_eq!(second, [0xf2, 0x00, 0x11, 0x00, 0x00]);
    /// ```
    pub fn compress(&mut self, input: &[u8], fin: bool, out: &mut Vec<u8>) {
        let start = out.len();
        let state = self
            .state
            .get_or_insert_with(|| Deflate::new_with_config(self.config));
        out.reserve((input.len() / 4).clamp(MIN_ROOM, MAX_FIRST_RESERVE));
        run(state, input, out);
        if !fin {
            return;
        }
        if out[start..].ends_with(&TRAILER) {
            out.truncate(out.len() - TRAILER.len());
        } else if out.len() == start {
            // A repeated sync flush with no new input emits nothing.
            out.push(0x00);
        }
        if self.no_context_takeover {
            state.reset();
        }
    }

    /// Frees the zlib state; the next call starts a fresh stream.
    pub fn release(&mut self) {
        self.state = None;
    }
}

/// Feeds all of `input` and completes a sync flush.
fn run(state: &mut Deflate, mut input: &[u8], out: &mut Vec<u8>) {
    loop {
        if out.capacity() - out.len() < MIN_ROOM {
            out.reserve(out.capacity().max(MIN_ROOM));
        }
        let (in_before, out_before) = (state.total_in(), state.total_out());
        let spare = out.spare_capacity_mut();
        let room = spare.len();
        // zlib only fails on a corrupted state, which `new` rules out; a
        // failure ends the call with what was produced so far.
        let status = state.compress_uninit(input, spare, DeflateFlush::SyncFlush);
        let consumed = usize::try_from(state.total_in() - in_before).unwrap_or(input.len());
        let produced = usize::try_from(state.total_out() - out_before)
            .unwrap_or(0)
            .min(room);
        // SAFETY: zlib wrote `produced` (≤ `room`) initialised bytes at the
        // start of the spare capacity, directly after `out.len()`.
        unsafe { out.set_len(out.len() + produced) };
        input = &input[consumed.min(input.len())..];
        let flushed = input.is_empty() && produced < room;
        let stuck = consumed == 0 && produced == 0;
        if flushed || stuck || !matches!(status, Ok(Status::Ok | Status::BufError)) {
            return;
        }
    }
}

impl fmt::Debug for Deflater {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Deflater")
            .field("config", &self.config)
            .field("no_context_takeover", &self.no_context_takeover)
            .field("allocated", &self.state.is_some())
            .finish()
    }
}

#[cfg(test)]
#[path = "compress_tests.rs"]
mod tests;
