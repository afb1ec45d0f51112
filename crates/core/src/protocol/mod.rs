//! The per-connection state machine: bytes in, events and bytes out.
//!
//! [`Connection`] is the one object every driver calls — Rust-owned sockets
//! in Node's libuv loop, JS-owned sockets, tokio streams, HTTP/2 and HTTP/3
//! streams. It starts after the opening handshake (see [`crate::handshake`])
//! and knows nothing about where bytes come from or go to.

mod config;
mod event;
mod heartbeat;
mod message;
mod receiver;
mod replies;
mod sender;

#[cfg(test)]
mod tests;

pub use config::{Config, DeflateSettings, DEFAULT_CLOSE_TIMEOUT_MS};
pub use event::{Abort, Event, EventHandler, EventQueue, Payload};
pub use heartbeat::HeartbeatConfig;
pub use sender::SendOptions;

use std::collections::VecDeque;
use std::fmt;
use std::io::IoSlice;
use std::mem::MaybeUninit;

use bytes::{Bytes, BytesMut};

use crate::close;
use crate::deflate::Inflater;
use crate::error::Error;
use crate::frame::{DataKind, OpCode};
use crate::limits::Limits;
use heartbeat::{Beat, Heartbeat};
use message::Assembler;
use receiver::{Receiver, Step};
use replies::Replies;
use sender::Sender;

/// One WebSocket connection after the opening handshake, for role `R`.
///
/// # Driving contract
///
/// A driver repeats, in any interleaving that suits its I/O model:
///
/// 1. **Input** — [`receive`](Self::receive) every chunk read from the
///    transport (any split, any size); [`receive_eof`](Self::receive_eof) when
///    the transport's read side ends; [`handle_timeout`](Self::handle_timeout)
///    when the deadline from [`poll_timeout`](Self::poll_timeout) passes.
///    Events reach the [`EventHandler`] synchronously, in wire order.
/// 2. **Commands** — [`send`](Self::send), [`send_owned`](Self::send_owned),
///    [`ping`](Self::ping), [`pong`](Self::pong), [`close`](Self::close). Each
///    returns the position of its last byte in the outgoing stream.
/// 3. **Output** — write [`io_slices`](Self::io_slices) (one `writev` per
///    flush), then report the bytes written with
///    [`advance_written`](Self::advance_written); a send is complete once
///    [`written_total`](Self::written_total) reaches its position. When
///    [`should_shutdown`](Self::should_shutdown) turns true and nothing is
///    left to write, half-close the transport (TCP FIN / END_STREAM / QUIC
///    FIN). An [`Abort`] event means: destroy the transport now.
/// 4. **Timers** — re-read [`poll_timeout`](Self::poll_timeout) after any call.
///    After [`handle_timeout`](Self::handle_timeout) there may be output (a
///    heartbeat ping) or an [`Abort`].
///
/// Time is a monotonic millisecond count chosen by the driver (`now_ms`).
///
/// # Closing handshake (RFC 6455 §7)
///
/// ```text
///                    close()                      peer Close received
///          ┌──────────────────────────┐     ┌──────────────────────────┐
///          │                          ▼     │                          ▼
///       OPEN                    CLOSE_SENT  │                  CLOSE_RECEIVED
///          │                          │     │                 (reply queued at once,
///          │ protocol error           │ peer Close            echoing the code)
///          ▼                          ▼     │                          │
///       FAILED ─────────────────► CLOSED ◄──┘◄─────────────────────────┘
///   (close frame with the
///    error's code queued)      our Close sent and (peer Close received or
///                              input failed): flush, then half-close the
///                              transport; a server thereby closes TCP first.
///
///   CLOSE_SENT for longer than `close_timeout_ms` → Abort(CloseTimeout).
///   OPEN with a heartbeat (see [`enable_heartbeat`](Self::enable_heartbeat))
///   and a ping unanswered for its timeout → Abort(HeartbeatTimeout).
/// ```
///
/// After the peer's close frame or a failure, further input is ignored and
/// never reaches the application (`ws` "ignores any data after a close").
pub struct Connection<R: crate::role::Role> {
    recv: Receiver<R>,
    send: Sender<R>,
    limits: Limits,
    validate_utf8: bool,
    auto_pong: bool,
    close_timeout_ms: u64,
    close_sent: bool,
    close_received: bool,
    failed: bool,
    close_deadline: Option<u64>,
    heartbeat: Option<Heartbeat>,
    /// Cork positions of automatic pongs not yet written.
    pong_marks: VecDeque<u64>,
    defer_replies: bool,
    replies: Replies,
}

/// Why a command was refused.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum SendError {
    /// Our close frame is already queued: nothing may follow it.
    Closing,
    /// A control payload over 125 bytes.
    ControlTooLong,
    /// A close code the application may not send.
    InvalidCloseCode,
    /// A close reason over 123 bytes.
    ReasonTooLong,
}

impl fmt::Display for SendError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            SendError::Closing => "the closing handshake has started",
            SendError::ControlTooLong => "The data size must not be greater than 125 bytes",
            SendError::InvalidCloseCode => "First argument must be a valid error code number",
            SendError::ReasonTooLong => "The message must not be greater than 123 bytes",
        })
    }
}

impl std::error::Error for SendError {}

impl<R: crate::role::Role> Connection<R> {
    /// A connection in the OPEN state.
    pub fn new(config: Config) -> Self {
        let validate_utf8 = !config.skip_utf8_validation;
        let inflater = config.deflate.as_ref().map(|d| {
            let (bits, no_context_takeover) = d.negotiated.decompressor_params(R::IS_SERVER);
            Inflater::new(bits, no_context_takeover)
        });
        Self {
            recv: Receiver::new(Assembler::new(inflater, validate_utf8)),
            send: Sender::new(&config),
            limits: config.limits,
            validate_utf8,
            auto_pong: config.auto_pong,
            close_timeout_ms: config.close_timeout_ms,
            close_sent: false,
            close_received: false,
            failed: false,
            close_deadline: None,
            heartbeat: None,
            pong_marks: VecDeque::new(),
            defer_replies: config.defer_replies,
            replies: Replies::default(),
        }
    }

    /// Processes one chunk of received bytes. `data` may be modified in place
    /// (payloads are unmasked where they lie).
    pub fn receive(&mut self, data: &mut [u8], now_ms: u64, handler: &mut impl EventHandler) {
        if self.is_input_halted() || data.is_empty() {
            return;
        }
        if let Err(err) = self.recv.admit_chunk(&self.limits) {
            return self.fail(err, now_ms, handler);
        }
        if self.recv.has_retained() {
            let buf = self.recv.take_retained(data);
            self.parse_retained(buf, now_ms, handler);
        } else {
            let (consumed, progressed) = self.parse(data, now_ms, handler);
            if !self.is_input_halted() {
                self.recv.retain(&data[consumed..], progressed);
            }
        }
    }

    /// Room to read the next bytes into, for drivers that read into the
    /// engine: the end of its own buffer, sized for the rest of the pending
    /// frame (at least `min`, at most `max` bytes). Reading there and calling
    /// [`Connection::receive_spare`] spares a copy of every read of a frame
    /// larger than one read, which [`Connection::receive`] would make.
    pub fn input_spare(&mut self, min: usize, max: usize) -> &mut [MaybeUninit<u8>] {
        self.recv.spare(min, max)
    }

    /// Processes `n` bytes written at the start of the slice the last
    /// [`Connection::input_spare`] returned, as [`Connection::receive`] would.
    ///
    /// # Safety
    /// Those `n` bytes must have been initialised (written), and no other
    /// method of this connection called since `input_spare`.
    pub unsafe fn receive_spare(&mut self, n: usize, now_ms: u64, handler: &mut impl EventHandler) {
        if self.is_input_halted() || n == 0 {
            return;
        }
        if let Err(err) = self.recv.admit_chunk(&self.limits) {
            return self.fail(err, now_ms, handler);
        }
        // SAFETY: forwarded from this function's contract.
        let buf = unsafe { self.recv.take_with_spare(n) };
        self.parse_retained(buf, now_ms, handler);
    }

    /// Parses the retained bytes plus new input, keeping what is left over.
    fn parse_retained(&mut self, mut buf: BytesMut, now_ms: u64, handler: &mut impl EventHandler) {
        let (consumed, progressed) = self.parse(&mut buf, now_ms, handler);
        if !self.is_input_halted() {
            self.recv.restore(buf, consumed, progressed);
        }
    }

    /// Parses as many frames as `input` holds; returns the bytes consumed and
    /// whether any frame completed.
    fn parse(
        &mut self,
        input: &mut [u8],
        now_ms: u64,
        handler: &mut impl EventHandler,
    ) -> (usize, bool) {
        let mut at = 0;
        let mut progressed = false;
        while !self.is_input_halted() {
            match self.recv.next_frame(&mut input[at..], &self.limits) {
                Ok(Step::NeedMore { consumed }) => return (at + consumed, progressed),
                Ok(Step::Frame { header, start, end }) => {
                    progressed = true;
                    let payload = &input[at + start..at + end];
                    at += end;
                    if let Err(err) =
                        self.on_frame(header.opcode, header.fin, payload, now_ms, handler)
                    {
                        self.fail(err, now_ms, handler);
                    }
                }
                Err(err) => self.fail(err, now_ms, handler),
            }
        }
        (at, progressed)
    }

    fn on_frame(
        &mut self,
        opcode: OpCode,
        fin: bool,
        payload: &[u8],
        now_ms: u64,
        handler: &mut impl EventHandler,
    ) -> Result<(), Error> {
        match opcode {
            OpCode::Ping => self.on_ping(payload, handler),
            OpCode::Pong => {
                if let Some(heartbeat) = &mut self.heartbeat {
                    heartbeat.on_pong();
                }
                handler.pong(payload);
            }
            OpCode::Close => self.on_close(payload, now_ms, handler)?,
            _ => self
                .recv
                .message
                .on_frame(fin, payload, &self.limits, handler)?,
        }
        Ok(())
    }

    fn on_ping(&mut self, payload: &[u8], handler: &mut impl EventHandler) {
        if self.auto_pong && self.is_open() {
            if !self.limits.pong_allowed(self.pending_pongs() as u32) {
                self.failed = true;
                self.recv.halt();
                self.send.release();
                return handler.abort(Abort::TooManyPendingPongs);
            }
            let end = self
                .send
                .control(OpCode::Pong, payload, SendOptions::default());
            self.pong_marks.push_back(end);
        }
        handler.ping(payload);
    }

    fn on_close(
        &mut self,
        payload: &[u8],
        now_ms: u64,
        handler: &mut impl EventHandler,
    ) -> Result<(), Error> {
        let frame = close::parse_payload(payload, self.validate_utf8)?;
        self.close_received = true;
        self.recv.halt();
        if !self.close_sent {
            let mut reply = Vec::with_capacity(payload.len());
            close::encode_payload(frame.code, frame.reason, &mut reply);
            self.reply_close(&reply, now_ms);
        }
        handler.close(frame.code, frame.reason);
        Ok(())
    }

    /// Fails the connection: report, queue a close frame with the error's
    /// code (unless ours is already out), ignore all further input. Drivers
    /// call it with [`Error::internal`] after catching a panic (1011); it does
    /// nothing once input is halted.
    pub fn fail(&mut self, err: Error, now_ms: u64, handler: &mut impl EventHandler) {
        if self.is_input_halted() {
            return;
        }
        self.failed = true;
        self.recv.halt();
        if !self.close_sent {
            self.reply_close(&err.close_code().to_be_bytes(), now_ms);
        }
        handler.error(err);
    }

    /// Queues (or, when deferring, holds) the engine's own close frame.
    fn reply_close(&mut self, payload: &[u8], now_ms: u64) {
        if self.defer_replies {
            self.replies.set_close(payload);
        } else {
            self.queue_close(payload, now_ms);
        }
    }

    /// Writes the held close frame into the outgoing stream and starts the
    /// close timer. Drivers with [`Config::defer_replies`] call this once the
    /// application has handled the events delivered so far (before flushing).
    pub fn commit_replies(&mut self, now_ms: u64) {
        if let Some(close) = self.replies.take_close() {
            if !self.close_sent {
                self.queue_close(close.as_slice(), now_ms);
            }
        }
    }

    /// Whether a close frame waits for [`Connection::commit_replies`].
    pub fn has_pending_replies(&self) -> bool {
        self.replies.has_close()
    }

    fn queue_close(&mut self, payload: &[u8], now_ms: u64) {
        self.queue_close_with(payload, now_ms, SendOptions::default());
    }

    fn queue_close_with(&mut self, payload: &[u8], now_ms: u64, opts: SendOptions) {
        self.send.control(OpCode::Close, payload, opts);
        self.close_sent = true;
        self.close_deadline = Some(now_ms.saturating_add(self.close_timeout_ms));
    }

    /// The transport's read side ended. Returns true when the closing
    /// handshake had completed (the peer's close frame arrived); otherwise the
    /// connection closed abnormally (1006).
    pub fn receive_eof(&mut self) -> bool {
        self.recv.halt();
        self.close_received
    }

    /// Queues a data message (or, with `opts.fin == false`, one fragment).
    pub fn send(
        &mut self,
        kind: DataKind,
        payload: &[u8],
        opts: SendOptions,
    ) -> Result<u64, SendError> {
        self.ensure_sendable()?;
        Ok(self.send.data(kind, payload, opts))
    }

    /// Like [`Connection::send`] for drivers that can write synchronously:
    /// when nothing is queued ahead and the frame needs neither compression
    /// nor masking, `[header, payload]` is offered to `write` first and only
    /// what it did not take is copied into the outgoing buffer. A large
    /// message then reaches the transport without a copy. `write` returns how
    /// many bytes it wrote (0 when it would block); an error counts as 0 and
    /// surfaces on the driver's next write.
    pub fn send_through(
        &mut self,
        kind: DataKind,
        payload: &[u8],
        opts: SendOptions,
        write: impl FnOnce(&[IoSlice<'_>]) -> std::io::Result<usize>,
    ) -> Result<u64, SendError> {
        self.ensure_sendable()?;
        Ok(self.send.data_through(kind, payload, opts, write))
    }

    /// Like [`Connection::send`], taking ownership so large payloads are
    /// queued without a copy.
    pub fn send_owned(
        &mut self,
        kind: DataKind,
        payload: Bytes,
        opts: SendOptions,
    ) -> Result<u64, SendError> {
        self.ensure_sendable()?;
        Ok(self.send.data_owned(kind, payload, opts))
    }

    /// Queues bytes verbatim, ahead of every frame queued later: the opening
    /// handshake's response (or request) when it shares the transport with
    /// the frames that follow it.
    pub fn send_raw(&mut self, bytes: &[u8]) {
        self.send.cork.push_copy(bytes);
    }

    /// Queues a ping. `mask` overrides the role's default masking.
    pub fn ping(&mut self, payload: &[u8], mask: Option<bool>) -> Result<u64, SendError> {
        self.ping_with(payload, mask_only(mask))
    }

    /// Queues a ping with per-frame options (`mask`, `mask_key`; the others
    /// do not apply to control frames).
    pub fn ping_with(&mut self, payload: &[u8], opts: SendOptions) -> Result<u64, SendError> {
        self.control(OpCode::Ping, payload, opts)
    }

    /// Queues an unsolicited pong.
    pub fn pong(&mut self, payload: &[u8], mask: Option<bool>) -> Result<u64, SendError> {
        self.pong_with(payload, mask_only(mask))
    }

    /// Queues an unsolicited pong with per-frame options.
    pub fn pong_with(&mut self, payload: &[u8], opts: SendOptions) -> Result<u64, SendError> {
        self.control(OpCode::Pong, payload, opts)
    }

    fn control(
        &mut self,
        opcode: OpCode,
        payload: &[u8],
        opts: SendOptions,
    ) -> Result<u64, SendError> {
        self.ensure_sendable()?;
        if payload.len() > close::MAX_CONTROL_PAYLOAD {
            return Err(SendError::ControlTooLong);
        }
        Ok(self.send.control(opcode, payload, opts))
    }

    /// Starts (or answers) the closing handshake. `code: None` sends an empty
    /// close frame. Starts the close timer.
    pub fn close(
        &mut self,
        code: Option<u16>,
        reason: &[u8],
        now_ms: u64,
    ) -> Result<u64, SendError> {
        self.close_with(code, reason, now_ms, SendOptions::default())
    }

    /// Like [`Connection::close`] with per-frame options (`mask`, `mask_key`).
    pub fn close_with(
        &mut self,
        code: Option<u16>,
        reason: &[u8],
        now_ms: u64,
        opts: SendOptions,
    ) -> Result<u64, SendError> {
        self.ensure_sendable()?;
        if self.replies.has_close() {
            return Err(SendError::Closing);
        }
        let mut payload = Vec::with_capacity(2 + reason.len());
        match code {
            None if reason.is_empty() => {}
            None => return Err(SendError::InvalidCloseCode),
            Some(code) if !close::is_valid_code(code) => return Err(SendError::InvalidCloseCode),
            Some(_) if reason.len() > close::MAX_REASON_LEN => {
                return Err(SendError::ReasonTooLong)
            }
            Some(code) => close::encode_payload(code, reason, &mut payload),
        }
        self.queue_close_with(&payload, now_ms, opts);
        Ok(self.send.cork.queued_total())
    }

    fn ensure_sendable(&self) -> Result<(), SendError> {
        if self.close_sent {
            Err(SendError::Closing)
        } else {
            Ok(())
        }
    }

    /// Fills `out` with the pending outgoing bytes, in order.
    pub fn io_slices<'a>(&'a self, out: &mut [IoSlice<'a>]) -> usize {
        self.send.cork.io_slices(out)
    }

    /// Reports `n` bytes written to the transport.
    pub fn advance_written(&mut self, n: usize) {
        self.send.cork.advance(n);
        let written = self.send.cork.written_total();
        while self.pong_marks.front().is_some_and(|&end| end <= written) {
            self.pong_marks.pop_front();
        }
    }

    /// Bytes queued and not yet written (`bufferedAmount`'s native part).
    pub fn pending_bytes(&self) -> usize {
        self.send.cork.len()
    }

    /// Total bytes ever written; a send is complete once this reaches its position.
    pub fn written_total(&self) -> u64 {
        self.send.cork.written_total()
    }

    /// Whether queued bytes exceed the cork's high-water mark.
    pub fn is_above_high_water(&self) -> bool {
        self.send.cork.is_above_high_water()
    }

    /// Drops all pending output (the transport is gone); returns how much.
    pub fn discard_output(&mut self) -> usize {
        self.pong_marks.clear();
        self.replies.clear();
        self.send.release();
        self.send.cork.clear()
    }

    /// Our close frame is queued and the peer's arrived (or input failed):
    /// once [`pending_bytes`](Self::pending_bytes) is 0, half-close the transport.
    pub fn should_shutdown(&self) -> bool {
        self.close_sent && (self.close_received || self.failed)
    }

    /// Pings the peer every `config.interval_ms` from `now_ms` on while the
    /// connection is open, and aborts it with [`Abort::HeartbeatTimeout`]
    /// when a ping stays unanswered for `config.timeout_ms`.
    pub fn enable_heartbeat(&mut self, config: HeartbeatConfig, now_ms: u64) {
        self.heartbeat = Some(Heartbeat::new(config, now_ms));
    }

    /// The next deadline, if any: the close timeout, or the heartbeat's next
    /// ping or pong deadline while open.
    pub fn poll_timeout(&self) -> Option<u64> {
        let beat = self
            .heartbeat
            .filter(|_| self.is_open())
            .map(|h| h.deadline());
        match (self.close_deadline, beat) {
            (Some(close), Some(beat)) => Some(close.min(beat)),
            (close, beat) => close.or(beat),
        }
    }

    /// Fires what is due at `now_ms`: the close timeout, or the heartbeat
    /// (a ping queued, or the connection aborted).
    pub fn handle_timeout(&mut self, now_ms: u64, handler: &mut impl EventHandler) {
        if self
            .close_deadline
            .is_some_and(|deadline| now_ms >= deadline)
        {
            self.close_deadline = None;
            self.recv.halt();
            return handler.abort(Abort::CloseTimeout);
        }
        if !self.is_open() {
            return;
        }
        match self.heartbeat.as_mut().map(|h| h.poll(now_ms)) {
            Some(Beat::Ping) => {
                self.send.control(OpCode::Ping, &[], SendOptions::default());
            }
            Some(Beat::Dead) => {
                self.heartbeat = None;
                self.failed = true;
                self.recv.halt();
                self.send.release();
                handler.abort(Abort::HeartbeatTimeout);
            }
            Some(Beat::Wait) | None => {}
        }
    }

    /// Neither side has started the closing handshake and input has not failed.
    pub fn is_open(&self) -> bool {
        !self.close_sent && !self.close_received && !self.failed && !self.replies.has_close()
    }

    /// Our close frame has been queued.
    pub fn is_close_sent(&self) -> bool {
        self.close_sent
    }

    /// The peer's close frame has been received.
    pub fn is_close_received(&self) -> bool {
        self.close_received
    }

    /// Part of a frame from earlier input is held: the next [`Connection::receive`]
    /// parses a copy (retained + new bytes), so payloads will not lie in `data`.
    pub fn has_partial_input(&self) -> bool {
        self.recv.has_retained()
    }

    /// Input is no longer processed (peer closed, or the connection failed).
    pub fn is_input_halted(&self) -> bool {
        self.close_received || self.failed
    }

    /// Automatic pongs queued but not yet written.
    pub fn pending_pongs(&self) -> usize {
        self.pong_marks.len()
    }

    /// Receive-side bytes held (partial frames and the message being reassembled).
    pub fn buffered_input(&self) -> usize {
        self.recv.buffered()
    }

    /// The receive limits in force.
    pub fn limits(&self) -> &Limits {
        &self.limits
    }
}

/// Options that only choose masking, for the control-frame shorthands.
fn mask_only(mask: Option<bool>) -> SendOptions {
    SendOptions {
        mask,
        ..SendOptions::default()
    }
}

impl<R: crate::role::Role> fmt::Debug for Connection<R> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Connection")
            .field("server", &R::IS_SERVER)
            .field("close_sent", &self.close_sent)
            .field("close_received", &self.close_received)
            .field("failed", &self.failed)
            .field("pending_bytes", &self.pending_bytes())
            .finish_non_exhaustive()
    }
}
