//! The built-in heartbeat: ping the peer every interval and give up on it
//! when a pong does not come back in time.
//!
//! This is the engine's side of `ws`'s README recipe ("How to detect and
//! close broken connections"), driven by the same clock as the close timer so
//! a driver needs no timer of its own per connection: it keeps one deadline
//! per connection from [`Connection::poll_timeout`](super::Connection::poll_timeout).
//!
//! ```text
//!   armed at t ──► ping at t + interval ──► pong before + timeout? ──yes──► next ping
//!                                                   │                      at ping + interval
//!                                                   no
//!                                                   ▼
//!                                      Abort(HeartbeatTimeout)
//! ```
//!
//! Any pong counts (the peer answers pings in order, so a pong to an older
//! ping still shows the connection is alive). No second ping is sent while
//! one is unanswered.

/// The heartbeat's timing, in milliseconds.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct HeartbeatConfig {
    /// Time from one ping to the next (and from arming to the first ping).
    pub interval_ms: u64,
    /// How long a ping may stay unanswered.
    pub timeout_ms: u64,
}

/// What the heartbeat wants done at a given time.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(super) enum Beat {
    /// Nothing yet.
    Wait,
    /// Send a ping now.
    Ping,
    /// The last ping went unanswered: the peer is gone.
    Dead,
}

/// One connection's heartbeat state.
#[derive(Clone, Copy, Debug)]
pub(super) struct Heartbeat {
    config: HeartbeatConfig,
    next_ping_ms: u64,
    pong_due_ms: Option<u64>,
}

impl Heartbeat {
    /// A heartbeat whose first ping is due one interval after `now_ms`.
    pub(super) fn new(config: HeartbeatConfig, now_ms: u64) -> Self {
        Self {
            config,
            next_ping_ms: now_ms.saturating_add(config.interval_ms),
            pong_due_ms: None,
        }
    }

    /// When [`Heartbeat::poll`] next has something to do.
    pub(super) fn deadline(&self) -> u64 {
        self.pong_due_ms.unwrap_or(self.next_ping_ms)
    }

    /// Advances to `now_ms`. On [`Beat::Ping`] the caller sends the ping.
    pub(super) fn poll(&mut self, now_ms: u64) -> Beat {
        match self.pong_due_ms {
            Some(due) if now_ms >= due => Beat::Dead,
            Some(_) => Beat::Wait,
            None if now_ms >= self.next_ping_ms => {
                self.next_ping_ms = now_ms.saturating_add(self.config.interval_ms);
                self.pong_due_ms = Some(now_ms.saturating_add(self.config.timeout_ms));
                Beat::Ping
            }
            None => Beat::Wait,
        }
    }

    /// A pong arrived: the outstanding ping, if any, is answered.
    pub(super) fn on_pong(&mut self) {
        self.pong_due_ms = None;
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const CONFIG: HeartbeatConfig = HeartbeatConfig {
        interval_ms: 1_000,
        timeout_ms: 300,
    };

    #[test]
    fn pings_every_interval_while_pongs_come_back() {
        let mut beat = Heartbeat::new(CONFIG, 5_000);
        assert_eq!(beat.deadline(), 6_000);
        assert_eq!(beat.poll(5_999), Beat::Wait);
        assert_eq!(beat.poll(6_000), Beat::Ping);
        assert_eq!(beat.deadline(), 6_300);
        beat.on_pong();
        assert_eq!(beat.deadline(), 7_000);
        assert_eq!(beat.poll(7_010), Beat::Ping);
        assert_eq!(beat.deadline(), 7_310);
    }

    #[test]
    fn an_unanswered_ping_is_fatal_at_its_timeout_and_not_before() {
        let mut beat = Heartbeat::new(CONFIG, 0);
        assert_eq!(beat.poll(1_000), Beat::Ping);
        assert_eq!(beat.poll(1_299), Beat::Wait);
        assert_eq!(beat.poll(1_300), Beat::Dead);
    }

    #[test]
    fn no_second_ping_while_one_is_unanswered() {
        let config = HeartbeatConfig {
            interval_ms: 100,
            timeout_ms: 1_000,
        };
        let mut beat = Heartbeat::new(config, 0);
        assert_eq!(beat.poll(100), Beat::Ping);
        assert_eq!(beat.poll(250), Beat::Wait);
        assert_eq!(beat.deadline(), 1_100);
        beat.on_pong();
        assert_eq!(beat.poll(250), Beat::Ping);
    }

    #[test]
    fn an_unsolicited_pong_does_not_delay_the_next_ping() {
        let mut beat = Heartbeat::new(CONFIG, 0);
        beat.on_pong();
        assert_eq!(beat.deadline(), 1_000);
    }
}
