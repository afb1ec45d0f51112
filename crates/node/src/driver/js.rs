//! Delivering a batch to JavaScript: one `napi_make_callback` per delivery.
//!
//! The records go into the `Int32Array` JavaScript shared at start-up; the
//! payload bytes become one new `Buffer`. `napi_make_callback` runs the
//! dispatcher inside a callback scope, so `process.nextTick` callbacks and
//! microtasks queued by user handlers run before control returns to the loop,
//! exactly as after any other I/O callback in Node. The dispatcher reports
//! each exception a user handler throws itself (`reportUncaught`, i.e.
//! `napi_fatal_exception`, before the next event, as `ws` users see each
//! socket's) and delivers the rest of the batch. Should the dispatcher still
//! throw, the exception is rethrown here as an uncaught exception, and the
//! remaining chunks and the outbox drain below run all the same.

use std::ptr;

use napi::sys;

use super::Driver;
use crate::batch::{Batch, RECORD};

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
        let mut batch = batch;
        let slab = create_slab(env, &mut batch);
        for chunk in batch.records().chunks(capacity * RECORD) {
            Driver::call_dispatch(this, chunk, slab);
        }
        // SAFETY: JavaScript has returned; no other borrow of the driver is live.
        let driver = unsafe { &mut *this };
        // Replies the handlers queued go out in this loop turn.
        driver.drain_outbox();
        // SAFETY: `scope` was opened above on this env.
        unsafe { sys::napi_close_handle_scope(env, scope) };
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

/// Large slabs are handed to JavaScript without a copy: the payload `Vec`
/// becomes the backing store of an external `Buffer`, freed by its finalizer.
/// Smaller ones are copied, which is cheaper than a finalizer (io-driver.md §4.2).
const EXTERNAL_SLAB: usize = 64 * 1024;

/// Creates the payload slab (`undefined` when empty).
fn create_slab(env: sys::napi_env, batch: &mut Batch) -> sys::napi_value {
    let mut value = ptr::null_mut();
    if batch.payload().is_empty() {
        // SAFETY: `env` is live; `value` is a valid out-pointer.
        unsafe { sys::napi_get_undefined(env, &mut value) };
        return value;
    }
    if batch.payload().len() >= EXTERNAL_SLAB {
        if let Some(value) = external_slab(env, batch) {
            return value;
        }
    }
    let payload = batch.payload();
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

/// Moves the batch payload into an external `Buffer`; `None` when the
/// runtime refuses external buffers (the payload then stays in the batch).
fn external_slab(env: sys::napi_env, batch: &mut Batch) -> Option<sys::napi_value> {
    let capacity = batch.payload_capacity();
    let payload = Box::new(batch.take_payload());
    // The next batch starts with as much room as this one used: growing an
    // empty Vec by doubling would copy the payload again on every realloc.
    batch.restore_payload(
        pooled_slab(capacity).unwrap_or_else(|| Vec::with_capacity(capacity.min(4 << 20))),
    );
    let (data, len) = (payload.as_ptr() as *mut std::ffi::c_void, payload.len());
    let hint = Box::into_raw(payload);
    let mut value = ptr::null_mut();
    // SAFETY: `data` stays valid until `free_slab` runs (it owns the Vec
    // through `hint`); the finalizer is called once by Node.
    let status = unsafe {
        sys::napi_create_external_buffer(env, len, data, Some(free_slab), hint.cast(), &mut value)
    };
    if status == sys::Status::napi_ok {
        return Some(value);
    }
    // SAFETY: Node did not take the hint, so we still own it.
    batch.restore_payload(*unsafe { Box::from_raw(hint) });
    None
}

unsafe extern "C" fn free_slab(
    _env: sys::napi_env,
    _data: *mut std::ffi::c_void,
    hint: *mut std::ffi::c_void,
) {
    // SAFETY: `hint` is the `Box<Vec<u8>>` leaked in `external_slab`.
    let slab = unsafe { Box::from_raw(hint.cast::<Vec<u8>>()) };
    SLAB_POOL.with(|pool| {
        let mut pool = pool.borrow_mut();
        let held: usize = pool.iter().map(Vec::capacity).sum();
        if pool.len() < MAX_POOLED_SLABS && held + slab.capacity() <= MAX_POOLED_BYTES {
            let mut slab = *slab;
            slab.clear();
            pool.push(slab);
        }
    });
}

/// Slabs JavaScript has released, kept for the next large batches so their
/// memory stays mapped (a fresh multi-megabyte Vec faults in every page).
/// Bounded in count and bytes, so one burst of huge messages is not kept.
const MAX_POOLED_SLABS: usize = 8;
const MAX_POOLED_BYTES: usize = 8 << 20;

thread_local! {
    static SLAB_POOL: std::cell::RefCell<Vec<Vec<u8>>> = const { std::cell::RefCell::new(Vec::new()) };
}

/// A pooled slab with at least `capacity` bytes, if one is free.
pub(super) fn pooled_slab(capacity: usize) -> Option<Vec<u8>> {
    SLAB_POOL.with(|pool| {
        let mut pool = pool.borrow_mut();
        let at = pool.iter().position(|v| v.capacity() >= capacity)?;
        Some(pool.swap_remove(at))
    })
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
