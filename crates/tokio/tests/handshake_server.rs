//! `accept`: refusals written as `ws` writes them, the application's checks
//! and subprotocol choice.

use ferrows::deflate::DeflateConfig;
use ferrows::{accept, accept_with, connect, AcceptOptions, Config, Rejection, Request};
use tokio::io::{AsyncReadExt, AsyncWriteExt};

/// Sends `request` to `accept` and returns the server's error and the whole
/// answer up to the shutdown.
async fn refused(request: &[u8], config: Config) -> (ferrows::Error, String) {
    let (mut raw, server_io) = tokio::io::duplex(64 * 1024);
    raw.write_all(request).await.unwrap();
    let err = accept(server_io, config).await.unwrap_err();
    let mut answer = String::new();
    raw.read_to_string(&mut answer).await.unwrap();
    (err, answer)
}

const KEY_AND_VERSION: &str =
    "Sec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\nSec-WebSocket-Version: 13\r\n";

#[tokio::test]
async fn request_without_upgrade_gets_400_with_ws_body() {
    let request = format!("GET / HTTP/1.1\r\nHost: a\r\n{KEY_AND_VERSION}\r\n");
    let (err, answer) = refused(request.as_bytes(), Config::default()).await;
    assert!(err.is_handshake());
    assert_eq!(err.rejection().unwrap().status, 400);
    assert_eq!(
        answer,
        "HTTP/1.1 400 Bad Request\r\nConnection: close\r\nContent-Type: text/html\r\n\
         Content-Length: 22\r\n\r\nInvalid Upgrade header"
    );
}

#[tokio::test]
async fn post_request_gets_405() {
    let request =
        format!("POST / HTTP/1.1\r\nHost: a\r\nUpgrade: websocket\r\n{KEY_AND_VERSION}\r\n");
    let (err, answer) = refused(request.as_bytes(), Config::default()).await;
    assert_eq!(err.rejection().unwrap().status, 405);
    assert!(answer.starts_with("HTTP/1.1 405 Method Not Allowed\r\n"));
    assert!(answer.ends_with("\r\n\r\nInvalid HTTP method"));
}

#[tokio::test]
async fn unsupported_version_gets_400_listing_supported_versions() {
    let request = "GET / HTTP/1.1\r\nHost: a\r\nUpgrade: websocket\r\n\
                   Sec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\nSec-WebSocket-Version: 12\r\n\r\n";
    let (err, answer) = refused(request.as_bytes(), Config::default()).await;
    assert_eq!(err.rejection().unwrap().status, 400);
    assert!(answer.contains("\r\nSec-WebSocket-Version: 13, 8\r\n"));
    assert!(answer.ends_with("Missing or invalid Sec-WebSocket-Version header"));
}

#[tokio::test]
async fn malformed_head_gets_bare_400() {
    let (err, answer) = refused(b"GET / HTTP/1.1\nHost: a\n\n", Config::default()).await;
    assert_eq!(err.rejection().unwrap().status, 400);
    assert_eq!(
        answer,
        "HTTP/1.1 400 Bad Request\r\nConnection: close\r\n\r\n"
    );
}

#[tokio::test]
async fn unacceptable_extension_header_gets_400_when_deflate_is_enabled() {
    let request = format!(
        "GET / HTTP/1.1\r\nHost: a\r\nUpgrade: websocket\r\n{KEY_AND_VERSION}\
         Sec-WebSocket-Extensions: permessage-deflate; server_max_window_bits=99\r\n\r\n"
    );
    let config = Config::default().deflate(DeflateConfig::default());
    let (err, answer) = refused(request.as_bytes(), config).await;
    assert_eq!(err.rejection().unwrap().status, 400);
    assert!(answer.ends_with("Invalid or unacceptable Sec-WebSocket-Extensions header"));
}

#[tokio::test]
async fn eof_before_the_head_is_a_handshake_error() {
    let (raw, server_io) = tokio::io::duplex(1024);
    drop(raw);
    let err = accept(server_io, Config::default()).await.unwrap_err();
    assert!(err.is_handshake() && err.rejection().is_none());
}

#[tokio::test]
async fn check_request_refusal_reaches_the_client_as_its_status() {
    let (client_io, server_io) = tokio::io::duplex(64 * 1024);
    let options = AcceptOptions::new().check_request(|head| match head.target.as_str() {
        "/allowed" => Ok(()),
        _ => Err(Rejection::from_status(404)),
    });
    let (client, server) = tokio::join!(
        connect("ws://localhost/other", client_io, Config::default()),
        accept_with(server_io, Config::default(), &options)
    );
    assert_eq!(server.unwrap_err().rejection().unwrap().status, 404);
    let err = client.unwrap_err();
    assert!(err.is_handshake());
    assert_eq!(err.unexpected_status(), Some(404));
}

#[tokio::test]
async fn selector_choice_becomes_both_sides_protocol() {
    let (client_io, server_io) = tokio::io::duplex(64 * 1024);
    let options = AcceptOptions::new().select_protocol(|offered| offered.last().cloned());
    let request = Request::new("ws://localhost/")
        .unwrap()
        .protocol("a")
        .protocol("b");
    let (client, server) = tokio::join!(
        connect(request, client_io, Config::default()),
        accept_with(server_io, Config::default(), &options)
    );
    assert_eq!(client.unwrap().protocol(), Some("b"));
    assert_eq!(server.unwrap().protocol(), Some("b"));
}

#[tokio::test]
async fn selector_choice_not_offered_is_dropped() {
    let (client_io, server_io) = tokio::io::duplex(64 * 1024);
    let options = AcceptOptions::new().select_protocol(|_| Some("evil".to_owned()));
    let request = Request::new("ws://localhost/").unwrap().protocol("a");
    let (client, server) = tokio::join!(
        connect(request, client_io, Config::default()),
        accept_with(server_io, Config::default(), &options)
    );
    assert_eq!(server.unwrap().protocol(), None);
    assert!(
        client.unwrap_err().is_handshake(),
        "client offered a protocol and got none"
    );
}
