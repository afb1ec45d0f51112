//! The receive side of a connection: a resumable parser of the server's frames (any split of the
//! byte stream, headers included) that checks every data message against the echo it must be.
//!
//! A data message must be the echo of the oldest message in flight (`outstanding > 0`): the
//! opcode of the run, exactly `size` bytes, and the bytes of message number `seq` — streamed
//! against the pattern as they arrive, or inflated first when RSV1 is set. Fragmented echoes and
//! control frames between fragments are accepted. Verified echoes and control frames come out
//! as `Event`s, in order.

use crate::deflate::Codec;
use crate::frame::{self, Header, MAX_HEADER, OP_CLOSE, OP_CONT, OP_PING, OP_PONG};
use crate::payload::Pattern;

/// What a chunk of input produced.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Event {
    /// A verified echo (of the oldest message in flight).
    Echo {
        /// It arrived compressed.
        compressed: bool,
    },
    /// A ping with its payload.
    Ping(Vec<u8>),
    /// A pong.
    Pong,
    /// A close frame with its payload.
    Close(Vec<u8>),
}

#[derive(Debug, Clone, Copy)]
enum State {
    Header {
        buf: [u8; MAX_HEADER],
        len: usize,
    },
    Payload {
        left: u64,
        fin: bool,
        control: Option<u8>,
    },
}

#[derive(Debug, Clone, Copy, Default)]
struct Msg {
    active: bool,
    compressed: bool,
    offset: usize,
}

/// The parser and checker.
#[derive(Debug)]
pub struct Receiver {
    state: State,
    msg: Msg,
    ctrl: Vec<u8>,
    zbuf: Vec<u8>,
    plain: Vec<u8>,
    seq: u64,
    /// Messages sent and not yet echoed; the sender increments it.
    pub outstanding: usize,
}

impl Default for Receiver {
    fn default() -> Self {
        Self {
            state: State::Header {
                buf: [0; MAX_HEADER],
                len: 0,
            },
            msg: Msg::default(),
            ctrl: Vec::new(),
            zbuf: Vec::new(),
            plain: Vec::new(),
            seq: 0,
            outstanding: 0,
        }
    }
}

/// What the checks need besides the bytes.
pub struct Ctx<'a> {
    /// The payload every message carries.
    pub pattern: &'a Pattern,
    /// The connection's permessage-deflate state, if negotiated.
    pub codec: Option<&'a mut Codec>,
}

impl Receiver {
    /// Parses `data`, appending what it completes to `events`.
    pub fn feed(
        &mut self,
        mut data: &[u8],
        cx: &mut Ctx<'_>,
        events: &mut Vec<Event>,
    ) -> Result<(), String> {
        while !data.is_empty() {
            data = match self.state {
                State::Header { .. } => self.feed_header(data, cx, events)?,
                State::Payload { left, fin, control } => {
                    let take = usize::try_from(left).unwrap_or(usize::MAX).min(data.len());
                    let (chunk, rest) = data.split_at(take);
                    self.payload_chunk(chunk, cx, control)?;
                    let left = left - take as u64;
                    self.state = State::Payload { left, fin, control };
                    if left == 0 {
                        self.frame_end(cx, events)?;
                    }
                    rest
                }
            };
        }
        Ok(())
    }

    fn feed_header<'d>(
        &mut self,
        data: &'d [u8],
        cx: &mut Ctx<'_>,
        events: &mut Vec<Event>,
    ) -> Result<&'d [u8], String> {
        let State::Header { mut buf, len } = self.state else {
            return Ok(data);
        };
        if len == 0 {
            if let Some(h) = frame::decode_server(data)? {
                self.begin_frame(h, cx, events)?;
                return Ok(&data[h.size..]);
            }
        }
        let take = (MAX_HEADER - len).min(data.len());
        buf[len..len + take].copy_from_slice(&data[..take]);
        match frame::decode_server(&buf[..len + take])? {
            Some(h) => {
                self.begin_frame(h, cx, events)?;
                Ok(&data[h.size - len..])
            }
            None => {
                self.state = State::Header {
                    buf,
                    len: len + take,
                };
                Ok(&data[take..])
            }
        }
    }

    fn begin_frame(
        &mut self,
        h: Header,
        cx: &mut Ctx<'_>,
        events: &mut Vec<Event>,
    ) -> Result<(), String> {
        let control = (h.opcode >= OP_CLOSE).then_some(h.opcode);
        if control.is_none() {
            self.begin_data(&h, cx)?;
        }
        self.ctrl.clear();
        self.state = State::Payload {
            left: h.len,
            fin: h.fin,
            control,
        };
        if h.len == 0 {
            self.frame_end(cx, events)?;
        }
        Ok(())
    }

    fn begin_data(&mut self, h: &Header, cx: &Ctx<'_>) -> Result<(), String> {
        let opcode = cx.pattern.opcode();
        if h.opcode == OP_CONT {
            if !self.msg.active || h.rsv1 {
                return Err("unexpected continuation frame".into());
            }
        } else if self.msg.active {
            return Err("new message inside a fragmented message".into());
        } else if self.outstanding == 0 {
            return Err("unsolicited message from the server".into());
        } else if h.opcode != opcode {
            return Err(format!("echo opcode {:#x}, sent {opcode:#x}", h.opcode));
        } else if h.rsv1 && cx.codec.is_none() {
            return Err("RSV1 set without permessage-deflate".into());
        } else {
            self.msg = Msg {
                active: true,
                compressed: h.rsv1,
                offset: 0,
            };
            self.zbuf.clear();
        }
        let size = cx.pattern.size();
        let (limit, used) = match self.msg.compressed {
            true => (2 * size + 64, self.zbuf.len()),
            false => (size, self.msg.offset),
        };
        if h.len > (limit - used) as u64 {
            return Err(format!("echo longer than the {size} bytes sent"));
        }
        Ok(())
    }

    fn payload_chunk(
        &mut self,
        chunk: &[u8],
        cx: &Ctx<'_>,
        control: Option<u8>,
    ) -> Result<(), String> {
        if control.is_some() {
            self.ctrl.extend_from_slice(chunk);
        } else if self.msg.compressed {
            self.zbuf.extend_from_slice(chunk);
        } else if cx.pattern.matches(self.seq, self.msg.offset, chunk) {
            self.msg.offset += chunk.len();
        } else {
            let (from, to) = (self.msg.offset, self.msg.offset + chunk.len());
            return Err(format!(
                "echo payload mismatch (message {}, bytes {from}..{to})",
                self.seq
            ));
        }
        Ok(())
    }

    fn frame_end(&mut self, cx: &mut Ctx<'_>, events: &mut Vec<Event>) -> Result<(), String> {
        let State::Payload { fin, control, .. } = self.state else {
            return Ok(());
        };
        self.state = State::Header {
            buf: [0; MAX_HEADER],
            len: 0,
        };
        match control {
            Some(OP_PING) => events.push(Event::Ping(self.ctrl.clone())),
            Some(OP_PONG) => events.push(Event::Pong),
            Some(_) => events.push(Event::Close(self.ctrl.clone())),
            None if fin => events.push(self.finish_message(cx)?),
            None => {}
        }
        Ok(())
    }

    fn finish_message(&mut self, cx: &mut Ctx<'_>) -> Result<Event, String> {
        let Msg {
            compressed, offset, ..
        } = std::mem::take(&mut self.msg);
        let size = cx.pattern.size();
        if compressed {
            let codec = cx.codec.as_deref_mut().ok_or("no codec")?;
            codec.decompress(&self.zbuf, size, &mut self.plain)?;
            if self.plain.len() != size || !cx.pattern.matches(self.seq, 0, &self.plain) {
                return Err(format!("inflated echo mismatch (message {})", self.seq));
            }
        } else if offset != size {
            return Err(format!("echo of {offset} bytes, sent {size}"));
        }
        self.seq += 1;
        self.outstanding -= 1;
        Ok(Event::Echo { compressed })
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::handshake::Deflate;
    use crate::payload::Kind;

    fn server_frame(b0: u8, payload: &[u8]) -> Vec<u8> {
        let mut f = Vec::new();
        frame::encode_client(&mut f, b0 & 0x0f, b0 & 0x40 != 0, payload.len(), [0; 4]);
        f[0] = b0;
        f[1] &= 0x7f;
        f.truncate(f.len() - 4);
        f.extend_from_slice(payload);
        f
    }

    fn message(p: &Pattern, seq: u64) -> Vec<u8> {
        let mut m = Vec::new();
        p.write_message(seq, &mut m);
        m
    }

    fn run(p: &Pattern, outstanding: usize, wire: &[u8], cut: usize) -> Result<Vec<Event>, String> {
        let mut rx = Receiver {
            outstanding,
            ..Receiver::default()
        };
        let mut events = Vec::new();
        let mut cx = Ctx {
            pattern: p,
            codec: None,
        };
        rx.feed(&wire[..cut], &mut cx, &mut events)?;
        rx.feed(&wire[cut..], &mut cx, &mut events)?;
        Ok(events)
    }

    #[test]
    fn feed_accepts_echoes_split_at_every_byte() {
        let p = Pattern::new(Kind::Text, 300);
        let mut wire = server_frame(0x81, &message(&p, 0));
        wire.extend(server_frame(0x81, &message(&p, 1)));
        for cut in 0..=wire.len() {
            let events = run(&p, 2, &wire, cut).unwrap();
            assert_eq!(
                events,
                vec![Event::Echo { compressed: false }; 2],
                "cut {cut}"
            );
        }
    }

    #[test]
    fn feed_accepts_fragmented_echo_with_ping_between_fragments() {
        let p = Pattern::new(Kind::Binary, 70_000);
        let msg = message(&p, 0);
        let mut wire = server_frame(0x02, &msg[..1000]);
        wire.extend(server_frame(0x89, b"hi"));
        wire.extend(server_frame(0x80, &msg[1000..]));
        let events = run(&p, 1, &wire, 3).unwrap();
        assert_eq!(
            events,
            vec![
                Event::Ping(b"hi".to_vec()),
                Event::Echo { compressed: false }
            ]
        );
    }

    #[test]
    fn feed_wrong_sequence_fails() {
        let p = Pattern::new(Kind::Text, 64);
        let wire = server_frame(0x81, &message(&p, 1));
        assert!(run(&p, 2, &wire, 10).unwrap_err().contains("mismatch"));
    }

    #[test]
    fn feed_wrong_opcode_fails() {
        let p = Pattern::new(Kind::Text, 64);
        let wire = server_frame(0x82, &message(&p, 0));
        assert!(run(&p, 1, &wire, 0).is_err());
    }

    #[test]
    fn feed_short_or_long_echo_fails() {
        let p = Pattern::new(Kind::Text, 64);
        let msg = message(&p, 0);
        assert!(run(&p, 1, &server_frame(0x81, &msg[..63]), 0).is_err());
        let mut long = msg.clone();
        long.push(b'a');
        assert!(run(&p, 1, &server_frame(0x81, &long), 0).is_err());
    }

    #[test]
    fn feed_unsolicited_message_fails() {
        let p = Pattern::new(Kind::Text, 64);
        let wire = server_frame(0x81, &message(&p, 0));
        assert!(run(&p, 0, &wire, 0).unwrap_err().contains("unsolicited"));
    }

    #[test]
    fn feed_close_frame_is_reported() {
        let p = Pattern::new(Kind::Text, 64);
        let events = run(&p, 0, &server_frame(0x88, &[3, 232]), 1).unwrap();
        assert_eq!(events, vec![Event::Close(vec![3, 232])]);
    }

    #[test]
    fn feed_inflates_compressed_echo() {
        let p = Pattern::new(Kind::Text, 64);
        let mut server = Codec::new(Deflate::default());
        let mut client = Codec::new(Deflate::default());
        let mut rx = Receiver {
            outstanding: 2,
            ..Receiver::default()
        };
        let mut events = Vec::new();
        for seq in 0..2 {
            let mut z = Vec::new();
            server.compress(&message(&p, seq), &mut z).unwrap();
            let mut cx = Ctx {
                pattern: &p,
                codec: Some(&mut client),
            };
            rx.feed(&server_frame(0xC1, &z), &mut cx, &mut events)
                .unwrap();
        }
        assert_eq!(events, vec![Event::Echo { compressed: true }; 2]);
    }

    #[test]
    fn feed_rsv1_without_deflate_fails() {
        let p = Pattern::new(Kind::Text, 64);
        assert!(run(&p, 1, &server_frame(0xC1, b"xx"), 0).is_err());
    }
}
