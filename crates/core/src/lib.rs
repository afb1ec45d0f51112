//! The sans-I/O WebSocket protocol engine behind ferrows.
//!
//! Nothing in this crate touches a socket, a runtime or a clock. Bytes and the
//! current time go in; events, bytes to write and the next deadline come out.
//! Every driver — Rust-owned sockets in Node's libuv loop, JS-owned sockets,
//! tokio streams, HTTP/2 and HTTP/3 streams — drives the same
//! [`protocol::Connection`] through the same recipe (see its type doc).
//!
//! # Layout
//!
//! | module | concept |
//! |---|---|
//! | [`frame`] | RFC 6455 §5 frame header codec: zero-copy, resumable parse and encode |
//! | [`mask`] | XOR masking kernels (AVX-512BW, AVX2, SSE2, NEON, scalar) chosen at run time |
//! | [`utf8`] | streaming UTF-8 validation that fails at the first bad byte |
//! | [`close`] | close codes and close-frame payload rules |
//! | [`limits`] | payload, fragment, chunk and auto-pong limits (ws 8.23 semantics) |
//! | [`handshake`] | HTTP/1.1 upgrade for both roles, `Sec-WebSocket-*` header parsing |
//! | [`deflate`] | permessage-deflate (RFC 7692): negotiation, bounded inflate, deflate |
//! | [`cork`] | bounded outgoing buffer handing out `writev` slices |
//! | [`queue`] | cache-line-aligned lock-free SPSC/MPMC queues for thread hand-off |
//! | [`protocol`] | the per-connection state machine that ties it all together |
//! | [`error`] | the opaque [`Error`] with `is_*` predicates and ws error codes |
//!
//! The role (client or server) is a type parameter ([`role::Server`],
//! [`role::Client`]), so masking and unmasking paths are monomorphised rather
//! than chosen by a run-time `if`.

#![cfg_attr(not(test), warn(missing_docs))]

pub mod close;
pub mod cork;
pub mod deflate;
pub mod error;
pub mod frame;
pub mod handshake;
pub mod limits;
pub mod mask;
pub mod protocol;
pub mod queue;
pub mod role;
pub mod utf8;

#[cfg(fuzzing)]
pub mod fuzzing;

pub use error::Error;
pub use protocol::Connection;
pub use role::{Client, Role, Server};
