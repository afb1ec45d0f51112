use super::Queue;
use crate::queue::test_util::{push_until_accepted, DropLog};
use std::sync::atomic::{AtomicUsize, Ordering::SeqCst};
use std::thread;

#[test]
fn queue_capacity_rounds_up_to_power_of_two() {
    assert_eq!(Queue::<u8>::new(1).capacity(), 2);
    assert_eq!(Queue::<u8>::new(2).capacity(), 2);
    assert_eq!(Queue::<u8>::new(9).capacity(), 16);
    assert_eq!(Queue::<u8>::new(1024).capacity(), 1024);
}

#[test]
#[should_panic(expected = "at least 1")]
fn queue_zero_capacity_panics() {
    let _ = Queue::<u8>::new(0);
}

#[test]
#[should_panic(expected = "exceeds MAX_CAPACITY")]
fn queue_absurd_capacity_panics() {
    let _ = Queue::<u8>::new(usize::MAX / 2);
}

#[test]
fn push_on_full_hands_value_back() {
    let queue = Queue::new(2);
    assert_eq!(queue.push('a'), Ok(()));
    assert_eq!(queue.push('b'), Ok(()));
    assert_eq!(queue.push('c'), Err('c'));
    assert_eq!(queue.len(), 2);
    assert_eq!(queue.pop(), Some('a'));
    assert_eq!(queue.push('c'), Ok(()));
    assert_eq!(queue.push('d'), Err('d'));
}

#[test]
fn pop_on_empty_returns_none() {
    let queue = Queue::<u32>::new(4);
    assert_eq!(queue.pop(), None);
    assert!(queue.is_empty());
    queue.push(3).unwrap();
    assert!(!queue.is_empty());
    assert_eq!(queue.pop(), Some(3));
    assert_eq!(queue.pop(), None);
}

#[test]
fn fifo_order_survives_many_wrap_arounds() {
    let queue = Queue::new(4);
    let (mut next_in, mut next_out) = (0_u64, 0_u64);
    for round in 0..10_000 {
        for _ in 0..1 + round % 4 {
            queue.push(next_in).unwrap();
            next_in += 1;
        }
        assert_eq!(queue.len(), (1 + round % 4) as usize);
        while let Some(value) = queue.pop() {
            assert_eq!(value, next_out);
            next_out += 1;
        }
    }
    assert_eq!(next_out, next_in);
    assert!(next_in > 4 * 4_000);
}

#[test]
fn dropping_queue_drops_remaining_items_once() {
    let log = DropLog::default();
    let queue = Queue::new(4);
    for id in 0..6 {
        assert!(queue.push(log.item(id)).is_ok());
        if id % 2 == 0 {
            drop(queue.pop());
        }
    }
    assert_eq!(log.drops(), 3);
    assert_eq!(queue.len(), 3, "items at slots 3, 0, 1 straddle the wrap");
    drop(queue);
    assert_eq!(log.drops(), 6);
}

#[test]
fn rejected_push_returns_the_same_item() {
    let log = DropLog::default();
    let queue = Queue::new(2);
    assert!(queue.push(log.item(0)).is_ok());
    assert!(queue.push(log.item(1)).is_ok());
    let back = queue.push(log.item(2)).map(|()| usize::MAX);
    assert_eq!(back.unwrap_or_else(|item| item.id), 2);
    assert_eq!(log.drops(), 1);
}

#[test]
fn zero_sized_items_count_fill_and_drop() {
    static DROPS: AtomicUsize = AtomicUsize::new(0);
    struct Zst;
    impl Drop for Zst {
        fn drop(&mut self) {
            DROPS.fetch_add(1, SeqCst);
        }
    }
    let queue = Queue::new(4);
    for _ in 0..4 {
        assert!(queue.push(Zst).is_ok());
    }
    assert!(queue.push(Zst).is_err(), "full at capacity");
    assert_eq!(DROPS.load(SeqCst), 1);
    assert!(queue.pop().is_some());
    assert_eq!(DROPS.load(SeqCst), 2);
    drop(queue);
    assert_eq!(DROPS.load(SeqCst), 5);
}

#[test]
fn queue_is_send_sync_and_debug() {
    fn assert_send_sync<T: Send + Sync>() {}
    assert_send_sync::<Queue<String>>();
    let queue = Queue::new(2);
    queue.push(1_u8).unwrap();
    assert_eq!(format!("{queue:?}"), "Queue { capacity: 2, len: 1 }");
}

const PRODUCERS: usize = 2;
const CONSUMERS: usize = 2;
/// Fewer under miri, which interprets every step.
const PER_PRODUCER: usize = if cfg!(miri) { 200 } else { 250_000 };

/// Pops until every item is taken; returns them in the order seen.
fn consume(queue: &Queue<usize>, taken: &AtomicUsize) -> Vec<usize> {
    let mut seen = Vec::new();
    while taken.load(SeqCst) < PRODUCERS * PER_PRODUCER {
        match queue.pop() {
            Some(item) => {
                seen.push(item);
                taken.fetch_add(1, SeqCst);
            }
            None => thread::yield_now(),
        }
    }
    seen
}

#[test]
fn stress_two_producers_two_consumers_deliver_each_item_once() {
    let queue = Queue::new(64);
    let taken = AtomicUsize::new(0);
    let views: Vec<Vec<usize>> = thread::scope(|s| {
        for producer in 0..PRODUCERS {
            let queue = &queue;
            s.spawn(move || {
                for seq in 0..PER_PRODUCER {
                    push_until_accepted(|v| queue.push(v), producer * PER_PRODUCER + seq);
                }
            });
        }
        let consumers: Vec<_> = (0..CONSUMERS)
            .map(|_| s.spawn(|| consume(&queue, &taken)))
            .collect();
        consumers.into_iter().map(|c| c.join().unwrap()).collect()
    });
    let mut received = vec![false; PRODUCERS * PER_PRODUCER];
    for view in &views {
        let mut last = [None; PRODUCERS];
        for &item in view {
            assert!(!received[item], "item {item} delivered twice");
            received[item] = true;
            let (producer, seq) = (item / PER_PRODUCER, item % PER_PRODUCER);
            assert!(
                last[producer] < Some(seq),
                "one consumer saw a producer out of order"
            );
            last[producer] = Some(seq);
        }
    }
    assert!(received.iter().all(|&r| r), "an item was lost");
    assert!(queue.is_empty());
}
