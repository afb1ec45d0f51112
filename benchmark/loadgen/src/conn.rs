//! One client connection and its strict echo check.
//!
//! ```text
//!  Connecting ──writable──▶ Handshaking ──valid 101──▶ Open ──start_close──▶ Closing
//!                                                        │                     │
//!                                                  (EOF = error)   close frame + EOF = clean
//! ```
//!
//! The frames the server sends are parsed and checked by `rx::Receiver`: every data message must
//! be the echo of the oldest message in flight, byte for byte. Anything else — an unsolicited
//! message, a mismatch, a masked server frame, an unexpected close — is an error that ends the
//! run. Pings are answered with pongs, as any client must.

use std::collections::VecDeque;
use std::io;

use crate::deflate::Codec;
use crate::frame::{self, OP_PONG};
use crate::handshake::{self, Answer, Request};
use crate::outq::OutQ;
use crate::payload::Pattern;
use crate::rx::{Ctx, Event, Receiver};
use crate::sys::{self, Fd};

/// Messages larger than this are written from the masked template with `writev`.
const INLINE_MAX: usize = 16 * 1024;

/// Run-wide settings every connection shares.
#[derive(Debug)]
pub struct Shared {
    /// The payload of every message.
    pub pattern: Pattern,
    /// Offer permessage-deflate and send compressed messages.
    pub deflate: bool,
    /// `Host` header value (without port).
    pub host: String,
    /// Server port.
    pub port: u16,
}

/// Connection state (see the module doc).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum State {
    /// TCP connect in progress.
    Connecting,
    /// Upgrade request sent, waiting for the 101.
    Handshaking,
    /// Handshake done.
    Open,
    /// Close frame sent.
    Closing,
}

/// What a read produced.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Flow {
    /// Keep the connection.
    Continue,
    /// The connection ended; `clean` when the server answered our close frame.
    Closed {
        /// Whether the close handshake completed.
        clean: bool,
    },
}

/// Receives a connection's events.
pub trait Sink {
    /// The handshake completed.
    fn opened(&mut self, conn: &mut Conn, shared: &Shared, now: u64) -> Result<(), String>;
    /// A verified echo of a message sent at `sent` arrived at `now`.
    fn echoed(
        &mut self,
        conn: &mut Conn,
        shared: &Shared,
        sent: u64,
        now: u64,
        compressed: bool,
    ) -> Result<(), String>;
    /// A connection ended.
    fn closed(&mut self, clean: bool, now: u64);
}

/// A client connection.
#[derive(Debug)]
pub struct Conn {
    fd: Fd,
    state: State,
    req: Request,
    hs: Vec<u8>,
    out: OutQ,
    key: [u8; 4],
    template: Vec<u8>,
    tx_seq: u64,
    sent_at: VecDeque<u64>,
    rx: Receiver,
    events: Vec<Event>,
    zbuf: Vec<u8>,
    scratch: Vec<u8>,
    codec: Option<Codec>,
    got_close: bool,
    /// When the connect started (ns on the run clock).
    pub started: u64,
    /// Pings the server sent.
    pub pings: u64,
    /// Whether EPOLLOUT is currently requested.
    pub wants_write: bool,
}

impl Conn {
    /// A connection on `fd` (connect started at `now`; `connected` if it already completed).
    pub fn new(fd: Fd, connected: bool, shared: &Shared, now: u64) -> Self {
        let mut key = [0u8; 4];
        sys::random_bytes(&mut key);
        let template = match shared.deflate {
            true => Vec::new(),
            false => shared.pattern.masked_template(key),
        };
        let mut conn = Self {
            fd,
            state: State::Connecting,
            req: handshake::request(&shared.host, shared.port, shared.deflate),
            hs: Vec::new(),
            out: OutQ::default(),
            key,
            template,
            tx_seq: 0,
            sent_at: VecDeque::new(),
            rx: Receiver::default(),
            events: Vec::new(),
            zbuf: Vec::new(),
            scratch: Vec::new(),
            codec: None,
            got_close: false,
            started: now,
            pings: 0,
            wants_write: true,
        };
        if connected {
            conn.send_request();
        }
        conn
    }

    /// The socket.
    pub fn fd(&self) -> &Fd {
        &self.fd
    }

    /// The current state.
    pub fn state(&self) -> State {
        self.state
    }

    /// Messages sent and not yet echoed.
    pub fn inflight(&self) -> usize {
        self.sent_at.len()
    }

    fn send_request(&mut self) {
        let bytes = &self.req.bytes;
        self.out.push_inline(|v| v.extend_from_slice(bytes));
        self.state = State::Handshaking;
    }

    /// Handles writability: completes a pending connect, then writes what is queued.
    pub fn on_writable(&mut self) -> Result<(), String> {
        if self.state == State::Connecting {
            sys::take_error(&self.fd).map_err(|e| format!("connect failed: {e}"))?;
            self.send_request();
        }
        Ok(())
    }

    /// Writes queued bytes (one syscall). Returns whether bytes remain queued.
    pub fn flush(&mut self) -> Result<bool, String> {
        if self.state == State::Connecting {
            return Ok(true);
        }
        match self.out.flush(&self.fd, &self.template) {
            Ok(done) => Ok(!done),
            Err(e) if self.state == State::Closing => Err(format!("write while closing: {e}")),
            Err(e) => Err(format!("write failed: {e}")),
        }
    }

    /// Queues message number `tx_seq` (sent at `now`).
    pub fn send_message(&mut self, shared: &Shared, now: u64) -> Result<(), String> {
        let seq = self.tx_seq;
        self.tx_seq += 1;
        self.sent_at.push_back(now);
        self.rx.outstanding += 1;
        if shared.deflate {
            return self.send_compressed(shared, seq);
        }
        let p = &shared.pattern;
        let (size, seq_len, key) = (p.size(), p.seq_len(), self.key);
        if size <= INLINE_MAX {
            let template = &self.template;
            self.out
                .push_inline(|v| p.write_masked_frame(seq, key, template, v));
            return Ok(());
        }
        let field = p.masked_seq_field(seq, key);
        self.out.push_inline(|v| {
            frame::encode_client(v, p.opcode(), false, size, key);
            v.extend_from_slice(&field[..seq_len]);
        });
        self.out.push_template(seq_len, size);
        Ok(())
    }

    fn send_compressed(&mut self, shared: &Shared, seq: u64) -> Result<(), String> {
        let codec = self.codec.as_mut().ok_or("deflate not negotiated")?;
        self.scratch.clear();
        shared.pattern.write_message(seq, &mut self.scratch);
        self.zbuf.clear();
        codec.compress(&self.scratch, &mut self.zbuf)?;
        let (key, wire) = (self.key, &mut self.zbuf);
        frame::mask(wire, key, 0);
        let opcode = shared.pattern.opcode();
        self.out.push_inline(|v| {
            frame::encode_client(v, opcode, true, wire.len(), key);
            v.extend_from_slice(wire);
        });
        self.zbuf.clear();
        Ok(())
    }

    /// Starts the closing handshake (close frame with code 1000).
    pub fn start_close(&mut self) {
        if self.state != State::Open {
            return;
        }
        let key = self.key;
        self.out.push_inline(|v| frame::encode_close(v, 1000, key));
        self.state = State::Closing;
    }

    /// Handles readability: one `read` into `buf`, then the handshake or the frames in it.
    pub fn on_readable(
        &mut self,
        shared: &Shared,
        buf: &mut [u8],
        now: u64,
        sink: &mut dyn Sink,
    ) -> Result<Flow, String> {
        let n = match sys::read(&self.fd, buf) {
            Ok(0) => return self.on_eof(),
            Ok(n) => n,
            Err(e) if e.kind() == io::ErrorKind::WouldBlock => return Ok(Flow::Continue),
            Err(_) if self.state == State::Closing => return Ok(Flow::Closed { clean: false }),
            Err(e) => return Err(format!("read failed ({:?}): {e}", self.state)),
        };
        match self.state {
            State::Connecting => Err("data before connect completed".into()),
            State::Handshaking => self.on_handshake_bytes(shared, &buf[..n], now, sink),
            State::Open | State::Closing => self.feed(shared, &buf[..n], now, sink),
        }
        .map(|()| Flow::Continue)
    }

    fn on_eof(&mut self) -> Result<Flow, String> {
        match self.state {
            State::Closing => Ok(Flow::Closed {
                clean: self.got_close,
            }),
            state => Err(format!("server closed the TCP connection while {state:?}")),
        }
    }

    fn on_handshake_bytes(
        &mut self,
        shared: &Shared,
        data: &[u8],
        now: u64,
        sink: &mut dyn Sink,
    ) -> Result<(), String> {
        self.hs.extend_from_slice(data);
        let Answer::Accepted { consumed, deflate } =
            handshake::parse(&self.hs, &self.req, shared.deflate)?
        else {
            return Ok(());
        };
        match (shared.deflate, deflate) {
            (true, None) => return Err("server declined permessage-deflate".into()),
            (_, params) => self.codec = params.map(Codec::new),
        }
        self.state = State::Open;
        let rest = std::mem::take(&mut self.hs).split_off(consumed);
        self.feed(shared, &rest, now, sink)?;
        sink.opened(self, shared, now)
    }

    fn feed(
        &mut self,
        sh: &Shared,
        data: &[u8],
        now: u64,
        sink: &mut dyn Sink,
    ) -> Result<(), String> {
        let mut events = std::mem::take(&mut self.events);
        let mut cx = Ctx {
            pattern: &sh.pattern,
            codec: self.codec.as_mut(),
        };
        self.rx.feed(data, &mut cx, &mut events)?;
        for event in events.drain(..) {
            self.on_event(event, sh, now, sink)?;
        }
        self.events = events;
        Ok(())
    }

    fn on_event(
        &mut self,
        event: Event,
        sh: &Shared,
        now: u64,
        sink: &mut dyn Sink,
    ) -> Result<(), String> {
        match event {
            Event::Echo { compressed } => {
                let sent = self
                    .sent_at
                    .pop_front()
                    .ok_or("echo without a message in flight")?;
                sink.echoed(self, sh, sent, now, compressed)
            }
            Event::Ping(mut body) => {
                self.pings += 1;
                let key = self.key;
                frame::mask(&mut body, key, 0);
                self.out.push_inline(|v| {
                    frame::encode_client(v, OP_PONG, false, body.len(), key);
                    v.extend_from_slice(&body);
                });
                Ok(())
            }
            Event::Pong => Ok(()),
            Event::Close(_) if self.state == State::Closing => {
                self.got_close = true;
                Ok(())
            }
            Event::Close(body) => Err(format!("server sent a close frame {body:?}")),
        }
    }
}
