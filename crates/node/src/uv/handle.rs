//! Owned libuv handles: allocated by Rust, freed by Rust in the close callback.
//!
//! Memory for a handle is `uv_handle_size(type)` bytes obtained from Rust's
//! allocator, preceded by a small header recording the allocation size, so
//! the close callback can free it with the same layout. libuv may touch a
//! handle until its close callback has run, so the memory must never be
//! freed earlier: [`Handle::close`] consumes the handle and the callback frees it.

use std::alloc::{alloc_zeroed, dealloc, Layout};
use std::ffi::c_void;
use std::ptr::NonNull;

use super::sys::{uv, Unavailable, UvHandle, UvLoop};

/// Space before the handle holding its allocation size; also keeps the
/// handle 16-byte aligned.
const HEADER: usize = 16;
const ALIGN: usize = 16;

/// A libuv handle this crate allocated.
#[derive(Debug)]
pub struct Handle {
    ptr: NonNull<UvHandle>,
}

impl Handle {
    /// Allocates zeroed memory for a handle of `kind` and runs `init` on it
    /// (`uv_*_init(loop, handle)`). On failure the memory is freed at once,
    /// since libuv never saw the handle.
    pub fn new(kind: i32, init: impl FnOnce(*mut UvHandle) -> i32) -> Result<Self, Unavailable> {
        let uv = uv()?;
        // SAFETY: `uv_handle_size` only reads its argument.
        let size = unsafe { (uv.handle_size)(kind) };
        let layout = Layout::from_size_align(HEADER + size, ALIGN)
            .map_err(|_| Unavailable("libuv reported an impossible handle size"))?;
        // SAFETY: the layout has a non-zero size (HEADER > 0).
        let base = unsafe { alloc_zeroed(layout) };
        let Some(base) = NonNull::new(base) else {
            std::alloc::handle_alloc_error(layout);
        };
        // SAFETY: `base` points to at least HEADER bytes, aligned for usize.
        unsafe { base.cast::<usize>().write(layout.size()) };
        // SAFETY: HEADER < layout.size(), so the offset stays inside the allocation.
        let handle = unsafe { base.add(HEADER) }.cast::<UvHandle>();
        let status = init(handle.as_ptr());
        if status != 0 {
            // SAFETY: libuv rejected the handle during init, so it holds no
            // reference to it; `base` came from `alloc_zeroed(layout)`.
            unsafe { dealloc(base.as_ptr(), layout) };
            return Err(Unavailable("libuv failed to initialise a handle"));
        }
        Ok(Self { ptr: handle })
    }

    /// The raw handle pointer, for `uv_*` calls.
    pub fn as_ptr(&self) -> *mut UvHandle {
        self.ptr.as_ptr()
    }

    /// Stores `data` in the handle (`uv_handle_set_data`).
    pub fn set_data(&self, data: *mut c_void) {
        if let Ok(uv) = uv() {
            // SAFETY: the handle is initialised and not yet closed.
            unsafe { (uv.handle_set_data)(self.as_ptr(), data) };
        }
    }

    /// Lets the loop exit while this handle is active (`uv_unref`).
    pub fn unref(&self) {
        if let Ok(uv) = uv() {
            // SAFETY: the handle is initialised and not yet closed.
            unsafe { (uv.unref)(self.as_ptr()) };
        }
    }

    /// Closes the handle; its memory is freed in the close callback, after
    /// libuv is done with it. The handle's data pointer must not be used by
    /// any callback that may still run before then.
    pub fn close(self) {
        let Ok(uv) = uv() else {
            return;
        };
        // SAFETY: the handle is initialised, not yet closing, and its memory
        // stays valid until `free_on_close` runs.
        unsafe { (uv.close)(self.as_ptr(), Some(free_on_close)) };
    }
}

unsafe extern "C" fn free_on_close(handle: *mut UvHandle) {
    // SAFETY: every handle closed through `Handle::close` was allocated by
    // `Handle::new` with the size recorded HEADER bytes before it.
    unsafe {
        let base = handle.cast::<u8>().sub(HEADER);
        let size = base.cast::<usize>().read();
        dealloc(base, Layout::from_size_align_unchecked(size, ALIGN));
    }
}

/// The loop's cached time in milliseconds (`uv_now`).
pub fn now(loop_: *const UvLoop) -> u64 {
    match uv() {
        // SAFETY: `loop_` is the env's live loop.
        Ok(uv) => unsafe { (uv.now)(loop_) },
        Err(_) => 0,
    }
}

/// The current time in milliseconds on the loop's clock: refreshes the cached
/// time first (`uv_update_time`, as Node does before it starts a timer), so
/// that a deadline set after long synchronous JavaScript is not early.
pub fn fresh_now(loop_: *mut UvLoop) -> u64 {
    match uv() {
        // SAFETY: `loop_` is the env's live loop, used on its own thread.
        Ok(uv) => unsafe {
            (uv.update_time)(loop_);
            (uv.now)(loop_)
        },
        Err(_) => 0,
    }
}
