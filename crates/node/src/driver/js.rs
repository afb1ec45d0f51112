//! Delivering a batch to JavaScript: one `napi_make_callback` per delivery.
//!
//! The records go into the `Int32Array` JavaScript shared at start-up; the
//! payload bytes become one new `Buffer`. `napi_make_callback` runs the
//! dispatcher inside a callback scope, so `process.nextTick` callbacks and
//! microtasks queued by user handlers run before control returns to the loop,
//! exactly as after any other I/O callback in Node. An exception thrown by
//! the dispatcher is rethrown as an uncaught exception
//! (`napi_fatal_exception`), which is what `ws` users get when a `'message'`
//! handler throws.

use std::ptr;

use napi::sys;

use super::batch::RECORD;
use super::Driver;

/// The JavaScript objects a driver calls.
#[derive(Debug)]
pub struct JsRefs {
    /// `dispatch(count, slab)`.
    pub dispatch: sys::napi_ref,
    /// The receiver object for `napi_make_callback`.
    pub receiver: sys::napi_ref,
    /// The shared `Int32Array` holding records (kept alive by this reference).
    pub table: sys::napi_ref,
    /// Its data and capacity in records.
    pub table_data: *mut i32,
    /// Capacity of the table, in records.
    pub table_records: usize,
    /// The async context the callbacks run in.
    pub async_ctx: sys::napi_async_context,
}

impl Driver {
    /// Delivers the pending batch, if any, to JavaScript.
    pub(super) fn deliver(this: *mut Driver) {
        // SAFETY: no JavaScript is running; the borrow ends before the call.
        let driver = unsafe { &mut *this };
        if driver.batch.is_empty() {
            return;
        }
        let spare = std::mem::take(&mut driver.spare);
        let batch = std::mem::replace(&mut driver.batch, spare);
        let env = driver.env;
        let capacity = driver.js.table_records.max(1);
        let mut scope = ptr::null_mut();
        // SAFETY: called on the env's thread, outside any other handle scope
        // of ours; the scope is closed below.
        unsafe { sys::napi_open_handle_scope(env, &mut scope) };
        let slab = create_slab(env, batch.payload());
        for chunk in batch.records().chunks(capacity * RECORD) {
            Driver::call_dispatch(this, chunk, slab);
        }
        // SAFETY: `scope` was opened above on this env.
        unsafe { sys::napi_close_handle_scope(env, scope) };
        // SAFETY: JavaScript has returned; no other borrow of the driver is live.
        let driver = unsafe { &mut *this };
        let mut batch = batch;
        driver.free.extend(batch.take_frees());
        batch.clear();
        driver.spare = batch;
    }

    fn call_dispatch(this: *mut Driver, records: &[i32], slab: sys::napi_value) {
        let (env, refs) = {
            // SAFETY: no JavaScript is running during this borrow.
            let driver = unsafe { &mut *this };
            // SAFETY: the table holds `table_records * RECORD` i32s and
            // `records` is at most that long (chunked by the caller).
            unsafe {
                ptr::copy_nonoverlapping(records.as_ptr(), driver.js.table_data, records.len())
            };
            driver.dispatching = true;
            (
                driver.env,
                (driver.js.dispatch, driver.js.receiver, driver.js.async_ctx),
            )
        };
        let count = (records.len() / RECORD) as u32;
        // SAFETY: `env` is live; the references are valid for the driver's life.
        let status = unsafe { make_callback(env, refs, count, slab) };
        // SAFETY: JavaScript has returned.
        let driver = unsafe { &mut *this };
        driver.dispatching = false;
        if status == sys::Status::napi_pending_exception {
            rethrow(env);
        }
    }
}

/// # Safety
/// `env` must be the live env of the current thread and the refs valid in it.
unsafe fn make_callback(
    env: sys::napi_env,
    (dispatch, receiver, async_ctx): (sys::napi_ref, sys::napi_ref, sys::napi_async_context),
    count: u32,
    slab: sys::napi_value,
) -> sys::napi_status {
    let mut func = ptr::null_mut();
    let mut recv = ptr::null_mut();
    let mut argv = [ptr::null_mut(); 2];
    let mut result = ptr::null_mut();
    // SAFETY: per the function contract; out-pointers are valid locals.
    unsafe {
        sys::napi_get_reference_value(env, dispatch, &mut func);
        sys::napi_get_reference_value(env, receiver, &mut recv);
        sys::napi_create_uint32(env, count, &mut argv[0]);
    }
    argv[1] = slab;
    // SAFETY: `func` is a function, `recv` an object, argv holds 2 values.
    unsafe { sys::napi_make_callback(env, async_ctx, recv, func, 2, argv.as_ptr(), &mut result) }
}

/// Creates the payload slab (`undefined` when empty).
fn create_slab(env: sys::napi_env, payload: &[u8]) -> sys::napi_value {
    let mut value = ptr::null_mut();
    if payload.is_empty() {
        // SAFETY: `env` is live; `value` is a valid out-pointer.
        unsafe { sys::napi_get_undefined(env, &mut value) };
        return value;
    }
    let mut data = ptr::null_mut();
    // SAFETY: copies `payload.len()` readable bytes into a new Buffer.
    unsafe {
        sys::napi_create_buffer_copy(
            env,
            payload.len(),
            payload.as_ptr().cast(),
            &mut data,
            &mut value,
        )
    };
    value
}

/// Turns a pending exception into an uncaught exception.
fn rethrow(env: sys::napi_env) {
    let mut err = ptr::null_mut();
    // SAFETY: an exception is pending on `env`; clearing it and handing it to
    // `napi_fatal_exception` routes it to `process.on('uncaughtException')`.
    unsafe {
        sys::napi_get_and_clear_last_exception(env, &mut err);
        sys::napi_fatal_exception(env, err);
    }
}
