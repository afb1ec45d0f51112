//! Reassembly of data frames into messages: fragments, inflation, UTF-8.
//!
//! A message is opened when the header of its first frame is decoded (so a
//! text frame's bytes can be validated while they are still arriving) and
//! closed when its FIN frame is complete. An unfragmented, uncompressed
//! message never touches the reassembly buffer: it is handed out as a view
//! of the receive buffer.

use bytes::BytesMut;

use crate::deflate::{InflateError, Inflater};
use crate::error::{Error, Kind};
use crate::frame::{DataKind, Header, OpCode};
use crate::limits::Limits;
use crate::protocol::event::{EventHandler, Payload};
use crate::utf8::Utf8Stream;

/// A reassembly buffer larger than this is freed after its message is
/// delivered, so an idle connection does not keep a large buffer alive.
const KEEP_CAPACITY: usize = 16 * 1024;

/// At most this many frame boundaries are kept per message (ws's default
/// `maxFragments`), so the list is bounded even with the limit disabled.
const MAX_TRACKED_FRAGMENTS: usize = 16_384;

/// The message being received.
#[derive(Clone, Copy, Debug)]
struct Open {
    kind: DataKind,
    compressed: bool,
    fragments: u32,
    wire_total: u64,
}

/// Reassembles data frames into messages.
#[derive(Debug)]
pub(crate) struct Assembler {
    open: Option<Open>,
    buf: BytesMut,
    utf8: Utf8Stream,
    /// Boxed: most connections never negotiate permessage-deflate.
    inflater: Option<Box<Inflater>>,
    validate_utf8: bool,
    /// Where each binary frame of the open message ends in `buf`.
    ends: Vec<u32>,
}

impl Assembler {
    pub(crate) fn new(inflater: Option<Inflater>, validate_utf8: bool) -> Self {
        Self {
            open: None,
            buf: BytesMut::new(),
            utf8: Utf8Stream::new(),
            inflater: inflater.map(Box::new),
            validate_utf8,
            ends: Vec::new(),
        }
    }

    /// The kind of the message in progress, if a message is open.
    pub(crate) fn open_kind(&self) -> Option<DataKind> {
        self.open.map(|open| open.kind)
    }

    /// Whether permessage-deflate is active (RSV1 allowed on first frames).
    pub(crate) fn deflate(&self) -> bool {
        self.inflater.is_some()
    }

    /// Accounts for a decoded data-frame header: opens the message on its
    /// first frame and applies `max_payload` to the wire length before any
    /// payload byte is buffered.
    pub(crate) fn on_header(&mut self, header: &Header, limits: &Limits) -> Result<(), Error> {
        let kind = match header.opcode {
            OpCode::Text => Some(DataKind::Text),
            OpCode::Binary => Some(DataKind::Binary),
            _ => None,
        };
        if let Some(kind) = kind {
            self.open = Some(Open {
                kind,
                compressed: header.rsv1,
                fragments: 0,
                wire_total: 0,
            });
        }
        let open = self.open.as_mut().ok_or_else(Error::internal)?;
        open.wire_total = open.wire_total.saturating_add(header.payload_len);
        if limits.payload_exceeded(open.wire_total) {
            return Err(Error::new(Kind::MessageTooBig));
        }
        Ok(())
    }

    /// Whether payload bytes of the open message must be validated as they
    /// arrive (uncompressed text).
    pub(crate) fn streams_utf8(&self) -> bool {
        self.validate_utf8
            && matches!(
                self.open,
                Some(Open {
                    kind: DataKind::Text,
                    compressed: false,
                    ..
                })
            )
    }

    /// Validates the next bytes of an uncompressed text message.
    pub(crate) fn feed_utf8(&mut self, bytes: &[u8]) -> Result<(), Error> {
        self.utf8
            .feed(bytes)
            .map_err(|_| Error::new(Kind::InvalidUtf8))
    }

    /// Takes a complete data frame's (unmasked, already-validated) payload.
    pub(crate) fn on_frame(
        &mut self,
        fin: bool,
        payload: &[u8],
        limits: &Limits,
        handler: &mut impl EventHandler,
    ) -> Result<(), Error> {
        let open = self.open.as_mut().ok_or_else(Error::internal)?;
        open.fragments += 1;
        if limits.fragments_exceeded(open.fragments) {
            return Err(Error::new(Kind::TooManyFragments));
        }
        let open = *open;
        if open.compressed {
            self.inflate(payload, fin, open.kind, limits)?;
        } else if fin && open.fragments == 1 {
            self.finish_utf8(open.kind)?;
            self.open = None;
            handler.message(open.kind, Payload::Slice(payload));
            return Ok(());
        } else {
            self.buf.extend_from_slice(payload);
            if !payload.is_empty() {
                self.mark_fragment_end(open.kind);
            }
        }
        if fin {
            self.finish_utf8(open.kind)?;
            self.open = None;
            if self.ends.len() > 1 {
                handler.fragment_ends(&self.ends);
            }
            self.ends.clear();
            handler.message(open.kind, Payload::Owned(&mut self.buf));
            self.recycle();
        }
        Ok(())
    }

    /// Records where a non-empty uncompressed binary fragment ends, for `ws`'s
    /// `binaryType = 'fragments'` (one Buffer per non-empty frame). Bounded: past
    /// [`MAX_TRACKED_FRAGMENTS`] the remaining frames merge into the last entry.
    fn mark_fragment_end(&mut self, kind: DataKind) {
        if kind != DataKind::Binary {
            return;
        }
        let end = self.buf.len() as u32;
        if self.ends.len() < MAX_TRACKED_FRAGMENTS {
            self.ends.push(end);
        } else if let Some(last) = self.ends.last_mut() {
            *last = end;
        }
    }

    fn inflate(
        &mut self,
        payload: &[u8],
        fin: bool,
        kind: DataKind,
        limits: &Limits,
    ) -> Result<(), Error> {
        let inflater = self.inflater.as_mut().ok_or_else(Error::internal)?;
        let before = self.buf.len();
        inflater
            .inflate(payload, fin, &mut self.buf, limits.max_payload)
            .map_err(|err| match err {
                InflateError::TooBig => Error::new(Kind::MessageTooBig),
                InflateError::Corrupt => Error::new(Kind::Inflate),
            })?;
        if self.validate_utf8 && kind == DataKind::Text {
            let fresh = &self.buf[before..];
            self.utf8
                .feed(fresh)
                .map_err(|_| Error::new(Kind::InvalidUtf8))?;
        }
        Ok(())
    }

    fn finish_utf8(&mut self, kind: DataKind) -> Result<(), Error> {
        if self.validate_utf8 && kind == DataKind::Text {
            self.utf8
                .finish()
                .map_err(|_| Error::new(Kind::InvalidUtf8))?;
        }
        Ok(())
    }

    fn recycle(&mut self) {
        if self.buf.capacity() > KEEP_CAPACITY {
            self.buf = BytesMut::new();
        } else {
            self.buf.clear();
        }
    }

    /// Drops all state after a failure, freeing buffers and zlib memory.
    pub(crate) fn abandon(&mut self) {
        self.open = None;
        self.ends = Vec::new();
        self.buf = BytesMut::new();
        self.utf8.reset();
        if let Some(inflater) = self.inflater.as_mut() {
            inflater.release();
        }
    }

    /// Bytes held for the message in progress.
    pub(crate) fn buffered(&self) -> usize {
        self.buf.len()
    }
}
