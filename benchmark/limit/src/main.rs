//! `ferrows-limit [port]`: the per-message floor of this machine. A single-threaded,
//! level-triggered epoll WebSocket echo server doing the least a server can: answer the upgrade
//! (the accept value is computed, because the load generator checks it; nothing else is), unmask
//! and echo every complete frame, one `read` and one `write` per readable event, no UTF-8 check,
//! no limits, no deflate. Prints `ready <port>` once listening.

mod proto;
mod sys;

use std::io::{self, Write as _};

use sys::{Epoll, Fd};

const IN: u32 = libc::EPOLLIN as u32;
const OUT: u32 = libc::EPOLLOUT as u32;
/// First read buffer of a connection.
const READ_INITIAL: usize = 4 * 1024;
/// Largest read buffer grown for throughput (a larger frame grows it to the frame size).
const READ_MAX: usize = 256 * 1024;
/// Compact the buffer when less than this is free after the data.
const MIN_SPARE: usize = 1024;

#[derive(Debug)]
struct Conn {
    fd: Fd,
    inbuf: Vec<u8>,
    start: usize,
    end: usize,
    out: Vec<u8>,
    sent: usize,
    upgraded: bool,
    closing: bool,
    /// EPOLLOUT is requested.
    armed: bool,
}

impl Conn {
    fn new(fd: Fd) -> Self {
        Self {
            fd,
            inbuf: vec![0; READ_INITIAL],
            start: 0,
            end: 0,
            out: Vec::new(),
            sent: 0,
            upgraded: false,
            closing: false,
            armed: false,
        }
    }

    /// Makes room for the next read: compacts when little space is left or the pending frame
    /// (`need` bytes from `start`) does not fit, and doubles the buffer (up to `READ_MAX`, or
    /// the frame size) when the last read filled it.
    fn reserve(&mut self, need: usize, filled: bool) {
        if self.start == self.end {
            (self.start, self.end) = (0, 0);
        }
        let len = self.inbuf.len();
        let grown = if filled {
            (len * 2).min(READ_MAX).max(len)
        } else {
            len
        };
        let target = grown.max(need);
        if target > len || len - self.end < MIN_SPARE || len - self.start < need {
            self.inbuf.copy_within(self.start..self.end, 0);
            (self.start, self.end) = (0, self.end - self.start);
            self.inbuf.resize(target, 0);
        }
    }

    /// One read, then the upgrade or the frames; returns `false` when the peer is gone.
    fn on_readable(&mut self) -> bool {
        let n = match sys::read(&self.fd, &mut self.inbuf[self.end..]) {
            Ok(0) => return false,
            Ok(n) => n,
            Err(e) => return e.kind() == io::ErrorKind::WouldBlock,
        };
        self.end += n;
        let filled = self.end == self.inbuf.len();
        if !self.upgraded {
            let Some(head) = proto::upgrade(&self.inbuf[self.start..self.end], &mut self.out)
            else {
                self.reserve(0, filled);
                return true;
            };
            self.start += head;
            self.upgraded = true;
        }
        let scan = proto::echo_frames(&self.inbuf[self.start..self.end], &mut self.out);
        self.start += scan.consumed;
        self.closing |= scan.close;
        self.reserve(scan.need, filled);
        true
    }

    /// One write of what is queued; returns whether bytes remain.
    fn flush(&mut self) -> io::Result<bool> {
        if self.sent < self.out.len() {
            match sys::write(&self.fd, &self.out[self.sent..]) {
                Ok(n) => self.sent += n,
                Err(e) if e.kind() == io::ErrorKind::WouldBlock => {}
                Err(e) => return Err(e),
            }
        }
        if self.sent == self.out.len() {
            self.out.clear();
            self.sent = 0;
        }
        Ok(!self.out.is_empty())
    }
}

/// Handles an event on a connection; returns `false` to drop the connection.
fn on_event(epoll: &Epoll, conn: &mut Conn, events: u32) -> bool {
    if events & (IN | libc::EPOLLHUP as u32 | libc::EPOLLERR as u32) != 0 && !conn.on_readable() {
        return false;
    }
    let Ok(pending) = conn.flush() else {
        return false;
    };
    if !pending && conn.closing {
        return false;
    }
    if pending != conn.armed {
        conn.armed = pending;
        let interest = if pending { IN | OUT } else { IN };
        return epoll.set(&conn.fd, interest, false).is_ok();
    }
    true
}

fn serve(listener: &Fd, epoll: &Epoll) -> io::Result<()> {
    let mut conns: Vec<Option<Conn>> = Vec::new();
    let mut events = vec![libc::epoll_event { events: 0, u64: 0 }; 1024];
    loop {
        let n = epoll.wait(&mut events)?;
        for ev in &events[..n] {
            let (bits, token) = (ev.events, ev.u64);
            let slot = usize::try_from(token).unwrap_or(usize::MAX);
            if slot == listener.raw() as usize {
                while let Some(fd) = sys::accept(listener)? {
                    epoll.set(&fd, IN, true)?;
                    let idx = fd.raw() as usize;
                    if conns.len() <= idx {
                        conns.resize_with(idx + 1, || None);
                    }
                    conns[idx] = Some(Conn::new(fd));
                }
            } else if let Some(conn) = conns.get_mut(slot).and_then(Option::as_mut) {
                if !on_event(epoll, conn, bits) {
                    conns[slot] = None;
                }
            }
        }
    }
}

#[expect(
    clippy::print_stdout,
    reason = "the readiness line is the program's protocol"
)]
fn main() -> io::Result<()> {
    let port = std::env::args()
        .nth(1)
        .or_else(|| std::env::var("PORT").ok())
        .and_then(|p| p.parse().ok())
        .unwrap_or(0);
    let (listener, port) = sys::listen(port)?;
    let epoll = Epoll::new()?;
    epoll.set(&listener, IN, true)?;
    println!("ready {port}");
    io::stdout().flush()?;
    serve(&listener, &epoll)
}
