//! The bytes of one echo stream, without the I/O: what to send and the strict check of what
//! comes back. The same checks as the HTTP/1.1 generator: WebSocket mode sends masked frames
//! (a random key per stream) and runs every server frame through `rx::Receiver`, so an echo
//! counts only if it is the oldest message in flight, byte for byte, sequence number included;
//! `--raw` mode sends the plain payloads and expects exactly the same bytes back, in order.

use std::collections::VecDeque;

use ferrows_loadgen::frame::{self, OP_PONG};
use ferrows_loadgen::os;
use ferrows_loadgen::payload::Pattern;
use ferrows_loadgen::rx::{Ctx, Event, Receiver};

/// The receive side of `--raw` mode: the byte stream must be the messages sent, in order.
#[derive(Debug, Default)]
pub struct RawReceiver {
    offset: usize,
    seq: u64,
    /// Messages sent and not yet echoed; the sender increments it.
    pub outstanding: usize,
}

impl RawReceiver {
    /// Checks `data` against the messages in flight; returns how many echoes it completed.
    pub fn feed(&mut self, mut data: &[u8], pattern: &Pattern) -> Result<usize, String> {
        let mut done = 0;
        while !data.is_empty() {
            if self.outstanding == 0 {
                return Err("unsolicited bytes from the server".into());
            }
            let take = (pattern.size() - self.offset).min(data.len());
            let (chunk, rest) = data.split_at(take);
            if !pattern.matches(self.seq, self.offset, chunk) {
                let (from, to) = (self.offset, self.offset + take);
                return Err(format!(
                    "echo payload mismatch (message {}, bytes {from}..{to})",
                    self.seq
                ));
            }
            self.offset += take;
            if self.offset == pattern.size() {
                self.offset = 0;
                self.seq += 1;
                self.outstanding -= 1;
                done += 1;
            }
            data = rest;
        }
        Ok(done)
    }
}

/// One stream's echo state.
#[derive(Debug)]
pub struct Session {
    raw: bool,
    key: [u8; 4],
    template: Vec<u8>,
    rx: Receiver,
    raw_rx: RawReceiver,
    events: Vec<Event>,
    sent_at: VecDeque<u64>,
    tx_seq: u64,
    out: Vec<u8>,
    closing: bool,
    /// The server's close frame arrived (after ours).
    pub got_close: bool,
    /// Pings the server sent.
    pub pings: u64,
}

impl Session {
    /// A session sending `pattern`'s messages, as WebSocket frames or `raw`.
    pub fn new(pattern: &Pattern, raw: bool) -> Self {
        let mut key = [0u8; 4];
        os::random_bytes(&mut key);
        let template = match raw {
            true => Vec::new(),
            false => pattern.masked_template(key),
        };
        Self {
            raw,
            key,
            template,
            rx: Receiver::default(),
            raw_rx: RawReceiver::default(),
            events: Vec::new(),
            sent_at: VecDeque::new(),
            tx_seq: 0,
            out: Vec::new(),
            closing: false,
            got_close: false,
            pings: 0,
        }
    }

    /// Messages sent and not yet echoed.
    pub fn inflight(&self) -> usize {
        self.sent_at.len()
    }

    /// Queues the next message (sent at `now`).
    pub fn queue_message(&mut self, pattern: &Pattern, now: u64) {
        let seq = self.tx_seq;
        self.tx_seq += 1;
        self.sent_at.push_back(now);
        if self.raw {
            self.raw_rx.outstanding += 1;
            pattern.write_message(seq, &mut self.out);
        } else {
            self.rx.outstanding += 1;
            pattern.write_masked_frame(seq, self.key, &self.template, &mut self.out);
        }
    }

    /// Queues a close frame (code 1000); after it, the server's close frame is expected.
    pub fn queue_close(&mut self) {
        self.closing = true;
        if !self.raw {
            frame::encode_close(&mut self.out, 1000, self.key);
        }
    }

    /// The bytes queued since the last call, if any.
    pub fn take_output(&mut self) -> Option<Vec<u8>> {
        (!self.out.is_empty()).then(|| std::mem::take(&mut self.out))
    }

    /// Checks `data` from the server; appends the send time of each verified echo to `echoed`,
    /// in order, and queues a pong for each ping.
    pub fn feed(
        &mut self,
        pattern: &Pattern,
        data: &[u8],
        echoed: &mut Vec<u64>,
    ) -> Result<(), String> {
        let echoes = if self.raw {
            self.raw_rx.feed(data, pattern)?
        } else {
            self.feed_frames(pattern, data)?
        };
        for _ in 0..echoes {
            let sent = self
                .sent_at
                .pop_front()
                .ok_or("echo without a message in flight")?;
            echoed.push(sent);
        }
        Ok(())
    }

    fn feed_frames(&mut self, pattern: &Pattern, data: &[u8]) -> Result<usize, String> {
        let mut cx = Ctx {
            pattern,
            codec: None,
        };
        self.rx.feed(data, &mut cx, &mut self.events)?;
        let mut echoes = 0;
        for event in std::mem::take(&mut self.events) {
            match event {
                Event::Echo { .. } => echoes += 1,
                Event::Ping(mut body) => {
                    self.pings += 1;
                    frame::mask(&mut body, self.key, 0);
                    frame::encode_client(&mut self.out, OP_PONG, false, body.len(), self.key);
                    self.out.extend_from_slice(&body);
                }
                Event::Pong => {}
                Event::Close(_) if self.closing => self.got_close = true,
                Event::Close(body) => return Err(format!("server sent a close frame {body:?}")),
            }
        }
        Ok(echoes)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use ferrows_loadgen::payload::Kind;

    /// What an echo server sends back for the client frames in `wire`: every frame unmasked.
    fn server_echo(wire: &[u8]) -> Vec<u8> {
        let mut out = Vec::new();
        let mut rest = wire;
        while !rest.is_empty() {
            let len = match rest[1] & 0x7f {
                126 => usize::from(u16::from_be_bytes([rest[2], rest[3]])),
                n => usize::from(n),
            };
            let head = if rest[1] & 0x7f == 126 { 4 } else { 2 };
            let key: [u8; 4] = rest[head..head + 4].try_into().unwrap();
            let mut body = rest[head + 4..head + 4 + len].to_vec();
            frame::mask(&mut body, key, 0);
            out.push(rest[0]);
            out.push(rest[1] & 0x7f);
            out.extend_from_slice(&rest[2..head]);
            out.extend_from_slice(&body);
            rest = &rest[head + 4 + len..];
        }
        out
    }

    #[test]
    fn raw_receiver_accepts_every_split() {
        let p = Pattern::new(Kind::Binary, 40);
        let mut wire = Vec::new();
        p.write_message(0, &mut wire);
        p.write_message(1, &mut wire);
        for cut in 0..=wire.len() {
            let mut rx = RawReceiver {
                outstanding: 2,
                ..RawReceiver::default()
            };
            let n = rx.feed(&wire[..cut], &p).unwrap() + rx.feed(&wire[cut..], &p).unwrap();
            assert_eq!((n, rx.outstanding), (2, 0), "cut {cut}");
        }
    }

    #[test]
    fn raw_receiver_rejects_reordered_corrupt_or_extra_bytes() {
        let p = Pattern::new(Kind::Text, 64);
        let mut second = Vec::new();
        p.write_message(1, &mut second);
        let mut rx = RawReceiver {
            outstanding: 2,
            ..RawReceiver::default()
        };
        assert!(rx.feed(&second, &p).unwrap_err().contains("mismatch"));
        let mut first = Vec::new();
        p.write_message(0, &mut first);
        first[30] ^= 1;
        let mut rx = RawReceiver {
            outstanding: 1,
            ..RawReceiver::default()
        };
        assert!(rx.feed(&first, &p).is_err());
        first[30] ^= 1;
        first.push(b'x');
        let mut rx = RawReceiver {
            outstanding: 1,
            ..RawReceiver::default()
        };
        assert!(rx.feed(&first, &p).unwrap_err().contains("unsolicited"));
    }

    #[test]
    fn session_round_trip_in_websocket_mode() {
        let p = Pattern::new(Kind::Text, 200);
        let mut s = Session::new(&p, false);
        for t in 0..3 {
            s.queue_message(&p, t);
        }
        let wire = s.take_output().unwrap();
        assert!(s.take_output().is_none());
        let echo = server_echo(&wire);
        let mut echoed = Vec::new();
        s.feed(&p, &echo[..7], &mut echoed).unwrap();
        s.feed(&p, &echo[7..], &mut echoed).unwrap();
        assert_eq!((echoed, s.inflight()), (vec![0, 1, 2], 0));
    }

    #[test]
    fn session_round_trip_in_raw_mode() {
        let p = Pattern::new(Kind::Binary, 4096);
        let mut s = Session::new(&p, true);
        s.queue_message(&p, 5);
        s.queue_message(&p, 6);
        let wire = s.take_output().unwrap();
        assert_eq!(wire.len(), 2 * 4096);
        let mut echoed = Vec::new();
        s.feed(&p, &wire, &mut echoed).unwrap();
        assert_eq!(echoed, vec![5, 6]);
    }

    #[test]
    fn session_answers_pings_and_expects_close_only_after_its_own() {
        let p = Pattern::new(Kind::Text, 64);
        let mut s = Session::new(&p, false);
        let mut echoed = Vec::new();
        s.feed(&p, &[0x89, 1, b'x'], &mut echoed).unwrap();
        let pong = s.take_output().unwrap();
        assert_eq!((pong[0], pong[1], s.pings), (0x8A, 0x81, 1));
        assert!(s.feed(&p, &[0x88, 2, 3, 232], &mut echoed).is_err());
        let mut s = Session::new(&p, false);
        s.queue_close();
        let close = s.take_output().unwrap();
        assert_eq!((close[0], close.len()), (0x88, 8));
        s.feed(&p, &[0x88, 2, 3, 232], &mut echoed).unwrap();
        assert!(s.got_close);
    }

    #[test]
    fn session_websocket_echo_mismatch_fails() {
        let p = Pattern::new(Kind::Text, 64);
        let mut s = Session::new(&p, false);
        s.queue_message(&p, 0);
        let mut echo = server_echo(&s.take_output().unwrap());
        echo[20] ^= 1;
        assert!(s.feed(&p, &echo, &mut Vec::new()).is_err());
    }
}
