//! The few libuv functions the driver needs, resolved at run time from the
//! libuv that lives inside the `node` executable.
//!
//! Linking against a libuv crate would create handles in a *second* libuv
//! with a different loop, so every symbol is looked up with `dlsym` in the
//! host process instead (the same approach `napi-sys` takes for N-API).
//! Handle memory is sized with `uv_handle_size`, never with a hard-coded
//! struct layout, because libuv's structs differ per platform.

use std::ffi::{c_int, c_uint, c_void, CStr};
use std::sync::OnceLock;

/// An opaque `uv_loop_t`.
#[repr(C)]
pub struct UvLoop {
    _private: [u8; 0],
}

/// An opaque `uv_handle_t` (any handle type).
#[repr(C)]
pub struct UvHandle {
    _private: [u8; 0],
}

/// `uv_handle_type` values used here (stable across libuv 1.x).
pub mod handle_type {
    /// `UV_CHECK`.
    pub const CHECK: i32 = 2;
    /// `UV_IDLE`.
    pub const IDLE: i32 = 6;
    /// `UV_POLL`.
    pub const POLL: i32 = 8;
    /// `UV_TIMER`.
    pub const TIMER: i32 = 13;
}

/// `uv_poll_event` bits.
pub mod poll_event {
    /// `UV_READABLE`.
    pub const READABLE: i32 = 1;
    /// `UV_WRITABLE`.
    pub const WRITABLE: i32 = 2;
    /// `UV_DISCONNECT`.
    pub const DISCONNECT: i32 = 4;
}

/// `uv_poll_cb`.
pub type PollCb = unsafe extern "C" fn(handle: *mut UvHandle, status: c_int, events: c_int);
/// `uv_check_cb`, `uv_idle_cb`, `uv_timer_cb`: all take only the handle.
pub type HandleCb = unsafe extern "C" fn(handle: *mut UvHandle);
/// `uv_close_cb`.
pub type CloseCb = unsafe extern "C" fn(handle: *mut UvHandle);

/// The resolved function table.
#[derive(Debug)]
pub struct Uv {
    pub handle_size: unsafe extern "C" fn(c_int) -> usize,
    pub handle_set_data: unsafe extern "C" fn(*mut UvHandle, *mut c_void),
    pub handle_get_data: unsafe extern "C" fn(*const UvHandle) -> *mut c_void,
    pub close: unsafe extern "C" fn(*mut UvHandle, Option<CloseCb>),
    pub unref: unsafe extern "C" fn(*mut UvHandle),
    pub now: unsafe extern "C" fn(*const UvLoop) -> u64,
    pub update_time: unsafe extern "C" fn(*mut UvLoop),
    pub poll_init: unsafe extern "C" fn(*mut UvLoop, *mut UvHandle, c_int) -> c_int,
    pub poll_start: unsafe extern "C" fn(*mut UvHandle, c_int, PollCb) -> c_int,
    pub poll_stop: unsafe extern "C" fn(*mut UvHandle) -> c_int,
    pub check_init: unsafe extern "C" fn(*mut UvLoop, *mut UvHandle) -> c_int,
    pub check_start: unsafe extern "C" fn(*mut UvHandle, HandleCb) -> c_int,
    pub idle_init: unsafe extern "C" fn(*mut UvLoop, *mut UvHandle) -> c_int,
    pub idle_start: unsafe extern "C" fn(*mut UvHandle, HandleCb) -> c_int,
    pub idle_stop: unsafe extern "C" fn(*mut UvHandle) -> c_int,
    pub timer_init: unsafe extern "C" fn(*mut UvLoop, *mut UvHandle) -> c_int,
    pub timer_start: unsafe extern "C" fn(*mut UvHandle, HandleCb, u64, u64) -> c_int,
    pub timer_stop: unsafe extern "C" fn(*mut UvHandle) -> c_int,
    pub version: unsafe extern "C" fn() -> c_uint,
}

/// Why the table could not be resolved (e.g. under Bun, whose `uv_*` are stubs).
#[derive(Clone, Debug)]
pub struct Unavailable(pub &'static str);

static UV: OnceLock<Result<Uv, Unavailable>> = OnceLock::new();

/// The process's libuv, resolved once.
pub fn uv() -> Result<&'static Uv, Unavailable> {
    UV.get_or_init(resolve).as_ref().map_err(Clone::clone)
}

fn lookup(name: &'static CStr) -> Result<*mut c_void, Unavailable> {
    // SAFETY: `dlsym` with `RTLD_DEFAULT` only reads the process's symbol
    // tables; `name` is a valid NUL-terminated string.
    let ptr = unsafe { libc::dlsym(libc::RTLD_DEFAULT, name.as_ptr()) };
    if ptr.is_null() {
        return Err(Unavailable(
            "a libuv symbol is missing from the host process",
        ));
    }
    Ok(ptr)
}

/// Looks up `name` and reinterprets it as the function pointer type `F`.
fn sym<F: Copy>(name: &'static CStr) -> Result<F, Unavailable> {
    const { assert!(std::mem::size_of::<F>() == std::mem::size_of::<*mut c_void>()) };
    let ptr = lookup(name)?;
    // SAFETY: `F` is always the `unsafe extern "C" fn` type of the field the
    // symbol is stored in, matching libuv's C signature for that name (libuv
    // 1.x ABI, stable within the major version); sizes are equal (checked above).
    Ok(unsafe { std::mem::transmute_copy::<*mut c_void, F>(&ptr) })
}

fn resolve() -> Result<Uv, Unavailable> {
    let uv = Uv {
        handle_size: sym(c"uv_handle_size")?,
        handle_set_data: sym(c"uv_handle_set_data")?,
        handle_get_data: sym(c"uv_handle_get_data")?,
        close: sym(c"uv_close")?,
        unref: sym(c"uv_unref")?,
        now: sym(c"uv_now")?,
        update_time: sym(c"uv_update_time")?,
        poll_init: sym(c"uv_poll_init")?,
        poll_start: sym(c"uv_poll_start")?,
        poll_stop: sym(c"uv_poll_stop")?,
        check_init: sym(c"uv_check_init")?,
        check_start: sym(c"uv_check_start")?,
        idle_init: sym(c"uv_idle_init")?,
        idle_start: sym(c"uv_idle_start")?,
        idle_stop: sym(c"uv_idle_stop")?,
        timer_init: sym(c"uv_timer_init")?,
        timer_start: sym(c"uv_timer_start")?,
        timer_stop: sym(c"uv_timer_stop")?,
        version: sym(c"uv_version")?,
    };
    // SAFETY: `uv_version` takes no arguments and returns a number.
    let version = unsafe { (uv.version)() };
    if version >> 16 != 1 {
        return Err(Unavailable("the host's libuv is not version 1.x"));
    }
    Ok(uv)
}
