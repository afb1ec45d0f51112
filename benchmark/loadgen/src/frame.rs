//! Frame headers (RFC 6455 §5.2): encoding the client's masked headers and decoding the
//! server's unmasked ones, strictly (a masked server frame, RSV2/RSV3, a reserved opcode or a
//! malformed control frame is an error).

/// Continuation frame.
pub const OP_CONT: u8 = 0x0;
/// Text frame.
pub const OP_TEXT: u8 = 0x1;
/// Binary frame.
pub const OP_BINARY: u8 = 0x2;
/// Close frame.
pub const OP_CLOSE: u8 = 0x8;
/// Ping frame.
pub const OP_PING: u8 = 0x9;
/// Pong frame.
pub const OP_PONG: u8 = 0xA;

/// The longest header: 2 bytes, an 8-byte length and a 4-byte mask key.
pub const MAX_HEADER: usize = 14;

/// A decoded server frame header.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Header {
    /// FIN bit.
    pub fin: bool,
    /// RSV1 bit (compressed message, permessage-deflate).
    pub rsv1: bool,
    /// Opcode.
    pub opcode: u8,
    /// Payload length.
    pub len: u64,
    /// Header length in bytes.
    pub size: usize,
}

/// Appends a masked client frame header for a payload of `len` bytes.
pub fn encode_client(out: &mut Vec<u8>, opcode: u8, rsv1: bool, len: usize, key: [u8; 4]) {
    let b0 = 0x80 | u8::from(rsv1) << 6 | opcode;
    match u16::try_from(len) {
        Ok(short) if short < 126 => out.extend_from_slice(&[b0, 0x80 | short as u8]),
        Ok(medium) => {
            out.extend_from_slice(&[b0, 0x80 | 126]);
            out.extend_from_slice(&medium.to_be_bytes());
        }
        Err(_) => {
            out.extend_from_slice(&[b0, 0x80 | 127]);
            out.extend_from_slice(&(len as u64).to_be_bytes());
        }
    }
    out.extend_from_slice(&key);
}

/// Appends a masked client close frame carrying status `code` (no reason).
pub fn encode_close(out: &mut Vec<u8>, code: u16, key: [u8; 4]) {
    let mut body = code.to_be_bytes();
    mask(&mut body, key, 0);
    encode_client(out, OP_CLOSE, false, 2, key);
    out.extend_from_slice(&body);
}

/// Decodes a server frame header from the start of `buf`: `Ok(None)` when more bytes are needed.
pub fn decode_server(buf: &[u8]) -> Result<Option<Header>, String> {
    let [b0, b1, ..] = *buf else { return Ok(None) };
    if b1 & 0x80 != 0 {
        return Err("server sent a masked frame".into());
    }
    if b0 & 0x30 != 0 {
        return Err("server frame has RSV2/RSV3 set".into());
    }
    let (len, size) = match b1 & 0x7f {
        126 if buf.len() < 4 => return Ok(None),
        126 => (u64::from(u16::from_be_bytes([buf[2], buf[3]])), 4),
        127 if buf.len() < 10 => return Ok(None),
        127 => (
            u64::from_be_bytes(buf[2..10].try_into().unwrap_or_default()),
            10,
        ),
        short => (u64::from(short), 2),
    };
    let header = Header {
        fin: b0 & 0x80 != 0,
        rsv1: b0 & 0x40 != 0,
        opcode: b0 & 0x0f,
        len,
        size,
    };
    check(&header)?;
    Ok(Some(header))
}

fn check(h: &Header) -> Result<(), String> {
    match h.opcode {
        OP_CONT | OP_TEXT | OP_BINARY => Ok(()),
        OP_CLOSE | OP_PING | OP_PONG if !h.fin || h.len > 125 || h.rsv1 => {
            Err(format!("malformed control frame {h:?}"))
        }
        OP_CLOSE | OP_PING | OP_PONG => Ok(()),
        other => Err(format!("server sent reserved opcode {other:#x}")),
    }
}

/// XORs `buf` with `key`, starting at key byte `phase % 4`.
pub fn mask(buf: &mut [u8], key: [u8; 4], phase: usize) {
    let k: [u8; 4] = std::array::from_fn(|i| key[(i + phase) % 4]);
    let wide = u64::from_ne_bytes([k[0], k[1], k[2], k[3], k[0], k[1], k[2], k[3]]);
    let mut chunks = buf.chunks_exact_mut(8);
    for chunk in &mut chunks {
        let v = u64::from_ne_bytes(chunk.try_into().unwrap_or_default()) ^ wide;
        chunk.copy_from_slice(&v.to_ne_bytes());
    }
    for (i, b) in chunks.into_remainder().iter_mut().enumerate() {
        *b ^= k[i % 4];
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn scalar_mask(buf: &mut [u8], key: [u8; 4], phase: usize) {
        for (i, b) in buf.iter_mut().enumerate() {
            *b ^= key[(i + phase) % 4];
        }
    }

    #[test]
    fn mask_matches_scalar_for_all_phases_and_lengths() {
        let key = [0x12, 0x34, 0x56, 0x78];
        for phase in 0..4 {
            for len in 0..40 {
                let data: Vec<u8> = (0..len as u8).collect();
                let (mut a, mut b) = (data.clone(), data);
                mask(&mut a, key, phase);
                scalar_mask(&mut b, key, phase);
                assert_eq!(a, b, "phase {phase} len {len}");
            }
        }
    }

    #[test]
    fn encode_client_uses_minimal_length_forms() {
        let key = [1, 2, 3, 4];
        for (len, size) in [(0, 6), (125, 6), (126, 8), (65535, 8), (65536, 14)] {
            let mut out = Vec::new();
            encode_client(&mut out, OP_BINARY, false, len, key);
            assert_eq!(out.len(), size, "len {len}");
            assert_eq!(out[0], 0x82);
            assert_eq!(&out[size - 4..], &key);
        }
    }

    #[test]
    fn encode_close_masks_the_code() {
        let mut out = Vec::new();
        encode_close(&mut out, 1000, [1, 2, 3, 4]);
        assert_eq!(out, [0x88, 0x82, 1, 2, 3, 4, 0x03 ^ 1, 0xE8 ^ 2]);
    }

    #[test]
    fn encode_client_sets_rsv1_for_compressed() {
        let mut out = Vec::new();
        encode_client(&mut out, OP_TEXT, true, 3, [0; 4]);
        assert_eq!(out[..2], [0xC1, 0x83]);
    }

    #[test]
    fn decode_server_reads_all_length_forms() {
        let h = decode_server(&[0x81, 5]).unwrap().unwrap();
        assert_eq!((h.fin, h.opcode, h.len, h.size), (true, OP_TEXT, 5, 2));
        let h = decode_server(&[0x02, 126, 1, 0]).unwrap().unwrap();
        assert_eq!((h.fin, h.opcode, h.len, h.size), (false, OP_BINARY, 256, 4));
        let h = decode_server(&[0x82, 127, 0, 0, 0, 0, 0, 16, 0, 0])
            .unwrap()
            .unwrap();
        assert_eq!((h.len, h.size), (1 << 20, 10));
    }

    #[test]
    fn decode_server_partial_header_needs_more() {
        assert_eq!(decode_server(&[0x81]).unwrap(), None);
        assert_eq!(decode_server(&[0x82, 126, 1]).unwrap(), None);
        assert_eq!(decode_server(&[0x82, 127, 0, 0]).unwrap(), None);
    }

    #[test]
    fn decode_server_masked_frame_fails() {
        assert!(decode_server(&[0x81, 0x85]).is_err());
    }

    #[test]
    fn decode_server_bad_control_frame_fails() {
        assert!(decode_server(&[0x09, 0]).is_err());
        assert!(decode_server(&[0x89, 126, 0, 200]).is_err());
        assert!(decode_server(&[0x83, 0]).is_err());
        assert!(decode_server(&[0xA1, 0]).is_err());
    }
}
