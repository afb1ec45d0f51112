//! Bounded multi-producer multi-consumer queue: Dmitry Vyukov's bounded array
//! queue with a sequence number per slot.
//!
//! Every slot carries `sequence`, which says whose turn the slot is for the
//! position `p` that maps to it:
//!
//! | `sequence` | meaning |
//! |---|---|
//! | `p` | free for the push at position `p` |
//! | `p + 1` | holds the item pushed at `p`, ready for the pop at `p` |
//! | `p + capacity` | freed by that pop: free for the push one lap later |
//!
//! A push loads `tail`, checks the slot's sequence against it, and claims the
//! position with a `compare_exchange_weak` on `tail`; a pop does the same on
//! `head`. The winner alone then touches the value and bumps the sequence.
//! Sequence numbers are full `usize` positions, not lap bits, so a thread
//! that stalls cannot mistake a later lap for its own (no ABA short of
//! `usize::MAX` operations while it sleeps).
//!
//! # Staleness
//!
//! `push` may report full, and `pop` empty, a moment after that stopped being
//! true; and `pop` returns `None` while a push that claimed the oldest slot
//! has not yet written it, even if later slots are ready. So a producer must
//! wake the consumers after *every* successful push: the in-flight producer's
//! own wake-up then covers its item.

#[cfg(all(test, loom))]
mod loom;
#[cfg(all(test, not(loom)))]
mod tests;

use super::pad::CachePadded;
use super::sync::{
    spin_loop, AtomicUsize,
    Ordering::{Acquire, Relaxed, Release},
};
use super::{empty_cells, slot_count, Cell};
use core::cmp::Ordering as Cmp;
use core::fmt;

/// A bounded lock-free MPMC queue. Share it by reference (or in an `Arc`).
///
/// `Send + Sync` when `T: Send`: items move between threads, and no `&T` is
/// ever shared.
///
/// ```
/// use ferrows_core::queue::mpmc::Queue;
///
/// let queue = Queue::new(3);
/// assert_eq!(queue.capacity(), 4);
/// std::thread::scope(|s| {
///     for id in 0..2_u32 {
///         let queue = &queue;
///         s.spawn(move || {
///             for i in 0..2 {
///                 queue.push(id * 10 + i).unwrap();
///             }
///         });
///     }
/// });
/// assert_eq!(queue.len(), 4);
/// assert_eq!(queue.push(99), Err(99));
/// let mut all: Vec<u32> = std::iter::from_fn(|| queue.pop()).collect();
/// all.sort_unstable();
/// assert_eq!(all, [0, 1, 10, 11]);
/// assert!(queue.is_empty());
/// ```
pub struct Queue<T> {
    /// Next position to pop.
    head: CachePadded<AtomicUsize>,
    /// Next position to push.
    tail: CachePadded<AtomicUsize>,
    /// `capacity` slots; the one for position `p` is `slots[p & mask]`.
    slots: Box<[Slot<T>]>,
    /// `capacity - 1`.
    mask: usize,
}

/// One cell and the sequence number that says whose turn it is.
struct Slot<T> {
    sequence: AtomicUsize,
    value: Cell<T>,
}

// SAFETY: shared access lets threads move `T`s in and out, never share a
// `&T`, so `T: Send` suffices. Each value cell is touched only by the thread
// whose compare-exchange claimed its position, and that access is ordered
// after the previous owner's by the slot sequence's Release/Acquire pair.
unsafe impl<T: Send> Sync for Queue<T> {}

impl<T> Queue<T> {
    /// Creates an empty queue; `capacity` is rounded up to a power of two,
    /// minimum 2.
    ///
    /// # Panics
    ///
    /// If `capacity` is 0 or above [`MAX_CAPACITY`](super::MAX_CAPACITY); as
    /// for `Vec`, if the slot array would exceed `isize::MAX` bytes.
    pub fn new(capacity: usize) -> Self {
        let slots: Box<[Slot<T>]> = empty_cells(slot_count(capacity))
            .into_vec()
            .into_iter()
            .enumerate()
            .map(|(position, value)| Slot {
                sequence: AtomicUsize::new(position),
                value,
            })
            .collect();
        Self {
            head: CachePadded::new(AtomicUsize::new(0)),
            tail: CachePadded::new(AtomicUsize::new(0)),
            mask: slots.len() - 1,
            slots,
        }
    }

    /// Appends `value`, or hands it back if the queue is full.
    pub fn push(&self, value: T) -> Result<(), T> {
        // Relaxed: only a first guess at our position; the slot's sequence
        // (loaded with Acquire) and the compare-exchange confirm it.
        let mut position = self.tail.load(Relaxed);
        loop {
            let slot = self.slot(position);
            // Acquire: pairs with the Release store by the pop that freed
            // this slot, so its read of the old value precedes our write.
            let sequence = slot.sequence.load(Acquire);
            match signed_distance(sequence, position) {
                Cmp::Equal => match self.claim(&self.tail, position) {
                    Ok(()) => {
                        // SAFETY: we claimed `position` and the slot is free
                        // for it (`sequence == position`, acquired above).
                        unsafe { Self::fill(slot, position, value) };
                        return Ok(());
                    }
                    Err(current) => position = current,
                },
                // The slot still holds the item from one lap ago.
                Cmp::Less => return Err(value),
                // Another producer took `position`; catch up.
                Cmp::Greater => position = catch_up(&self.tail),
            }
        }
    }

    /// Removes the oldest ready item, or returns `None` if there is none.
    pub fn pop(&self) -> Option<T> {
        // Relaxed: a first guess, confirmed as in `push`.
        let mut position = self.head.load(Relaxed);
        loop {
            let slot = self.slot(position);
            // Acquire: pairs with the producer's Release store of
            // `position + 1`, so its write of the value precedes our read.
            let sequence = slot.sequence.load(Acquire);
            match signed_distance(sequence, position.wrapping_add(1)) {
                Cmp::Equal => match self.claim(&self.head, position) {
                    // SAFETY: we claimed `position` and the slot holds its
                    // item (`sequence == position + 1`, acquired above).
                    Ok(()) => return Some(unsafe { self.drain(slot, position) }),
                    Err(current) => position = current,
                },
                // Nothing pushed here yet (or the push is still writing).
                Cmp::Less => return None,
                // Another consumer took `position`; catch up.
                Cmp::Greater => position = catch_up(&self.head),
            }
        }
    }

    /// The number of slots, a power of two.
    pub fn capacity(&self) -> usize {
        self.mask + 1
    }

    /// The number of items, exact when no push or pop is running and a
    /// snapshot clamped to `0..=capacity` otherwise.
    pub fn len(&self) -> usize {
        // Relaxed: a count only; no slot is accessed on the strength of it.
        let head = self.head.load(Relaxed);
        let tail = self.tail.load(Relaxed);
        match signed_distance(tail, head) {
            Cmp::Less => 0,
            _ => tail.wrapping_sub(head).min(self.capacity()),
        }
    }

    /// Whether the queue holds no item, as of [`len`](Self::len).
    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }

    fn slot(&self, position: usize) -> &Slot<T> {
        &self.slots[position & self.mask]
    }

    /// Moves `index` from `position` to `position + 1` if nobody beat us.
    fn claim(&self, index: &AtomicUsize, position: usize) -> Result<(), usize> {
        // Relaxed both ways: the index only arbitrates which thread owns
        // `position`; the data hand-off is ordered by the slot's sequence.
        index
            .compare_exchange_weak(position, position.wrapping_add(1), Relaxed, Relaxed)
            .map(drop)
    }

    /// Writes the item for `position` and hands the slot to its pop.
    ///
    /// # Safety
    ///
    /// The caller claimed `position` on `tail` after acquiring
    /// `slot.sequence == position`.
    unsafe fn fill(slot: &Slot<T>, position: usize, value: T) {
        // SAFETY: by the caller's contract the slot is empty and ours alone.
        slot.value
            .with_mut(|p| unsafe { p.write(core::mem::MaybeUninit::new(value)) });
        // Release: publishes the write to the pop's Acquire load.
        slot.sequence.store(position.wrapping_add(1), Release);
    }

    /// Reads the item at `position` and hands the slot to the next lap.
    ///
    /// # Safety
    ///
    /// The caller claimed `position` on `head` after acquiring
    /// `slot.sequence == position + 1`.
    unsafe fn drain(&self, slot: &Slot<T>, position: usize) -> T {
        // SAFETY: by the caller's contract the slot holds an initialised
        // item that is ours alone, and it is moved out exactly once.
        let value = slot.value.with(|p| unsafe { p.cast::<T>().read() });
        // Release: our read precedes the next lap's push (its Acquire load).
        slot.sequence
            .store(position.wrapping_add(self.capacity()), Release);
        value
    }
}

/// Reloads `index` after another thread was seen to move past it.
fn catch_up(index: &AtomicUsize) -> usize {
    // We lost a race: let the winner run, then take a fresh look.
    spin_loop();
    // Relaxed: a new guess, confirmed as before.
    index.load(Relaxed)
}

/// Compares two positions that are less than half the `usize` range apart.
fn signed_distance(a: usize, b: usize) -> Cmp {
    (a.wrapping_sub(b) as isize).cmp(&0)
}

impl<T> Drop for Queue<T> {
    fn drop(&mut self) {
        if !core::mem::needs_drop::<T>() {
            return;
        }
        // Relaxed: `&mut self` means every push and pop has returned, and
        // whatever handed us the queue ordered them before this point.
        let tail = self.tail.load(Relaxed);
        let mut position = self.head.load(Relaxed);
        while position != tail {
            // SAFETY: every position in `head..tail` was claimed and filled
            // by a push that has returned, and not claimed by any pop.
            self.slot(position)
                .value
                .with_mut(|p| unsafe { p.cast::<T>().drop_in_place() });
            position = position.wrapping_add(1);
        }
    }
}

impl<T> fmt::Debug for Queue<T> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Queue")
            .field("capacity", &self.capacity())
            .field("len", &self.len())
            .finish()
    }
}
