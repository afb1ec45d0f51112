//! The native I/O driver: Rust-owned sockets inside Node's own libuv loop.
//!
//! ```text
//!  poll phase      uv_poll(fd) readable ─► read into the shared buffer ─► engine.receive
//!                                                   events appended to the batch ┘
//!  check phase     uv_check ─► ONE JavaScript call with the whole batch
//!                            (user handlers run; send() only queues into corks)
//!                          ─► flush every dirty connection with one writev each
//!                          ─► half-close / close finished connections
//!  poll phase      a batch past 256 KiB of payload is delivered and flushed at
//!                  once, so large messages are echoed while still in cache
//!  any phase       send() outside a batch: mark dirty and start an idle handle,
//!                  so the loop does not block before the next check phase
//! ```
//!
//! One [`Driver`] exists per Node environment (main thread or worker); it is
//! reached from libuv callbacks through a raw pointer and from JavaScript
//! through [`crate::binding_driver::NativeDriver`]. No Rust reference to it is
//! held across a call into JavaScript, because JavaScript may call back in.

mod commands;
pub mod conn;
pub mod io;
mod js;
mod lifecycle;
#[cfg(any(test, fuzzing))]
pub mod mock;
pub mod outbox;

use std::collections::BTreeSet;
use std::os::fd::RawFd;

use conn::Conn;
use ferrows_core::protocol::{Config, HeartbeatConfig};

use crate::batch::{self, Batch, BatchSink, Kind};
use crate::engine::Engine;
use crate::uv::{self, Handle, UvLoop};
pub use js::JsRefs;

/// Bytes one read takes at most: into the slab, or into the engine's buffer
/// while a partial frame is held.
const READ_BUFFER: usize = 256 * 1024;

/// What a poll handle's data pointer refers to.
#[derive(Debug)]
pub struct PollCtx {
    driver: *mut Driver,
    id: u32,
}

/// Every Rust-owned connection of one Node environment.
#[derive(Debug)]
pub struct Driver {
    pub(crate) env: napi::sys::napi_env,
    loop_: *mut UvLoop,
    js: JsRefs,
    conns: Vec<Option<Box<Slot>>>,
    free: Vec<u32>,
    batch: Batch,
    spare: Batch,
    dirty: Vec<u32>,
    check: Option<Handle>,
    idle: Option<Handle>,
    idle_on: bool,
    timer: Option<Handle>,
    timer_due: Option<u64>,
    deadlines: BTreeSet<(u64, u32)>,
    dispatching: bool,
    pub(crate) outbox: Option<outbox::Outbox>,
}

/// A connection plus the poll context its handle points to.
#[derive(Debug)]
pub struct Slot {
    pub(crate) conn: Conn,
    ctx: Box<PollCtx>,
    deadline: Option<u64>,
}

impl Driver {
    /// Creates the driver and starts its check handle. The result must stay
    /// at a fixed address (it is boxed and leaked by the binding).
    pub fn new(env: napi::sys::napi_env, loop_: *mut UvLoop, js: JsRefs) -> Self {
        Self {
            env,
            loop_,
            js,
            conns: Vec::new(),
            free: Vec::new(),
            batch: Batch::default(),
            spare: Batch::default(),
            dirty: Vec::new(),
            check: None,
            idle: None,
            idle_on: false,
            timer: None,
            timer_due: None,
            deadlines: BTreeSet::new(),
            dispatching: false,
            outbox: None,
        }
    }

    /// The loop's time, refreshed first: its cached time is that of the start
    /// of the loop iteration, which synchronous JavaScript (or the process
    /// being descheduled) may have left far behind by the time `close()` starts
    /// the close timer; a deadline counted from it fired early (a close
    /// timeout of 1000 ms fired 50 ms after `close()` that followed 950 ms of
    /// synchronous work). Node refreshes it the same way before a `setTimeout`.
    pub fn now(&self) -> u64 {
        uv::fresh_now(self.loop_)
    }

    /// The connection with `id`, if it is live.
    pub fn conn_mut(&mut self, id: u32) -> Option<&mut Conn> {
        self.conns
            .get_mut(id as usize)
            .and_then(Option::as_mut)
            .map(|slot| &mut slot.conn)
    }

    /// Takes ownership of a duplicate of `fd` and starts reading from it.
    /// `preface` (the 101 response) is written before any frame; `head`
    /// (bytes that arrived with the upgrade) is parsed at once.
    pub fn adopt(
        this: *mut Driver,
        fd: RawFd,
        is_server: bool,
        config: Config,
        heartbeat: Option<HeartbeatConfig>,
        preface: &[u8],
        head: &[u8],
    ) -> std::io::Result<u32> {
        // SAFETY: `this` is the live driver; no other reference to it exists
        // during this call (it is not reentrant: no JavaScript runs here).
        let driver = unsafe { &mut *this };
        let own = io::adopt(fd)?;
        let id = driver.free.pop().unwrap_or(driver.conns.len() as u32);
        let mut engine = Engine::new(is_server, config);
        if let Some(heartbeat) = heartbeat {
            engine.enable_heartbeat(heartbeat, driver.now());
        }
        if !preface.is_empty() {
            with_raw(&mut engine, preface);
        }
        let slot = Box::new(Slot {
            conn: conn::Conn {
                fd: own,
                poll: None,
                engine,
                flags: conn::Flags::default(),
                notify: std::collections::VecDeque::new(),
            },
            ctx: Box::new(PollCtx { driver: this, id }),
            deadline: None,
        });
        driver.store(id, slot);
        if let Err(err) = driver.start_poll(id) {
            driver.destroy(id, err.raw_os_error().unwrap_or(0));
            return Err(err);
        }
        driver.schedule(id);
        if !head.is_empty() {
            let mut head = head.to_vec();
            driver.receive(id, &mut head);
        }
        driver.mark_dirty(id);
        Ok(id)
    }

    fn store(&mut self, id: u32, slot: Box<Slot>) {
        let index = id as usize;
        if index == self.conns.len() {
            self.conns.push(Some(slot));
        } else {
            self.conns[index] = Some(slot);
        }
    }

    /// Feeds received bytes of `id` to its engine.
    fn receive(&mut self, id: u32, data: &mut [u8]) {
        let now = self.now();
        let Some(slot) = self.conns.get_mut(id as usize).and_then(Option::as_mut) else {
            return;
        };
        let before = self.batch.len();
        let mut sink = BatchSink::new(&mut self.batch, id);
        slot.conn.engine.receive(data, now, &mut sink);
        self.after_receive(id, before);
    }

    /// Handles what a receive or a timer produced: an abort, output, a new
    /// deadline.
    pub(super) fn after_receive(&mut self, id: u32, before: usize) {
        let aborted = self.batch.records()[before * batch::RECORD..]
            .chunks(batch::RECORD)
            .any(|r| r[1] == Kind::Abort as i32);
        if aborted {
            self.destroy(id, 0);
            return;
        }
        if slot_has_output(self, id) {
            self.mark_dirty(id);
        }
        self.schedule(id);
    }

    /// Queues `id` for the next flush and makes sure a check phase comes soon.
    pub fn mark_dirty(&mut self, id: u32) {
        if let Some(conn) = self.conn_mut(id) {
            if !conn.flags.dirty {
                conn.flags.dirty = true;
                self.dirty.push(id);
            }
        }
        if !self.dispatching {
            self.start_idle();
        }
    }

    /// Installs the outbox JavaScript shares (see [`outbox`]).
    pub fn set_outbox(&mut self, outbox: outbox::Outbox) {
        self.outbox = Some(outbox);
    }

    /// Makes sure a check phase comes soon (outside a batch delivery).
    pub fn request_turn(&mut self) {
        if !self.dispatching {
            self.start_idle();
        }
    }

    /// Updates `id`'s entry in the deadline set from its engine.
    pub fn schedule(&mut self, id: u32) {
        let Some(slot) = self.conns.get_mut(id as usize).and_then(Option::as_mut) else {
            return;
        };
        let next = slot.conn.engine.poll_timeout();
        if slot.deadline == next {
            return;
        }
        if let Some(old) = slot.deadline.take() {
            self.deadlines.remove(&(old, id));
        }
        if let Some(due) = next {
            slot.deadline = Some(due);
            self.deadlines.insert((due, id));
        }
        self.arm_timer();
    }

    /// Number of live connections.
    pub fn live(&self) -> usize {
        self.conns.iter().filter(|s| s.is_some()).count()
    }
}

/// What one read of a connection did (see [`read_into`]).
#[derive(Debug)]
pub struct ReadStep {
    /// The read's outcome.
    pub result: io::ReadResult,
    /// The batch's record count before the read: the events it queued follow.
    pub before: usize,
    /// The engine panicked parsing bytes in the slab (caught there, so the
    /// slab comes back; one in the engine's buffer unwinds to the caller).
    pub panicked: bool,
}

/// One read of connection `id`'s socket, parsed at once. Complete frames are
/// parsed where they land in the slab, so their payloads reach JavaScript
/// without another copy. With a partial frame held, the bytes go straight
/// into the engine's buffer, where the rest of that frame is assembled.
pub fn read_into(
    engine: &mut Engine,
    batch: &mut Batch,
    id: u32,
    sock: impl io::Socket,
    now: u64,
) -> ReadStep {
    let before = batch.len();
    if engine.has_partial_input() {
        let mut sink = BatchSink::new(batch, id);
        let result = engine.read_partial(sock, READ_BUFFER, now, &mut sink);
        return ReadStep {
            result,
            before,
            panicked: false,
        };
    }
    let base = batch.payload().len();
    let result = batch.read_from(sock, READ_BUFFER);
    let io::ReadResult::Data(n) = result else {
        return ReadStep {
            result,
            before,
            panicked: false,
        };
    };
    let (mut slab, in_place) = batch.lend(base, n);
    let mut sink = BatchSink::in_place(batch, id, in_place);
    // The slab must come back even after a panic: other connections'
    // records of this batch point into it.
    let received = std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| {
        engine.receive(&mut slab[base..base + n], now, &mut sink);
    }));
    batch.settle(slab, before);
    let panicked = received.is_err();
    ReadStep {
        result,
        before,
        panicked,
    }
}

fn slot_has_output(driver: &mut Driver, id: u32) -> bool {
    driver.conn_mut(id).is_some_and(|c| {
        c.engine.pending_bytes() > 0 || c.engine.should_shutdown() || c.engine.has_pending_replies()
    })
}

/// Queues raw bytes (the handshake response) ahead of every frame.
fn with_raw(engine: &mut Engine, bytes: &[u8]) {
    match engine {
        Engine::Server(c) => c.send_raw(bytes),
        Engine::Client(c) => c.send_raw(bytes),
    }
}
