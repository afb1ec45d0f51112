//! The loop side of the driver: libuv callbacks, flushing, closing, timers.
//!
//! Every `extern "C"` callback runs its body inside `catch_unwind`: a panic
//! never crosses into libuv (which would abort Node). A panic while a
//! connection is being processed fails only that connection.

use std::ffi::{c_int, c_void};
use std::panic::{catch_unwind, AssertUnwindSafe};

use super::io::{self, ReadResult};
use super::{read_into, Driver, PollCtx};
use crate::batch::{BatchSink, Kind};
use crate::uv::{self, poll_event, Handle, UvHandle};

impl Driver {
    /// Creates the check, idle and timer handles. Called once after the
    /// driver reached its final address.
    pub fn start(this: *mut Driver) -> Result<(), uv::Unavailable> {
        let uv = uv::uv()?;
        // SAFETY: `this` is live and not borrowed elsewhere during setup.
        let driver = unsafe { &mut *this };
        let loop_ = driver.loop_;
        let check = Handle::new(uv::handle_type::CHECK, |h| {
            // SAFETY: `loop_` is the env's live loop; `h` is fresh handle memory.
            unsafe { (uv.check_init)(loop_, h) }
        })?;
        let idle = Handle::new(uv::handle_type::IDLE, |h| {
            // SAFETY: as above.
            unsafe { (uv.idle_init)(loop_, h) }
        })?;
        let timer = Handle::new(uv::handle_type::TIMER, |h| {
            // SAFETY: as above.
            unsafe { (uv.timer_init)(loop_, h) }
        })?;
        for handle in [&check, &idle, &timer] {
            handle.set_data(this.cast::<c_void>());
            handle.unref();
        }
        // SAFETY: the check handle is initialised and its data points to the driver.
        unsafe { (uv.check_start)(check.as_ptr(), on_check) };
        driver.check = Some(check);
        driver.idle = Some(idle);
        driver.timer = Some(timer);
        Ok(())
    }

    /// Starts polling `id`'s descriptor for readability.
    pub(super) fn start_poll(&mut self, id: u32) -> std::io::Result<()> {
        let uv = uv::uv().map_err(|e| std::io::Error::other(e.0))?;
        let loop_ = self.loop_;
        let Some(slot) = self.conns.get_mut(id as usize).and_then(Option::as_mut) else {
            return Ok(());
        };
        let fd = slot.conn.fd;
        let handle = Handle::new(uv::handle_type::POLL, |h| {
            // SAFETY: `h` is fresh handle memory; `fd` is an open socket we own.
            unsafe { (uv.poll_init)(loop_, h, fd) }
        })
        .map_err(|e| std::io::Error::other(e.0))?;
        handle.set_data((&mut *slot.ctx as *mut PollCtx).cast());
        slot.conn.poll = Some(handle);
        self.update_poll(id);
        Ok(())
    }

    /// Re-arms `id`'s poll handle for what it currently needs.
    pub fn update_poll(&mut self, id: u32) {
        let Ok(uv) = uv::uv() else { return };
        let Some(conn) = self.conn_mut(id) else {
            return;
        };
        let Some(handle) = conn.poll.as_ref() else {
            return;
        };
        let mut events = 0;
        if !conn.flags.paused && !conn.flags.read_eof {
            events |= poll_event::READABLE;
        }
        if conn.flags.want_writable {
            events |= poll_event::WRITABLE;
        }
        // SAFETY: the handle is an initialised poll handle owned by `conn`.
        unsafe {
            if events == 0 {
                (uv.poll_stop)(handle.as_ptr());
            } else {
                (uv.poll_start)(handle.as_ptr(), events, on_poll);
            }
        }
    }

    fn on_poll(&mut self, id: u32, status: c_int, events: c_int) {
        if status < 0 {
            let fd = self.conn_mut(id).map(|c| c.fd);
            let errno = fd.and_then(io::take_error).unwrap_or(-status);
            return self.destroy(id, errno);
        }
        if events & poll_event::WRITABLE != 0 {
            self.flush(id);
        }
        if events & (poll_event::READABLE | poll_event::DISCONNECT) != 0 {
            self.read_ready(id);
        }
    }

    fn read_ready(&mut self, id: u32) {
        let now = self.now();
        let Some(slot) = self.conns.get_mut(id as usize).and_then(Option::as_mut) else {
            return;
        };
        let conn = &mut slot.conn;
        if conn.flags.paused || conn.flags.read_eof {
            return;
        }
        let step = read_into(&mut conn.engine, &mut self.batch, id, conn.fd, now);
        if step.panicked {
            self.fail_after_panic(id);
        } else if matches!(step.result, ReadResult::Data(_)) {
            self.after_receive(id, step.before);
        }
        match step.result {
            ReadResult::Data(_) | ReadResult::WouldBlock => {}
            ReadResult::Eof => self.on_eof(id),
            ReadResult::Failed(err) => self.destroy(id, err.raw_os_error().unwrap_or(0)),
        }
    }

    /// The peer sent FIN: report it, then half-close our side once flushed
    /// (`ws` answers `'end'` with `socket.end()`).
    fn on_eof(&mut self, id: u32) {
        let Some(conn) = self.conn_mut(id) else {
            return;
        };
        conn.flags.read_eof = true;
        conn.engine.receive_eof();
        self.batch.push(id, Kind::End, 0, 0, 0);
        self.update_poll(id);
        self.mark_dirty(id);
    }

    /// Writes `id`'s pending output; half-closes or closes it when done.
    pub fn flush(&mut self, id: u32) {
        crate::fault::check(crate::fault::Site::Flush);
        let Some(conn) = self.conn_mut(id) else {
            return;
        };
        conn.flags.dirty = false;
        let fd = conn.fd;
        match conn.engine.flush_to(fd) {
            Ok(_) => {}
            Err(err) => return self.destroy(id, err.raw_os_error().unwrap_or(0)),
        }
        let pending = conn.engine.pending_bytes();
        let want_writable = pending > 0;
        self.report_written(id);
        let Some(conn) = self.conn_mut(id) else {
            return;
        };
        if want_writable {
            conn.flags.drain_armed = true;
        }
        let drained = !want_writable && std::mem::take(&mut conn.flags.drain_armed);
        if conn.flags.want_writable != want_writable {
            conn.flags.want_writable = want_writable;
            self.update_poll(id);
        }
        if drained {
            self.batch.push(id, Kind::Drain, 0, 0, 0);
        }
        if pending == 0 {
            self.finish_if_done(id);
        }
    }

    fn report_written(&mut self, id: u32) {
        let Some(slot) = self.conns.get_mut(id as usize).and_then(Option::as_mut) else {
            return;
        };
        let batch = &mut self.batch;
        slot.conn.take_completed(|ok, failed| {
            batch.push(id, Kind::Sent, ok as i32, failed as i32, 0);
        });
    }

    /// With nothing left to write: FIN once the closing handshake (or the
    /// peer's FIN) calls for it, and close once both directions are done.
    fn finish_if_done(&mut self, id: u32) {
        let Some(conn) = self.conn_mut(id) else {
            return;
        };
        let wants_fin =
            conn.engine.should_shutdown() || conn.flags.read_eof || conn.flags.end_requested;
        if wants_fin && !conn.flags.write_shutdown {
            conn.flags.write_shutdown = true;
            if io::shutdown_write(conn.fd).is_err() {
                return self.destroy(id, 0);
            }
        }
        let Some(conn) = self.conn_mut(id) else {
            return;
        };
        if conn.flags.write_shutdown && conn.flags.read_eof {
            self.destroy(id, 0);
        }
    }

    /// Closes `id` now: stops polling, closes the descriptor, frees the id
    /// (after JavaScript has seen the `Closed` record).
    pub fn destroy(&mut self, id: u32, errno: i32) {
        let Some(slot) = self.conns.get_mut(id as usize).and_then(Option::take) else {
            return;
        };
        if let Some(due) = slot.deadline {
            self.deadlines.remove(&(due, id));
        }
        let mut slot = slot;
        if let Some(handle) = slot.conn.poll.take() {
            handle.close();
        }
        slot.conn.engine.discard_output();
        io::close(slot.conn.fd);
        self.batch.push_closed(id, errno);
        if !self.dispatching {
            self.start_idle();
        }
    }

    /// Check phase, after delivery: commit each dirty connection's held
    /// replies (the application has now seen the events before them), flush.
    fn flush_dirty(&mut self) {
        let dirty = std::mem::take(&mut self.dirty);
        let now = self.now();
        for &id in &dirty {
            self.guarded(id, |driver| {
                if let Some(conn) = driver.conn_mut(id) {
                    conn.engine.commit_replies(now);
                }
                driver.schedule(id);
                driver.flush(id);
            });
        }
        let mut dirty = dirty;
        dirty.clear();
        if self.dirty.is_empty() {
            self.dirty = dirty;
        }
    }

    pub(super) fn start_idle(&mut self) {
        if self.idle_on {
            return;
        }
        let (Ok(uv), Some(idle)) = (uv::uv(), self.idle.as_ref()) else {
            return;
        };
        // SAFETY: the idle handle is initialised; its data points to the driver.
        unsafe { (uv.idle_start)(idle.as_ptr(), on_idle) };
        self.idle_on = true;
    }

    fn stop_idle(&mut self) {
        let (Ok(uv), Some(idle)) = (uv::uv(), self.idle.as_ref()) else {
            return;
        };
        // SAFETY: as in `start_idle`.
        unsafe { (uv.idle_stop)(idle.as_ptr()) };
        self.idle_on = false;
    }

    pub(super) fn arm_timer(&mut self) {
        let next = self.deadlines.first().map(|&(due, _)| due);
        if next == self.timer_due {
            return;
        }
        let (Ok(uv), Some(timer)) = (uv::uv(), self.timer.as_ref()) else {
            return;
        };
        self.timer_due = next;
        // SAFETY: the timer handle is initialised; its data points to the driver.
        unsafe {
            (uv.timer_stop)(timer.as_ptr());
            if let Some(due) = next {
                let delay = due.saturating_sub(uv::now(self.loop_));
                (uv.timer_start)(timer.as_ptr(), on_timer, delay, 0);
            }
        }
    }

    fn fire_timers(&mut self) {
        self.timer_due = None;
        let now = self.now();
        while let Some(&(due, id)) = self.deadlines.first() {
            if due > now {
                break;
            }
            self.deadlines.remove(&(due, id));
            let Some(slot) = self.conns.get_mut(id as usize).and_then(Option::as_mut) else {
                continue;
            };
            slot.deadline = None;
            self.guarded(id, |driver| driver.fire_timer(id, now));
        }
        self.arm_timer();
        self.start_idle();
    }

    /// Fires connection `id`'s deadline.
    fn fire_timer(&mut self, id: u32, now: u64) {
        crate::fault::check(crate::fault::Site::Timer);
        let Some(slot) = self.conns.get_mut(id as usize).and_then(Option::as_mut) else {
            return;
        };
        let before = self.batch.len();
        let mut sink = BatchSink::new(&mut self.batch, id);
        slot.conn.engine.handle_timeout(now, &mut sink);
        self.after_receive(id, before);
    }

    /// One check phase: deliver, flush, repeat while flushing produced events.
    fn on_check(this: *mut Driver) {
        for _ in 0..4 {
            Driver::deliver(this);
            // SAFETY: no JavaScript runs between here and the next deliver.
            let driver = unsafe { &mut *this };
            driver.drain_outbox();
            driver.flush_dirty();
            if driver.batch.is_empty() && driver.dirty.is_empty() {
                driver.stop_idle();
                return;
            }
        }
    }

    /// Runs `step`, which works on connection `id` only; a panic in it fails
    /// that connection and leaves the driver serving the others.
    pub(super) fn guarded(&mut self, id: u32, step: impl FnOnce(&mut Self)) {
        if catch_unwind(AssertUnwindSafe(|| step(self))).is_err() {
            self.fail_after_panic(id);
        }
    }

    /// Fails one connection after a panic while it was being processed: an
    /// `error` (1011) for JavaScript and a close frame with 1011 for the peer,
    /// as for a protocol error; the socket is destroyed instead when the
    /// engine cannot do that (input already over, or a second panic).
    pub(super) fn fail_after_panic(&mut self, id: u32) {
        let now = self.now();
        let Some(slot) = self.conns.get_mut(id as usize).and_then(Option::as_mut) else {
            return;
        };
        let (engine, batch) = (&mut slot.conn.engine, &mut self.batch);
        let failed = catch_unwind(AssertUnwindSafe(|| {
            let mut sink = BatchSink::new(batch, id);
            let failed = engine.fail(ferrows_core::Error::internal(), now, &mut sink);
            engine.commit_replies(now);
            failed
        }));
        if matches!(failed, Ok(true)) {
            // The panic may have come between marking and flushing: mark anew.
            slot.conn.flags.dirty = false;
            self.mark_dirty(id);
            self.schedule(id);
        } else {
            self.batch.push_error(id, &ferrows_core::Error::internal());
            self.destroy(id, 0);
        }
    }
}

/// Recovers the driver from a handle's data pointer.
fn driver_of(handle: *mut UvHandle) -> Option<*mut Driver> {
    let uv = uv::uv().ok()?;
    // SAFETY: every handle passed to these callbacks was created by the driver
    // with its data set before the handle was started.
    let data = unsafe { (uv.handle_get_data)(handle) };
    (!data.is_null()).then_some(data.cast::<Driver>())
}

unsafe extern "C" fn on_poll(handle: *mut UvHandle, status: c_int, events: c_int) {
    let Ok(uv) = uv::uv() else { return };
    // SAFETY: poll handles carry a pointer to their connection's `PollCtx`,
    // which lives until the handle is closed (after which no callback runs).
    let ctx = unsafe { &*(uv.handle_get_data)(handle).cast::<PollCtx>() };
    let (driver, id) = (ctx.driver, ctx.id);
    let result = catch_unwind(AssertUnwindSafe(|| {
        // SAFETY: callbacks run on the loop thread with no other borrow of the driver.
        unsafe { &mut *driver }.on_poll(id, status, events);
    }));
    if result.is_err() {
        // SAFETY: as above; the panicking borrow has ended.
        unsafe { &mut *driver }.fail_after_panic(id);
    }
    // SAFETY: as above; no borrow of the driver is live here.
    if unsafe { &*driver }.batch.payload().len() >= EARLY_DELIVERY {
        let _ = catch_unwind(AssertUnwindSafe(|| Driver::on_check(driver)));
    }
}

/// Payload bytes after which a batch is delivered (and the replies flushed)
/// from the poll phase instead of waiting for the check phase. Small messages
/// never reach it; large ones would otherwise pile up a whole loop turn of
/// payload, then its copies in the outbox and the corks, far beyond the CPU
/// caches: the kernel's copies out of and into those cold buffers cost twice
/// what they do from hot ones (perf, 4 KiB echo).
const EARLY_DELIVERY: usize = 256 * 1024;

unsafe extern "C" fn on_check(handle: *mut UvHandle) {
    if let Some(driver) = driver_of(handle) {
        let _ = catch_unwind(AssertUnwindSafe(|| Driver::on_check(driver)));
    }
}

unsafe extern "C" fn on_idle(_handle: *mut UvHandle) {
    // Nothing to do: an active idle handle only keeps the loop from blocking
    // in the poll phase, so the check phase (which flushes) comes at once.
}

unsafe extern "C" fn on_timer(handle: *mut UvHandle) {
    if let Some(driver) = driver_of(handle) {
        let _ = catch_unwind(AssertUnwindSafe(|| {
            // SAFETY: callbacks run on the loop thread with no other borrow of the driver.
            unsafe { &mut *driver }.fire_timers();
        }));
    }
}
