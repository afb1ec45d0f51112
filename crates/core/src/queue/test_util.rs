//! Helpers shared by the queue tests and the loom models.

use super::sync::{Arc, AtomicUsize, Ordering::SeqCst};

/// Counts the drops of the [`Tracked`] items it hands out.
#[derive(Clone, Default)]
pub(super) struct DropLog(Arc<AtomicUsize>);

impl DropLog {
    /// A new item that bumps this log when dropped.
    pub(super) fn item(&self, id: usize) -> Tracked {
        Tracked {
            id,
            log: self.clone(),
        }
    }

    /// How many items have been dropped so far.
    pub(super) fn drops(&self) -> usize {
        self.0.load(SeqCst)
    }
}

/// An item that records its drop in a [`DropLog`].
pub(super) struct Tracked {
    pub(super) id: usize,
    log: DropLog,
}

impl Drop for Tracked {
    fn drop(&mut self) {
        self.log.0.fetch_add(1, SeqCst);
    }
}

/// Retries `push` until it accepts the value, yielding between tries.
pub(super) fn push_until_accepted<T>(mut push: impl FnMut(T) -> Result<(), T>, mut value: T) {
    while let Err(back) = push(value) {
        value = back;
        yield_now();
    }
}

/// Lets another thread run (a loom scheduling point under `cfg(loom)`).
pub(super) fn yield_now() {
    #[cfg(loom)]
    loom::thread::yield_now();
    #[cfg(not(loom))]
    std::thread::yield_now();
}

/// Runs `check` as a loom model once per order of its `threads` threads.
///
/// Loom's DPOR can miss the schedule in which one thread runs all its
/// accesses to an atomic before another thread's *earlier* load of it,
/// whenever that thread also loads it first (tokio-rs/loom#166, #392). Both
/// queues load a sequence or index before storing it, so every model is run
/// with each order of its threads as the starting schedule (the order the
/// model hands to [`join2`] or [`run_tasks`]); loom explores from there.
/// The preemption bound is 3 unless `LOOM_MAX_PREEMPTIONS` sets one.
#[cfg(loom)]
pub(super) fn model(threads: usize, check: fn(&[usize])) {
    for order in orders(threads) {
        let mut builder = loom::model::Builder::new();
        if builder.preemption_bound.is_none() {
            builder.preemption_bound = Some(3);
        }
        builder.check(move || check(&order));
    }
}

/// Every permutation of `0..n`.
#[cfg(loom)]
fn orders(n: usize) -> Vec<Vec<usize>> {
    if n == 0 {
        return vec![Vec::new()];
    }
    let mut all = Vec::new();
    for shorter in orders(n - 1) {
        for at in 0..n {
            let mut order = shorter.clone();
            order.insert(at, n - 1);
            all.push(order);
        }
    }
    all
}

/// A unit of work for one model thread.
#[cfg(loom)]
pub(super) type Task<R> = Box<dyn FnOnce() -> R + Send>;

/// Runs `tasks` on one thread each: `order[0]` on this thread after the
/// others are spawned in `order`. Returns the results in task order.
#[cfg(loom)]
pub(super) fn run_tasks<R: Send + 'static>(order: &[usize], tasks: Vec<Task<R>>) -> Vec<R> {
    let mut tasks: Vec<Option<Task<R>>> = tasks.into_iter().map(Some).collect();
    let mut take = |index: usize| tasks[index].take().expect("each task runs once");
    let inline = take(order[0]);
    let spawned: Vec<_> = order[1..]
        .iter()
        .map(|&index| (index, loom::thread::spawn(take(index))))
        .collect();
    let mut results: Vec<Option<R>> = order.iter().map(|_| None).collect();
    results[order[0]] = Some(inline());
    for (index, handle) in spawned {
        results[index] = Some(handle.join().expect("model thread panicked"));
    }
    results.into_iter().flatten().collect()
}

/// Runs `a` and `b` on two threads, `a` first when `order` is `[0, 1]`.
#[cfg(loom)]
pub(super) fn join2<A, B>(
    order: &[usize],
    a: impl FnOnce() -> A + Send + 'static,
    b: impl FnOnce() -> B + Send + 'static,
) -> (A, B)
where
    A: Send + 'static,
    B: Send + 'static,
{
    if order[0] == 0 {
        let b = loom::thread::spawn(b);
        let a = a();
        (a, b.join().expect("model thread panicked"))
    } else {
        let a = loom::thread::spawn(a);
        let b = b();
        (a.join().expect("model thread panicked"), b)
    }
}
