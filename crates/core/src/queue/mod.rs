//! Bounded lock-free queues for handing work between threads.
//!
//! HTTP/2 and HTTP/3 connections run on tokio/quinn threads; they hand events
//! to the Node.js thread, and receive commands back, through these queues and
//! one shared wake-up. The receiving side drains many items per wake-up
//! ([`spsc::Consumer::pop_batch`]).
//!
//! | type | shape | algorithm |
//! |---|---|---|
//! | [`spsc::channel`] | one [`Producer`](spsc::Producer), one [`Consumer`](spsc::Consumer) | Lamport ring with cached indices |
//! | [`mpmc::Queue`] | any number of `&Queue` on both sides | Vyukov's bounded array queue |
//! | [`CachePadded`] | one value per cache line | `repr(align(128))` / `align(64)` |
//!
//! # Contract shared by both queues
//!
//! - **Bounded.** The capacity is fixed at construction, rounded up to a power
//!   of two (minimum 2) so a slot index is `position & (capacity - 1)`. A push
//!   on a full queue hands the value back as `Err(value)`; nothing blocks,
//!   nothing allocates after construction.
//! - **Lock-free.** No mutex, no syscall. Waking the other side is the
//!   caller's business: push, then signal; on wake-up, drain until `None`.
//! - **FIFO** per producer; the SPSC queue is strictly FIFO.
//! - **No leaks.** Dropping the queue (the last of the two SPSC handles, or
//!   the MPMC `Queue`) drops every item still inside it.
//! - **Capacity limits.** Constructors panic on a capacity of 0 or above
//!   [`MAX_CAPACITY`]; as for `Vec`, a slot array larger than `isize::MAX`
//!   bytes panics and a failed allocation aborts.
//!
//! # Memory orderings
//!
//! Positions are free-running `usize` counters that wrap; the slot is the
//! position masked by `capacity - 1`. Every slot hand-off is one
//! Release store paired with one Acquire load, and nothing else is ordered:
//!
//! - SPSC: the producer writes the slot, then stores `tail` with Release; the
//!   consumer's Acquire load of `tail` therefore sees the value. The consumer
//!   reads the slot, then stores `head` with Release; the producer's Acquire
//!   load of `head` therefore orders that read before it overwrites the slot.
//!   Each side reads its own index from a plain field and keeps a cached copy
//!   of the other side's index, touching the shared line only when the cache
//!   says full (producer) or empty (consumer).
//! - MPMC: `head`/`tail` are claimed with Relaxed `compare_exchange_weak`
//!   (they only arbitrate *who* owns a slot); the data hand-off goes through
//!   the slot's own sequence number, stored with Release after the write (or
//!   the read) and loaded with Acquire before the next read (or write).
//!
//! Each ordering is justified again where it is used.
//!
//! # Checking with loom
//!
//! All atomics, cells, `Arc`s and the spin hint come from the `sync.rs`
//! shim, which swaps in [loom](https://docs.rs/loom)'s under `cfg(loom)`.
//! The model tests live beside each queue (`spsc/loom.rs`, `mpmc/loom.rs`)
//! and explore the interleavings of 2–3 threads at capacity 2: push/pop
//! races, the full and empty boundaries, wrap-around onto a reused slot, and
//! drop with items left. Run them with:
//!
//! ```text
//! RUSTFLAGS="--cfg loom" CARGO_TARGET_DIR=/tmp/target-loom \
//!     cargo test -p ferrows-core --release --lib queue
//! ```
//!
//! Each model is run once per starting order of its threads, because
//! loom's DPOR can skip the schedule in which a thread that loads and then
//! stores an atomic runs before another thread's earlier load of it
//! (tokio-rs/loom#166, #392) — exactly the shape of every push and pop here.
//! With that, weakening any single Acquire or Release above to Relaxed
//! makes at least one model fail. The preemption bound is 3 unless
//! `LOOM_MAX_PREEMPTIONS=N` sets one. The unit and stress tests run under
//! plain `cargo test` and are compiled out under loom.

mod pad;
mod sync;
#[cfg(test)]
mod test_util;

pub mod mpmc;
pub mod spsc;

pub use pad::CachePadded;

use core::mem::MaybeUninit;
use sync::UnsafeCell;

/// The largest capacity the constructors accept: `2^(usize::BITS - 2)`.
///
/// Keeping positions and capacities under a quarter of the `usize` range
/// lets the MPMC queue compare sequence numbers as signed differences.
pub const MAX_CAPACITY: usize = 1 << (usize::BITS - 2);

/// A slot that holds a `T` only between a push and the matching pop.
type Cell<T> = UnsafeCell<MaybeUninit<T>>;

/// Rounds a requested capacity up to the slot count actually used.
///
/// # Panics
///
/// If `capacity` is 0 or larger than [`MAX_CAPACITY`].
fn slot_count(capacity: usize) -> usize {
    assert!(capacity != 0, "queue capacity must be at least 1");
    assert!(
        capacity <= MAX_CAPACITY,
        "queue capacity {capacity} exceeds MAX_CAPACITY ({MAX_CAPACITY})"
    );
    capacity.next_power_of_two().max(2)
}

/// Allocates `count` empty slots.
fn empty_cells<T>(count: usize) -> Box<[Cell<T>]> {
    (0..count)
        .map(|_| UnsafeCell::new(MaybeUninit::uninit()))
        .collect()
}

#[cfg(all(test, not(loom)))]
mod tests {
    use super::{slot_count, MAX_CAPACITY};

    #[test]
    fn slot_count_rounds_up_to_power_of_two_at_least_two() {
        assert_eq!(slot_count(1), 2);
        assert_eq!(slot_count(2), 2);
        assert_eq!(slot_count(3), 4);
        assert_eq!(slot_count(1000), 1024);
        assert_eq!(slot_count(1024), 1024);
        assert_eq!(slot_count(MAX_CAPACITY), MAX_CAPACITY);
    }

    #[test]
    #[should_panic(expected = "at least 1")]
    fn slot_count_zero_panics() {
        slot_count(0);
    }

    #[test]
    #[should_panic(expected = "exceeds MAX_CAPACITY")]
    fn slot_count_above_max_panics() {
        slot_count(MAX_CAPACITY + 1);
    }
}
