//! Loom models: every interleaving of one producer and one consumer at
//! capacity 2, including the full and empty boundaries, wrap-around and drop.
//! Each model runs from both starting orders (see `test_util::model`).

use super::{channel, Consumer};
use crate::queue::test_util::{join2, model, push_until_accepted, yield_now, DropLog};

/// Pops `count` items with `pop`, yielding while the queue is empty.
fn pop_exactly(rx: &mut Consumer<usize>, count: usize) -> Vec<usize> {
    let mut seen = Vec::new();
    while seen.len() < count {
        match rx.pop() {
            Some(value) => seen.push(value),
            None => yield_now(),
        }
    }
    seen
}

#[test]
fn loom_push_pop_race_keeps_fifo_through_wrap() {
    model(2, |order| {
        let (mut tx, mut rx) = channel(2);
        let ((), seen) = join2(
            order,
            move || (0..3).for_each(|i| push_until_accepted(|v| tx.push(v), i)),
            move || pop_exactly(&mut rx, 3),
        );
        assert_eq!(seen, [0, 1, 2]);
    });
}

#[test]
fn loom_pop_batch_race_keeps_fifo_through_wrap() {
    model(2, |order| {
        let (mut tx, mut rx) = channel(2);
        let ((), seen) = join2(
            order,
            move || (0..3).for_each(|i| push_until_accepted(|v| tx.push(v), i)),
            move || {
                let mut seen = Vec::new();
                while seen.len() < 3 {
                    if rx.pop_batch(&mut seen, 2) == 0 {
                        yield_now();
                    }
                }
                seen
            },
        );
        assert_eq!(seen, [0, 1, 2]);
    });
}

#[test]
fn loom_push_on_full_succeeds_once_consumer_frees_a_slot() {
    model(2, |order| {
        let (mut tx, mut rx) = channel(2);
        tx.push(0).unwrap();
        tx.push(1).unwrap();
        let ((mut tx, early), (mut rx, popped)) = join2(
            order,
            move || {
                let early = tx.push(2);
                (tx, early)
            },
            move || {
                let popped = rx.pop();
                (rx, popped)
            },
        );
        assert_eq!(popped, Some(0));
        if let Err(value) = early {
            assert_eq!(value, 2);
            assert_eq!(tx.push(value), Ok(()), "the freed slot must be seen");
        }
        assert_eq!(pop_exactly(&mut rx, 2), [1, 2]);
    });
}

#[test]
fn loom_pop_on_empty_sees_item_once_producer_publishes() {
    model(2, |order| {
        let (mut tx, mut rx) = channel(2);
        tx.push(6).unwrap();
        assert_eq!(rx.pop(), Some(6));
        let (_tx, (mut rx, early)) = join2(
            order,
            move || {
                tx.push(7).unwrap();
                tx
            },
            move || {
                let early = rx.pop();
                (rx, early)
            },
        );
        match early {
            Some(value) => assert_eq!(value, 7),
            None => assert_eq!(rx.pop(), Some(7), "the push must be seen"),
        }
        assert!(rx.is_empty());
    });
}

#[test]
fn loom_drop_on_two_threads_drops_every_item_once() {
    model(2, |order| {
        let log = DropLog::default();
        let (mut tx, mut rx) = channel(2);
        let items = log.clone();
        join2(
            order,
            move || (0..2).for_each(|id| assert!(tx.push(items.item(id)).is_ok())),
            move || {
                if let Some(item) = rx.pop() {
                    assert_eq!(item.id, 0);
                }
            },
        );
        assert_eq!(log.drops(), 2);
    });
}
