//! Our stream against a scripted raw peer: protocol violations, bytes that
//! share a segment with the handshake, and the close timeout.

#[path = "support/frames.rs"]
mod frames;
#[path = "support/raw_http.rs"]
mod raw_http;

use std::time::Duration;

use ferrows::{accept, connect, Config, Message};
use frames::{frame, read_frame};
use futures_util::{SinkExt, StreamExt};
use raw_http::{client_handshake, server_handshake, REQUEST};
use tokio::io::{AsyncReadExt, AsyncWriteExt, DuplexStream};

const MASK: [u8; 4] = [0x37, 0xfa, 0x21, 0x3d];

/// A raw client connected to our server.
async fn raw_client() -> (DuplexStream, ferrows::WebSocketStream<DuplexStream>) {
    let (mut raw, server_io) = tokio::io::duplex(64 * 1024);
    let (server, ()) = tokio::join!(
        accept(server_io, Config::default()),
        client_handshake(&mut raw)
    );
    (raw, server.expect("server handshake"))
}

/// Reads the close frame a peer gets and returns its code.
async fn close_code_sent(raw: &mut DuplexStream) -> u16 {
    let (opcode, payload) = read_frame(raw).await;
    assert_eq!(opcode, 0x8, "a close frame");
    u16::from_be_bytes([payload[0], payload[1]])
}

#[tokio::test]
async fn server_receives_unmasked_frame_fails_with_1002_and_peer_gets_1002() {
    let (mut raw, mut server) = raw_client().await;
    raw.write_all(&frame(0x1, b"hi", None)).await.unwrap();
    let err = server.next().await.unwrap().unwrap_err();
    assert!(err.is_protocol() && !err.is_closed());
    assert_eq!(err.close_code(), Some(1002));
    assert_eq!(err.protocol_error().unwrap().code(), "WS_ERR_EXPECTED_MASK");
    assert!(server.next().await.is_none());
    assert_eq!(close_code_sent(&mut raw).await, 1002);
    assert_eq!(
        raw.read(&mut [0; 16]).await.unwrap(),
        0,
        "server half-closed"
    );
}

#[tokio::test]
async fn server_receives_invalid_utf8_fails_with_1007() {
    let (mut raw, mut server) = raw_client().await;
    raw.write_all(&frame(0x1, &[0xce, 0xba, 0xe1], Some(MASK)))
        .await
        .unwrap();
    raw.write_all(&frame(0x1, &[0xff], Some(MASK)))
        .await
        .unwrap();
    let err = server.next().await.unwrap().unwrap_err();
    assert!(err.is_protocol());
    assert_eq!(err.close_code(), Some(1007));
    assert_eq!(close_code_sent(&mut raw).await, 1007);
}

#[tokio::test]
async fn server_receives_oversized_message_fails_with_1009() {
    let (mut raw, server_io) = tokio::io::duplex(64 * 1024);
    let config = Config::default().max_payload(8);
    let (server, ()) = tokio::join!(accept(server_io, config), client_handshake(&mut raw));
    let mut server = server.unwrap();
    raw.write_all(&frame(0x2, &[0; 9], Some(MASK)))
        .await
        .unwrap();
    let err = server.next().await.unwrap().unwrap_err();
    assert_eq!(err.close_code(), Some(1009));
    assert_eq!(close_code_sent(&mut raw).await, 1009);
}

#[tokio::test]
async fn messages_before_a_violation_are_delivered_first() {
    let (mut raw, mut server) = raw_client().await;
    let mut bytes = frame(0x1, b"first", Some(MASK));
    bytes.extend(frame(0x3, b"", Some(MASK)));
    raw.write_all(&bytes).await.unwrap();
    assert_eq!(
        server.next().await.unwrap().unwrap(),
        Message::text("first")
    );
    let err = server.next().await.unwrap().unwrap_err();
    assert_eq!(
        err.protocol_error().unwrap().code(),
        "WS_ERR_INVALID_OPCODE"
    );
}

#[tokio::test]
async fn frame_in_the_request_segment_is_delivered() {
    let (mut raw, server_io) = tokio::io::duplex(64 * 1024);
    let mut bytes = REQUEST.to_vec();
    bytes.extend(frame(0x1, b"early", Some(MASK)));
    raw.write_all(&bytes).await.unwrap();
    let mut server = accept(server_io, Config::default()).await.unwrap();
    assert_eq!(
        server.next().await.unwrap().unwrap(),
        Message::text("early")
    );
}

#[tokio::test]
async fn raw_ping_gets_auto_pong_while_stream_is_polled() {
    let (mut raw, mut server) = raw_client().await;
    raw.write_all(&frame(0x9, b"are you there", Some(MASK)))
        .await
        .unwrap();
    let ping = server.next().await.unwrap().unwrap();
    assert!(ping.is_ping());
    assert_eq!(read_frame(&mut raw).await, (0xa, b"are you there".to_vec()));
}

#[tokio::test]
async fn client_receives_masked_frame_fails_with_1002() {
    let (client_io, mut raw) = tokio::io::duplex(64 * 1024);
    let (client, head) = tokio::join!(
        connect("ws://localhost/", client_io, Config::default()),
        server_handshake(&mut raw)
    );
    assert!(head.starts_with("GET / HTTP/1.1\r\n"));
    let mut client = client.unwrap();
    raw.write_all(&frame(0x2, b"x", Some(MASK))).await.unwrap();
    let err = client.next().await.unwrap().unwrap_err();
    assert_eq!(err.close_code(), Some(1002));
    assert_eq!(
        err.protocol_error().unwrap().code(),
        "WS_ERR_UNEXPECTED_MASK"
    );
}

#[tokio::test]
async fn client_close_unanswered_times_out_with_1006() {
    let (client_io, mut raw) = tokio::io::duplex(64 * 1024);
    let config = Config::default().close_timeout(Duration::from_millis(50));
    let (client, _) = tokio::join!(
        connect("ws://localhost/", client_io, config),
        server_handshake(&mut raw)
    );
    let mut client = client.unwrap();
    client.close().await.unwrap();
    let err = client.next().await.unwrap().unwrap_err();
    assert!(err.is_closed() && err.is_timeout());
    assert_eq!(err.close_code(), Some(1006));
    assert!(client.next().await.is_none());
    drop(raw);
}
