//! The receive path: frames out of arbitrarily split input.
//!
//! Input arrives as `&mut [u8]` chunks (a driver's shared read buffer, a
//! JavaScript `Buffer`, a tokio read). The receiver parses frames straight out
//! of each chunk and unmasks them in place; only the unparsed tail of a chunk
//! — a partial header or a partial payload — is copied into the
//! connection's own buffer, which is freed again once it empties. So an idle
//! connection holds no receive buffer, and a complete small frame costs one
//! header decode, one in-place unmask and no copy.
//!
//! A partial payload is unmasked and, for uncompressed text, UTF-8-validated
//! as its bytes arrive, so an invalid sequence fails the connection before
//! the rest of the frame is awaited (Autobahn 6.4.3/6.4.4 strict). Each byte
//! is unmasked and validated once: the work is linear in the input however
//! it is split.

use std::marker::PhantomData;

use bytes::{Buf, BytesMut};

use crate::error::{Error, Kind};
use crate::frame::{self, Header, HeaderContext};
use crate::limits::Limits;
use crate::mask;
use std::mem::MaybeUninit;

use crate::protocol::message::Assembler;
use crate::role::Role;

/// A frame whose header is decoded and whose payload is still arriving.
#[derive(Clone, Copy, Debug)]
struct Pending {
    header: Header,
    /// Payload bytes already unmasked and validated (they sit at the front of
    /// the retained buffer).
    processed: usize,
}

/// The outcome of one parsing step.
#[derive(Clone, Copy, Debug)]
pub(crate) enum Step {
    /// More input is needed. `consumed` bytes (a decoded header) may be dropped;
    /// the rest must be retained.
    NeedMore { consumed: usize },
    /// A complete frame: its payload is `input[start..end]`, already unmasked.
    Frame {
        header: Header,
        start: usize,
        end: usize,
    },
}

/// Parses frames for role `R` and feeds data frames to the [`Assembler`].
#[derive(Debug)]
pub(crate) struct Receiver<R: Role> {
    buf: BytesMut,
    pending: Option<Pending>,
    pub(crate) message: Assembler,
    chunks_held: u32,
    _role: PhantomData<R>,
}

/// Room reserved ahead for a pending frame even when little of it is held.
const RESERVE_AHEAD_MIN: usize = 64 * 1024;

impl<R: Role> Receiver<R> {
    pub(crate) fn new(message: Assembler) -> Self {
        Self {
            buf: BytesMut::new(),
            pending: None,
            message,
            chunks_held: 0,
            _role: PhantomData,
        }
    }

    /// Counts an arriving chunk against `max_buffered_chunks` (the chunk that
    /// would exceed it is refused, as `ws` refuses it).
    pub(crate) fn admit_chunk(&self, limits: &Limits) -> Result<(), Error> {
        if limits.chunks_exceeded(self.chunks_held.saturating_add(1)) {
            return Err(Error::new(Kind::TooManyChunks));
        }
        Ok(())
    }

    /// Whether earlier input is still retained (a partial frame).
    pub(crate) fn has_retained(&self) -> bool {
        !self.buf.is_empty() || self.pending.is_some()
    }

    /// Moves the retained bytes out so the caller can parse `retained + chunk`
    /// as one slice; give it back with [`Receiver::restore`].
    ///
    /// Room for the rest of a pending frame is reserved ahead, but never more
    /// than the bytes already held (or [`RESERVE_AHEAD_MIN`]): a length in a
    /// frame header is only a claim, and a peer claiming 2^63 bytes (with
    /// `maxPayload` off) or 100 MiB on each of many connections must not get
    /// that allocated for a few bytes sent. Growth still doubles, so a large
    /// frame is copied O(1) times per byte on average.
    pub(crate) fn take_retained(&mut self, chunk: &[u8]) -> BytesMut {
        let mut buf = std::mem::take(&mut self.buf);
        let want = self.pending.map_or(0, |p| p.header.payload_len as usize);
        let held = buf.len() + chunk.len();
        let ahead = want
            .saturating_sub(buf.len())
            .min(held.max(RESERVE_AHEAD_MIN));
        buf.reserve(chunk.len().max(ahead));
        buf.extend_from_slice(chunk);
        buf
    }

    /// The retained buffer's allocation (for tests of what a claim costs).
    #[cfg(test)]
    pub(crate) fn capacity(&self) -> usize {
        self.buf.capacity()
    }

    /// Spare room at the end of the retained buffer for the next read: enough
    /// for the rest of the pending frame's payload, at least `min` and at most
    /// `max` bytes (fewer only if `max` is smaller than `min`).
    pub(crate) fn spare(&mut self, min: usize, max: usize) -> &mut [MaybeUninit<u8>] {
        let rest = self.pending.map_or(0, |p| {
            (p.header.payload_len as usize).saturating_sub(self.buf.len())
        });
        self.buf.reserve(rest.max(min).min(max));
        let spare = self.buf.spare_capacity_mut();
        let len = spare.len().min(max);
        &mut spare[..len]
    }

    /// Moves the retained bytes out, with `n` bytes of [`Receiver::spare`]
    /// counted as received; give the buffer back with [`Receiver::restore`].
    ///
    /// # Safety
    /// The first `n` bytes of the slice `spare` last returned must have been
    /// initialised, and the receiver not touched since.
    pub(crate) unsafe fn take_with_spare(&mut self, n: usize) -> BytesMut {
        let mut buf = std::mem::take(&mut self.buf);
        debug_assert!(n <= buf.capacity() - buf.len());
        // SAFETY: per the function contract, the `n` bytes after `len` are
        // initialised and within the capacity.
        unsafe { buf.set_len(buf.len() + n) };
        buf
    }

    /// Keeps `rest` (the unparsed tail of the input) for the next chunk and
    /// updates the chunk count. `progressed` says whether any frame completed.
    pub(crate) fn retain(&mut self, rest: &[u8], progressed: bool) {
        if rest.is_empty() {
            self.buf = BytesMut::new();
            self.chunks_held = 0;
            return;
        }
        self.buf.clear();
        self.buf.extend_from_slice(rest);
        self.chunks_held = if progressed {
            1
        } else {
            self.chunks_held.saturating_add(1)
        };
    }

    /// Like [`Receiver::retain`], for a buffer from [`Receiver::take_retained`]
    /// of which `consumed` bytes were parsed.
    pub(crate) fn restore(&mut self, mut buf: BytesMut, consumed: usize, progressed: bool) {
        buf.advance(consumed);
        if buf.is_empty() {
            self.buf = BytesMut::new();
            self.chunks_held = 0;
            return;
        }
        self.buf = buf;
        self.chunks_held = if progressed {
            1
        } else {
            self.chunks_held.saturating_add(1)
        };
    }

    /// Drops everything after a failure or the peer's close.
    pub(crate) fn halt(&mut self) {
        self.buf = BytesMut::new();
        self.pending = None;
        self.message.abandon();
    }

    /// Parses the next frame out of `input`.
    pub(crate) fn next_frame(&mut self, input: &mut [u8], limits: &Limits) -> Result<Step, Error> {
        let (header, start, processed) = match self.pending {
            Some(p) => (p.header, 0, p.processed),
            None => {
                let ctx = HeaderContext {
                    deflate: self.message.deflate(),
                    open_message: self.message.open_kind(),
                };
                let Some(header) = frame::decode_header::<R>(input, ctx)? else {
                    return Ok(Step::NeedMore { consumed: 0 });
                };
                if !header.opcode.is_control() {
                    self.message.on_header(&header, limits)?;
                }
                (header, usize::from(header.header_len), 0)
            }
        };
        let len =
            usize::try_from(header.payload_len).map_err(|_| Error::new(Kind::MessageTooBig))?;
        let available = input.len() - start;
        let end = start + len.min(available);
        self.progress(&header, &mut input[start + processed..end], processed)?;
        if available < len {
            self.pending = Some(Pending {
                header,
                processed: available,
            });
            return Ok(Step::NeedMore { consumed: start });
        }
        self.pending = None;
        Ok(Step::Frame { header, start, end })
    }

    /// Unmasks newly arrived payload bytes and validates them when the frame
    /// belongs to an uncompressed text message. `offset` is their position in
    /// the payload.
    fn progress(&mut self, header: &Header, fresh: &mut [u8], offset: usize) -> Result<(), Error> {
        if fresh.is_empty() {
            return Ok(());
        }
        if let Some(key) = header.mask {
            mask::apply(fresh, key, offset);
        }
        if !header.opcode.is_control() && self.message.streams_utf8() {
            self.message.feed_utf8(fresh)?;
        }
        Ok(())
    }

    /// Bytes retained for partial frames plus the message being reassembled.
    pub(crate) fn buffered(&self) -> usize {
        self.buf.len() + self.message.buffered()
    }
}
