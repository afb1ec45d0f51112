//! One waker for the transport that wakes both halves of the stream.
//!
//! The read half flushes opportunistically (automatic pongs, the close
//! reply), so it polls the transport for writing too. A transport keeps one
//! waker per direction: had the reader registered its own, it would replace
//! the writer's (a `Sink` half on another task after `StreamExt::split`),
//! which would then never wake. So every transport poll uses this proxy,
//! which wakes the last reader *and* the last writer; a spurious wake-up
//! costs one poll. (tokio-tungstenite solves the same problem the same way.)

use std::sync::{Arc, Mutex, PoisonError};
use std::task::{Wake, Waker};

/// The wakers of the tasks polling each half.
#[derive(Debug, Default)]
struct Proxy {
    reader: Mutex<Option<Waker>>,
    writer: Mutex<Option<Waker>>,
}

impl Wake for Proxy {
    fn wake(self: Arc<Self>) {
        self.wake_by_ref();
    }

    fn wake_by_ref(self: &Arc<Self>) {
        for slot in [&self.reader, &self.writer] {
            let waker = slot.lock().unwrap_or_else(PoisonError::into_inner).take();
            if let Some(waker) = waker {
                waker.wake();
            }
        }
    }
}

/// The proxy and the [`Waker`] built from it.
#[derive(Debug)]
pub(super) struct Wakers {
    proxy: Arc<Proxy>,
    waker: Waker,
}

impl Wakers {
    pub(super) fn new() -> Self {
        let proxy = Arc::new(Proxy::default());
        let waker = Waker::from(Arc::clone(&proxy));
        Self { proxy, waker }
    }

    /// Records the read half's task and returns the transport waker.
    pub(super) fn reader(&self, waker: &Waker) -> Waker {
        store(&self.proxy.reader, waker);
        self.waker.clone()
    }

    /// Records the write half's task and returns the transport waker.
    pub(super) fn writer(&self, waker: &Waker) -> Waker {
        store(&self.proxy.writer, waker);
        self.waker.clone()
    }
}

fn store(slot: &Mutex<Option<Waker>>, waker: &Waker) {
    let mut slot = slot.lock().unwrap_or_else(PoisonError::into_inner);
    if !slot.as_ref().is_some_and(|old| old.will_wake(waker)) {
        *slot = Some(waker.clone());
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::sync::atomic::{AtomicUsize, Ordering};

    #[derive(Default)]
    struct Counter(AtomicUsize);

    impl Wake for Counter {
        fn wake(self: Arc<Self>) {
            self.0.fetch_add(1, Ordering::SeqCst);
        }
    }

    #[test]
    fn transport_wake_reaches_reader_and_writer_once() {
        let (reader, writer) = (Arc::new(Counter::default()), Arc::new(Counter::default()));
        let wakers = Wakers::new();
        wakers.reader(&Waker::from(Arc::clone(&reader)));
        let transport = wakers.writer(&Waker::from(Arc::clone(&writer)));
        transport.wake_by_ref();
        transport.wake_by_ref();
        assert_eq!(reader.0.load(Ordering::SeqCst), 1);
        assert_eq!(writer.0.load(Ordering::SeqCst), 1);
    }
}
