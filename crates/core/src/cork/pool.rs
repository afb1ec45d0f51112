//! A per-thread pool of drained copy segments.
//!
//! With [`CorkConfig::keep_spare`](super::CorkConfig::keep_spare) off, a
//! drained cork owns no memory; its segment comes back here instead, so the
//! next cork on this thread that needs one reuses it without an allocation
//! or a zero-fill. One thread drives many connections (Node's loop, a tokio
//! current-thread runtime), so busy connections keep recycling a handful of
//! blocks while idle ones hold none. The pool is bounded: past
//! [`MAX_POOLED`] blocks, drained segments are freed.

use std::cell::RefCell;

/// The most blocks kept per thread (4 MiB at the default 16 KiB segments).
pub(super) const MAX_POOLED: usize = 256;

thread_local! {
    static POOL: RefCell<Vec<Box<[u8]>>> = const { RefCell::new(Vec::new()) };
}

/// A pooled block of exactly `size` bytes, if one is available.
pub(super) fn take(size: usize) -> Option<Box<[u8]>> {
    POOL.try_with(|pool| {
        let mut pool = pool.borrow_mut();
        let at = pool.iter().rposition(|block| block.len() == size)?;
        Some(pool.swap_remove(at))
    })
    .ok()
    .flatten()
}

/// Returns a drained block to the pool (or frees it when the pool is full).
pub(super) fn give(block: Box<[u8]>) {
    let _ = POOL.try_with(|pool| {
        let mut pool = pool.borrow_mut();
        if pool.len() < MAX_POOLED {
            pool.push(block);
        }
    });
}

/// Blocks currently pooled on this thread (for tests).
#[cfg(test)]
pub(super) fn pooled() -> usize {
    POOL.with(|pool| pool.borrow().len())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn blocks_are_reused_by_size_and_the_pool_is_bounded() {
        let before = pooled();
        give(vec![7u8; 32].into_boxed_slice());
        assert_eq!(take(64), None);
        let block = take(32).expect("pooled block");
        assert_eq!(block[0], 7, "reused without a zero-fill");
        for _ in 0..MAX_POOLED + 10 {
            give(vec![0u8; 8].into_boxed_slice());
        }
        assert!(pooled() <= MAX_POOLED);
        while take(8).is_some() {}
        assert_eq!(pooled(), before);
    }
}
