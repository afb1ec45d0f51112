use super::{channel, Consumer, Producer};
use crate::queue::test_util::{push_until_accepted, DropLog};
use std::sync::atomic::{AtomicUsize, Ordering::SeqCst};
use std::thread;

#[test]
fn channel_capacity_rounds_up_to_power_of_two() {
    assert_eq!(channel::<u8>(1).0.capacity(), 2);
    assert_eq!(channel::<u8>(2).0.capacity(), 2);
    assert_eq!(channel::<u8>(5).0.capacity(), 8);
    assert_eq!(channel::<u8>(5).1.capacity(), 8);
    assert_eq!(channel::<u8>(4096).0.capacity(), 4096);
}

#[test]
#[should_panic(expected = "at least 1")]
fn channel_zero_capacity_panics() {
    let _ = channel::<u8>(0);
}

#[test]
#[should_panic(expected = "exceeds MAX_CAPACITY")]
fn channel_absurd_capacity_panics() {
    let _ = channel::<u8>(usize::MAX);
}

#[test]
fn producer_push_on_full_hands_value_back() {
    let (mut tx, mut rx) = channel(4);
    for i in 0..4 {
        assert_eq!(tx.push(i), Ok(()));
    }
    assert!(tx.is_full());
    assert_eq!(tx.push(99), Err(99));
    assert_eq!(rx.pop(), Some(0));
    assert!(!tx.is_full());
    assert_eq!(tx.push(4), Ok(()));
    assert_eq!(tx.push(5), Err(5));
}

#[test]
fn consumer_pop_on_empty_returns_none() {
    let (mut tx, mut rx) = channel::<u32>(2);
    assert_eq!(rx.pop(), None);
    assert!(rx.is_empty());
    tx.push(7).unwrap();
    assert!(!rx.is_empty());
    assert_eq!(rx.pop(), Some(7));
    assert_eq!(rx.pop(), None);
}

#[test]
fn len_tracks_pushes_and_pops_on_both_ends() {
    let (mut tx, mut rx) = channel(8);
    assert_eq!((tx.len(), rx.len()), (0, 0));
    assert!(tx.is_empty());
    for i in 0..5 {
        tx.push(i).unwrap();
    }
    assert_eq!((tx.len(), rx.len()), (5, 5));
    rx.pop().unwrap();
    assert_eq!((tx.len(), rx.len()), (4, 4));
    assert!(!tx.is_empty());
}

#[test]
fn fifo_order_survives_many_wrap_arounds() {
    let (mut tx, mut rx) = channel(4);
    let (mut next_in, mut next_out) = (0_u64, 0_u64);
    for round in 0..10_000 {
        let burst = 1 + round % 4;
        for _ in 0..burst {
            tx.push(next_in).unwrap();
            next_in += 1;
        }
        while let Some(value) = rx.pop() {
            assert_eq!(value, next_out);
            next_out += 1;
        }
    }
    assert_eq!(next_out, next_in);
    assert!(next_in > 4 * 4_000);
}

#[test]
fn pop_batch_takes_at_most_max_and_at_most_available() {
    let (mut tx, mut rx) = channel(8);
    for i in 0..6 {
        tx.push(i).unwrap();
    }
    let mut out = vec![100];
    assert_eq!(rx.pop_batch(&mut out, 4), 4);
    assert_eq!(out, [100, 0, 1, 2, 3]);
    assert_eq!(rx.pop_batch(&mut out, 10), 2);
    assert_eq!(out, [100, 0, 1, 2, 3, 4, 5]);
    assert_eq!(rx.pop_batch(&mut out, 10), 0);
    assert_eq!(tx.len(), 0);
}

#[test]
fn pop_batch_with_zero_max_moves_nothing() {
    let (mut tx, mut rx) = channel(2);
    tx.push(1).unwrap();
    let mut out = Vec::new();
    assert_eq!(rx.pop_batch(&mut out, 0), 0);
    assert!(out.is_empty());
    assert_eq!(rx.pop(), Some(1));
}

#[test]
fn pop_batch_across_the_wrap_point_keeps_order() {
    let (mut tx, mut rx) = channel(4);
    let mut out = Vec::new();
    for i in 0..3 {
        tx.push(i).unwrap();
    }
    assert_eq!(rx.pop_batch(&mut out, 3), 3);
    for i in 3..7 {
        tx.push(i).unwrap();
    }
    assert_eq!(rx.pop_batch(&mut out, 8), 4);
    assert_eq!(out, [0, 1, 2, 3, 4, 5, 6]);
}

#[test]
fn dropping_both_ends_drops_remaining_items_once() {
    let log = DropLog::default();
    let (mut tx, mut rx) = channel(4);
    for id in 0..6 {
        assert!(tx.push(log.item(id)).is_ok());
        if id % 2 == 0 {
            drop(rx.pop());
        }
    }
    assert_eq!(log.drops(), 3);
    drop(rx);
    assert_eq!(log.drops(), 3, "items live while the producer does");
    drop(tx);
    assert_eq!(log.drops(), 6);
}

#[test]
fn dropping_producer_first_keeps_items_for_consumer() {
    let log = DropLog::default();
    let (mut tx, mut rx) = channel(2);
    assert!(tx.push(log.item(1)).is_ok());
    assert!(tx.push(log.item(2)).is_ok());
    drop(tx);
    assert_eq!(rx.pop().map(|item| item.id), Some(1));
    assert_eq!(log.drops(), 1);
    drop(rx);
    assert_eq!(log.drops(), 2);
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
    let (mut tx, mut rx) = channel(4);
    for _ in 0..4 {
        assert!(tx.push(Zst).is_ok());
    }
    assert!(tx.push(Zst).is_err(), "full at capacity");
    assert_eq!(DROPS.load(SeqCst), 1, "the rejected item was handed back");
    let mut out = Vec::new();
    assert_eq!(rx.pop_batch(&mut out, 3), 3);
    assert_eq!(rx.len(), 1);
    drop(out);
    assert_eq!(DROPS.load(SeqCst), 4);
    drop((tx, rx));
    assert_eq!(DROPS.load(SeqCst), 5);
}

#[test]
fn handles_are_send_and_debug() {
    fn assert_send<T: Send>() {}
    assert_send::<Producer<String>>();
    assert_send::<Consumer<String>>();
    let (mut tx, rx) = channel::<u8>(2);
    tx.push(1).unwrap();
    assert_eq!(format!("{tx:?}"), "Producer { capacity: 2, len: 1 }");
    assert_eq!(format!("{rx:?}"), "Consumer { capacity: 2, len: 1 }");
}

/// Fewer under miri, which interprets every step.
const STRESS_ITEMS: u64 = if cfg!(miri) { 500 } else { 2_000_000 };

#[test]
fn stress_one_to_one_pop_keeps_order_and_count() {
    let (mut tx, mut rx) = channel(1024);
    let producer = thread::spawn(move || {
        for i in 0..STRESS_ITEMS {
            push_until_accepted(|v| tx.push(v), i);
        }
    });
    let mut expected = 0;
    while expected < STRESS_ITEMS {
        match rx.pop() {
            Some(value) => {
                assert_eq!(value, expected);
                expected += 1;
            }
            None => thread::yield_now(),
        }
    }
    producer.join().unwrap();
    assert_eq!(rx.pop(), None);
}

#[test]
fn stress_one_to_one_pop_batch_keeps_order_and_count() {
    let (mut tx, mut rx) = channel(256);
    let producer = thread::spawn(move || {
        for i in 0..STRESS_ITEMS {
            push_until_accepted(|v| tx.push(v), i);
        }
    });
    let mut batch = Vec::with_capacity(64);
    let mut expected = 0;
    while expected < STRESS_ITEMS {
        if rx.pop_batch(&mut batch, 64) == 0 {
            thread::yield_now();
        }
        for value in batch.drain(..) {
            assert_eq!(value, expected);
            expected += 1;
        }
    }
    producer.join().unwrap();
    assert!(rx.is_empty());
}
