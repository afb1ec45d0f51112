//! The axum `WebSocketUpgrade` extractor end to end with our client.

use axum::response::Response;
use axum::routing::get;
use axum::Router;
use ferrows::axum::{UpgradedSocket, WebSocketUpgrade};
use ferrows::deflate::DeflateConfig;
use ferrows::{connect_tcp, CloseFrame, Config, Message, Request};
use futures_util::{SinkExt, StreamExt};
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::{TcpListener, TcpStream};

async fn upgrade(ws: WebSocketUpgrade) -> Response {
    let config = Config::default().deflate(DeflateConfig::default());
    ws.protocols(["chat", "other"])
        .config(config)
        .on_upgrade(echo)
}

async fn echo(mut socket: UpgradedSocket) {
    while let Some(Ok(message)) = socket.next().await {
        if (message.is_text() || message.is_binary()) && socket.send(message).await.is_err() {
            return;
        }
    }
}

/// Serves the app on a loopback port; returns `host:port`.
async fn serve() -> String {
    let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = listener.local_addr().unwrap().to_string();
    let app = Router::new().route("/ws", get(upgrade));
    tokio::spawn(async move { axum::serve(listener, app).await });
    addr
}

/// Sends a raw request and returns the whole answer (the refusal closes
/// the connection).
async fn raw_answer(addr: &str, request: String) -> String {
    let mut tcp = TcpStream::connect(addr).await.unwrap();
    tcp.write_all(request.as_bytes()).await.unwrap();
    let mut answer = Vec::new();
    tcp.read_to_end(&mut answer).await.unwrap();
    String::from_utf8_lossy(&answer).into_owned()
}

#[tokio::test]
async fn axum_upgrade_echoes_with_protocol_and_deflate_then_closes() {
    let addr = serve().await;
    let request = Request::new(&format!("ws://{addr}/ws"))
        .unwrap()
        .protocol("other")
        .protocol("chat");
    let config = Config::default().deflate(DeflateConfig::default());
    let mut ws = connect_tcp(request, config).await.unwrap();
    assert_eq!(ws.protocol(), Some("chat"), "the server's preference wins");
    assert!(ws.is_compressed());
    ws.send(Message::text("through axum")).await.unwrap();
    assert_eq!(
        ws.next().await.unwrap().unwrap(),
        Message::text("through axum")
    );
    let big = Message::binary(vec![5u8; 200_000]);
    ws.send(big.clone()).await.unwrap();
    assert_eq!(ws.next().await.unwrap().unwrap(), big);
    ws.close().await.unwrap();
    let reply = ws.next().await.unwrap().unwrap();
    assert_eq!(reply, Message::Close(Some(CloseFrame::normal())));
    assert!(ws.next().await.is_none());
}

#[tokio::test]
async fn axum_upgrade_without_deflate_or_protocol_on_the_client() {
    let addr = serve().await;
    let mut ws = connect_tcp(format!("ws://{addr}/ws"), Config::default())
        .await
        .unwrap();
    assert_eq!(ws.protocol(), None);
    assert!(!ws.is_compressed());
    ws.send(Message::binary(vec![1u8, 2])).await.unwrap();
    assert_eq!(
        ws.next().await.unwrap().unwrap(),
        Message::binary(vec![1u8, 2])
    );
}

#[tokio::test]
async fn axum_plain_get_is_refused_with_426() {
    let addr = serve().await;
    let answer = raw_answer(&addr, "GET /ws HTTP/1.1\r\nHost: a\r\n\r\n".to_owned()).await;
    assert!(answer.starts_with("HTTP/1.1 426 "), "{answer}");
}

#[tokio::test]
async fn axum_bad_key_is_refused_with_ws_400() {
    let addr = serve().await;
    let request = "GET /ws HTTP/1.1\r\nHost: a\r\nConnection: Upgrade\r\nUpgrade: websocket\r\n\
                   Sec-WebSocket-Key: short\r\nSec-WebSocket-Version: 13\r\n\r\n";
    let answer = raw_answer(&addr, request.to_owned()).await;
    assert!(answer.starts_with("HTTP/1.1 400 "), "{answer}");
    assert!(
        answer.ends_with("Missing or invalid Sec-WebSocket-Key header"),
        "{answer}"
    );
}
