//! Bounded single-producer single-consumer ring (Lamport's queue with cached
//! indices).
//!
//! ```text
//!            head (consumer)            tail (producer)
//!               v                          v
//!   cells: [ .. | item | item | item | .. | empty | .. ]   (positions & mask)
//! ```
//!
//! `head` and `tail` are free-running positions, each on its own cache line
//! and each written by one side only. The items live in `head..tail`, so the
//! length is `tail - head` (wrapping) and never exceeds the capacity. Each
//! handle keeps its own position in a plain field and a cached copy of the
//! other side's; it reloads the shared atomic only when the cache says the
//! ring is full (producer) or empty (consumer), so in steady state each side
//! writes one line and reads the other's line once per lap, not once per item.

#[cfg(all(test, loom))]
mod loom;
#[cfg(all(test, not(loom)))]
mod tests;

use super::pad::CachePadded;
use super::sync::{
    Arc, AtomicUsize,
    Ordering::{Acquire, Relaxed, Release},
};
use super::{empty_cells, slot_count, Cell};
use core::fmt;

/// Creates a bounded SPSC queue and returns its two ends.
///
/// `capacity` is rounded up to a power of two, minimum 2.
///
/// # Panics
///
/// If `capacity` is 0 or above [`MAX_CAPACITY`](super::MAX_CAPACITY); as for
/// `Vec`, if the slot array would exceed `isize::MAX` bytes.
///
/// ```
/// use ferrows_core::queue::spsc;
///
/// let (mut tx, mut rx) = spsc::channel::<u32>(3);
/// assert_eq!(tx.capacity(), 4);
/// let worker = std::thread::spawn(move || {
///     for i in 0..100 {
///         let mut item = i;
///         while let Err(back) = tx.push(item) {
///             item = back;
///             std::thread::yield_now();
///         }
///     }
/// });
/// let mut seen = Vec::new();
/// while seen.len() < 100 {
///     if rx.pop_batch(&mut seen, 16) == 0 {
///         std::thread::yield_now();
///     }
/// }
/// worker.join().unwrap();
/// assert!(seen.iter().copied().eq(0..100));
/// ```
pub fn channel<T: Send>(capacity: usize) -> (Producer<T>, Consumer<T>) {
    let cells = empty_cells(slot_count(capacity));
    let shared = Arc::new(Shared {
        head: CachePadded::new(AtomicUsize::new(0)),
        tail: CachePadded::new(AtomicUsize::new(0)),
        mask: cells.len() - 1,
        cells,
    });
    let producer = Producer {
        shared: Arc::clone(&shared),
        tail: 0,
        cached_head: 0,
    };
    let consumer = Consumer {
        shared,
        head: 0,
        cached_tail: 0,
    };
    (producer, consumer)
}

/// The ring both handles point at; dropped with the last handle.
struct Shared<T> {
    /// Next position to read. Stored only by the consumer.
    head: CachePadded<AtomicUsize>,
    /// Next position to write. Stored only by the producer.
    tail: CachePadded<AtomicUsize>,
    /// `capacity` slots; those at `head..tail` hold initialised items.
    cells: Box<[Cell<T>]>,
    /// `capacity - 1`.
    mask: usize,
}

impl<T> Shared<T> {
    fn cell(&self, position: usize) -> &Cell<T> {
        &self.cells[position & self.mask]
    }

    fn capacity(&self) -> usize {
        self.mask + 1
    }
}

impl<T> Drop for Shared<T> {
    fn drop(&mut self) {
        if !core::mem::needs_drop::<T>() {
            return;
        }
        // Relaxed: `&mut self` means both handles are gone, and dropping the
        // last `Arc` already ordered all their accesses before this point.
        let tail = self.tail.load(Relaxed);
        let mut position = self.head.load(Relaxed);
        while position != tail {
            // SAFETY: cells in `head..tail` hold initialised items that no
            // handle will read again (none is left), and each is dropped once.
            self.cell(position)
                .with_mut(|p| unsafe { p.cast::<T>().drop_in_place() });
            position = position.wrapping_add(1);
        }
    }
}

/// The sending end of an SPSC queue.
///
/// `Send` (when `T: Send`) but not `Sync`: exactly one thread pushes at a time.
///
/// ```compile_fail
/// fn assert_sync<T: Sync>() {}
/// assert_sync::<ferrows_core::queue::spsc::Producer<u8>>();
/// ```
pub struct Producer<T> {
    shared: Arc<Shared<T>>,
    /// Our position; the authoritative value of `shared.tail`.
    tail: usize,
    /// The consumer's `head` as last loaded; never ahead of the real one.
    cached_head: usize,
}

// SAFETY: the producer moves `T`s into cells that only the one consumer moves
// out of, so sending the handle needs only `T: Send`. The shared ring is not
// `Sync`, but the only other handle is the consumer, and every cell access by
// the two is ordered by the `head`/`tail` Release/Acquire protocol.
unsafe impl<T: Send> Send for Producer<T> {}

impl<T> Producer<T> {
    /// Appends `value`, or hands it back if the queue is full.
    pub fn push(&mut self, value: T) -> Result<(), T> {
        let tail = self.tail;
        if tail.wrapping_sub(self.cached_head) == self.shared.capacity() {
            // Acquire: pairs with the consumer's Release store of `head`, so
            // its reads of the cells it freed happen before we overwrite them.
            self.cached_head = self.shared.head.load(Acquire);
            if tail.wrapping_sub(self.cached_head) == self.shared.capacity() {
                return Err(value);
            }
        }
        // SAFETY: `tail - head < capacity`, so the cell at `tail` is outside
        // `head..tail`: the consumer finished with it (Acquire above, or an
        // earlier one) and will not touch it until we publish `tail + 1`.
        self.shared
            .cell(tail)
            .with_mut(|p| unsafe { p.write(core::mem::MaybeUninit::new(value)) });
        self.tail = tail.wrapping_add(1);
        // Release: publishes the cell write to the consumer's Acquire load.
        self.shared.tail.store(self.tail, Release);
        Ok(())
    }

    /// The number of slots, a power of two.
    pub fn capacity(&self) -> usize {
        self.shared.capacity()
    }

    /// The number of items in the queue; the consumer may have taken some
    /// since, so this is an upper bound.
    pub fn len(&self) -> usize {
        // Relaxed: a count only; no cell is accessed on the strength of it.
        self.tail.wrapping_sub(self.shared.head.load(Relaxed))
    }

    /// Whether the next [`push`](Self::push) would fail, as of now.
    pub fn is_full(&self) -> bool {
        self.len() == self.capacity()
    }

    /// Whether the consumer has taken every item pushed so far.
    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }
}

impl<T> fmt::Debug for Producer<T> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Producer")
            .field("capacity", &self.capacity())
            .field("len", &self.len())
            .finish()
    }
}

/// The receiving end of an SPSC queue.
///
/// `Send` (when `T: Send`) but not `Sync`: exactly one thread pops at a time.
///
/// ```compile_fail
/// fn assert_sync<T: Sync>() {}
/// assert_sync::<ferrows_core::queue::spsc::Consumer<u8>>();
/// ```
pub struct Consumer<T> {
    shared: Arc<Shared<T>>,
    /// Our position; the authoritative value of `shared.head`.
    head: usize,
    /// The producer's `tail` as last loaded; never ahead of the real one.
    cached_tail: usize,
}

// SAFETY: the consumer moves `T`s out of cells that only the one producer
// moved them into, so sending the handle needs only `T: Send`; cell accesses
// are ordered by the `head`/`tail` protocol as for `Producer`.
unsafe impl<T: Send> Send for Consumer<T> {}

impl<T> Consumer<T> {
    /// Removes the oldest item, or returns `None` if the queue is empty.
    pub fn pop(&mut self) -> Option<T> {
        if self.cached_tail == self.head && self.load_tail() == 0 {
            return None;
        }
        // SAFETY: `head < cached_tail` (checked above) and `head` is not yet
        // published past, so the cell holds an item no one else reads.
        let value = unsafe { self.take(self.head) };
        self.publish_head(1);
        Some(value)
    }

    /// Moves up to `max` of the oldest items to the end of `out` and returns
    /// how many it moved: one wake-up, many items, one store to the shared
    /// `head`.
    pub fn pop_batch(&mut self, out: &mut Vec<T>, max: usize) -> usize {
        let mut available = self.cached_tail.wrapping_sub(self.head);
        if available < max {
            available = self.load_tail();
        }
        let count = available.min(max);
        if count == 0 {
            return 0;
        }
        out.reserve(count);
        for offset in 0..count {
            // SAFETY: `head + offset < head + available <= cached_tail`, and
            // `head` is published past these cells only after the loop.
            out.push(unsafe { self.take(self.head.wrapping_add(offset)) });
        }
        self.publish_head(count);
        count
    }

    /// The number of items in the queue; the producer may have added some
    /// since, so this is a lower bound.
    pub fn len(&self) -> usize {
        // Relaxed: a count only. A `pop` that follows does its own Acquire
        // load, which by coherence sees at least the value seen here.
        self.shared.tail.load(Relaxed).wrapping_sub(self.head)
    }

    /// Whether the queue holds no item, as of now.
    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }

    /// The number of slots, a power of two.
    pub fn capacity(&self) -> usize {
        self.shared.capacity()
    }

    /// Refreshes `cached_tail`; returns how many items are ready.
    fn load_tail(&mut self) -> usize {
        // Acquire: pairs with the producer's Release store of `tail`, so the
        // writes of every cell below it are visible to our reads.
        self.cached_tail = self.shared.tail.load(Acquire);
        self.cached_tail.wrapping_sub(self.head)
    }

    /// Moves the item at `position` out of its cell.
    ///
    /// # Safety
    ///
    /// `position` must lie in `head..cached_tail`, and `head` must be
    /// published past it before the cell is read again: each item is taken
    /// once.
    unsafe fn take(&self, position: usize) -> T {
        // SAFETY: by the caller's contract the cell is initialised: the
        // producer wrote it before its Release store of a `tail` we loaded
        // with Acquire, and will not rewrite it until we publish `head` past.
        self.shared
            .cell(position)
            .with(|p| unsafe { p.cast::<T>().read() })
    }

    /// Frees `count` cells to the producer.
    fn publish_head(&mut self, count: usize) {
        self.head = self.head.wrapping_add(count);
        // Release: our reads of the freed cells happen before the producer's
        // Acquire load of this `head`, and so before it overwrites them.
        self.shared.head.store(self.head, Release);
    }
}

impl<T> fmt::Debug for Consumer<T> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Consumer")
            .field("capacity", &self.capacity())
            .field("len", &self.len())
            .finish()
    }
}
