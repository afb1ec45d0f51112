//! A scripted raw peer: frames built and read byte by byte.

use tokio::io::{AsyncRead, AsyncReadExt, AsyncWrite, AsyncWriteExt};

/// A valid client upgrade request for `/`.
pub const REQUEST: &[u8] = b"GET / HTTP/1.1\r\nHost: localhost\r\nUpgrade: websocket\r\n\
Connection: Upgrade\r\nSec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\nSec-WebSocket-Version: 13\r\n\r\n";

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

/// Reads an HTTP head (through the blank line) and returns it as text.
pub async fn read_head(io: &mut (impl AsyncRead + Unpin)) -> String {
    let mut head = Vec::new();
    while !head.ends_with(b"\r\n\r\n") {
        let byte = io.read_u8().await.expect("head byte");
        head.push(byte);
    }
    String::from_utf8(head).expect("ASCII head")
}

/// Writes the request and reads the 101, as a client.
pub async fn client_handshake(io: &mut (impl AsyncRead + AsyncWrite + Unpin)) {
    io.write_all(REQUEST).await.expect("write request");
    let head = read_head(io).await;
    assert!(head.starts_with("HTTP/1.1 101"), "{head}");
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
