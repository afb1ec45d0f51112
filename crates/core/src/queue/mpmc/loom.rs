//! Loom models: every interleaving of 2–3 threads at capacity 2, for push/pop
//! races, the full and empty boundaries, wrap-around and drop. Each model runs
//! from every starting order of its threads (see `test_util::model`).

use super::Queue;
use crate::queue::sync::Arc;
use crate::queue::test_util::{join2, model, run_tasks, DropLog, Task};

/// A queue of capacity 2 whose positions start at 1, so the next two pushes
/// use slot 1 and then slot 0 on its second lap.
fn queue_one_lap_in() -> Arc<Queue<usize>> {
    let queue = Queue::new(2);
    queue.push(usize::MAX).unwrap();
    assert_eq!(queue.pop(), Some(usize::MAX));
    Arc::new(queue)
}

/// A task that runs `f` on its own clone of `queue`.
fn on<R: 'static>(queue: &Arc<Queue<usize>>, f: fn(&Queue<usize>) -> R) -> Task<R> {
    let queue = Arc::clone(queue);
    Box::new(move || f(&queue))
}

/// Pops everything left once all other threads are joined.
fn drain(queue: &Queue<usize>) -> Vec<usize> {
    core::iter::from_fn(|| queue.pop()).collect()
}

/// Pops twice, keeping what it got.
fn pop_twice(queue: &Queue<usize>) -> Vec<usize> {
    (0..2).filter_map(|_| queue.pop()).collect()
}

#[test]
fn loom_two_producers_racing_a_consumer_deliver_each_item_once() {
    model(3, |order| {
        let queue = queue_one_lap_in();
        let tasks = vec![
            on(&queue, |q| {
                q.push(10).unwrap();
                q.push(11).err().into_iter().collect()
            }),
            on(&queue, |q| q.push(20).err().into_iter().collect()),
            on(&queue, pop_twice),
        ];
        let [rejected_a, rejected_b, mut seen] =
            <[_; 3]>::try_from(run_tasks(order, tasks)).unwrap();
        seen.extend(drain(&queue));
        for value in rejected_a.into_iter().chain(rejected_b) {
            queue.push(value).unwrap();
        }
        seen.extend(drain(&queue));
        let position = |item| seen.iter().position(|&v| v == item).unwrap();
        assert!(position(10) < position(11), "FIFO per producer: {seen:?}");
        seen.sort_unstable();
        assert_eq!(seen, [10, 11, 20]);
    });
}

#[test]
fn loom_two_consumers_racing_a_producer_take_each_item_once_in_order() {
    model(3, |order| {
        let queue = queue_one_lap_in();
        let tasks = vec![
            on(&queue, |q| {
                (0..2).for_each(|i| q.push(i).unwrap());
                Vec::new()
            }),
            on(&queue, pop_twice),
            on(&queue, pop_twice),
        ];
        let views = run_tasks(order, tasks);
        assert!(views.iter().all(|v| v.is_sorted()), "{views:?}");
        let mut all = [views.concat(), drain(&queue)].concat();
        all.sort_unstable();
        assert_eq!(all, [0, 1]);
    });
}

#[test]
fn loom_concurrent_pushes_at_full_boundary_accept_exactly_capacity() {
    model(2, |order| {
        let queue = queue_one_lap_in();
        queue.push(0).unwrap();
        let (one, two) = join2(
            order,
            on(&queue, |q| q.push(1).is_ok()),
            on(&queue, |q| q.push(2).is_ok()),
        );
        assert!(one ^ two, "exactly one push fits: {one} {two}");
        assert_eq!(queue.len(), 2);
        assert_eq!(drain(&queue), [0, if one { 1 } else { 2 }]);
    });
}

#[test]
fn loom_concurrent_pops_at_empty_boundary_take_last_item_once() {
    model(2, |order| {
        let queue = queue_one_lap_in();
        queue.push(5).unwrap();
        let (one, two) = join2(order, on(&queue, Queue::pop), on(&queue, Queue::pop));
        assert_eq!(one.xor(two), Some(5), "exactly one pop wins");
        assert!(queue.is_empty());
    });
}

#[test]
fn loom_push_racing_pop_on_wrapped_slot_hands_value_over() {
    model(2, |order| {
        let queue = Arc::new(Queue::new(2));
        queue.push(0).unwrap();
        queue.push(1).unwrap();
        let (early, popped) = join2(order, on(&queue, |q| q.push(2)), on(&queue, Queue::pop));
        assert_eq!(popped, Some(0));
        if let Err(value) = early {
            assert_eq!(queue.push(value), Ok(()), "the freed slot must be seen");
        }
        assert_eq!(drain(&queue), [1, 2]);
    });
}

#[test]
fn loom_drop_with_items_left_drops_each_once() {
    model(3, |order| {
        let log = DropLog::default();
        let queue = Arc::new(Queue::new(2));
        let pusher = |id| -> Task<_> {
            let (queue, item) = (Arc::clone(&queue), log.item(id));
            Box::new(move || {
                assert!(queue.push(item).is_ok());
                None
            })
        };
        let tasks = vec![pusher(0), pusher(1), {
            let queue = Arc::clone(&queue);
            Box::new(move || queue.pop())
        }];
        drop(queue);
        let popped = run_tasks(order, tasks);
        let kept = popped.iter().flatten().count();
        assert_eq!(log.drops(), 2 - kept);
        drop(popped);
        assert_eq!(log.drops(), 2);
    });
}
