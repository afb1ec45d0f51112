//! Frame header decoding and the per-frame RFC 6455 rules.
//!
//! ```text
//!  0               1               2               3
//!  0 1 2 3 4 5 6 7 0 1 2 3 4 5 6 7 0 1 2 3 4 5 6 7 0 1 2 3 4 5 6 7
//! +-+-+-+-+-------+-+-------------+-------------------------------+
//! |F|R|R|R| opcode|M| Payload len |    Extended payload length    |
//! |I|S|S|S|  (4)  |A|     (7)     |             (16/64)           |
//! |N|V|V|V|       |S|             |   (if payload len==126/127)   |
//! | |1|2|3|       |K|             |                               |
//! +-+-+-+-+-------+-+-------------+ - - - - - - - - - - - - - - - +
//! |     Extended payload length continued, if payload len == 127  |
//! + - - - - - - - - - - - - - - - +-------------------------------+
//! |                               |Masking-key, if MASK set to 1  |
//! +-------------------------------+-------------------------------+
//! ```
//!
//! A header is at most [`MAX_HEADER_LEN`] bytes, so decoding it again from the
//! start of the buffer when more bytes arrive is constant work: the decoder is
//! resumable without keeping partial-header state.
//!
//! The checks run in `ws`'s order (RSV2/3, RSV1, opcode and sequencing, FIN
//! and length of control frames, mask, 64-bit length), so the first rule a
//! frame breaks is the one reported, as `ws` reports it. Non-minimal length
//! encodings (a 16-bit length below 126, a 64-bit length below 65 536) are
//! accepted, as `ws` accepts them.

use super::opcode::{DataKind, OpCode};
use crate::error::{Error, FrameRule, Kind};
use crate::limits::MAX_SAFE_LENGTH;
use crate::role::Role;

/// The longest header: 2 bytes, a 64-bit length and a mask key.
pub const MAX_HEADER_LEN: usize = 14;

/// A decoded, validated frame header.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Header {
    /// FIN: the last frame of a message.
    pub fin: bool,
    /// RSV1: the message is compressed (permessage-deflate), first frame only.
    pub rsv1: bool,
    /// The opcode.
    pub opcode: OpCode,
    /// The masking key, if the frame is masked.
    pub mask: Option<[u8; 4]>,
    /// The payload length.
    pub payload_len: u64,
    /// How many bytes the header itself took.
    pub header_len: u8,
}

/// What the header rules need to know about the connection.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct HeaderContext {
    /// permessage-deflate was negotiated, so RSV1 may be set on a first frame.
    pub deflate: bool,
    /// The kind of the fragmented message in progress, if any.
    pub open_message: Option<DataKind>,
}

/// Decodes the header at the start of `buf` and checks every rule that the
/// header alone decides, for role `R`.
///
/// Returns `Ok(None)` when `buf` does not yet hold the whole header.
pub fn decode<R: Role>(buf: &[u8], ctx: HeaderContext) -> Result<Option<Header>, Error> {
    let [b0, b1, ..] = *buf else {
        return Ok(None);
    };
    let fin = b0 & 0x80 != 0;
    let rsv1 = b0 & 0x40 != 0;
    if b0 & 0x30 != 0 {
        return Err(Error::frame(FrameRule::Rsv23));
    }
    if rsv1 && !ctx.deflate {
        return Err(Error::frame(FrameRule::Rsv1));
    }
    let opcode = check_opcode(b0 & 0x0f, fin, rsv1, b1 & 0x7f, ctx)?;
    let masked = b1 & 0x80 != 0;
    if masked != R::EXPECT_MASKED {
        let rule = if R::EXPECT_MASKED {
            FrameRule::ExpectedMask
        } else {
            FrameRule::UnexpectedMask
        };
        return Err(Error::frame(rule));
    }
    let Some((payload_len, len_end)) = decode_length(buf, b1 & 0x7f)? else {
        return Ok(None);
    };
    let header_len = len_end + if masked { 4 } else { 0 };
    if buf.len() < header_len {
        return Ok(None);
    }
    let mask = masked.then(|| {
        let mut key = [0u8; 4];
        key.copy_from_slice(&buf[len_end..header_len]);
        key
    });
    Ok(Some(Header {
        fin,
        rsv1,
        opcode,
        mask,
        payload_len,
        header_len: header_len as u8,
    }))
}

/// Opcode, sequencing, and the control-frame rules that need only byte 0/1.
fn check_opcode(
    bits: u8,
    fin: bool,
    rsv1: bool,
    len7: u8,
    ctx: HeaderContext,
) -> Result<OpCode, Error> {
    let invalid = || Error::frame(FrameRule::InvalidOpcode(bits));
    let opcode = OpCode::from_u4(bits).ok_or_else(invalid)?;
    match opcode {
        OpCode::Continuation => {
            if rsv1 {
                return Err(Error::frame(FrameRule::Rsv1));
            }
            if ctx.open_message.is_none() {
                return Err(invalid());
            }
        }
        OpCode::Text | OpCode::Binary => {
            if ctx.open_message.is_some() {
                return Err(invalid());
            }
        }
        OpCode::Close | OpCode::Ping | OpCode::Pong => {
            if !fin {
                return Err(Error::frame(FrameRule::ExpectedFin));
            }
            if rsv1 {
                return Err(Error::frame(FrameRule::Rsv1));
            }
            if len7 > 125 || (opcode == OpCode::Close && len7 == 1) {
                return Err(Error::frame(FrameRule::ControlPayloadLength(len7)));
            }
        }
    }
    Ok(opcode)
}

/// Decodes the 7-, 16- or 64-bit payload length. Returns the length and the
/// offset just past it, or `None` if `buf` is too short.
fn decode_length(buf: &[u8], len7: u8) -> Result<Option<(u64, usize)>, Error> {
    match len7 {
        126 => Ok(buf
            .get(2..4)
            .map(|b| (u64::from(u16::from_be_bytes([b[0], b[1]])), 4))),
        127 => {
            let Some(b) = buf.get(2..10) else {
                return Ok(None);
            };
            let mut raw = [0u8; 8];
            raw.copy_from_slice(b);
            let len = u64::from_be_bytes(raw);
            if len > MAX_SAFE_LENGTH {
                return Err(Error::new(Kind::UnsupportedLength));
            }
            Ok(Some((len, 10)))
        }
        n => Ok(Some((u64::from(n), 2))),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::role::{Client, Server};

    const OPEN: HeaderContext = HeaderContext {
        deflate: false,
        open_message: None,
    };

    fn server(bytes: &[u8]) -> Result<Option<Header>, Error> {
        decode::<Server>(bytes, OPEN)
    }

    #[test]
    fn short_masked_text_frame() {
        let h = server(&[0x81, 0x85, 1, 2, 3, 4]).unwrap().unwrap();
        assert!(h.fin && !h.rsv1);
        assert_eq!(h.opcode, OpCode::Text);
        assert_eq!(h.mask, Some([1, 2, 3, 4]));
        assert_eq!((h.payload_len, h.header_len), (5, 6));
    }

    #[test]
    fn incomplete_headers_ask_for_more_at_every_length() {
        let full = [0x82, 0xff, 0, 0, 0, 0, 0, 1, 0, 0, 9, 9, 9, 9];
        for cut in 0..full.len() {
            assert_eq!(server(&full[..cut]).unwrap(), None, "cut at {cut}");
        }
        let h = server(&full).unwrap().unwrap();
        assert_eq!((h.payload_len, h.header_len), (65_536, 14));
    }

    #[test]
    fn sixteen_bit_and_non_minimal_lengths_are_accepted() {
        let h = server(&[0x82, 0xfe, 0x00, 0x7e, 0, 0, 0, 0])
            .unwrap()
            .unwrap();
        assert_eq!(h.payload_len, 126);
        let h = server(&[0x82, 0xfe, 0x00, 0x05, 0, 0, 0, 0])
            .unwrap()
            .unwrap();
        assert_eq!(h.payload_len, 5);
        let h = server(&[0x82, 0xff, 0, 0, 0, 0, 0, 0, 0, 5, 0, 0, 0, 0])
            .unwrap()
            .unwrap();
        assert_eq!(h.payload_len, 5);
    }

    #[test]
    fn sixty_four_bit_lengths_above_2_53_are_1009() {
        let mut frame = [0x82, 0xff, 0, 0x20, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0];
        assert_eq!(server(&frame).unwrap_err().kind(), Kind::UnsupportedLength);
        frame[2] = 0x80; // MSB set
        let err = server(&frame).unwrap_err();
        assert_eq!(
            (err.close_code(), err.code()),
            (1009, "WS_ERR_UNSUPPORTED_DATA_PAYLOAD_LENGTH")
        );
        frame[2] = 0;
        frame[3] = 0x1f; // 2^53 - 1 exactly
        frame[4..10].fill(0xff);
        assert_eq!(
            server(&frame).unwrap().unwrap().payload_len,
            MAX_SAFE_LENGTH
        );
    }

    #[test]
    fn rsv_bits_follow_ws_order() {
        assert_eq!(
            server(&[0xb1, 0x80]).unwrap_err().code(),
            "WS_ERR_UNEXPECTED_RSV_2_3"
        );
        assert_eq!(
            server(&[0xc1, 0x80]).unwrap_err().code(),
            "WS_ERR_UNEXPECTED_RSV_1"
        );
        let deflate = HeaderContext {
            deflate: true,
            ..OPEN
        };
        assert!(
            decode::<Server>(&[0xc1, 0x80, 0, 0, 0, 0], deflate)
                .unwrap()
                .unwrap()
                .rsv1
        );
        for b0 in [0xc9u8, 0xc8, 0xca] {
            let err = decode::<Server>(&[b0, 0x80], deflate).unwrap_err();
            assert_eq!(err.code(), "WS_ERR_UNEXPECTED_RSV_1", "control {b0:#x}");
        }
        let open = HeaderContext {
            deflate: true,
            open_message: Some(DataKind::Text),
        };
        assert_eq!(
            decode::<Server>(&[0xc0, 0x80], open).unwrap_err().code(),
            "WS_ERR_UNEXPECTED_RSV_1"
        );
    }

    #[test]
    fn reserved_opcodes_are_1002() {
        for op in [3u8, 4, 5, 6, 7, 0xb, 0xc, 0xd, 0xe, 0xf] {
            let err = server(&[0x80 | op, 0x80]).unwrap_err();
            assert_eq!(
                err.to_string(),
                format!("Invalid WebSocket frame: invalid opcode {op}")
            );
        }
    }

    #[test]
    fn continuation_sequencing() {
        assert_eq!(
            server(&[0x80, 0x80]).unwrap_err().code(),
            "WS_ERR_INVALID_OPCODE"
        );
        let open = HeaderContext {
            deflate: false,
            open_message: Some(DataKind::Binary),
        };
        assert!(decode::<Server>(&[0x00, 0x80, 0, 0, 0, 0], open)
            .unwrap()
            .is_some());
        let err = decode::<Server>(&[0x81, 0x80], open).unwrap_err();
        assert_eq!(err.to_string(), "Invalid WebSocket frame: invalid opcode 1");
        assert!(decode::<Server>(&[0x89, 0x80, 0, 0, 0, 0], open)
            .unwrap()
            .is_some());
    }

    #[test]
    fn control_frame_rules() {
        assert_eq!(
            server(&[0x09, 0x80]).unwrap_err().code(),
            "WS_ERR_EXPECTED_FIN"
        );
        let err = server(&[0x89, 0xfe, 0, 126]).unwrap_err();
        assert_eq!(
            err.to_string(),
            "Invalid WebSocket frame: invalid payload length 126"
        );
        assert!(server(&[0x89, 0x80 | 125, 0, 0, 0, 0]).unwrap().is_some());
        let err = server(&[0x88, 0x81]).unwrap_err();
        assert_eq!(err.code(), "WS_ERR_INVALID_CONTROL_PAYLOAD_LENGTH");
    }

    #[test]
    fn masking_follows_the_role() {
        assert_eq!(
            server(&[0x81, 0x00]).unwrap_err().code(),
            "WS_ERR_EXPECTED_MASK"
        );
        let err = decode::<Client>(&[0x81, 0x80], OPEN).unwrap_err();
        assert_eq!(err.code(), "WS_ERR_UNEXPECTED_MASK");
        let h = decode::<Client>(&[0x81, 0x02, b'h', b'i'], OPEN)
            .unwrap()
            .unwrap();
        assert_eq!((h.mask, h.header_len), (None, 2));
    }
}
