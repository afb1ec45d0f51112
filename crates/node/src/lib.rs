//! The Node-API addon behind the `ferrows` npm package.
//!
//! # Layout
//!
//! | module | role |
//! |---|---|
//! | [`uv`] | libuv functions resolved from the host `node`, owned handles |
//! | [`driver`] | Rust-owned sockets in Node's loop: poll, batch, flush, close |
//! | [`binding_driver`] | `NativeDriver`, JavaScript's handle on the driver |
//! | [`binding_engine`] | `Engine`, the same protocol engine for JS-owned sockets |
//! | [`binding_handshake`] | handshake helpers (key, headers, extensions) |
//! | [`binding_deflate`] | permessage-deflate negotiation and standalone zlib |
//! | [`binding_config`] | option conversion |
//!
//! No Rust panic may abort Node: `#[napi(catch_unwind)]` turns a panic in a
//! method into a JavaScript exception, and every libuv callback catches
//! panics and fails only the connection being processed.

pub mod binding_config;
pub mod binding_deflate;
pub mod binding_driver;
pub mod binding_engine;
pub mod binding_handshake;
mod driver;
mod uv;

#[cfg(feature = "allocator")]
#[global_allocator]
static ALLOC: mimalloc_safe::MiMalloc = mimalloc_safe::MiMalloc;
