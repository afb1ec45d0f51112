//! The event loop shared by every mode: a slab of connections on one level-triggered epoll, one
//! `read` per readable event into a shared buffer, and one `writev` per connection per event.
//!
//! Call order for a mode: `connect` (or `ramp`), then `poll` repeatedly (each call handles one
//! `epoll_wait` batch and reports through the `Sink`), `for_each_open` to act on every open
//! connection, and `close_all` at the end.

use std::net::Ipv4Addr;
use std::time::Instant;

use crate::conn::{Conn, Flow, Shared, Sink, State};
use crate::sys::{self, Epoll, Ready};

const READ_BUF: usize = 256 * 1024;
const MAX_EVENTS: usize = 1024;
const IN: u32 = libc::EPOLLIN as u32 | libc::EPOLLRDHUP as u32;
const OUT: u32 = libc::EPOLLOUT as u32;

/// Nanoseconds since the run started.
#[derive(Debug, Clone, Copy)]
pub struct Clock(Instant);

impl Clock {
    /// Nanoseconds elapsed.
    pub fn now(&self) -> u64 {
        u64::try_from(self.0.elapsed().as_nanos()).unwrap_or(u64::MAX)
    }
}

/// The loop.
#[derive(Debug)]
pub struct Driver {
    epoll: Epoll,
    conns: Vec<Option<Conn>>,
    free: Vec<usize>,
    /// Run-wide settings.
    pub shared: Shared,
    dst: Ipv4Addr,
    sources: Vec<Ipv4Addr>,
    next_source: usize,
    buf: Vec<u8>,
    events: Vec<Ready>,
    /// The run clock.
    pub clock: Clock,
    /// Connections in the slab.
    pub live: usize,
    /// Connections still connecting or handshaking.
    pub pending: usize,
}

impl Driver {
    /// A driver for connections to `dst` from the given source addresses (round-robin).
    pub fn new(shared: Shared, dst: Ipv4Addr, sources: Vec<Ipv4Addr>) -> Result<Self, String> {
        Ok(Self {
            epoll: Epoll::new().map_err(|e| format!("epoll: {e}"))?,
            conns: Vec::new(),
            free: Vec::new(),
            shared,
            dst,
            sources,
            next_source: 0,
            buf: vec![0; READ_BUF],
            events: vec![libc::epoll_event { events: 0, u64: 0 }; MAX_EVENTS],
            clock: Clock(Instant::now()),
            live: 0,
            pending: 0,
        })
    }

    /// Starts one connection.
    pub fn connect(&mut self) -> Result<(), String> {
        let src = self.sources[self.next_source % self.sources.len()];
        self.next_source += 1;
        let (fd, done) = sys::tcp_connect(src, self.dst, self.shared.port)
            .map_err(|e| format!("connect from {src}: {e}"))?;
        let conn = Conn::new(fd, done, &self.shared, self.clock.now());
        let id = self.free.pop().unwrap_or(self.conns.len());
        self.epoll
            .add(conn.fd(), id as u64, IN | OUT)
            .map_err(|e| format!("epoll add: {e}"))?;
        if id == self.conns.len() {
            self.conns.push(Some(conn));
        } else {
            self.conns[id] = Some(conn);
        }
        self.live += 1;
        self.pending += 1;
        Ok(())
    }

    /// Opens connections (at most `max_pending` handshakes at a time) until `target` are open.
    pub fn ramp(
        &mut self,
        target: usize,
        max_pending: usize,
        sink: &mut dyn Sink,
    ) -> Result<(), String> {
        let deadline = self.clock.now() + 60_000_000_000;
        let mut started = 0;
        while self.live - self.pending < target {
            while started < target && self.pending < max_pending {
                self.connect()?;
                started += 1;
            }
            if self.clock.now() > deadline {
                return Err(format!(
                    "only {} of {target} handshakes in 60 s",
                    self.live - self.pending
                ));
            }
            self.poll(100, sink)?;
        }
        Ok(())
    }

    /// Handles one `epoll_wait` batch (waiting up to `timeout_ms`).
    pub fn poll(&mut self, timeout_ms: i32, sink: &mut dyn Sink) -> Result<(), String> {
        let n = self
            .epoll
            .wait(&mut self.events, timeout_ms)
            .map_err(|e| format!("epoll_wait: {e}"))?;
        for i in 0..n {
            let Ready { events, u64: token } = self.events[i];
            let id = usize::try_from(token).unwrap_or(usize::MAX);
            self.handle(id, events, sink)?;
        }
        Ok(())
    }

    fn handle(&mut self, id: usize, events: u32, sink: &mut dyn Sink) -> Result<(), String> {
        let now = self.clock.now();
        let Some(conn) = self.conns.get_mut(id).and_then(Option::as_mut) else {
            return Ok(());
        };
        let before = conn.state();
        if events & (OUT | libc::EPOLLERR as u32) != 0 {
            conn.on_writable()?;
        }
        let mut flow = Flow::Continue;
        if events & (IN | libc::EPOLLHUP as u32 | libc::EPOLLERR as u32) != 0 {
            flow = conn.on_readable(&self.shared, &mut self.buf, now, sink)?;
        }
        if matches!(before, State::Connecting | State::Handshaking)
            && matches!(conn.state(), State::Open | State::Closing)
        {
            self.pending -= 1;
        }
        match flow {
            Flow::Continue => self.sync_interest(id),
            Flow::Closed { clean } => {
                self.remove(id);
                sink.closed(clean, now);
                Ok(())
            }
        }
    }

    /// Flushes connection `id` and arms or disarms EPOLLOUT to match what remains queued.
    fn sync_interest(&mut self, id: usize) -> Result<(), String> {
        let Some(conn) = self.conns.get_mut(id).and_then(Option::as_mut) else {
            return Ok(());
        };
        let pending = conn.flush()?;
        if pending != conn.wants_write {
            let events = if pending { IN | OUT } else { IN };
            self.epoll
                .modify(conn.fd(), id as u64, events)
                .map_err(|e| format!("epoll mod: {e}"))?;
            conn.wants_write = pending;
        }
        Ok(())
    }

    fn remove(&mut self, id: usize) {
        if let Some(conn) = self.conns.get_mut(id).and_then(Option::take) {
            if matches!(conn.state(), State::Connecting | State::Handshaking) {
                self.pending -= 1;
            }
            self.live -= 1;
            self.free.push(id);
        }
    }

    /// Calls `f` on every open connection, then flushes them.
    pub fn for_each_open(
        &mut self,
        mut f: impl FnMut(&mut Conn, &Shared) -> Result<(), String>,
    ) -> Result<(), String> {
        for id in 0..self.conns.len() {
            if let Some(conn) = self.conns[id].as_mut().filter(|c| c.state() == State::Open) {
                f(conn, &self.shared)?;
                self.sync_interest(id)?;
            }
        }
        Ok(())
    }

    /// Sum of messages in flight over all connections.
    pub fn inflight(&self) -> usize {
        self.conns.iter().flatten().map(Conn::inflight).sum()
    }

    /// Pings received over all live connections.
    pub fn pings(&self) -> u64 {
        self.conns.iter().flatten().map(|c| c.pings).sum()
    }

    /// Polls until `until` (run clock) or until `done` holds.
    pub fn run_until(
        &mut self,
        until: u64,
        sink: &mut dyn Sink,
        done: &dyn Fn(&Self) -> bool,
    ) -> Result<bool, String> {
        loop {
            if done(self) {
                return Ok(true);
            }
            let now = self.clock.now();
            if now >= until {
                return Ok(false);
            }
            let ms = ((until - now) / 1_000_000).clamp(1, 100);
            self.poll(i32::try_from(ms).unwrap_or(100), sink)?;
        }
    }

    /// Sends a close frame on every open connection and waits up to `timeout_ns` for the
    /// server's close frame and TCP close. Returns how many did not close cleanly in time.
    pub fn close_all(&mut self, timeout_ns: u64, sink: &mut dyn Sink) -> Result<usize, String> {
        self.for_each_open(|c, _| {
            c.start_close();
            Ok(())
        })?;
        let until = self.clock.now() + timeout_ns;
        self.run_until(until, sink, &|d| d.live == 0)?;
        let stuck = self.live;
        for id in 0..self.conns.len() {
            self.remove(id);
        }
        Ok(stuck)
    }
}
