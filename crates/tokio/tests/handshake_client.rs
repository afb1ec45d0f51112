//! `connect` against a scripted raw server: what the request carries and
//! how bad answers fail.

use ferrows::deflate::DeflateConfig;
use ferrows::ferrows_core::handshake::accept_key;
use ferrows::{connect, Config, Message, Request};
use futures_util::StreamExt;
use tokio::io::{AsyncReadExt, AsyncWriteExt, DuplexStream};

/// Reads the request head.
async fn read_request(raw: &mut DuplexStream) -> String {
    let mut head = Vec::new();
    while !head.ends_with(b"\r\n\r\n") {
        head.push(raw.read_u8().await.unwrap());
    }
    String::from_utf8(head).unwrap()
}

/// The request's key header value.
fn key_of(head: &str) -> &str {
    head.lines()
        .find_map(|line| line.strip_prefix("Sec-WebSocket-Key: "))
        .unwrap()
}

/// Reads the request and answers with `answer(key)`; returns the request.
async fn serve(raw: &mut DuplexStream, answer: impl FnOnce(&str) -> Vec<u8>) -> String {
    let head = read_request(raw).await;
    raw.write_all(&answer(key_of(&head))).await.unwrap();
    head
}

/// A 101 with the right accept key plus `extra` header lines.
fn switching(key: &str, extra: &str) -> Vec<u8> {
    format!(
        "HTTP/1.1 101 Switching Protocols\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n\
         Sec-WebSocket-Accept: {}\r\n{extra}\r\n",
        accept_key(key.as_bytes())
    )
    .into_bytes()
}

/// Runs `connect(request)` against a raw server answering with `answer`.
async fn handshake(
    request: Request,
    config: Config,
    answer: impl FnOnce(&str) -> Vec<u8>,
) -> (
    Result<ferrows::WebSocketStream<DuplexStream>, ferrows::Error>,
    String,
) {
    let (client_io, mut raw) = tokio::io::duplex(64 * 1024);
    let (client, head) = tokio::join!(connect(request, client_io, config), serve(&mut raw, answer));
    (client, head)
}

fn url() -> Request {
    Request::new("ws://example.com:8080/chat?x=1").unwrap()
}

#[tokio::test]
async fn request_carries_path_host_protocols_origin_headers_and_deflate_offer() {
    let request = url()
        .protocol("a")
        .protocol("b")
        .origin("http://o")
        .header("X-Token", "t");
    let config = Config::default().deflate(DeflateConfig::default());
    let (client, head) = handshake(request, config, |key| {
        switching(key, "Sec-WebSocket-Protocol: b\r\n")
    })
    .await;
    assert_eq!(client.unwrap().protocol(), Some("b"));
    assert!(
        head.starts_with("GET /chat?x=1 HTTP/1.1\r\nX-Token: t\r\n"),
        "{head}"
    );
    for line in [
        "Sec-WebSocket-Version: 13",
        "Sec-WebSocket-Protocol: a,b",
        "Origin: http://o",
        "Host: example.com:8080",
        "Sec-WebSocket-Extensions: permessage-deflate; client_max_window_bits",
    ] {
        assert!(
            head.contains(&format!("\r\n{line}\r\n")),
            "{line} missing from {head}"
        );
    }
}

#[tokio::test]
async fn wrong_accept_key_is_a_handshake_error() {
    let (client, _) = handshake(url(), Config::default(), |_| {
        switching("AAAAAAAAAAAAAAAAAAAAAA==", "")
    })
    .await;
    let err = client.unwrap_err();
    assert!(err.is_handshake() && !err.is_io());
    assert_eq!(err.unexpected_status(), None);
}

#[tokio::test]
async fn non_101_answer_reports_its_status() {
    let (client, _) = handshake(url(), Config::default(), |_| {
        b"HTTP/1.1 403 Forbidden\r\nContent-Length: 0\r\n\r\n".to_vec()
    })
    .await;
    assert_eq!(client.unwrap_err().unexpected_status(), Some(403));
}

#[tokio::test]
async fn unrequested_subprotocol_is_a_handshake_error() {
    let (client, _) = handshake(url(), Config::default(), |key| {
        switching(key, "Sec-WebSocket-Protocol: chat\r\n")
    })
    .await;
    assert!(client.unwrap_err().is_handshake());
}

#[tokio::test]
async fn unrequested_extension_is_a_handshake_error() {
    let (client, _) = handshake(url(), Config::default(), |key| {
        switching(key, "Sec-WebSocket-Extensions: permessage-deflate\r\n")
    })
    .await;
    assert!(client.unwrap_err().is_handshake());
}

#[tokio::test]
async fn frame_in_the_101_segment_is_delivered() {
    let (client, _) = handshake(url(), Config::default(), |key| {
        let mut bytes = switching(key, "");
        bytes.extend_from_slice(&[0x81, 0x02, b'h', b'i']);
        bytes
    })
    .await;
    let mut client = client.unwrap();
    assert_eq!(client.next().await.unwrap().unwrap(), Message::text("hi"));
}

#[tokio::test]
async fn header_with_newline_is_refused_before_anything_is_sent() {
    let (client_io, mut raw) = tokio::io::duplex(1024);
    let request = url().header("X-Evil", "a\r\nInjected: 1");
    let err = connect(request, client_io, Config::default())
        .await
        .unwrap_err();
    assert!(err.is_handshake());
    assert_eq!(
        raw.read(&mut [0; 16]).await.unwrap(),
        0,
        "nothing was written"
    );
}

#[tokio::test]
async fn eof_before_the_answer_is_a_handshake_error() {
    let (client_io, mut raw) = tokio::io::duplex(64 * 1024);
    let server = async move {
        read_request(&mut raw).await;
    };
    let (client, ()) = tokio::join!(connect(url(), client_io, Config::default()), server);
    assert!(client.unwrap_err().is_handshake());
}
