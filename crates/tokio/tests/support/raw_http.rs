//! A scripted raw peer's side of the opening handshake.

use ferrows::ferrows_core::handshake::accept_key;
use tokio::io::{AsyncRead, AsyncReadExt, AsyncWrite, AsyncWriteExt};

/// A valid client upgrade request for `/`.
pub const REQUEST: &[u8] = b"GET / HTTP/1.1\r\nHost: localhost\r\nUpgrade: websocket\r\n\
Connection: Upgrade\r\nSec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\nSec-WebSocket-Version: 13\r\n\r\n";

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

/// Reads a request and answers 101 with the right accept key, as a server.
/// Returns the request head.
pub async fn server_handshake(io: &mut (impl AsyncRead + AsyncWrite + Unpin)) -> String {
    let head = read_head(io).await;
    let key = head
        .lines()
        .find_map(|line| line.strip_prefix("Sec-WebSocket-Key: "))
        .expect("a key");
    let response = format!(
        "HTTP/1.1 101 Switching Protocols\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n\
         Sec-WebSocket-Accept: {}\r\n\r\n",
        accept_key(key.as_bytes())
    );
    io.write_all(response.as_bytes()).await.expect("write 101");
    head
}
