//! Commands from JavaScript: they queue into a connection's cork and mark it
//! dirty; the check phase (or an idle-forced loop turn) flushes.

use ferrows_core::frame::DataKind;
use ferrows_core::protocol::SendOptions;

use super::Driver;

/// Returned when the connection is closing (our close frame is queued) or gone.
pub const CLOSING: f64 = -1.0;
/// Returned when a control payload is over 125 bytes.
pub const TOO_LONG: f64 = -2.0;

impl Driver {
    /// Queues a data message or fragment.
    pub fn send(
        &mut self,
        id: u32,
        kind: DataKind,
        data: &[u8],
        opts: SendOptions,
        notify: bool,
    ) -> f64 {
        let Some(conn) = self.conn_mut(id) else {
            return CLOSING;
        };
        // A large message handed over directly: write it through when the
        // socket is not backed up, so the payload is not copied.
        let result = if conn.flags.want_writable {
            conn.engine.send(kind, data, opts).ok()
        } else {
            let fd = conn.fd;
            conn.engine.send_through(kind, data, opts, fd).ok()
        };
        if notify && result.is_some() {
            conn.expect(result);
        }
        match result {
            Some(position) => {
                self.mark_dirty(id);
                position as f64
            }
            None => CLOSING,
        }
    }

    /// Queues a ping or pong.
    pub fn control(
        &mut self,
        id: u32,
        pong: bool,
        data: &[u8],
        opts: SendOptions,
        notify: bool,
    ) -> f64 {
        let Some(conn) = self.conn_mut(id) else {
            return CLOSING;
        };
        match conn.engine.control(pong, data, opts) {
            Ok(position) => {
                if notify {
                    conn.expect(Some(position));
                }
                self.mark_dirty(id);
                position as f64
            }
            Err(ferrows_core::protocol::SendError::ControlTooLong) => TOO_LONG,
            Err(_) => CLOSING,
        }
    }

    /// Queues our close frame and starts the close timer.
    pub fn close(&mut self, id: u32, code: Option<u16>, reason: &[u8], opts: SendOptions) -> f64 {
        let now = self.now();
        let Some(conn) = self.conn_mut(id) else {
            return CLOSING;
        };
        match conn.engine.close(code, reason, now, opts) {
            Ok(position) => {
                conn.expect(Some(position));
                self.mark_dirty(id);
                self.schedule(id);
                position as f64
            }
            Err(_) => CLOSING,
        }
    }

    /// Destroys the connection now (`socket.destroy()`). What the socket
    /// would already have handed to the kernel — Node writes synchronously,
    /// we cork until the check phase — gets one non-blocking write first, so
    /// a 101 or a frame queued in the same tick is not lost.
    pub fn terminate(&mut self, id: u32) {
        if let Some(conn) = self.conn_mut(id) {
            let _ = conn.engine.flush_to(conn.fd);
        }
        self.destroy(id, 0);
    }

    /// Half-closes once everything queued is written (`socket.end()`).
    pub fn end(&mut self, id: u32) {
        if let Some(conn) = self.conn_mut(id) {
            conn.flags.end_requested = true;
            self.mark_dirty(id);
        }
    }

    /// Asks for a `Drain` record once everything queued is written (the
    /// next flush reports it if nothing is left by then).
    pub fn arm_drain(&mut self, id: u32) {
        if let Some(conn) = self.conn_mut(id) {
            conn.flags.drain_armed = true;
            self.mark_dirty(id);
        }
    }

    /// Stops or resumes reading (`pause()` / `resume()`).
    pub fn set_paused(&mut self, id: u32, paused: bool) {
        if let Some(conn) = self.conn_mut(id) {
            if conn.flags.paused != paused {
                conn.flags.paused = paused;
                self.update_poll(id);
            }
        }
    }

    /// Closes every connection and handle at environment teardown, then
    /// frees the driver.
    ///
    /// # Safety
    /// `this` must come from `Box::into_raw` and not be used afterwards.
    pub unsafe fn shutdown(this: *mut Driver) {
        // SAFETY: per the function contract, we own the driver now.
        let mut driver = unsafe { Box::from_raw(this) };
        let ids: Vec<u32> = (0..driver.conns.len() as u32).collect();
        for id in ids {
            driver.destroy(id, 0);
        }
        for handle in [driver.check.take(), driver.idle.take(), driver.timer.take()]
            .into_iter()
            .flatten()
        {
            handle.close();
        }
        let env = driver.env;
        let outbox_refs = driver.outbox.take().map(|o| o.refs).unwrap_or_default();
        for r in [driver.js.dispatch, driver.js.receiver, driver.js.table]
            .into_iter()
            .chain(outbox_refs.into_iter().filter(|r| !r.is_null()))
        {
            // SAFETY: the references were created on this env and are deleted once.
            unsafe { napi::sys::napi_delete_reference(env, r) };
        }
        // SAFETY: the async context was created on this env by `napi_async_init`.
        unsafe { napi::sys::napi_async_destroy(env, driver.js.async_ctx) };
    }
}
