//! The limit server's protocol work, as pure functions: answering the upgrade and echoing
//! complete client frames (unmasked, same FIN and opcode; a ping is answered with a pong, a close
//! frame is echoed and ends the connection). No UTF-8 check, no limits: this is the floor.

use base64::Engine as _;
use sha1::{Digest as _, Sha1};

const GUID: &[u8] = b"258EAFA5-E914-47DA-95CA-C5AB0DC85B11";

/// What `echo_frames` did.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Scan {
    /// Input bytes consumed (complete frames only).
    pub consumed: usize,
    /// Size of the incomplete frame at the end of the input, when its header is known.
    pub need: usize,
    /// A close frame was echoed: close after writing.
    pub close: bool,
}

/// If `input` holds a complete request head, appends the 101 answer to `out` and returns the
/// head's length.
pub fn upgrade(input: &[u8], out: &mut Vec<u8>) -> Option<usize> {
    let end = input.windows(4).position(|w| w == b"\r\n\r\n")? + 4;
    let key = input[..end]
        .split(|&b| b == b'\n')
        .find_map(|line| {
            let colon = line.iter().position(|&b| b == b':')?;
            let (name, value) = line.split_at(colon);
            name.eq_ignore_ascii_case(b"sec-websocket-key")
                .then(|| value[1..].trim_ascii())
        })
        .unwrap_or_default();
    let digest = Sha1::new().chain_update(key).chain_update(GUID).finalize();
    let accept = base64::engine::general_purpose::STANDARD.encode(digest);
    out.extend_from_slice(b"HTTP/1.1 101 Switching Protocols\r\nUpgrade: websocket\r\n");
    out.extend_from_slice(b"Connection: Upgrade\r\nSec-WebSocket-Accept: ");
    out.extend_from_slice(accept.as_bytes());
    out.extend_from_slice(b"\r\n\r\n");
    Some(end)
}

/// Echoes every complete masked frame at the start of `input` into `out`.
pub fn echo_frames(input: &[u8], out: &mut Vec<u8>) -> Scan {
    let mut pos = 0;
    let mut close = false;
    while !close {
        let Some((b0, len, header)) = header(&input[pos..]) else {
            return Scan {
                consumed: pos,
                need: 0,
                close,
            };
        };
        let total = header + len;
        if input.len() - pos < total {
            return Scan {
                consumed: pos,
                need: total,
                close,
            };
        }
        let key: [u8; 4] = input[pos + header - 4..pos + header]
            .try_into()
            .unwrap_or_default();
        let opcode = b0 & 0x0f;
        let b0 = if opcode == 0x9 { (b0 & 0xf0) | 0xA } else { b0 };
        server_header(out, b0, len);
        let start = out.len();
        out.extend_from_slice(&input[pos + header..pos + total]);
        unmask(&mut out[start..], key);
        close = opcode == 0x8;
        pos += total;
    }
    Scan {
        consumed: pos,
        need: 0,
        close,
    }
}

/// `(first byte, payload length, header length)` of a masked frame, if its header is complete.
fn header(buf: &[u8]) -> Option<(u8, usize, usize)> {
    let [b0, b1, ..] = *buf else { return None };
    let (len, size) = match b1 & 0x7f {
        126 => (
            usize::from(u16::from_be_bytes(buf.get(2..4)?.try_into().ok()?)),
            4,
        ),
        127 => (
            usize::try_from(u64::from_be_bytes(buf.get(2..10)?.try_into().ok()?)).ok()?,
            10,
        ),
        short => (usize::from(short), 2),
    };
    let size = size + if b1 & 0x80 != 0 { 4 } else { 0 };
    (buf.len() >= size).then_some((b0, len, size))
}

fn server_header(out: &mut Vec<u8>, b0: u8, len: usize) {
    match u16::try_from(len) {
        Ok(short) if short < 126 => out.extend_from_slice(&[b0, short as u8]),
        Ok(medium) => {
            out.extend_from_slice(&[b0, 126]);
            out.extend_from_slice(&medium.to_be_bytes());
        }
        Err(_) => {
            out.extend_from_slice(&[b0, 127]);
            out.extend_from_slice(&(len as u64).to_be_bytes());
        }
    }
}

/// XORs `buf` with `key` (phase 0), eight bytes at a time.
fn unmask(buf: &mut [u8], key: [u8; 4]) {
    let wide = u64::from_ne_bytes([
        key[0], key[1], key[2], key[3], key[0], key[1], key[2], key[3],
    ]);
    let mut chunks = buf.chunks_exact_mut(8);
    for chunk in &mut chunks {
        let v = u64::from_ne_bytes(chunk.try_into().unwrap_or_default()) ^ wide;
        chunk.copy_from_slice(&v.to_ne_bytes());
    }
    for (i, b) in chunks.into_remainder().iter_mut().enumerate() {
        *b ^= key[i % 4];
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn masked(b0: u8, payload: &[u8], key: [u8; 4]) -> Vec<u8> {
        let mut f = Vec::new();
        server_header(&mut f, b0, payload.len());
        f[1] |= 0x80;
        f.extend_from_slice(&key);
        f.extend(payload.iter().enumerate().map(|(i, b)| b ^ key[i % 4]));
        f
    }

    #[test]
    fn upgrade_answers_with_rfc_accept() {
        let req = b"GET / HTTP/1.1\r\nSec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\n\r\nrest";
        let mut out = Vec::new();
        assert_eq!(upgrade(req, &mut out), Some(req.len() - 4));
        let text = String::from_utf8(out).unwrap();
        assert!(text.contains("Sec-WebSocket-Accept: s3pPLMBiTxaQ9kYGzzhZRbK+xOo=\r\n\r\n"));
    }

    #[test]
    fn upgrade_incomplete_head_waits() {
        assert_eq!(upgrade(b"GET / HTTP/1.1\r\n", &mut Vec::new()), None);
    }

    #[test]
    fn echo_frames_unmasks_complete_frames_and_keeps_partial() {
        let payload: Vec<u8> = (0..300u16).map(|i| i as u8).collect();
        let mut input = masked(0x82, &payload, [9, 8, 7, 6]);
        input.extend(masked(0x81, b"hi", [1, 2, 3, 4]));
        let partial = masked(0x81, b"next", [5, 5, 5, 5]);
        input.extend_from_slice(&partial[..7]);
        let mut out = Vec::new();
        let scan = echo_frames(&input, &mut out);
        assert_eq!(scan.consumed, input.len() - 7);
        assert_eq!(scan.need, partial.len());
        assert!(!scan.close);
        assert_eq!(&out[..4], &[0x82, 126, 1, 44]);
        assert_eq!(&out[4..304], &payload[..]);
        assert_eq!(&out[304..], &[0x81, 2, b'h', b'i']);
    }

    #[test]
    fn echo_frames_answers_ping_with_pong_and_stops_at_close() {
        let mut input = masked(0x89, b"p", [1, 1, 1, 1]);
        input.extend(masked(0x88, &[3, 232], [2, 2, 2, 2]));
        input.extend(masked(0x81, b"after", [3, 3, 3, 3]));
        let mut out = Vec::new();
        let scan = echo_frames(&input, &mut out);
        assert!(scan.close);
        assert_eq!(out, [0x8A, 1, b'p', 0x88, 2, 3, 232]);
    }
}
