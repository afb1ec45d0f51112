//! Raw frames: built and read byte by byte.

use tokio::io::{AsyncRead, AsyncReadExt};

/// One final frame with `opcode`, masked with `mask` when given.
pub fn frame(opcode: u8, payload: &[u8], mask: Option<[u8; 4]>) -> Vec<u8> {
    let mut out = vec![0x80 | opcode];
    let mask_bit = if mask.is_some() { 0x80 } else { 0 };
    match payload.len() {
        len @ 0..=125 => out.push(mask_bit | len as u8),
        len @ 126..=0xffff => {
            out.push(mask_bit | 126);
            out.extend_from_slice(&(len as u16).to_be_bytes());
        }
        len => {
            out.push(mask_bit | 127);
            out.extend_from_slice(&(len as u64).to_be_bytes());
        }
    }
    match mask {
        Some(key) => {
            out.extend_from_slice(&key);
            out.extend(payload.iter().enumerate().map(|(i, b)| b ^ key[i % 4]));
        }
        None => out.extend_from_slice(payload),
    }
    out
}

/// Reads one unmasked frame: `(opcode, payload)`.
pub async fn read_frame(io: &mut (impl AsyncRead + Unpin)) -> (u8, Vec<u8>) {
    let first = io.read_u8().await.expect("frame byte 0");
    let second = io.read_u8().await.expect("frame byte 1");
    assert_eq!(second & 0x80, 0, "a server frame must not be masked");
    let len = match second & 0x7f {
        126 => u64::from(io.read_u16().await.expect("length")),
        127 => io.read_u64().await.expect("length"),
        len => u64::from(len),
    };
    let mut payload = vec![0; usize::try_from(len).expect("length fits")];
    io.read_exact(&mut payload).await.expect("payload");
    (first & 0x0f, payload)
}
