//! `Engine`: the protocol engine for sockets JavaScript owns.
//!
//! TLS sockets from `https` servers, any `Duplex` handed to `handleUpgrade`,
//! Windows, Bun: JavaScript reads and writes, Rust frames. Each received
//! chunk is one call that writes event records into the shared table and
//! returns their count; the payload slab is fetched with one more call when
//! a record carries bytes. Output is drained into one `Buffer` per flush.

use std::panic::{catch_unwind, AssertUnwindSafe};

use ferrows_core::protocol::HeartbeatConfig;
use napi::bindgen_prelude::*;
use napi::sys;
use napi_derive::napi;

use crate::batch::{Batch, BatchSink, Kind, RECORD};
use crate::binding_args::{data_kind, int32_array, send_options};
use crate::binding_config::{random_seed, ConnOptions};
use crate::engine::Engine as CoreEngine;

/// A protocol engine driven from JavaScript.
#[napi]
pub struct Engine {
    engine: CoreEngine,
    batch: Batch,
    table: *mut i32,
    table_records: usize,
    table_ref: sys::napi_ref,
    env: sys::napi_env,
    aborted: bool,
    /// The heartbeat from the options, until [`Engine::start_heartbeat`].
    heartbeat: Option<HeartbeatConfig>,
    /// Output drained for a copy into a V8 `Buffer`, reused across flushes.
    scratch: Vec<u8>,
}

/// From this size up, bytes reach JavaScript as an external `Buffer` that owns
/// them; smaller ones are copied into V8 memory, which costs less than the
/// finalizer and weak reference of an external buffer (the native driver's
/// slab follows the same rule in `driver/js.rs`).
const EXTERNAL_MIN: usize = 64 * 1024;

#[napi]
impl Engine {
    /// A new engine for one connection. `table` is the `Int32Array` records
    /// are written to (it may be shared by all engines of a thread).
    #[napi(constructor)]
    pub fn new(
        env: Env,
        is_server: bool,
        options: ConnOptions,
        table: Unknown<'_>,
    ) -> Result<Self> {
        let raw = env.raw();
        let (table_ptr, len) = int32_array(raw, table.raw())?;
        let mut table_ref = std::ptr::null_mut();
        // SAFETY: `table` is live in this call; the reference keeps it alive.
        unsafe { sys::napi_create_reference(raw, table.raw(), 1, &mut table_ref) };
        Ok(Self {
            engine: CoreEngine::new(is_server, options.to_config(random_seed())),
            batch: Batch::default(),
            table: table_ptr,
            table_records: len / RECORD,
            table_ref,
            env: raw,
            aborted: false,
            heartbeat: options.heartbeat(),
            scratch: Vec::new(),
        })
    }

    /// Parses a received chunk (unmasking it in place). Returns the number of
    /// records written to the table; if it exceeds the table's capacity, the
    /// rest follow from [`Engine::next_records`].
    #[napi(catch_unwind)]
    pub fn receive(&mut self, mut chunk: BufferSlice<'_>, now_ms: f64) -> u32 {
        self.batch.clear();
        self.guarded(now_ms as u64, |engine, sink| {
            engine.receive(&mut chunk, now_ms as u64, sink);
        });
        self.records_written()
    }

    /// Starts the heartbeat the options asked for, if any; returns whether
    /// one runs. From then on JavaScript calls [`Engine::handle_timeout`]
    /// periodically.
    #[napi]
    pub fn start_heartbeat(&mut self, now_ms: f64) -> bool {
        let Some(config) = self.heartbeat.take() else {
            return false;
        };
        self.engine.enable_heartbeat(config, now_ms as u64);
        true
    }

    /// Fires what is due at `now_ms` (a heartbeat ping to flush, or an abort:
    /// see [`Engine::aborted`]). Returns the number of records written, as
    /// [`Engine::receive`] does.
    #[napi(catch_unwind)]
    pub fn handle_timeout(&mut self, now_ms: f64) -> u32 {
        self.batch.clear();
        self.guarded(now_ms as u64, |engine, sink| {
            engine.handle_timeout(now_ms as u64, sink);
        });
        self.records_written()
    }

    /// Runs an engine step that reports events. A panic in it fails this
    /// connection as a protocol error would (an `Error` record, 1011, and a
    /// close frame with 1011 once committed) instead of throwing from the
    /// socket's `'data'` listener; when the engine cannot do that either, the
    /// connection is marked aborted, so JavaScript destroys the socket.
    fn guarded(&mut self, now_ms: u64, step: impl FnOnce(&mut CoreEngine, &mut BatchSink<'_>)) {
        let (engine, batch) = (&mut self.engine, &mut self.batch);
        let stepped = catch_unwind(AssertUnwindSafe(|| {
            step(engine, &mut BatchSink::new(batch, 0));
        }));
        if stepped.is_ok() {
            return;
        }
        let failed = catch_unwind(AssertUnwindSafe(|| {
            engine.fail(
                ferrows_core::Error::internal(),
                now_ms,
                &mut BatchSink::new(batch, 0),
            )
        }));
        self.aborted |= !matches!(failed, Ok(true));
    }

    /// Notes an abort among the batch's records and copies the first ones
    /// into the table; returns how many.
    fn records_written(&mut self) -> u32 {
        self.aborted |= self
            .batch
            .records()
            .chunks(RECORD)
            .any(|r| r[1] == Kind::Abort as i32);
        self.copy_records(0)
    }

    /// Copies records from `start` (a record index) into the table.
    #[napi]
    pub fn next_records(&mut self, start: u32) -> u32 {
        self.copy_records(start as usize)
    }

    fn copy_records(&mut self, start: usize) -> u32 {
        let records = self.batch.records();
        let from = (start * RECORD).min(records.len());
        let n = ((records.len() - from) / RECORD).min(self.table_records);
        // SAFETY: the table holds `table_records * RECORD` i32s, kept alive by
        // `table_ref`; `n * RECORD` does not exceed either side.
        unsafe { std::ptr::copy_nonoverlapping(records[from..].as_ptr(), self.table, n * RECORD) };
        n as u32
    }

    /// The payload bytes of the last `receive` (records point into it).
    #[napi]
    pub fn slab<'env>(&mut self, env: &'env Env) -> Result<BufferSlice<'env>> {
        let payload = self.batch.payload();
        if payload.len() < EXTERNAL_MIN {
            BufferSlice::copy_from(env, payload)
        } else {
            BufferSlice::from_data(env, payload.to_vec())
        }
    }

    /// The engine gave up (too many pending pongs, the close timeout, or an
    /// unanswered heartbeat).
    #[napi(getter)]
    pub fn aborted(&self) -> bool {
        self.aborted
    }

    /// Queues a message or fragment; -1 once our close frame is out.
    #[napi(catch_unwind)]
    pub fn send(&mut self, data: &[u8], flags: u32, mask_key: Option<u32>) -> f64 {
        let kind = data_kind(flags);
        self.engine
            .send(kind, data, send_options(flags, mask_key))
            .map_or(-1.0, |p| p as f64)
    }

    /// Queues a ping or pong; -1 if closing, -2 if over 125 bytes.
    #[napi(catch_unwind)]
    pub fn control(&mut self, pong: bool, data: &[u8], flags: u32, mask_key: Option<u32>) -> f64 {
        match self
            .engine
            .control(pong, data, send_options(flags, mask_key))
        {
            Ok(p) => p as f64,
            Err(ferrows_core::protocol::SendError::ControlTooLong) => -2.0,
            Err(_) => -1.0,
        }
    }

    /// Queues our close frame (`code < 0`: none); -1 if already closing.
    #[napi(catch_unwind)]
    pub fn close(
        &mut self,
        code: i32,
        reason: &[u8],
        now_ms: f64,
        flags: u32,
        mask_key: Option<u32>,
    ) -> f64 {
        self.engine
            .close(
                u16::try_from(code).ok(),
                reason,
                now_ms as u64,
                send_options(flags, mask_key),
            )
            .map_or(-1.0, |p| p as f64)
    }

    /// Writes the held automatic replies (pongs, the close reply) once the
    /// application has handled the events of the last `receive`.
    /// A panic here marks the connection aborted (JavaScript then destroys
    /// the socket) instead of throwing from the socket's `'data'` listener.
    #[napi]
    pub fn commit(&mut self, now_ms: f64) {
        let engine = &mut self.engine;
        let committed = catch_unwind(AssertUnwindSafe(|| engine.commit_replies(now_ms as u64)));
        self.aborted |= committed.is_err();
    }

    /// Takes every pending output byte as one `Buffer`, or `null` if none.
    #[napi(catch_unwind)]
    pub fn take_output<'env>(&mut self, env: &'env Env) -> Result<Option<BufferSlice<'env>>> {
        let pending = self.engine.pending_bytes();
        if pending == 0 {
            return Ok(None);
        }
        if pending >= EXTERNAL_MIN {
            let mut out = Vec::with_capacity(pending);
            self.engine.drain_into(&mut out);
            return BufferSlice::from_data(env, out).map(Some);
        }
        self.scratch.clear();
        self.engine.drain_into(&mut self.scratch);
        BufferSlice::copy_from(env, &self.scratch).map(Some)
    }

    /// The read side ended; true if the closing handshake had completed.
    #[napi]
    pub fn receive_eof(&mut self) -> bool {
        self.engine.receive_eof()
    }

    /// Our close frame is out and the peer's arrived (or input failed).
    #[napi(getter)]
    pub fn should_shutdown(&self) -> bool {
        self.engine.should_shutdown()
    }
}

impl Drop for Engine {
    fn drop(&mut self) {
        // SAFETY: created in `new` on this env; finalizers run on its thread.
        unsafe { sys::napi_delete_reference(self.env, self.table_ref) };
    }
}
