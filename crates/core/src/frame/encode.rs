//! Frame header encoding with the shortest length form (7, 16 or 64 bits).

use super::header::MAX_HEADER_LEN;
use super::opcode::OpCode;

/// The fields of an outgoing frame header.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct FrameHead {
    /// FIN bit.
    pub fin: bool,
    /// RSV1 bit (compressed message, first frame only).
    pub rsv1: bool,
    /// Opcode.
    pub opcode: OpCode,
    /// Masking key; `Some` only on the client side.
    pub mask: Option<[u8; 4]>,
    /// Payload length.
    pub payload_len: u64,
}

/// The encoded header: a fixed array and how much of it is used.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct EncodedHeader {
    bytes: [u8; MAX_HEADER_LEN],
    len: u8,
}

impl EncodedHeader {
    /// The header bytes.
    pub fn as_slice(&self) -> &[u8] {
        &self.bytes[..usize::from(self.len)]
    }
}

/// The header length `encode` will produce for these fields.
pub const fn header_len(payload_len: u64, masked: bool) -> usize {
    let len = match payload_len {
        0..=125 => 2,
        126..=0xffff => 4,
        _ => 10,
    };
    if masked {
        len + 4
    } else {
        len
    }
}

/// Encodes a header, choosing the minimal length encoding.
pub fn encode(head: FrameHead) -> EncodedHeader {
    let mut bytes = [0u8; MAX_HEADER_LEN];
    bytes[0] = (u8::from(head.fin) << 7) | (u8::from(head.rsv1) << 6) | head.opcode.as_u8();
    let mask_bit = if head.mask.is_some() { 0x80 } else { 0 };
    let mut at = match head.payload_len {
        // The match arm bounds the value, so each cast is lossless.
        n @ 0..=125 => {
            bytes[1] = mask_bit | n as u8;
            2
        }
        n @ 126..=0xffff => {
            bytes[1] = mask_bit | 126;
            bytes[2..4].copy_from_slice(&(n as u16).to_be_bytes());
            4
        }
        n => {
            bytes[1] = mask_bit | 127;
            bytes[2..10].copy_from_slice(&n.to_be_bytes());
            10
        }
    };
    if let Some(key) = head.mask {
        bytes[at..at + 4].copy_from_slice(&key);
        at += 4;
    }
    EncodedHeader {
        bytes,
        len: at as u8,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn head(payload_len: u64, mask: Option<[u8; 4]>) -> FrameHead {
        FrameHead {
            fin: true,
            rsv1: false,
            opcode: OpCode::Binary,
            mask,
            payload_len,
        }
    }

    #[test]
    fn length_forms_switch_at_126_and_65536() {
        for (len, expect) in [
            (0u64, 2usize),
            (125, 2),
            (126, 4),
            (65_535, 4),
            (65_536, 10),
            (u64::from(u32::MAX) + 1, 10),
        ] {
            let enc = encode(head(len, None));
            assert_eq!(enc.as_slice().len(), expect, "len {len}");
            assert_eq!(header_len(len, false), expect);
            assert_eq!(header_len(len, true), expect + 4);
        }
    }

    #[test]
    fn bits_and_mask_are_written() {
        let enc = encode(FrameHead {
            fin: false,
            rsv1: true,
            opcode: OpCode::Text,
            mask: Some([9, 8, 7, 6]),
            payload_len: 300,
        });
        assert_eq!(enc.as_slice(), &[0x41, 0xfe, 0x01, 0x2c, 9, 8, 7, 6]);
    }
}
