//! The native driver's socket-level code (`ferrows_node::fuzzing`: the read
//! step, flushing, write-through) over a scripted socket: peer bytes in
//! arbitrary chunks, short writes, would-block, resets and EOF. Everything
//! the socket took must parse, after the handshake preface, as exactly the
//! frames of what was sent (a prefix once the socket broke), with
//! `written_total` equal to the bytes taken; every message the peer sent must
//! arrive intact, in order (unless raw garbage was mixed in).
#![no_main]

use std::collections::VecDeque;

use arbitrary::Arbitrary;
use ferrows_core::frame::DataKind;
use ferrows_core::protocol::{Config, EventHandler, Payload, SendOptions};
use ferrows_core::{Client, Connection, Role, Server};
use ferrows_node::batch::{Batch, Kind, RECORD};
use ferrows_node::engine::Engine;
use ferrows_node::fuzzing::{read_into, MockSocket, ReadOp, ReadResult, WriteOp};
use libfuzzer_sys::fuzz_target;

const PREFACE: &[u8] = b"HTTP/1.1 101 Switching Protocols\r\n\r\n";

#[derive(Arbitrary, Debug)]
enum Step {
    /// The peer sends a message.
    PeerSends(Msg),
    /// Raw bytes from the peer, valid frames or not.
    PeerGarbage(Vec<u8>),
    /// One read: `Chunk(n)`, would block, EOF or reset.
    Read(Rd),
    /// The application sends; `true` writes it through as the driver does.
    Send(Msg, bool),
    Ping(u8),
    Close(u16),
    /// A flush with these write outcomes scripted.
    Flush(Vec<Wr>),
}

/// A message of `len` bytes of `fill` (times 16 when `big`).
#[derive(Arbitrary, Debug, Clone, Copy)]
struct Msg {
    binary: bool,
    len: u16,
    big: bool,
    fill: u8,
}

#[derive(Arbitrary, Debug, Clone, Copy)]
enum Rd {
    Chunk(u16),
    WouldBlock,
    Eof,
    Reset,
}

#[derive(Arbitrary, Debug, Clone, Copy)]
enum Wr {
    Accept(u16),
    Reset,
}

#[derive(Arbitrary, Debug)]
struct Input {
    server: bool,
    steps: Vec<Step>,
}

/// Collects data messages.
#[derive(Default)]
struct Messages(Vec<(DataKind, Vec<u8>)>);

impl EventHandler for Messages {
    fn message(&mut self, kind: DataKind, payload: Payload<'_>) {
        self.0.push((kind, payload.as_slice().to_vec()));
    }
}

/// The test's side of the run: the socket, the peer and what each side sent.
struct Run {
    engine: Engine,
    sock: MockSocket,
    batch: Batch,
    peer: Peer,
    /// Messages the engine accepted to send, in order.
    sent: Vec<(DataKind, Vec<u8>)>,
    /// Messages the peer sent that the engine has not reported yet.
    expected: VecDeque<(DataKind, Vec<u8>)>,
    garbage: bool,
    /// The driver would have destroyed the connection (or stopped reading).
    dead: bool,
    read_eof: bool,
    now: u64,
}

enum Peer {
    Client(Connection<Client>),
    Server(Connection<Server>),
}

fn drain<R: Role>(c: &mut Connection<R>, out: &mut VecDeque<u8>) {
    let mut buf = Vec::new();
    loop {
        let mut slices = [std::io::IoSlice::new(&[]); 16];
        let count = c.io_slices(&mut slices);
        if count == 0 {
            break;
        }
        let before = buf.len();
        slices[..count]
            .iter()
            .for_each(|s| buf.extend_from_slice(s));
        c.advance_written(buf.len() - before);
    }
    out.extend(buf);
}

impl Msg {
    fn payload(&self) -> (DataKind, Vec<u8>) {
        let len = usize::from(self.len) * if self.big { 16 } else { 1 };
        if self.binary {
            (DataKind::Binary, vec![self.fill; len])
        } else {
            // Text stays valid UTF-8: ASCII only.
            (DataKind::Text, vec![self.fill & 0x7f; len])
        }
    }
}

impl Run {
    fn new(server: bool) -> Self {
        let mut engine = Engine::new(server, Config::default());
        if let Engine::Server(c) = &mut engine {
            c.send_raw(PREFACE);
        }
        let peer = if server {
            Peer::Client(Connection::new(Config::default()))
        } else {
            Peer::Server(Connection::new(Config::default()))
        };
        let (sent, expected) = (Vec::new(), VecDeque::new());
        let (sock, batch) = (MockSocket::default(), Batch::default());
        let (garbage, dead, read_eof, now) = (false, false, false, 0);
        Self {
            engine,
            sock,
            batch,
            peer,
            sent,
            expected,
            garbage,
            dead,
            read_eof,
            now,
        }
    }

    fn step(&mut self, step: &Step) {
        self.now += 1;
        match *step {
            Step::PeerSends(msg) => self.peer_sends(msg.payload()),
            Step::PeerGarbage(ref bytes) => {
                self.garbage = true;
                self.sock.incoming.extend(bytes);
            }
            Step::Read(rd) => self.read(rd),
            Step::Send(msg, through) => self.send(msg.payload(), through),
            Step::Ping(n) => {
                let _ = self.engine.control(
                    false,
                    &vec![n; usize::from(n % 126)],
                    SendOptions::default(),
                );
            }
            Step::Close(code) => {
                let _ = self.engine.close(
                    Some(code % 1000 + 3000),
                    b"bye",
                    self.now,
                    SendOptions::default(),
                );
            }
            Step::Flush(ref writes) => self.flush(writes),
        }
        assert_eq!(self.engine.written_total(), self.sock.accepted.len() as u64);
    }

    fn peer_sends(&mut self, (kind, data): (DataKind, Vec<u8>)) {
        let incoming = &mut self.sock.incoming;
        let ok = match &mut self.peer {
            Peer::Client(c) => {
                c.send(kind, &data, SendOptions::default()).is_ok() && {
                    drain(c, incoming);
                    true
                }
            }
            Peer::Server(c) => {
                c.send(kind, &data, SendOptions::default()).is_ok() && {
                    drain(c, incoming);
                    true
                }
            }
        };
        if ok {
            self.expected.push_back((kind, data));
        }
    }

    fn read(&mut self, rd: Rd) {
        if self.dead || self.read_eof {
            return;
        }
        self.sock.reads.push_back(match rd {
            Rd::Chunk(n) => ReadOp::Chunk(usize::from(n) * 8),
            Rd::WouldBlock => ReadOp::WouldBlock,
            Rd::Eof => ReadOp::Eof,
            Rd::Reset => ReadOp::Reset,
        });
        let step = read_into(
            &mut self.engine,
            &mut self.batch,
            7,
            &mut self.sock,
            self.now,
        );
        assert!(!step.panicked, "the engine panicked on input");
        self.check_records(step.before);
        match step.result {
            ReadResult::Data(_) | ReadResult::WouldBlock => {}
            ReadResult::Eof => {
                self.read_eof = true;
                self.engine.receive_eof();
            }
            ReadResult::Failed(_) => self.dead = true,
        }
    }

    /// Every message record carries exactly the next message the peer sent.
    fn check_records(&mut self, before: usize) {
        let records = self.batch.records()[before * RECORD..].to_vec();
        for r in records.chunks(RECORD) {
            assert_eq!(r[0], 7);
            let kind = match r[1] {
                k if k == Kind::Text as i32 => DataKind::Text,
                k if k == Kind::Binary as i32 => DataKind::Binary,
                k if k == Kind::Error as i32 || k == Kind::Abort as i32 => {
                    assert!(self.garbage, "an error from valid frames: {r:?}");
                    continue;
                }
                _ => continue,
            };
            let (offset, len) = (r[2] as usize, r[3] as usize);
            let got = &self.batch.payload()[offset..offset + len];
            if !self.garbage {
                let (want_kind, want) = self.expected.pop_front().expect("a message nobody sent");
                assert_eq!((kind, got), (want_kind, &want[..]));
            }
        }
        self.batch.clear();
    }

    fn send(&mut self, (kind, data): (DataKind, Vec<u8>), through: bool) {
        if self.dead {
            return;
        }
        let opts = SendOptions::default();
        let result = if through {
            self.engine.send_through(kind, &data, opts, &mut self.sock)
        } else {
            self.engine.send(kind, &data, opts)
        };
        if result.is_ok() {
            self.sent.push((kind, data));
        }
    }

    fn flush(&mut self, writes: &[Wr]) {
        if self.dead {
            return;
        }
        self.sock.writes.clear();
        self.sock.writes.extend(writes.iter().map(|w| match *w {
            Wr::Accept(n) => WriteOp::Accept(usize::from(n) * 4),
            Wr::Reset => WriteOp::Reset,
        }));
        self.engine.commit_replies(self.now);
        let before = self.sock.accepted.len();
        match self.engine.flush_to(&mut self.sock) {
            Ok(n) => assert_eq!(n, self.sock.accepted.len() - before),
            Err(_) => {
                assert!(self.sock.reset);
                self.dead = true;
            }
        }
    }

    /// Ends the run: reads and writes whatever is left, then checks both directions.
    fn finish(mut self) {
        while !self.dead && !self.read_eof && !self.sock.incoming.is_empty() {
            self.read(Rd::Chunk(u16::MAX));
        }
        if !self.dead {
            self.flush(&[Wr::Accept(u16::MAX); 64]);
        }
        if !self.dead && self.engine.pending_bytes() == 0 && !self.garbage && !self.read_eof {
            assert!(
                self.expected.is_empty(),
                "peer messages lost: {}",
                self.expected.len()
            );
        }
        let complete = !self.sock.reset && self.engine.pending_bytes() == 0;
        check_wire(
            &self.sock.accepted,
            matches!(self.engine, Engine::Server(_)),
            &self.sent,
            complete,
        );
    }
}

/// Parses what the socket took as the peer would and compares it with what was sent.
fn check_wire(wire: &[u8], server: bool, sent: &[(DataKind, Vec<u8>)], complete: bool) {
    let mut wire = wire.to_vec();
    let mut frames = &mut wire[..];
    if server {
        let n = PREFACE.len().min(frames.len());
        assert_eq!(&frames[..n], &PREFACE[..n]);
        frames = &mut frames[n..];
    }
    let mut got = Messages::default();
    if server {
        Connection::<Client>::new(Config::default()).receive(frames, 0, &mut got);
    } else {
        Connection::<Server>::new(Config::default()).receive(frames, 0, &mut got);
    }
    assert!(
        got.0.len() <= sent.len(),
        "more messages on the wire than sent"
    );
    assert_eq!(
        &got.0[..],
        &sent[..got.0.len()],
        "the wire is not what was sent"
    );
    if complete {
        assert_eq!(
            got.0.len(),
            sent.len(),
            "sent messages missing from the wire"
        );
    }
}

fuzz_target!(|input: Input| {
    let mut run = Run::new(input.server);
    for step in input.steps.iter().take(256) {
        run.step(step);
    }
    run.finish();
});
