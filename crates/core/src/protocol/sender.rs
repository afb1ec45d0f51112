//! The send path: messages and control frames into the cork.
//!
//! Frames are encoded straight into the [`Cork`]: the header and a small
//! payload are copied together (one coalesced slice for many small frames);
//! a large payload handed over as `Bytes` is queued without a copy. A client
//! masks while copying, in one pass. Compression follows `ws`: the first
//! fragment decides for the whole message, and the `threshold` applies only
//! when our side uses no context takeover.

use std::marker::PhantomData;

use bytes::Bytes;
use rand_chacha::ChaCha8Rng;
use rand_core::{Rng, SeedableRng};

use crate::cork::Cork;
use crate::deflate::Deflater;
use crate::frame::{self, DataKind, FrameHead, OpCode};
use crate::mask;
use crate::protocol::config::{Config, DeflateSettings};
use crate::role::Role;

/// Per-send options (`ws`'s `send(data, options)`).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct SendOptions {
    /// Last frame of the message (`fin`, default true). `false` starts or
    /// continues a fragmented message.
    pub fin: bool,
    /// Compress when permessage-deflate is active (`compress`, default true).
    pub compress: bool,
    /// Mask the frame: `None` follows the role (clients mask, servers do not).
    pub mask: Option<bool>,
    /// Use this masking key instead of a random one (`ws`'s `generateMask`).
    pub mask_key: Option<[u8; 4]>,
}

impl Default for SendOptions {
    fn default() -> Self {
        Self {
            fin: true,
            compress: true,
            mask: None,
            mask_key: None,
        }
    }
}

#[derive(Debug)]
struct Compression {
    deflater: Deflater,
    threshold: usize,
    no_context_takeover: bool,
    /// Reused output buffer for compressed frames.
    scratch: Vec<u8>,
}

/// Encodes outgoing frames for role `R`.
#[derive(Debug)]
pub(crate) struct Sender<R: Role> {
    pub(crate) cork: Cork,
    /// Boxed: most connections never negotiate permessage-deflate.
    compression: Option<Box<Compression>>,
    /// The next data frame starts a message (`ws`'s `_firstFragment`).
    first_fragment: bool,
    /// The message in progress is compressed (`ws`'s `_compress`).
    compressing: bool,
    rng: Option<Box<ChaCha8Rng>>,
    mask_seed: [u8; 32],
    _role: PhantomData<R>,
}

impl<R: Role> Sender<R> {
    pub(crate) fn new(config: &Config) -> Self {
        let compression = config
            .deflate
            .as_ref()
            .map(|d| Box::new(compression::<R>(d)));
        let rng = R::MASK_OUTGOING.then(|| Box::new(ChaCha8Rng::from_seed(config.mask_seed)));
        Self {
            cork: Cork::new(config.cork),
            compression,
            first_fragment: true,
            compressing: false,
            rng,
            mask_seed: config.mask_seed,
            _role: PhantomData,
        }
    }

    /// Queues one data frame; returns the cork position of its last byte.
    pub(crate) fn data(&mut self, kind: DataKind, payload: &[u8], opts: SendOptions) -> u64 {
        let (opcode, rsv1) = self.data_frame_bits(kind, payload.len(), opts);
        if self.compressing {
            return self.compressed(opcode, rsv1, payload, opts);
        }
        self.frame(opts.fin, rsv1, opcode, payload, opts)
    }

    /// Like [`Sender::data`], but when nothing is queued and the frame is
    /// neither compressed nor masked, offers `[header, payload]` to `write`
    /// first and queues only what it did not take (no copy of the payload in
    /// the common case). Returns the end position, as [`Sender::data`].
    pub(crate) fn data_through(
        &mut self,
        kind: DataKind,
        payload: &[u8],
        opts: SendOptions,
        write: impl FnOnce(&[std::io::IoSlice<'_>]) -> std::io::Result<usize>,
    ) -> u64 {
        let direct = self.cork.is_empty() && self.mask_key_needed(opts).is_none();
        let (opcode, rsv1) = self.data_frame_bits(kind, payload.len(), opts);
        if !direct || self.compressing {
            if self.compressing {
                return self.compressed(opcode, rsv1, payload, opts);
            }
            return self.frame(opts.fin, rsv1, opcode, payload, opts);
        }
        let header = frame::encode_header(head(opts.fin, rsv1, opcode, None, payload.len()));
        let header = header.as_slice();
        let slices = [
            std::io::IoSlice::new(header),
            std::io::IoSlice::new(payload),
        ];
        let written = write(&slices)
            .unwrap_or(0)
            .min(header.len() + payload.len());
        self.cork.record_written_through(written);
        if written < header.len() {
            self.cork.push_copy(&header[written..]);
            self.cork.push_copy(payload);
        } else {
            self.cork.push_copy(&payload[written - header.len()..]);
        }
        self.cork.queued_total()
    }

    /// Whether this send is masked (then the payload is copied while masking).
    fn mask_key_needed(&self, opts: SendOptions) -> Option<()> {
        opts.mask.unwrap_or(R::MASK_OUTGOING).then_some(())
    }

    /// Like [`Sender::data`] for an owned payload, which a server queues
    /// without copying when it is large.
    pub(crate) fn data_owned(&mut self, kind: DataKind, payload: Bytes, opts: SendOptions) -> u64 {
        let (opcode, rsv1) = self.data_frame_bits(kind, payload.len(), opts);
        if self.compressing {
            return self.compressed(opcode, rsv1, &payload, opts);
        }
        match self.mask_key(opts) {
            Some(_) => self.frame(opts.fin, rsv1, opcode, &payload, opts),
            None => {
                let head = head(opts.fin, rsv1, opcode, None, payload.len());
                self.cork
                    .push_frame_owned(frame::encode_header(head).as_slice(), payload);
                self.cork.queued_total()
            }
        }
    }

    /// Queues a control frame (payload ≤ 125 bytes, checked by the caller).
    pub(crate) fn control(&mut self, opcode: OpCode, payload: &[u8], opts: SendOptions) -> u64 {
        self.frame(true, false, opcode, payload, opts)
    }

    /// `ws`'s first-fragment bookkeeping: the opcode and RSV1 of the next
    /// data frame, and whether the message is compressed.
    fn data_frame_bits(&mut self, kind: DataKind, len: usize, opts: SendOptions) -> (OpCode, bool) {
        let bits = if self.first_fragment {
            let mut compress = opts.compress && self.compression.is_some();
            if let Some(c) = self
                .compression
                .as_ref()
                .filter(|c| compress && c.no_context_takeover)
            {
                compress = len >= c.threshold;
            }
            self.compressing = compress;
            (kind.opcode(), compress)
        } else {
            (OpCode::Continuation, false)
        };
        self.first_fragment = opts.fin;
        bits
    }

    fn compressed(&mut self, opcode: OpCode, rsv1: bool, payload: &[u8], opts: SendOptions) -> u64 {
        let Some(c) = self.compression.as_mut() else {
            return self.frame(opts.fin, rsv1, opcode, payload, opts);
        };
        let mut out = std::mem::take(&mut c.scratch);
        out.clear();
        c.deflater.compress(payload, opts.fin, &mut out);
        let end = self.frame(opts.fin, rsv1, opcode, &out, opts);
        if out.capacity() <= 64 * 1024 {
            if let Some(c) = self.compression.as_mut() {
                c.scratch = out;
            }
        }
        end
    }

    /// Encodes one frame into the cork, masking while copying when needed.
    fn frame(
        &mut self,
        fin: bool,
        rsv1: bool,
        opcode: OpCode,
        payload: &[u8],
        opts: SendOptions,
    ) -> u64 {
        let key = self.mask_key(opts);
        let head = head(fin, rsv1, opcode, key, payload.len());
        let header = frame::encode_header(head);
        match key {
            None => self.cork.push_frame(header.as_slice(), payload),
            Some(key) => {
                self.cork.push_copy(header.as_slice());
                let dst = self.cork.reserve(payload.len());
                dst.copy_from_slice(payload);
                mask::apply(dst, key, 0);
                self.cork.commit(payload.len());
            }
        }
        self.cork.queued_total()
    }

    fn mask_key(&mut self, opts: SendOptions) -> Option<[u8; 4]> {
        if !opts.mask.unwrap_or(R::MASK_OUTGOING) {
            return None;
        }
        if let Some(key) = opts.mask_key {
            return Some(key);
        }
        let seed = self.mask_seed;
        let rng = self
            .rng
            .get_or_insert_with(|| Box::new(ChaCha8Rng::from_seed(seed)));
        Some(rng.next_u32().to_ne_bytes())
    }

    /// Frees compression memory (after close or failure).
    pub(crate) fn release(&mut self) {
        if let Some(c) = self.compression.as_mut() {
            c.deflater.release();
            c.scratch = Vec::new();
        }
    }
}

fn head(fin: bool, rsv1: bool, opcode: OpCode, mask: Option<[u8; 4]>, len: usize) -> FrameHead {
    FrameHead {
        fin,
        rsv1,
        opcode,
        mask,
        payload_len: len as u64,
    }
}

fn compression<R: Role>(settings: &DeflateSettings) -> Compression {
    let (bits, no_context_takeover) = settings.negotiated.compressor_params(R::IS_SERVER);
    Compression {
        deflater: Deflater::new(
            bits,
            no_context_takeover,
            settings.level,
            settings.mem_level,
        ),
        threshold: settings.threshold,
        no_context_takeover,
        scratch: Vec::new(),
    }
}
