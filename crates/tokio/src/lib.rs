//! WebSocket (RFC 6455, permessage-deflate RFC 7692) for tokio, on the
//! ferrows sans-I/O engine.
//!
//! [`WebSocketStream`] drives a `ferrows_core::Connection` over any
//! `AsyncRead + AsyncWrite + Unpin` transport: TCP, TLS (feature `tls`), an
//! axum/hyper upgrade (feature `axum`), or an in-memory duplex. It is a
//! [`Stream`](futures_core::Stream) of [`Message`]s and a
//! [`Sink`](futures_sink::Sink) of them; use `futures-util`'s `StreamExt` and
//! `SinkExt` for `next()` and `send()`.
//!
//! The handshakes, framing, masking, UTF-8 validation, limits, compression
//! and the closing handshake are the engine's, with `ws` 8.23's semantics;
//! this crate moves bytes and time.
//!
//! # Example: an echo over an in-memory duplex
//!
//! ```
//! use ferrows::{accept, connect, Config, Message};
//! use futures_util::{SinkExt, StreamExt};
//!
//! # #[tokio::main(flavor = "current_thread")]
//! # async fn main() -> Result<(), ferrows::Error> {
//! let (client_io, server_io) = tokio::io::duplex(64 * 1024);
//! let server = tokio::spawn(async move {
//!     let mut ws = accept(server_io, Config::default()).await?;
//!     while let Some(message) = ws.next().await {
//!         let message = message?;
//!         if message.is_text() || message.is_binary() {
//!             ws.send(message).await?;
//!         }
//!     }
//!     Ok::<_, ferrows::Error>(())
//! });
//!
//! let mut ws = connect("ws://localhost/echo", client_io, Config::default()).await?;
//! ws.send(Message::text("hello")).await?;
//! assert_eq!(ws.next().await.transpose()?, Some(Message::text("hello")));
//!
//! ws.close().await?; // sends a close frame with 1000
//! let reply = ws.next().await.transpose()?;
//! assert!(matches!(reply, Some(Message::Close(Some(frame))) if frame.code == 1000));
//! assert!(ws.next().await.is_none()); // the closing handshake is complete
//! server.await.expect("server task")?;
//! # Ok(())
//! # }
//! ```
//!
//! # Layout
//!
//! | module | concept |
//! |---|---|
//! | `stream` | [`WebSocketStream`]: the engine's driving recipe as `Stream` (read, timers, finish) and `Sink` (cork, backpressure, vectored writes) |
//! | `engine` | the connection of either role (an enum: one stream type for both sides) and the event handler that owns messages |
//! | `handshake` | [`accept`]/[`accept_with`] and [`connect`] over any transport, [`Request`], [`AcceptOptions`] |
//! | `tcp` | [`connect_tcp`] for `ws://` URLs |
//! | [`tls`] | `wss://` with tokio-rustls on ring (feature `tls`) |
//! | [`axum`] | the `WebSocketUpgrade` extractor, HTTP/1.1 and (with `http2`) HTTP/2 (feature `axum`) |
//! | [`h2`] | WebSockets over HTTP/2, RFC 8441: server and client connections and the `H2Stream` transport (feature `http2`) |
//! | `http_fields` | `http` header maps as the core's header lists (features `axum`, `http2`) |
//! | `message`, `utf8_bytes` | [`Message`], [`CloseFrame`], [`Utf8Bytes`] |
//! | `config` | [`Config`]: engine options plus handshake and deflate options |
//! | `error` | the opaque [`Error`] with `is_*` predicates |
//!
//! # HTTP/2 (feature `http2`)
//!
//! Over HTTP/2 a WebSocket is one stream of a multiplexed connection,
//! opened with an extended CONNECT (`:protocol websocket`) and answered
//! with 200 (RFC 8441). [`h2::accept`] serves a connection and yields each
//! accepted WebSocket; [`h2::connect`] opens one, and
//! [`h2::ClientConnection`] opens many on one connection after checking
//! that the server enabled extended CONNECT
//! ([`Error::is_extended_connect_unsupported`] otherwise). Both yield the
//! same [`WebSocketStream`], over an [`h2::H2Stream`]: frames, limits,
//! compression and the closing handshake are unchanged. The transport
//! releases HTTP/2 flow-control credit only as the WebSocket reads, so a
//! slow reader pushes back on its own stream, while DATA frames are always
//! drained from h2 so a paused reader never trips h2's small-frame limit
//! for the whole connection. A WebSocket dropped without closing resets its
//! stream with `CANCEL`; a peer reset or a lost connection ends it with
//! 1006. With the `axum` feature as well, the axum extractor accepts both
//! HTTP versions on one route (see [`axum`]).
//!
//! # Runtime requirements
//!
//! A tokio runtime with the I/O driver, and the time driver for
//! [`accept`] (its accept timeout) and once a closing handshake starts (the
//! close timeout). Both use `tokio::time`. The HTTP/2
//! connections spawn tasks (the connection driver and one reader per
//! stream), so they need to run inside a tokio runtime.

#![cfg_attr(not(test), warn(missing_docs))]

mod config;
mod engine;
mod error;
mod handshake;
mod message;
mod random;
mod stream;
mod tcp;
mod utf8_bytes;

#[cfg(feature = "axum")]
pub mod axum;
#[cfg(feature = "http2")]
pub mod h2;
#[cfg(any(feature = "axum", feature = "http2"))]
mod http_fields;
#[cfg(feature = "tls")]
pub mod tls;

/// permessage-deflate options (RFC 7692), as `ws`'s `perMessageDeflate`.
pub mod deflate {
    pub use ferrows_core::deflate::{ClientBits, DeflateConfig, ServerBits};
}

pub use config::{Config, DEFAULT_ACCEPT_TIMEOUT, DEFAULT_READ_BUFFER_SIZE};
pub use error::Error;
pub use handshake::{accept, accept_with, connect, AcceptOptions, IntoRequest, Request};
pub use message::{CloseFrame, Message};
pub use stream::WebSocketStream;
pub use tcp::connect_tcp;
pub use utf8_bytes::Utf8Bytes;

/// The sans-I/O engine, for drivers and advanced use.
pub use ferrows_core;
pub use ferrows_core::cork::CorkConfig;
pub use ferrows_core::handshake::{HeadLimits, Rejection, RequestHead};
pub use ferrows_core::limits::Limits;

/// The repository README's Rust example, run as a doctest so it stays true.
#[cfg(doctest)]
#[doc = include_str!("../../../README.md")]
pub struct ReadmeDoctests;
