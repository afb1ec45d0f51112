//! What the two load generators share: `ferrows-loadgen` (WebSocket over HTTP/1.1, raw epoll)
//! and `ferrows-loadgen-h2` (WebSocket over HTTP/2, RFC 8441, on the h2 crate).
//!
//! Both send the same masked frames and sequence-numbered payloads, verify every echo with the
//! same receiver, and print the same JSON result line.

pub mod args;
pub mod deflate;
pub mod frame;
pub mod handshake;
pub mod json;
pub mod os;
pub mod payload;
pub mod rx;
pub mod stats;
