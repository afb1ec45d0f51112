//! What a connection reports to its driver.
//!
//! The engine calls an [`EventHandler`] synchronously, in wire order, while it
//! processes received bytes. Payloads are borrowed: a driver that delivers
//! them elsewhere (a JavaScript slab, a channel) copies them out during the
//! call, or takes the owned buffer of a reassembled message for free with
//! [`Payload::into_bytes`]. [`EventQueue`] is a ready-made handler that owns
//! every event, for tests and simple drivers.

use std::collections::VecDeque;

use bytes::{Bytes, BytesMut};

use crate::error::Error;
use crate::frame::DataKind;

/// A received message payload, valid for the duration of the callback.
#[derive(Debug)]
pub enum Payload<'a> {
    /// A view into the receive buffer (an unfragmented, uncompressed message).
    Slice(&'a [u8]),
    /// A reassembled (fragmented or inflated) message the engine owns; taking it is free.
    Owned(&'a mut BytesMut),
}

impl Payload<'_> {
    /// The bytes.
    pub fn as_slice(&self) -> &[u8] {
        match self {
            Payload::Slice(s) => s,
            Payload::Owned(b) => b,
        }
    }

    /// The length in bytes.
    pub fn len(&self) -> usize {
        self.as_slice().len()
    }

    /// Whether the payload is empty.
    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }

    /// Takes the payload as `Bytes`: free for reassembled messages, one copy
    /// for views into the receive buffer.
    pub fn into_bytes(self) -> Bytes {
        match self {
            Payload::Slice(s) => Bytes::copy_from_slice(s),
            Payload::Owned(b) => b.split().freeze(),
        }
    }
}

/// Why the engine gave up on a connection without a closing handshake.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Abort {
    /// The peer's pings outran our automatic pongs (`maxPendingAutoPongs`).
    TooManyPendingPongs,
    /// The peer did not finish the closing handshake within `closeTimeout`.
    CloseTimeout,
    /// A heartbeat ping went unanswered for its timeout.
    HeartbeatTimeout,
}

/// Receives a connection's events. Every method has a do-nothing default
/// except [`EventHandler::message`].
pub trait EventHandler {
    /// A complete data message.
    fn message(&mut self, kind: DataKind, payload: Payload<'_>);
    /// Called just before [`EventHandler::message`] for an uncompressed binary
    /// message that arrived in several frames: the end offset of each frame's
    /// bytes within the payload (for `ws`'s `binaryType = 'fragments'`).
    fn fragment_ends(&mut self, _ends: &[u32]) {}

    /// A ping (the automatic pong, if enabled, is already queued).
    fn ping(&mut self, _payload: &[u8]) {}
    /// A pong.
    fn pong(&mut self, _payload: &[u8]) {}
    /// The peer's close frame (`ws`'s `'conclude'`): `code` is 1005 when the
    /// frame had none. The engine has already queued its reply.
    fn close(&mut self, _code: u16, _reason: &[u8]) {}
    /// The peer broke the protocol. A close frame carrying
    /// [`Error::close_code`] is queued and no more input will be processed.
    fn error(&mut self, _error: Error) {}
    /// Destroy the transport now, without a closing handshake.
    fn abort(&mut self, _reason: Abort) {}
}

/// An owned event, as collected by [`EventQueue`].
#[derive(Clone, Debug, PartialEq)]
pub enum Event {
    /// A complete data message.
    Message(DataKind, Bytes),
    /// A ping.
    Ping(Bytes),
    /// A pong.
    Pong(Bytes),
    /// The peer's close frame.
    Close(u16, Bytes),
    /// A protocol error.
    Error(Error),
    /// The transport must be destroyed.
    Abort(Abort),
}

/// An [`EventHandler`] that stores owned events in order.
#[derive(Debug, Default)]
pub struct EventQueue {
    events: VecDeque<Event>,
}

impl EventQueue {
    /// An empty queue.
    pub fn new() -> Self {
        Self::default()
    }

    /// The next event, oldest first.
    pub fn pop(&mut self) -> Option<Event> {
        self.events.pop_front()
    }

    /// How many events are waiting.
    pub fn len(&self) -> usize {
        self.events.len()
    }

    /// Whether no event is waiting.
    pub fn is_empty(&self) -> bool {
        self.events.is_empty()
    }

    /// Removes and returns every waiting event.
    pub fn drain(&mut self) -> impl Iterator<Item = Event> + '_ {
        self.events.drain(..)
    }
}

impl EventHandler for EventQueue {
    fn message(&mut self, kind: DataKind, payload: Payload<'_>) {
        self.events
            .push_back(Event::Message(kind, payload.into_bytes()));
    }
    fn ping(&mut self, payload: &[u8]) {
        self.events
            .push_back(Event::Ping(Bytes::copy_from_slice(payload)));
    }
    fn pong(&mut self, payload: &[u8]) {
        self.events
            .push_back(Event::Pong(Bytes::copy_from_slice(payload)));
    }
    fn close(&mut self, code: u16, reason: &[u8]) {
        self.events
            .push_back(Event::Close(code, Bytes::copy_from_slice(reason)));
    }
    fn error(&mut self, error: Error) {
        self.events.push_back(Event::Error(error));
    }
    fn abort(&mut self, reason: Abort) {
        self.events.push_back(Event::Abort(reason));
    }
}
