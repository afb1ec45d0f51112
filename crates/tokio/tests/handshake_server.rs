//! `accept`: refusals written as `ws` writes them, the application's checks
//! and subprotocol choice.

#[path = "support/raw_http.rs"]
#[expect(
    dead_code,
    reason = "a shared helper file; this test uses only REQUEST"
)]
mod raw_http;

use std::time::Duration;

use ferrows::deflate::DeflateConfig;
use ferrows::{accept, accept_with, connect, AcceptOptions, Config, Rejection, Request};
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::{TcpListener, TcpStream};

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

// bad-inputs A8/A9: the accept timeout.

/// A client that connects and says nothing gets the timeout error at the
/// default 10 s (paused clock: no real wait).
#[tokio::test(start_paused = true)]
async fn silent_client_times_out_at_the_default_ten_seconds() {
    let (_raw, server_io) = tokio::io::duplex(1024);
    let start = tokio::time::Instant::now();
    let accepting = accept(server_io, Config::default());
    let outcome = tokio::time::timeout(Duration::from_secs(60), accepting).await;
    let err = outcome.expect("accept gave up by itself").unwrap_err();
    assert!(err.is_handshake_timeout() && err.is_handshake(), "{err}");
    assert_eq!(start.elapsed(), ferrows::DEFAULT_ACCEPT_TIMEOUT);
    assert_eq!(ferrows::DEFAULT_ACCEPT_TIMEOUT, Duration::from_secs(10));
}

/// A head trickled one byte a second is dropped at the deadline although
/// bytes keep arriving: the deadline covers the whole head.
#[tokio::test(start_paused = true)]
async fn trickled_head_times_out_although_bytes_keep_coming() {
    let (mut raw, server_io) = tokio::io::duplex(64 * 1024);
    let drip = tokio::spawn(async move {
        let mut sent = 0;
        for byte in raw_http::REQUEST {
            if raw.write_all(&[*byte]).await.is_err() {
                break;
            }
            sent += 1;
            tokio::time::sleep(Duration::from_secs(1)).await;
        }
        sent
    });
    let start = tokio::time::Instant::now();
    let err = accept(
        server_io,
        Config::default().accept_timeout(Some(Duration::from_secs(5))),
    )
    .await
    .unwrap_err();
    assert!(err.is_handshake_timeout(), "{err}");
    assert_eq!(start.elapsed(), Duration::from_secs(5));
    let sent = drip.await.unwrap();
    assert!((5..=6).contains(&sent), "{sent} bytes dripped");
}

/// Over real TCP with a short deadline: a silent connection gets the error
/// at about the deadline and its socket is closed (the client reads EOF).
#[tokio::test]
async fn silent_tcp_connection_is_dropped_at_the_deadline() {
    let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = listener.local_addr().unwrap();
    let mut client = TcpStream::connect(addr).await.unwrap();
    let (server_io, _) = listener.accept().await.unwrap();
    let deadline = Duration::from_millis(300);
    let start = std::time::Instant::now();
    let accepting = accept(server_io, Config::default().accept_timeout(Some(deadline)));
    let outcome = tokio::time::timeout(Duration::from_secs(5), accepting).await;
    let err = outcome.expect("accept gave up by itself").unwrap_err();
    let elapsed = start.elapsed();
    assert!(err.is_handshake_timeout(), "{err}");
    assert!(
        elapsed >= deadline && elapsed < deadline + Duration::from_secs(1),
        "{elapsed:?}"
    );
    let mut byte = [0u8; 1];
    let read = tokio::time::timeout(Duration::from_secs(2), client.read(&mut byte)).await;
    assert!(
        matches!(read, Ok(Ok(0)) | Ok(Err(_))),
        "the server's end is closed: {read:?}"
    );
}

/// A prompt client is unaffected by a short deadline, and `None` turns it off.
#[tokio::test(start_paused = true)]
async fn a_prompt_request_passes_and_none_waits_forever() {
    let (mut raw, server_io) = tokio::io::duplex(64 * 1024);
    raw.write_all(raw_http::REQUEST).await.unwrap();
    let config = Config::default().accept_timeout(Some(Duration::from_millis(1)));
    let ws = accept(server_io, config).await.unwrap();
    drop(ws);

    let (_raw, server_io) = tokio::io::duplex(1024);
    let waiting = accept(server_io, Config::default().accept_timeout(None));
    let outcome = tokio::time::timeout(Duration::from_secs(3600), waiting).await;
    assert!(outcome.is_err(), "still waiting after an hour");
}
