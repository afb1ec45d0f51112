//! WebSockets over HTTP/2 (RFC 8441), on the h2 crate (feature `http2`).
//!
//! A WebSocket over HTTP/2 is one stream of an HTTP/2 connection, opened
//! with an *extended CONNECT* (`:method CONNECT`, `:protocol websocket`)
//! and answered with 200 instead of 101. After that the stream's DATA
//! frames carry the RFC 6455 frames unchanged, so the same
//! [`WebSocketStream`](crate::WebSocketStream) runs over an [`H2Stream`]
//! ([`H2WebSocket`]); many WebSockets share one connection.
//!
//! | side | entry point |
//! |---|---|
//! | server | [`accept`]/[`accept_with`] → [`ServerConnection`], whose [`accept`](ServerConnection::accept) yields WebSockets |
//! | client | [`connect`] (one WebSocket) or [`ClientConnection::handshake`] then [`ClientConnection::connect`] (many) |
//! | both | [`Settings`] (windows, stream limit, data-frame budget) |
//!
//! The request and answer checks are the core's `check_connect` and
//! `check_connect_response`; subprotocol and permessage-deflate negotiation
//! is the HTTP/1.1 path's. Close and reset map as RFC 8441 §5 and the
//! spec's table: the closing handshake ends with END_STREAM both ways; a
//! WebSocket dropped without it (or [`H2Stream::cancel`]) sends
//! `RST_STREAM(CANCEL)`; a peer's reset or the connection's loss ends the
//! WebSocket with 1006.
//!
//! # Example: h2c echo on loopback
//!
//! ```
//! use ferrows::{h2, Config, Message};
//! use futures_util::{SinkExt, StreamExt};
//! use tokio::net::{TcpListener, TcpStream};
//!
//! # #[tokio::main(flavor = "current_thread")]
//! # async fn main() -> Result<(), Box<dyn std::error::Error>> {
//! let listener = TcpListener::bind("127.0.0.1:0").await?;
//! let addr = listener.local_addr()?;
//! tokio::spawn(async move {
//!     let (tcp, _) = listener.accept().await?;
//!     let mut conn = h2::accept(tcp, Config::default()).await?;
//!     while let Some(Ok(mut ws)) = conn.accept().await {
//!         tokio::spawn(async move {
//!             while let Some(Ok(message)) = ws.next().await {
//!                 if message.is_text() || message.is_binary() {
//!                     let _ = ws.send(message).await;
//!                 }
//!             }
//!         });
//!     }
//!     Ok::<_, Box<dyn std::error::Error + Send + Sync>>(())
//! });
//!
//! let tcp = TcpStream::connect(addr).await?;
//! let mut ws = h2::connect(format!("ws://{addr}/echo"), tcp, Config::default()).await?;
//! ws.send(Message::text("over h2")).await?;
//! assert_eq!(ws.next().await.transpose()?, Some(Message::text("over h2")));
//! ws.close().await?;
//! while ws.next().await.transpose()?.is_some() {}
//! # Ok(())
//! # }
//! ```

mod client;
mod io;
mod server;
mod settings;

pub use client::{connect, ClientConnection};
pub use io::H2Stream;
pub use server::{accept, accept_with, H2WebSocket, ServerConnection};
pub use settings::{Settings, DEFAULT_CONNECTION_WINDOW, DEFAULT_DATA_FRAME_BUDGET};
