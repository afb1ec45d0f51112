//! Time for the engine: milliseconds since a per-connection origin, and one
//! reusable [`Sleep`] for its deadline (the close timeout).

use std::future::Future;
use std::pin::Pin;
use std::task::{Context, Poll};
use std::time::Duration;

use tokio::time::{Instant, Sleep};

/// The engine's clock and timer for one connection.
#[derive(Debug)]
pub(super) struct Clock {
    origin: Instant,
    sleep: Option<Pin<Box<Sleep>>>,
    /// The deadline (engine milliseconds) the sleep is set for.
    armed: Option<u64>,
}

impl Clock {
    pub(super) fn new() -> Self {
        Self {
            origin: Instant::now(),
            sleep: None,
            armed: None,
        }
    }

    /// Milliseconds since the connection was created, as the engine's `now_ms`.
    pub(super) fn now_ms(&self) -> u64 {
        u64::try_from(self.origin.elapsed().as_millis()).unwrap_or(u64::MAX)
    }

    /// Polls the timer for `deadline_ms` (engine time), re-arming the sleep
    /// when the deadline changed. The sleep is created on first use only, so
    /// connections that never close need no timer (nor a time driver).
    pub(super) fn poll_deadline(&mut self, deadline_ms: u64, cx: &mut Context<'_>) -> Poll<()> {
        let at = self
            .origin
            .checked_add(Duration::from_millis(deadline_ms))
            .unwrap_or_else(far_future);
        let sleep = self
            .sleep
            .get_or_insert_with(|| Box::pin(tokio::time::sleep_until(at)));
        if self.armed != Some(deadline_ms) {
            sleep.as_mut().reset(at);
            self.armed = Some(deadline_ms);
        }
        sleep.as_mut().poll(cx)
    }
}

/// About 30 years from now: what tokio itself uses for "never".
fn far_future() -> Instant {
    Instant::now() + Duration::from_secs(86_400 * 365 * 30)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[tokio::test(start_paused = true)]
    async fn deadline_fires_after_its_time() {
        let mut clock = Clock::new();
        std::future::poll_fn(|cx| clock.poll_deadline(50, cx)).await;
        assert!(clock.now_ms() >= 50);
    }

    #[tokio::test(start_paused = true)]
    async fn rearming_moves_the_deadline() {
        let mut clock = Clock::new();
        let mut cx = Context::from_waker(std::task::Waker::noop());
        assert!(clock.poll_deadline(1000, &mut cx).is_pending());
        std::future::poll_fn(|cx| clock.poll_deadline(10, cx)).await;
        assert!(clock.now_ms() < 1000);
    }
}
