//! `NativeDriver`: JavaScript's handle on the per-environment I/O driver.
//!
//! JavaScript creates exactly one per environment, handing it the dispatcher
//! function and the shared `Int32Array` record table. Every other method
//! addresses a connection by the id [`NativeDriver::adopt`] returned; an id is
//! valid until its `Closed` record has been dispatched.
//!
//! Data arguments are borrowed `Uint8Array`s (`&[u8]`): valid only during the
//! call, copied into the connection's cork before returning, never retained.

use std::ffi::c_void;
use std::ptr;

use napi::bindgen_prelude::*;
use napi::sys;
use napi_derive::napi;

use crate::batch::RECORD;
use crate::binding_args::{data_kind, int32_array, send_options, uint8_array, FLAG_NOTIFY};
use crate::binding_config::{random_seed, ConnOptions};
use crate::driver::{Driver, JsRefs};

/// The per-environment driver.
#[napi]
pub struct NativeDriver {
    driver: *mut Driver,
}

fn napi_err(context: &str, status: sys::napi_status) -> Error {
    Error::new(
        Status::GenericFailure,
        format!("{context} failed ({status})"),
    )
}

/// Creates a strong reference to `value`.
///
/// # Safety
/// `env` must be the current env and `value` a live value in it.
unsafe fn reference(env: sys::napi_env, value: sys::napi_value) -> Result<sys::napi_ref> {
    let mut out = ptr::null_mut();
    // SAFETY: per the function contract.
    let status = unsafe { sys::napi_create_reference(env, value, 1, &mut out) };
    if status != sys::Status::napi_ok {
        return Err(napi_err("napi_create_reference", status));
    }
    Ok(out)
}

#[napi]
impl NativeDriver {
    /// Creates the driver for this environment.
    #[napi(constructor)]
    pub fn new(env: Env, dispatch: Function<'_>, table: Unknown<'_>) -> Result<Self> {
        let raw = env.raw();
        let loop_ = env.get_uv_event_loop()?.cast();
        crate::uv::uv().map_err(|e| Error::new(Status::GenericFailure, e.0))?;
        let mut receiver = ptr::null_mut();
        let mut name = ptr::null_mut();
        let mut async_ctx = ptr::null_mut();
        // SAFETY: `raw` is the current env; the out-pointers are valid.
        unsafe {
            sys::napi_create_object(raw, &mut receiver);
            sys::napi_create_string_utf8(raw, c"ferrows".as_ptr(), 7, &mut name);
            sys::napi_async_init(raw, ptr::null_mut(), name, &mut async_ctx);
        }
        let (table_data, table_len) = int32_array(raw, table.raw())?;
        let js = JsRefs {
            // SAFETY: all three values are live in this call's scope.
            dispatch: unsafe { reference(raw, dispatch.raw())? },
            // SAFETY: as above.
            receiver: unsafe { reference(raw, receiver)? },
            // SAFETY: as above.
            table: unsafe { reference(raw, table.raw())? },
            table_data,
            table_records: table_len / RECORD,
            async_ctx,
        };
        let driver = Box::into_raw(Box::new(Driver::new(raw, loop_, js)));
        Driver::start(driver).map_err(|e| Error::new(Status::GenericFailure, e.0))?;
        // SAFETY: the hook runs once at env teardown, on this thread.
        unsafe { sys::napi_add_env_cleanup_hook(raw, Some(cleanup), driver.cast()) };
        Ok(Self { driver })
    }

    fn with<T>(&mut self, f: impl FnOnce(&mut Driver) -> T) -> T {
        // SAFETY: the driver outlives this object (freed at env teardown only)
        // and no libuv callback runs during a JavaScript call.
        f(unsafe { &mut *self.driver })
    }

    /// Adopts a duplicate of socket `fd`; returns the connection id.
    #[napi(catch_unwind)]
    pub fn adopt(
        &mut self,
        fd: i32,
        is_server: bool,
        options: ConnOptions,
        preface: Option<&[u8]>,
        head: Option<&[u8]>,
    ) -> Result<u32> {
        let config = options.to_config(random_seed());
        Driver::adopt(
            self.driver,
            fd,
            is_server,
            config,
            options.heartbeat(),
            preface.unwrap_or(&[]),
            head.unwrap_or(&[]),
        )
        .map_err(|e| Error::new(Status::GenericFailure, format!("cannot adopt socket: {e}")))
    }

    /// Queues a message (or fragment); returns its end position, or -1 once
    /// our close frame is out.
    #[napi(catch_unwind)]
    pub fn send(&mut self, id: u32, data: &[u8], flags: u32, mask_key: Option<u32>) -> f64 {
        self.with(|d| {
            d.send(
                id,
                data_kind(flags),
                data,
                send_options(flags, mask_key),
                flags & FLAG_NOTIFY != 0,
            )
        })
    }

    /// Queues a text message given as a JavaScript string.
    #[napi(catch_unwind)]
    pub fn send_text(&mut self, id: u32, text: String, flags: u32, mask_key: Option<u32>) -> f64 {
        self.send(id, text.as_bytes(), flags, mask_key)
    }

    /// Queues a ping (`pong == false`) or pong; -1 if closing, -2 if too long.
    #[napi(catch_unwind)]
    pub fn control(
        &mut self,
        id: u32,
        pong: bool,
        data: &[u8],
        flags: u32,
        mask_key: Option<u32>,
    ) -> f64 {
        self.with(|d| {
            d.control(
                id,
                pong,
                data,
                send_options(flags, mask_key),
                flags & FLAG_NOTIFY != 0,
            )
        })
    }

    /// Queues a close frame (`code < 0`: none); -1 if already closing.
    #[napi(catch_unwind)]
    pub fn close(
        &mut self,
        id: u32,
        code: i32,
        reason: &[u8],
        flags: u32,
        mask_key: Option<u32>,
    ) -> f64 {
        self.with(|d| {
            d.close(
                id,
                u16::try_from(code).ok(),
                reason,
                send_options(flags, mask_key),
            )
        })
    }

    /// Shares the outbox (payload bytes, records, 4 state words) with the
    /// driver; see `driver/outbox.rs`.
    #[napi]
    pub fn set_outbox(
        &mut self,
        env: Env,
        bytes: Unknown<'_>,
        records: Unknown<'_>,
        state: Unknown<'_>,
    ) -> Result<()> {
        let raw = env.raw();
        let (bytes_ptr, bytes_len) = uint8_array(raw, bytes.raw())?;
        let (records_ptr, records_len) = int32_array(raw, records.raw())?;
        let (state_ptr, state_len) = int32_array(raw, state.raw())?;
        if state_len < 4 {
            return Err(Error::new(
                Status::InvalidArg,
                "the outbox state needs 4 words",
            ));
        }
        // SAFETY: the three values are live in this call's scope.
        let refs = unsafe {
            [
                reference(raw, bytes.raw())?,
                reference(raw, records.raw())?,
                reference(raw, state.raw())?,
            ]
        };
        self.with(|d| {
            d.set_outbox(crate::driver::outbox::Outbox {
                bytes: bytes_ptr,
                bytes_len,
                records: records_ptr,
                records_len: records_len / crate::driver::outbox::OUT_RECORD,
                state: state_ptr,
                refs,
            })
        });
        Ok(())
    }

    /// Queues every send waiting in the outbox now (the outbox is full, or a
    /// command must keep its place behind the queued sends).
    #[napi(catch_unwind)]
    pub fn drain_outbox(&mut self) {
        self.with(Driver::drain_outbox);
    }

    /// Makes sure a loop turn comes soon to drain the outbox (for sends made
    /// outside an event batch, e.g. from a timer).
    #[napi]
    pub fn request_flush(&mut self) {
        self.with(Driver::request_turn);
    }

    /// Half-closes once output is flushed (`socket.end()`).
    #[napi(catch_unwind)]
    pub fn end(&mut self, id: u32) {
        self.with(|d| d.end(id));
    }

    /// Destroys the connection now (`socket.destroy()`).
    #[napi(catch_unwind)]
    pub fn terminate(&mut self, id: u32) {
        self.with(|d| d.terminate(id));
    }

    /// Stops (`true`) or resumes reading.
    #[napi(catch_unwind)]
    pub fn set_paused(&mut self, id: u32, paused: bool) {
        self.with(|d| d.set_paused(id, paused));
    }

    /// Reports a `Drain` record once everything queued is written.
    #[napi(catch_unwind)]
    pub fn arm_drain(&mut self, id: u32) {
        self.with(|d| d.arm_drain(id));
    }

    /// Bytes queued and not yet written.
    #[napi]
    pub fn buffered_amount(&mut self, id: u32) -> f64 {
        self.with(|d| {
            d.conn_mut(id)
                .map_or(0.0, |c| c.engine.pending_bytes() as f64)
        })
    }

    /// Sets `TCP_NODELAY` on the connection.
    #[napi]
    pub fn set_no_delay(&mut self, id: u32, on: bool) {
        self.with(|d| {
            if let Some(c) = d.conn_mut(id) {
                crate::driver::io::set_nodelay(c.fd, on);
            }
        });
    }

    /// Sets `SO_KEEPALIVE` on the connection.
    #[napi]
    pub fn set_keep_alive(&mut self, id: u32, on: bool, delay_ms: u32) {
        self.with(|d| {
            if let Some(c) = d.conn_mut(id) {
                let _ = crate::driver::io::set_keepalive(c.fd, on, delay_ms / 1000);
            }
        });
    }

    /// Number of live native connections (for tests and metrics).
    #[napi(getter)]
    pub fn connections(&mut self) -> u32 {
        self.with(|d| d.live() as u32)
    }
}

unsafe extern "C" fn cleanup(data: *mut c_void) {
    let driver = data.cast::<Driver>();
    // SAFETY: registered once with the driver's pointer; runs once at env
    // teardown after which nothing references the driver.
    let _ = std::panic::catch_unwind(|| unsafe { Driver::shutdown(driver) });
}
