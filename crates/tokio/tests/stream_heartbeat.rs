//! `Config::heartbeat`: the stream pings an open peer on its own clock, a
//! peer that answers stays connected, one that does not is dropped.

#[path = "support/frames.rs"]
mod frames;
#[path = "support/raw_http.rs"]
#[expect(
    dead_code,
    reason = "a shared helper file; this test uses only client_handshake"
)]
mod raw_http;

use std::time::Duration;

use ferrows::{accept, connect, Config, Message, WebSocketStream};
use frames::{frame, read_frame};
use futures_util::{SinkExt, StreamExt};
use raw_http::client_handshake;
use tokio::io::{AsyncWriteExt, DuplexStream};

const MASK: [u8; 4] = [0x37, 0xfa, 0x21, 0x3d];

fn beating(interval_ms: u64, timeout_ms: u64) -> Config {
    Config::default().heartbeat(
        Duration::from_millis(interval_ms),
        Duration::from_millis(timeout_ms),
    )
}

/// A raw client connected to our server, which beats every 40 ms.
async fn raw_client() -> (DuplexStream, WebSocketStream<DuplexStream>) {
    let (mut raw, server_io) = tokio::io::duplex(64 * 1024);
    let (server, ()) = tokio::join!(
        accept(server_io, beating(40, 60)),
        client_handshake(&mut raw)
    );
    (raw, server.expect("server handshake"))
}

#[tokio::test]
async fn a_peer_that_never_answers_is_dropped_after_one_ping_and_its_timeout() {
    let (mut raw, mut server) = raw_client().await;
    let started = tokio::time::Instant::now();
    let ended = tokio::spawn(async move { server.next().await });
    assert_eq!(
        read_frame(&mut raw).await,
        (0x9, Vec::new()),
        "a ping, empty"
    );
    let err = ended.await.unwrap().unwrap().unwrap_err();
    assert!(err.is_closed() && err.is_heartbeat_timeout(), "{err}");
    assert!(!err.is_timeout());
    assert!(
        started.elapsed() >= Duration::from_millis(100),
        "interval + timeout"
    );
}

#[tokio::test]
async fn a_peer_that_answers_stays_connected_across_many_pings() {
    let (mut raw, mut server) = raw_client().await;
    let reader = tokio::spawn(async move {
        let mut pongs = 0;
        loop {
            match server.next().await {
                Some(Ok(message)) if message.is_pong() => pongs += 1,
                other => return (server, pongs, other),
            }
        }
    });
    for _ in 0..6 {
        assert_eq!(read_frame(&mut raw).await, (0x9, Vec::new()));
        raw.write_all(&frame(0xa, b"", Some(MASK))).await.unwrap();
    }
    raw.write_all(&frame(0x1, b"still here", Some(MASK)))
        .await
        .unwrap();
    let (mut server, pongs, first) = reader.await.unwrap();
    assert_eq!(pongs, 6);
    assert_eq!(first.unwrap().unwrap(), Message::text("still here"));
    server.send(Message::text("bye")).await.unwrap();
    assert_eq!(read_frame(&mut raw).await, (0x1, b"bye".to_vec()));
}

#[tokio::test]
async fn two_ferrows_streams_keep_each_other_alive_with_automatic_pongs() {
    let (client_io, server_io) = tokio::io::duplex(64 * 1024);
    let (server, client) = tokio::join!(
        accept(server_io, beating(20, 200)),
        connect("ws://localhost/", client_io, beating(20, 200))
    );
    let (mut server, mut client) = (server.unwrap(), client.unwrap());
    let pings = tokio::spawn(async move {
        let mut pings = 0;
        while let Some(Ok(message)) = client.next().await {
            pings += usize::from(message.is_ping());
            if message.is_text() {
                break;
            }
        }
        (client, pings)
    });
    let server_pings = tokio::time::timeout(Duration::from_millis(300), async {
        let mut pings = 0;
        while let Some(message) = server.next().await {
            pings += usize::from(message.unwrap().is_ping());
        }
        pings
    })
    .await;
    assert!(server_pings.is_err(), "the server stream is still open");
    server.send(Message::text("done")).await.unwrap();
    let (_client, client_pings) = pings.await.unwrap();
    assert!(client_pings >= 3, "the client saw {client_pings} pings");
}
