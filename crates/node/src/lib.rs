//! The Node-API addon behind the `ferrows` npm package.
//!
//! # Layout
//!
//! | module | role |
//! |---|---|
//! | [`uv`] | libuv functions resolved from the host `node`, owned handles (Unix) |
//! | [`driver`] | Rust-owned sockets in Node's loop: poll, batch, flush, close (Unix) |
//! | [`binding_driver`] | `NativeDriver`, JavaScript's handle on the driver (Unix) |
//! | [`binding_engine`] | `Engine`, the same protocol engine for JS-owned sockets |
//! | [`binding_handshake`] | handshake helpers (key, headers, extensions) |
//! | [`binding_deflate`] | permessage-deflate negotiation and standalone zlib |
//! | [`binding_config`] | option conversion |
//! | [`binding_args`] | send flags and typed arrays, for both transports |
//! | [`batch`], [`engine`] | event records and the role-generic engine, for both transports |
//!
//! The driver polls raw file descriptors with `uv_poll`, so it exists on Unix
//! only. Elsewhere (Windows) the addon has no `NativeDriver`,
//! [`native_driver_supported`] returns `false`, and JavaScript keeps every
//! socket and drives an [`binding_engine::Engine`].
//!
//! No Rust panic may abort Node: `#[napi(catch_unwind)]` turns a panic in a
//! method into a JavaScript exception, and every libuv callback catches
//! panics and fails only the connection being processed. Both need unwinding,
//! so a build with `panic = "abort"` (e.g. a release profile tuned for size)
//! is refused at compile time.

#[cfg(panic = "abort")]
compile_error!(
    "ferrows-node needs panic = \"unwind\": a panic must fail one connection, never abort Node"
);

pub mod batch;
pub mod binding_args;
pub mod binding_config;
pub mod binding_deflate;
#[cfg(unix)]
pub mod binding_driver;
pub mod binding_engine;
pub mod binding_handshake;
#[cfg(unix)]
mod driver;
pub mod engine;
pub mod fault;
#[cfg(unix)]
mod uv;

/// The native driver's socket-level code over a scripted socket, for the
/// `driver_io` fuzz target (`fuzz/fuzz_targets/driver_io.rs`). Built only
/// under `cfg(fuzzing)`, which cargo-fuzz sets, so the addon never carries it.
#[cfg(all(unix, fuzzing))]
#[doc(hidden)]
pub mod fuzzing {
    pub use crate::driver::io::{ReadResult, Socket};
    pub use crate::driver::mock::{MockSocket, ReadOp, WriteOp};
    pub use crate::driver::{read_into, ReadStep};
}

use napi_derive::napi;

/// Whether this build has the native driver (`NativeDriver`): Unix builds do,
/// Windows builds leave every socket to JavaScript. (Bun has the driver
/// compiled in but no usable libuv; `new NativeDriver` fails there.)
#[napi]
pub fn native_driver_supported() -> bool {
    cfg!(unix)
}

/// Reports `error` as an uncaught exception, right now: Node runs
/// `process.on('uncaughtException')` (and `'uncaughtExceptionMonitor'`, or a
/// domain's capture callback) before this returns, or exits the process when
/// nothing handles it, exactly as for an exception thrown out of an I/O
/// callback. JavaScript uses it when several user handlers throw while one
/// batch (or one read) is delivered: with `ws` each of those throws would have
/// left its own socket `'data'` callback, so each must be reported, and the
/// remaining events still delivered.
#[napi]
pub fn report_uncaught(env: napi::Env, error: napi::Unknown<'_>) -> napi::Result<()> {
    // SAFETY: called from JavaScript on the env's thread; `error` is a live
    // value of this call's scope.
    let status = unsafe { napi::sys::napi_fatal_exception(env.raw(), napi::JsValue::raw(&error)) };
    if status == napi::sys::Status::napi_ok {
        Ok(())
    } else {
        Err(napi::Error::new(
            napi::Status::GenericFailure,
            format!("napi_fatal_exception failed ({status})"),
        ))
    }
}

#[cfg(feature = "allocator")]
#[global_allocator]
static ALLOC: mimalloc_safe::MiMalloc = mimalloc_safe::MiMalloc;
