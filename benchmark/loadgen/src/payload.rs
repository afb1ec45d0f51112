//! Message payloads: a per-message sequence number followed by a fixed filler, so every echo is
//! checked byte for byte against what was sent — including *which* message it answers (a
//! dropped, duplicated or reordered echo fails).
//!
//! Text payloads are ASCII: 16 lowercase hex digits of the sequence number, then `a..z`.
//! Binary payloads: the sequence number as 8 little-endian bytes, then pseudo-random bytes.
//! Payloads shorter than the sequence field carry the filler only.

use crate::frame::{self, OP_BINARY, OP_TEXT};

/// The message type.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Kind {
    /// Text frames (valid UTF-8 payloads).
    Text,
    /// Binary frames.
    Binary,
}

/// The payload shape of every message of a run.
#[derive(Debug, Clone)]
pub struct Pattern {
    kind: Kind,
    seq_len: usize,
    /// The unmasked payload with a zeroed sequence field.
    plain: Vec<u8>,
}

impl Pattern {
    /// A pattern of `size` bytes of `kind`.
    pub fn new(kind: Kind, size: usize) -> Self {
        let field = match kind {
            Kind::Text => 16,
            Kind::Binary => 8,
        };
        let seq_len = if size >= field { field } else { 0 };
        let mut state = 0x9E37_79B9_7F4A_7C15_u64;
        let plain = (0..size)
            .map(|i| match (i < seq_len, kind) {
                (true, _) => 0,
                (false, Kind::Text) => b'a' + (i % 26) as u8,
                (false, Kind::Binary) => {
                    state ^= state << 13;
                    state ^= state >> 7;
                    state ^= state << 17;
                    state as u8
                }
            })
            .collect();
        Self {
            kind,
            seq_len,
            plain,
        }
    }

    /// The frame opcode of these messages.
    pub fn opcode(&self) -> u8 {
        match self.kind {
            Kind::Text => OP_TEXT,
            Kind::Binary => OP_BINARY,
        }
    }

    /// Payload size in bytes.
    pub fn size(&self) -> usize {
        self.plain.len()
    }

    /// Bytes at the start of the payload that carry the sequence number.
    pub fn seq_len(&self) -> usize {
        self.seq_len
    }

    /// The payload with a zeroed sequence field.
    pub fn plain(&self) -> &[u8] {
        &self.plain
    }

    /// The sequence field of message `seq` (the first `seq_len()` bytes are meaningful).
    pub fn seq_field(&self, seq: u64) -> [u8; 16] {
        let mut out = [0u8; 16];
        match self.kind {
            Kind::Text => {
                const HEX: &[u8; 16] = b"0123456789abcdef";
                for (i, b) in out.iter_mut().enumerate() {
                    *b = HEX[((seq >> ((15 - i) * 4)) & 0xf) as usize];
                }
            }
            Kind::Binary => out[..8].copy_from_slice(&seq.to_le_bytes()),
        }
        out
    }

    /// Appends the full payload of message `seq` to `out`.
    pub fn write_message(&self, seq: u64, out: &mut Vec<u8>) {
        let start = out.len();
        out.extend_from_slice(&self.plain);
        out[start..start + self.seq_len].copy_from_slice(&self.seq_field(seq)[..self.seq_len]);
    }

    /// The payload masked with `key` (phase 0), sequence field zeroed before masking: a client's
    /// per-connection template, from which every frame's payload is copied.
    pub fn masked_template(&self, key: [u8; 4]) -> Vec<u8> {
        let mut template = self.plain.clone();
        frame::mask(&mut template, key, 0);
        template
    }

    /// The sequence field of message `seq` masked with `key` (the first `seq_len()` bytes are
    /// meaningful). It goes over the start of the masked template.
    pub fn masked_seq_field(&self, seq: u64, key: [u8; 4]) -> [u8; 16] {
        let mut field = self.seq_field(seq);
        frame::mask(&mut field[..self.seq_len], key, 0);
        field
    }

    /// Appends the complete masked client frame of message `seq`, header and payload; the
    /// payload is copied from `template` (`masked_template(key)`) with its sequence field set.
    pub fn write_masked_frame(&self, seq: u64, key: [u8; 4], template: &[u8], out: &mut Vec<u8>) {
        frame::encode_client(out, self.opcode(), false, self.size(), key);
        let start = out.len();
        out.extend_from_slice(template);
        let field = self.masked_seq_field(seq, key);
        out[start..start + self.seq_len].copy_from_slice(&field[..self.seq_len]);
    }

    /// Whether `chunk` equals bytes `offset..offset + chunk.len()` of message `seq`.
    pub fn matches(&self, seq: u64, offset: usize, chunk: &[u8]) -> bool {
        let Some(end) = offset
            .checked_add(chunk.len())
            .filter(|&e| e <= self.plain.len())
        else {
            return false;
        };
        let split = self.seq_len.clamp(offset, end);
        let (head, tail) = chunk.split_at(split - offset);
        (head.is_empty() || head == &self.seq_field(seq)[offset..split])
            && tail == &self.plain[split..end]
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn text_payload_is_ascii_with_hex_sequence() {
        let p = Pattern::new(Kind::Text, 64);
        let mut msg = Vec::new();
        p.write_message(0xabc, &mut msg);
        assert_eq!(&msg[..16], b"0000000000000abc");
        assert!(msg.is_ascii());
        assert_eq!(p.opcode(), OP_TEXT);
    }

    #[test]
    fn binary_payload_carries_le_sequence() {
        let p = Pattern::new(Kind::Binary, 4096);
        let mut msg = Vec::new();
        p.write_message(7, &mut msg);
        assert_eq!(&msg[..8], &7u64.to_le_bytes());
        assert_eq!(msg.len(), 4096);
    }

    #[test]
    fn matches_accepts_every_split_of_the_right_message() {
        let p = Pattern::new(Kind::Binary, 40);
        let mut msg = Vec::new();
        p.write_message(99, &mut msg);
        for cut in 0..=40 {
            assert!(p.matches(99, 0, &msg[..cut]) && p.matches(99, cut, &msg[cut..]));
        }
    }

    #[test]
    fn matches_rejects_wrong_sequence_or_bytes() {
        let p = Pattern::new(Kind::Text, 64);
        let mut msg = Vec::new();
        p.write_message(5, &mut msg);
        assert!(!p.matches(6, 0, &msg));
        msg[40] ^= 1;
        assert!(!p.matches(5, 0, &msg));
    }

    #[test]
    fn matches_rejects_overlong_chunk() {
        let p = Pattern::new(Kind::Text, 20);
        let mut msg = Vec::new();
        p.write_message(1, &mut msg);
        msg.push(b'x');
        assert!(!p.matches(1, 0, &msg));
    }

    #[test]
    fn write_masked_frame_unmasks_to_the_message() {
        let key = [0x11, 0x22, 0x33, 0x44];
        for (kind, size) in [(Kind::Text, 64), (Kind::Binary, 4096), (Kind::Text, 3)] {
            let p = Pattern::new(kind, size);
            let template = p.masked_template(key);
            let mut wire = Vec::new();
            p.write_masked_frame(42, key, &template, &mut wire);
            let head = wire.len() - size;
            assert_eq!(wire[0], 0x80 | p.opcode());
            assert_eq!(&wire[head - 4..head], &key);
            let mut body = wire[head..].to_vec();
            frame::mask(&mut body, key, 0);
            assert!(p.matches(42, 0, &body), "{kind:?} {size}");
        }
    }

    #[test]
    fn short_payload_has_no_sequence_field() {
        let p = Pattern::new(Kind::Text, 5);
        assert_eq!(p.seq_len(), 0);
        assert!(p.matches(1, 0, b"abcde"));
    }
}
