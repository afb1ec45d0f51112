//! The loom shim: the only place the queues get their atomics, cells and `Arc`.
//!
//! Under `cfg(loom)` everything comes from [loom], which runs each model test
//! under every legal interleaving and every value a C11 load may return.
//! Otherwise the same names come from `core`/`std`. The queue code is written
//! once against these names, as tokio does in `tokio/src/loom/`.
//!
//! Loom's `UnsafeCell` hands out raw pointers through closures (`with`,
//! `with_mut`) so it can track each access; the std flavour here wraps
//! [`core::cell::UnsafeCell`] behind the same two methods, so both compile to
//! identical queue code. `spin_loop` is a CPU hint normally and a scheduling
//! point under loom, where a retry loop must yield to let the model progress.
//!
//! [loom]: https://docs.rs/loom

#[cfg(loom)]
pub(crate) use loom::{
    cell::UnsafeCell,
    hint::spin_loop,
    sync::{
        atomic::{AtomicUsize, Ordering},
        Arc,
    },
};

#[cfg(not(loom))]
pub(crate) use core::hint::spin_loop;
#[cfg(not(loom))]
pub(crate) use core::sync::atomic::{AtomicUsize, Ordering};
#[cfg(not(loom))]
pub(crate) use std::sync::Arc;

/// [`core::cell::UnsafeCell`] with loom's closure-based access API.
#[cfg(not(loom))]
#[derive(Debug)]
#[repr(transparent)]
pub(crate) struct UnsafeCell<T: ?Sized>(core::cell::UnsafeCell<T>);

#[cfg(not(loom))]
impl<T> UnsafeCell<T> {
    /// Wraps `value`.
    pub(crate) const fn new(value: T) -> Self {
        Self(core::cell::UnsafeCell::new(value))
    }
}

#[cfg(not(loom))]
impl<T: ?Sized> UnsafeCell<T> {
    /// Runs `f` with a pointer for shared (read) access to the contents.
    #[inline(always)]
    pub(crate) fn with<R>(&self, f: impl FnOnce(*const T) -> R) -> R {
        f(self.0.get())
    }

    /// Runs `f` with a pointer for exclusive (write) access to the contents.
    #[inline(always)]
    pub(crate) fn with_mut<R>(&self, f: impl FnOnce(*mut T) -> R) -> R {
        f(self.0.get())
    }
}

#[cfg(all(test, not(loom)))]
mod tests {
    use super::UnsafeCell;

    #[test]
    fn unsafe_cell_with_mut_write_is_seen_by_with() {
        let cell = UnsafeCell::new(1_u32);
        // SAFETY: `cell` is local to this thread; no other access is live.
        cell.with_mut(|p| unsafe { p.write(7) });
        // SAFETY: as above; the write has finished.
        let seen = cell.with(|p| unsafe { p.read() });
        assert_eq!(seen, 7);
    }
}
