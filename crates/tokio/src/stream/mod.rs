//! [`WebSocketStream`]: the engine driven over a tokio transport.
//!
//! # Driving recipe
//!
//! The stream follows the engine's driving contract (see
//! `ferrows_core::Connection`), split between the two halves of the API:
//!
//! - **`Stream::poll_next`** (`read.rs`): flush pending output
//!   opportunistically (automatic pongs, the close reply), yield queued
//!   messages, arm and poll the close timer, read one chunk into the reused
//!   buffer and feed it to `receive` (EOF → `receive_eof`). Once input has
//!   ended (peer's close, protocol error, EOF, abort) it flushes, half-closes
//!   the transport and ends: `None` after a clean closing handshake, else one
//!   final `Err`.
//! - **`Sink`** (`write.rs`): `start_send` queues into the engine's cork,
//!   `poll_ready` waits while the cork is above its high-water mark,
//!   `poll_flush` writes with `poll_write_vectored`, `poll_close` queues a
//!   close frame (1000) if none was sent, flushes and half-closes when the
//!   engine says so.
//!
//! To finish the closing handshake after `close()`, keep polling the stream
//! until it ends: the peer's close frame is yielded as `Message::Close`.

mod clock;
mod read;
mod wake;
mod write;

use std::pin::Pin;
use std::task::{Context, Poll};

use ferrows_core::deflate::Negotiated;
use futures_core::stream::{FusedStream, Stream};
use tokio::io::{AsyncRead, AsyncWrite};

use crate::config::Config;
use crate::engine::{Engine, Inbox};
use crate::error::Error;
use crate::message::Message;
use clock::Clock;
use wake::Wakers;

/// A WebSocket connection over a transport `S` (TCP, TLS, an HTTP upgrade,
/// an in-memory duplex), after the opening handshake.
///
/// Read messages with [`Stream`] (`StreamExt::next` from `futures-util`) and
/// send with [`Sink`](futures_sink::Sink) (`SinkExt::send`). Both roles share
/// this type; see the `engine` module for why the role is an enum inside.
pub struct WebSocketStream<S> {
    io: S,
    engine: Engine,
    inbox: Inbox,
    read_buf: Vec<u8>,
    clock: Clock,
    wakers: Wakers,
    protocol: Option<String>,
    compressed: bool,
    /// The transport's read side ended (EOF or read error).
    read_eof: bool,
    /// Bytes were written since the transport was last flushed.
    needs_io_flush: bool,
    /// A write failed: nothing more is written.
    write_broken: bool,
    /// The transport was half-closed.
    shut_down: bool,
    /// The stream yielded its end (`None` or its final error).
    ended: bool,
}

/// What a handshake settled, to build a stream from.
#[derive(Debug, Default)]
pub(crate) struct Negotiation {
    pub(crate) protocol: Option<String>,
    pub(crate) deflate: Option<Negotiated>,
}

impl<S> WebSocketStream<S> {
    /// The server side of a connection whose opening handshake is done,
    /// without extensions.
    pub fn server(stream: S, config: Config) -> Self {
        Self::from_parts(stream, true, &config, Negotiation::default(), &mut [])
    }

    /// The client side of a connection whose opening handshake is done,
    /// without extensions.
    pub fn client(stream: S, config: Config) -> Self {
        Self::from_parts(stream, false, &config, Negotiation::default(), &mut [])
    }

    /// A stream after a handshake that settled `negotiation`; `leftover` holds
    /// bytes read past the handshake head (the start of the frame stream).
    pub(crate) fn from_parts(
        io: S,
        is_server: bool,
        config: &Config,
        negotiation: Negotiation,
        leftover: &mut [u8],
    ) -> Self {
        let compressed = negotiation.deflate.is_some();
        let mut stream = Self {
            io,
            engine: Engine::new(is_server, config.engine_config(negotiation.deflate)),
            inbox: Inbox::default(),
            read_buf: vec![0; config.read_buffer_size],
            clock: Clock::new(),
            wakers: Wakers::new(),
            protocol: negotiation.protocol,
            compressed,
            read_eof: false,
            needs_io_flush: false,
            write_broken: false,
            shut_down: false,
            ended: false,
        };
        if let Some(heartbeat) = config.heartbeat {
            stream.engine.enable_heartbeat(heartbeat, 0);
        }
        if !leftover.is_empty() {
            let now = stream.clock.now_ms();
            stream.engine.receive(leftover, now, &mut stream.inbox);
        }
        stream
    }

    /// The transport.
    pub fn get_ref(&self) -> &S {
        &self.io
    }

    /// The transport, mutably. Reading or writing it directly corrupts the
    /// WebSocket stream.
    pub fn get_mut(&mut self) -> &mut S {
        &mut self.io
    }

    /// Whether this is the server side.
    pub fn is_server(&self) -> bool {
        self.engine.is_server()
    }

    /// The subprotocol the handshake selected, if any.
    pub fn protocol(&self) -> Option<&str> {
        self.protocol.as_deref()
    }

    /// Whether permessage-deflate was negotiated.
    pub fn is_compressed(&self) -> bool {
        self.compressed
    }

    /// Bytes queued and not yet written to the transport.
    pub fn buffered_amount(&self) -> usize {
        self.engine.pending_bytes()
    }
}

impl<S> std::fmt::Debug for WebSocketStream<S> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("WebSocketStream")
            .field("engine", &self.engine)
            .field("protocol", &self.protocol)
            .field("ended", &self.ended)
            .finish_non_exhaustive()
    }
}

impl<S: AsyncRead + AsyncWrite + Unpin> Stream for WebSocketStream<S> {
    type Item = Result<Message, Error>;

    fn poll_next(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Option<Self::Item>> {
        let this = self.get_mut();
        let waker = this.wakers.reader(cx.waker());
        let cx = &mut Context::from_waker(&waker);
        loop {
            this.flush_opportunistically(cx);
            if let Some(message) = this.inbox.messages.pop_front() {
                return Poll::Ready(Some(Ok(message)));
            }
            if this.ended {
                return Poll::Ready(None);
            }
            if this.poll_timer(cx) {
                continue; // a heartbeat ping to flush, or a failure to finish with
            }
            if this.is_finishing() {
                return this.poll_finish(cx).map(|failure| failure.map(Err));
            }
            if this.poll_read_step(cx).is_pending() {
                return Poll::Pending;
            }
        }
    }
}

impl<S: AsyncRead + AsyncWrite + Unpin> FusedStream for WebSocketStream<S> {
    fn is_terminated(&self) -> bool {
        self.ended && self.inbox.messages.is_empty()
    }
}
