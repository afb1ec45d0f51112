//! WebSockets over HTTP/2 end to end on loopback: echo, negotiation,
//! multiplexing, large messages across small windows, limits.

#[path = "support/h2.rs"]
mod support;

use std::time::Duration;

use ferrows::deflate::DeflateConfig;
use ferrows::h2::Settings;
use ferrows::{AcceptOptions, CloseFrame, Config, Message, Request};
use futures_util::{SinkExt, StreamExt};
use support::{client, close, echo, echo_server, serve};
use tokio::time::timeout;

const LIMIT: Duration = Duration::from_secs(20);

#[tokio::test]
async fn client_and_server_echo_text_and_binary() {
    let addr = echo_server(Config::default(), Settings::default()).await;
    let conn = client(addr, &Settings::default()).await;
    let mut ws = conn
        .connect(format!("ws://{addr}/echo"), Config::default())
        .await
        .unwrap();
    assert!(!ws.is_compressed() && ws.protocol().is_none());
    ws.send(Message::text("héllo")).await.unwrap();
    ws.send(Message::binary(vec![0u8, 1, 2, 255]))
        .await
        .unwrap();
    assert_eq!(ws.next().await.unwrap().unwrap(), Message::text("héllo"));
    assert_eq!(
        ws.next().await.unwrap().unwrap(),
        Message::binary(vec![0u8, 1, 2, 255])
    );
    close(ws).await;
}

#[tokio::test]
async fn server_sends_first_and_closes_cleanly() {
    let addr = serve(
        Config::default(),
        AcceptOptions::new,
        Settings::default(),
        |mut ws| async move {
            ws.send(Message::text("welcome")).await.unwrap();
            ws.close().await.unwrap();
            let mut last = None;
            while let Some(message) = ws.next().await {
                last = Some(message.expect("clean close on the server"));
            }
            assert!(matches!(last, Some(Message::Close(Some(f))) if f.code == 1000));
        },
    )
    .await;
    let mut ws = ferrows::h2::connect(
        format!("ws://{addr}/"),
        tokio::net::TcpStream::connect(addr).await.unwrap(),
        Config::default(),
    )
    .await
    .unwrap();
    assert_eq!(ws.next().await.unwrap().unwrap(), Message::text("welcome"));
    let close = ws.next().await.unwrap().unwrap();
    assert!(matches!(
        close,
        Message::Close(Some(CloseFrame { code: 1000, .. }))
    ));
    assert!(
        ws.next().await.is_none(),
        "END_STREAM after the close is a clean end"
    );
}

#[tokio::test]
async fn permessage_deflate_is_negotiated_and_used() {
    let deflate = || {
        Config::default().deflate(DeflateConfig {
            threshold: 0,
            ..DeflateConfig::default()
        })
    };
    let addr = echo_server(deflate(), Settings::default()).await;
    let conn = client(addr, &Settings::default()).await;
    let mut ws = conn
        .connect(format!("ws://{addr}/"), deflate())
        .await
        .unwrap();
    assert!(ws.is_compressed());
    let text = "compress me ".repeat(1000);
    ws.send(Message::text(text.clone())).await.unwrap();
    assert_eq!(ws.next().await.unwrap().unwrap(), Message::text(text));
    close(ws).await;
}

#[tokio::test]
async fn deflate_offer_to_server_without_deflate_is_declined() {
    let addr = echo_server(Config::default(), Settings::default()).await;
    let conn = client(addr, &Settings::default()).await;
    let config = Config::default().deflate(DeflateConfig::default());
    let ws = conn.connect(format!("ws://{addr}/"), config).await.unwrap();
    assert!(!ws.is_compressed());
    close(ws).await;
}

#[tokio::test]
async fn subprotocol_is_selected_by_the_server_callback() {
    let options = || {
        AcceptOptions::new()
            .select_protocol(|offered| offered.iter().find(|p| *p == "chat.v2").cloned())
    };
    let addr = serve(Config::default(), options, Settings::default(), echo).await;
    let conn = client(addr, &Settings::default()).await;
    let request = Request::new(&format!("ws://{addr}/"))
        .unwrap()
        .protocol("chat.v1")
        .protocol("chat.v2");
    let ws = conn.connect(request, Config::default()).await.unwrap();
    assert_eq!(ws.protocol(), Some("chat.v2"));
    close(ws).await;
    let request = Request::new(&format!("ws://{addr}/"))
        .unwrap()
        .protocol("other");
    let err = conn.connect(request, Config::default()).await.unwrap_err();
    assert!(
        err.is_handshake(),
        "as over HTTP/1.1, ws refuses a missing subprotocol: {err}"
    );
}

#[tokio::test]
async fn check_request_sees_path_and_authority_and_can_refuse() {
    let options = || {
        AcceptOptions::new().check_request(|head| {
            assert_eq!(head.method, "CONNECT");
            match (head.target.as_str(), head.header("host")) {
                ("/ok?x=1", Some(host)) if host.starts_with("127.0.0.1:") => Ok(()),
                _ => Err(ferrows::Rejection::new(403, "nope")),
            }
        })
    };
    let addr = serve(Config::default(), options, Settings::default(), echo).await;
    let conn = client(addr, &Settings::default()).await;
    let ws = conn
        .connect(format!("ws://{addr}/ok?x=1"), Config::default())
        .await
        .unwrap();
    close(ws).await;
    let err = conn
        .connect(format!("ws://{addr}/other"), Config::default())
        .await
        .unwrap_err();
    assert_eq!(err.unexpected_status(), Some(403));
    let ws = conn
        .connect(format!("ws://{addr}/ok?x=1"), Config::default())
        .await
        .expect("a refusal leaves the connection usable");
    close(ws).await;
}

#[tokio::test]
async fn many_websockets_share_one_connection() {
    let settings = Settings::new().max_concurrent_streams(200);
    let addr = echo_server(Config::default(), settings.clone()).await;
    let conn = client(addr, &settings).await;
    let mut sockets = Vec::new();
    for _ in 0..120 {
        sockets.push(
            conn.connect(format!("ws://{addr}/"), Config::default())
                .await
                .unwrap(),
        );
    }
    let tasks: Vec<_> = sockets
        .into_iter()
        .enumerate()
        .map(|(i, mut ws)| {
            tokio::spawn(async move {
                for round in 0..3 {
                    let text = format!("socket {i} round {round}");
                    ws.send(Message::text(text.clone())).await.unwrap();
                    assert_eq!(ws.next().await.unwrap().unwrap(), Message::text(text));
                }
                close(ws).await;
            })
        })
        .collect();
    for task in tasks {
        timeout(LIMIT, task).await.expect("all 120 echo").unwrap();
    }
}

#[tokio::test]
async fn sixteen_mib_message_crosses_a_sixteen_kib_window() {
    let settings = Settings::new()
        .initial_window_size(16 * 1024)
        .initial_connection_window_size(16 * 1024);
    let addr = echo_server(Config::default(), settings.clone()).await;
    let conn = client(addr, &settings).await;
    let mut ws = conn
        .connect(format!("ws://{addr}/"), Config::default())
        .await
        .unwrap();
    let payload: Vec<u8> = (0..16 * 1024 * 1024)
        .map(|i: u32| (i % 251) as u8)
        .collect();
    ws.send(Message::binary(payload.clone())).await.unwrap();
    let echoed = timeout(LIMIT, ws.next())
        .await
        .expect("echo in time")
        .unwrap()
        .unwrap();
    assert_eq!(echoed, Message::binary(payload));
    close(ws).await;
}

#[tokio::test]
async fn max_payload_over_h2_closes_with_1009() {
    let addr = echo_server(Config::default().max_payload(1024), Settings::default()).await;
    let conn = client(addr, &Settings::default()).await;
    let mut ws = conn
        .connect(format!("ws://{addr}/"), Config::default())
        .await
        .unwrap();
    ws.send(Message::binary(vec![7u8; 4096])).await.unwrap();
    let close = timeout(LIMIT, ws.next()).await.unwrap().unwrap().unwrap();
    assert!(
        matches!(close, Message::Close(Some(CloseFrame { code: 1009, .. }))),
        "{close:?}"
    );
    assert!(timeout(LIMIT, ws.next()).await.unwrap().is_none());
}
