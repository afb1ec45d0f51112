//! Protocol-level tests: a scripted peer against [`Connection`].
//!
//! Each test builds wire bytes with [`wire`], feeds them through a
//! [`Harness`] (in one write, byte by byte, or split at random points), and
//! asserts both what the application sees (events) and what the peer sees
//! (the frames the connection writes back).

mod closing;
mod framing;
mod heartbeat;
mod limits;
mod sending;
mod splits;
mod utf8;

use super::*;
use crate::frame::{self, FrameHead};
use crate::role::{Client, Role, Server};

/// Builds frames as a peer would send them.
pub(super) mod wire {
    use super::*;

    pub(crate) const KEY: [u8; 4] = [0x37, 0xfa, 0x21, 0x3d];

    /// One frame; `b0` carries FIN/RSV/opcode as raw bits, so invalid frames
    /// can be built too. Masked with [`KEY`] when `masked`.
    pub(crate) fn raw(b0: u8, payload: &[u8], masked: bool) -> Vec<u8> {
        let opcode = OpCode::from_u4(b0 & 0x0f).unwrap_or(OpCode::Binary);
        let head = FrameHead {
            fin: b0 & 0x80 != 0,
            rsv1: false,
            opcode,
            mask: masked.then_some(KEY),
            payload_len: payload.len() as u64,
        };
        let mut out = frame::encode_header(head).as_slice().to_vec();
        out[0] = b0;
        let start = out.len();
        out.extend_from_slice(payload);
        if masked {
            crate::mask::apply(&mut out[start..], KEY, 0);
        }
        out
    }

    /// A frame the client sends to a server (masked).
    pub(crate) fn to_server(b0: u8, payload: &[u8]) -> Vec<u8> {
        raw(b0, payload, true)
    }

    /// A frame the server sends to a client (unmasked).
    pub(crate) fn to_client(b0: u8, payload: &[u8]) -> Vec<u8> {
        raw(b0, payload, false)
    }

    /// A close payload.
    pub(crate) fn close_payload(code: u16, reason: &[u8]) -> Vec<u8> {
        let mut out = code.to_be_bytes().to_vec();
        out.extend_from_slice(reason);
        out
    }

    /// Several frames back to back.
    pub(crate) fn concat(frames: &[Vec<u8>]) -> Vec<u8> {
        frames.concat()
    }
}

/// A frame as the peer decodes it from our output.
#[derive(Clone, Debug, PartialEq, Eq)]
pub(super) struct OutFrame {
    pub fin: bool,
    pub rsv1: bool,
    pub opcode: u8,
    pub masked: bool,
    pub payload: Vec<u8>,
}

/// Decodes every complete frame in `bytes` (unmasking them).
pub(super) fn decode_output(mut bytes: &[u8]) -> Vec<OutFrame> {
    let mut frames = Vec::new();
    while bytes.len() >= 2 {
        let masked = bytes[1] & 0x80 != 0;
        let (len, mut at) = match bytes[1] & 0x7f {
            126 => (usize::from(u16::from_be_bytes([bytes[2], bytes[3]])), 4),
            127 => (
                u64::from_be_bytes(bytes[2..10].try_into().unwrap()) as usize,
                10,
            ),
            n => (usize::from(n), 2),
        };
        let key = masked.then(|| {
            let k: [u8; 4] = bytes[at..at + 4].try_into().unwrap();
            at += 4;
            k
        });
        let mut payload = bytes[at..at + len].to_vec();
        if let Some(k) = key {
            crate::mask::apply(&mut payload, k, 0);
        }
        frames.push(OutFrame {
            fin: bytes[0] & 0x80 != 0,
            rsv1: bytes[0] & 0x40 != 0,
            opcode: bytes[0] & 0x0f,
            masked,
            payload,
        });
        bytes = &bytes[at + len..];
    }
    frames
}

/// A connection plus the events and output it produced.
pub(super) struct Harness<R: Role> {
    pub conn: Connection<R>,
    pub events: Vec<Event>,
    pub now: u64,
}

impl<R: Role> Harness<R> {
    pub fn new(config: Config) -> Self {
        Self {
            conn: Connection::new(config),
            events: Vec::new(),
            now: 1_000,
        }
    }

    /// Feeds `bytes` as one chunk.
    pub fn feed(&mut self, bytes: &[u8]) -> &mut Self {
        let mut queue = EventQueue::new();
        let mut copy = bytes.to_vec();
        self.conn.receive(&mut copy, self.now, &mut queue);
        self.events.extend(queue.drain());
        self
    }

    /// Feeds `bytes` split at the given cut points.
    pub fn feed_split(&mut self, bytes: &[u8], cuts: &[usize]) -> &mut Self {
        let mut last = 0;
        for &cut in cuts.iter().chain(std::iter::once(&bytes.len())) {
            let cut = cut.clamp(last, bytes.len());
            self.feed(&bytes[last..cut]);
            last = cut;
        }
        self
    }

    /// Feeds `bytes` split at `cuts` as a driver that reads into the engine
    /// does: through [`Connection::input_spare`] while a partial frame is held.
    pub fn feed_split_spare(&mut self, bytes: &[u8], cuts: &[usize]) -> &mut Self {
        let mut last = 0;
        for &cut in cuts.iter().chain(std::iter::once(&bytes.len())) {
            let chunk = &bytes[last..cut.clamp(last, bytes.len())];
            last += chunk.len();
            if !self.conn.has_partial_input() || chunk.is_empty() {
                self.feed(chunk);
                continue;
            }
            let spare = self.conn.input_spare(chunk.len(), chunk.len());
            assert_eq!(spare.len(), chunk.len(), "input_spare honours min and max");
            for (slot, byte) in spare.iter_mut().zip(chunk) {
                slot.write(*byte);
            }
            let mut queue = EventQueue::new();
            // SAFETY: all `chunk.len()` bytes of the spare room were written
            // just above, with no other call on the connection in between.
            unsafe { self.conn.receive_spare(chunk.len(), self.now, &mut queue) };
            self.events.extend(queue.drain());
        }
        self
    }

    /// Feeds `bytes` one byte at a time.
    pub fn feed_bytewise(&mut self, bytes: &[u8]) -> &mut Self {
        for b in bytes {
            self.feed(std::slice::from_ref(b));
        }
        self
    }

    /// Takes everything the connection wants to write, as raw bytes.
    pub fn take_output(&mut self) -> Vec<u8> {
        let mut out = Vec::new();
        loop {
            let mut slices = [std::io::IoSlice::new(&[]); 8];
            let n = self.conn.io_slices(&mut slices);
            if n == 0 {
                break;
            }
            let mut written = 0;
            for s in &slices[..n] {
                out.extend_from_slice(s);
                written += s.len();
            }
            self.conn.advance_written(written);
        }
        out
    }

    /// Takes the output decoded as frames.
    pub fn take_frames(&mut self) -> Vec<OutFrame> {
        decode_output(&self.take_output())
    }

    /// The single close frame written, as (code, reason); `None` code for an empty one.
    pub fn take_close(&mut self) -> (Option<u16>, Vec<u8>) {
        let frames = self.take_frames();
        let close: Vec<_> = frames.iter().filter(|f| f.opcode == 8).collect();
        assert_eq!(close.len(), 1, "expected one close frame, got {frames:?}");
        let p = &close[0].payload;
        if p.is_empty() {
            (None, Vec::new())
        } else {
            (Some(u16::from_be_bytes([p[0], p[1]])), p[2..].to_vec())
        }
    }

    /// The error events seen.
    pub fn errors(&self) -> Vec<Error> {
        self.events
            .iter()
            .filter_map(|e| match e {
                Event::Error(err) => Some(err.clone()),
                _ => None,
            })
            .collect()
    }

    /// The messages seen.
    pub fn messages(&self) -> Vec<(DataKind, Vec<u8>)> {
        self.events
            .iter()
            .filter_map(|e| match e {
                Event::Message(kind, data) => Some((*kind, data.to_vec())),
                _ => None,
            })
            .collect()
    }
}

pub(super) fn server() -> Harness<Server> {
    Harness::new(Config::default())
}

pub(super) fn server_with(limits: Limits) -> Harness<Server> {
    Harness::new(Config {
        limits,
        ..Config::default()
    })
}

pub(super) fn client() -> Harness<Client> {
    Harness::new(Config {
        mask_seed: [9; 32],
        ..Config::default()
    })
}

/// Asserts the connection failed once with `code` (`ws` error code) and
/// wrote one close frame carrying `close_code`, and delivered no message.
pub(super) fn assert_failed<R: Role>(h: &mut Harness<R>, code: &str, close_code: u16) {
    let errors = h.errors();
    assert_eq!(errors.len(), 1, "events: {:?}", h.events);
    assert_eq!(errors[0].code(), code);
    assert_eq!(errors[0].close_code(), close_code);
    assert!(
        h.messages().is_empty(),
        "no message may reach the app: {:?}",
        h.events
    );
    assert_eq!(h.take_close().0, Some(close_code));
    assert!(h.conn.should_shutdown());
    assert!(h.conn.is_input_halted());
}
