//! The engine of one stream: a `ferrows_core::Connection` of either role,
//! and the event handler that turns its events into owned [`Message`]s.
//!
//! # Why an enum over the roles
//!
//! `WebSocketStream<S>` keeps a single type for both sides, as users of
//! tokio-tungstenite expect (one `accept` and one `connect` produce the same
//! type; a proxy can hold both in one collection). The role still is a type
//! inside the engine: `Connection<Server>` and `Connection<Client>` are
//! separate monomorphised state machines, so masking and unmasking stay
//! branch-free per byte. The enum costs one predictable branch per call
//! (per read, per message), not per byte.

use std::collections::VecDeque;
use std::io::IoSlice;

use bytes::Bytes;
use ferrows_core::close::NO_STATUS;
use ferrows_core::frame::DataKind;
use ferrows_core::protocol::{self, Abort, EventHandler, HeartbeatConfig, Payload, SendOptions};
use ferrows_core::{Client, Connection, Server};

use crate::error::Error;
use crate::message::{CloseFrame, Message};
use crate::utf8_bytes::Utf8Bytes;

/// Calls `$body` with `$conn` bound to the connection of whichever role.
macro_rules! dispatch {
    ($engine:expr, $conn:ident => $body:expr) => {
        match $engine {
            Engine::Server($conn) => $body,
            Engine::Client($conn) => $body,
        }
    };
}

/// A connection of either role.
#[derive(Debug)]
pub(crate) enum Engine {
    Server(Connection<Server>),
    Client(Connection<Client>),
}

impl Engine {
    pub(crate) fn new(is_server: bool, config: protocol::Config) -> Self {
        if is_server {
            Self::Server(Connection::new(config))
        } else {
            Self::Client(Connection::new(config))
        }
    }

    pub(crate) fn is_server(&self) -> bool {
        matches!(self, Self::Server(_))
    }

    pub(crate) fn receive(&mut self, data: &mut [u8], now_ms: u64, inbox: &mut Inbox) {
        dispatch!(self, c => c.receive(data, now_ms, inbox));
    }

    /// True when the closing handshake had completed.
    pub(crate) fn receive_eof(&mut self) -> bool {
        dispatch!(self, c => c.receive_eof())
    }

    pub(crate) fn poll_timeout(&self) -> Option<u64> {
        dispatch!(self, c => c.poll_timeout())
    }

    pub(crate) fn enable_heartbeat(&mut self, config: HeartbeatConfig, now_ms: u64) {
        dispatch!(self, c => c.enable_heartbeat(config, now_ms));
    }

    pub(crate) fn handle_timeout(&mut self, now_ms: u64, inbox: &mut Inbox) {
        dispatch!(self, c => c.handle_timeout(now_ms, inbox));
    }

    /// Queues `message` for sending.
    pub(crate) fn send(&mut self, message: Message, now_ms: u64) -> Result<(), Error> {
        let opts = SendOptions::default();
        let queued = dispatch!(self, c => match message {
            Message::Text(text) => c.send_owned(DataKind::Text, text.into_bytes(), opts),
            Message::Binary(data) => c.send_owned(DataKind::Binary, data, opts),
            Message::Ping(data) => c.ping(&data, None),
            Message::Pong(data) => c.pong(&data, None),
            Message::Close(None) => c.close(None, b"", now_ms),
            Message::Close(Some(frame)) => c.close(Some(frame.code), frame.reason.as_bytes(), now_ms),
        });
        queued.map(drop).map_err(Error::send)
    }

    pub(crate) fn io_slices<'a>(&'a self, out: &mut [IoSlice<'a>]) -> usize {
        dispatch!(self, c => c.io_slices(out))
    }

    pub(crate) fn advance_written(&mut self, n: usize) {
        dispatch!(self, c => c.advance_written(n));
    }

    pub(crate) fn pending_bytes(&self) -> usize {
        dispatch!(self, c => c.pending_bytes())
    }

    pub(crate) fn is_above_high_water(&self) -> bool {
        dispatch!(self, c => c.is_above_high_water())
    }

    pub(crate) fn should_shutdown(&self) -> bool {
        dispatch!(self, c => c.should_shutdown())
    }

    pub(crate) fn discard_output(&mut self) {
        dispatch!(self, c => c.discard_output());
    }

    pub(crate) fn is_input_halted(&self) -> bool {
        dispatch!(self, c => c.is_input_halted())
    }

    pub(crate) fn is_close_sent(&self) -> bool {
        dispatch!(self, c => c.is_close_sent())
    }
}

/// Collects the engine's events as owned messages, in wire order, plus the
/// failure (if any) that ends the stream once the messages are drained.
#[derive(Debug, Default)]
pub(crate) struct Inbox {
    pub(crate) messages: VecDeque<Message>,
    pub(crate) failure: Option<Error>,
    /// An [`Abort`]: the transport must be destroyed, not closed cleanly.
    pub(crate) destroy: bool,
}

impl EventHandler for Inbox {
    fn message(&mut self, kind: DataKind, payload: Payload<'_>) {
        let bytes = payload.into_bytes();
        let message = match kind {
            DataKind::Text => {
                debug_assert!(std::str::from_utf8(&bytes).is_ok());
                // SAFETY: `Config::engine_config` never skips UTF-8
                // validation, so the engine only delivers text messages
                // it has validated.
                Message::Text(unsafe { Utf8Bytes::from_bytes_unchecked(bytes) })
            }
            DataKind::Binary => Message::Binary(bytes),
        };
        self.messages.push_back(message);
    }

    fn ping(&mut self, payload: &[u8]) {
        let data = Bytes::copy_from_slice(payload);
        self.messages.push_back(Message::Ping(data));
    }

    fn pong(&mut self, payload: &[u8]) {
        let data = Bytes::copy_from_slice(payload);
        self.messages.push_back(Message::Pong(data));
    }

    fn close(&mut self, code: u16, reason: &[u8]) {
        let frame = (code != NO_STATUS).then(|| CloseFrame {
            code,
            reason: String::from_utf8_lossy(reason).into_owned(),
        });
        self.messages.push_back(Message::Close(frame));
    }

    fn error(&mut self, error: ferrows_core::Error) {
        self.failure.get_or_insert(Error::protocol(error));
    }

    fn abort(&mut self, reason: Abort) {
        self.failure.get_or_insert(Error::aborted(reason));
        self.destroy = true;
    }
}
