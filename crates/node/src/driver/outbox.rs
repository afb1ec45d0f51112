//! The outbox: sends from JavaScript without a native call per message.
//!
//! Payloads are copied into the outbox at `send()` time: a caller may change
//! its Buffer right after sending (bad-inputs F3), so nothing may alias it.
//!
//! `ws.send()` on a native connection writes the payload into a `Buffer` it
//! shares with the driver and appends a record to a shared `Int32Array`;
//! the driver drains the outbox once per loop turn (right after delivering
//! events, so replies written by handlers go out in the same turn), or when
//! JavaScript asks because the outbox is full or another command must keep
//! its place behind the queued sends. A napi call costs a few hundred
//! nanoseconds through napi-rs, more than framing a small message; the
//! outbox costs one `Buffer.copy` or `utf8Write`.
//!
//! | state index | meaning |
//! |---|---|
//! | 0 | records queued |
//! | 1 | payload bytes used |
//! | 2 | drain generation (bumped by every drain) |
//! | 3 | a drain was requested (set by JavaScript, cleared by a drain) |
//!
//! | record field | meaning |
//! |---|---|
//! | 0 | connection id |
//! | 1 | send flags (`binding_args::FLAG_*`; `FLAG_KEY` = field 4 is a mask key) |
//! | 2, 3 | payload offset and length in the outbox bytes |
//! | 4 | masking key (big-endian `u32` as `i32`) |

use napi::sys;

use crate::binding_args::{data_kind, send_options, FLAG_KEY, FLAG_NOTIFY};
use crate::driver::Driver;

/// `i32`s per outbox record.
pub const OUT_RECORD: usize = 5;

/// The shared outbox memory (kept alive by the references).
#[derive(Debug)]
pub struct Outbox {
    pub(crate) bytes: *const u8,
    pub(crate) bytes_len: usize,
    pub(crate) records: *const i32,
    pub(crate) records_len: usize,
    pub(crate) state: *mut i32,
    pub(crate) refs: [sys::napi_ref; 3],
}

impl Outbox {
    fn state(&self, index: usize) -> i32 {
        // SAFETY: `state` points to at least 4 `i32`s kept alive by `refs`.
        unsafe { self.state.add(index).read() }
    }

    fn set_state(&self, index: usize, value: i32) {
        // SAFETY: as in `state`.
        unsafe { self.state.add(index).write(value) };
    }

    /// The queued records, as `(id, flags, offset, len, key)`.
    fn record(&self, index: usize) -> [i32; OUT_RECORD] {
        let mut out = [0; OUT_RECORD];
        // SAFETY: `index < state[0] <= records_len`, checked by the caller;
        // the table holds `records_len * OUT_RECORD` i32s.
        unsafe {
            std::ptr::copy_nonoverlapping(
                self.records.add(index * OUT_RECORD),
                out.as_mut_ptr(),
                OUT_RECORD,
            )
        };
        out
    }

    /// The payload bytes at `offset..offset + len`, if they lie inside the outbox.
    fn payload(&self, offset: i32, len: i32) -> Option<&[u8]> {
        let (offset, len) = (usize::try_from(offset).ok()?, usize::try_from(len).ok()?);
        if offset.checked_add(len)? > self.bytes_len {
            return None;
        }
        // SAFETY: the range is inside the `bytes_len` bytes kept alive by `refs`.
        Some(unsafe { std::slice::from_raw_parts(self.bytes.add(offset), len) })
    }
}

impl Driver {
    /// Queues every send in the outbox, then empties it.
    pub fn drain_outbox(&mut self) {
        let Some(outbox) = self.outbox.take() else {
            return;
        };
        let count = usize::try_from(outbox.state(0))
            .unwrap_or(0)
            .min(outbox.records_len);
        for index in 0..count {
            let [id, flags, offset, len, key] = outbox.record(index);
            let (id, flags) = (id as u32, flags as u32);
            let Some(data) = outbox.payload(offset, len) else {
                continue;
            };
            let mask_key = (flags & FLAG_KEY != 0).then_some(key as u32);
            self.guarded(id, |driver| driver.send_queued(id, flags, data, mask_key));
        }
        outbox.set_state(0, 0);
        outbox.set_state(1, 0);
        outbox.set_state(2, outbox.state(2).wrapping_add(1));
        outbox.set_state(3, 0);
        self.outbox = Some(outbox);
    }

    fn send_queued(&mut self, id: u32, flags: u32, data: &[u8], mask_key: Option<u32>) {
        let Some(conn) = self.conn_mut(id) else {
            return;
        };
        let result = conn
            .engine
            .send(data_kind(flags), data, send_options(flags, mask_key))
            .ok();
        if flags & FLAG_NOTIFY != 0 {
            conn.expect(result);
        }
        if result.is_some() {
            self.mark_dirty(id);
        }
    }
}
