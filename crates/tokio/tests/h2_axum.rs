//! One axum route serving an HTTP/1.1 WebSocket and an HTTP/2 one
//! (`axum::serve` with the `http2` feature enables extended CONNECT).

use std::net::SocketAddr;

use axum::response::Response;
use axum::routing::any;
use axum::Router;
use ferrows::axum::{UpgradedSocket, WebSocketUpgrade};
use ferrows::deflate::DeflateConfig;
use ferrows::h2::{ClientConnection, Settings};
use ferrows::{connect_tcp, Config, Message, Request};
use futures_util::{SinkExt, StreamExt};
use tokio::net::{TcpListener, TcpStream};

async fn upgrade(ws: WebSocketUpgrade) -> Response {
    let config = Config::default().deflate(DeflateConfig::default());
    ws.protocols(["chat"]).config(config).on_upgrade(echo)
}

async fn echo(mut socket: UpgradedSocket) {
    while let Some(Ok(message)) = socket.next().await {
        if (message.is_text() || message.is_binary()) && socket.send(message).await.is_err() {
            return;
        }
    }
}

async fn serve() -> SocketAddr {
    let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = listener.local_addr().unwrap();
    let app = Router::new().route("/ws", any(upgrade));
    tokio::spawn(async move { axum::serve(listener, app).await.unwrap() });
    addr
}

async fn h2_client(addr: SocketAddr) -> ClientConnection {
    let tcp = TcpStream::connect(addr).await.unwrap();
    ClientConnection::handshake(tcp, &Settings::default())
        .await
        .expect("axum::serve enables extended CONNECT")
}

#[tokio::test]
async fn one_route_serves_http1_and_http2_websockets() {
    let addr = serve().await;
    let request = || {
        Request::new(&format!("ws://{addr}/ws"))
            .unwrap()
            .protocol("chat")
    };
    let config = || Config::default().deflate(DeflateConfig::default());

    let mut h1 = connect_tcp(request(), config()).await.unwrap();
    let conn = h2_client(addr).await;
    let mut h2 = conn.connect(request(), config()).await.unwrap();
    assert_eq!((h1.protocol(), h2.protocol()), (Some("chat"), Some("chat")));
    assert!(h1.is_compressed() && h2.is_compressed());
    h1.send(Message::text("over h1")).await.unwrap();
    h2.send(Message::text("over h2")).await.unwrap();
    h2.send(Message::binary(vec![5u8; 100_000])).await.unwrap();
    assert_eq!(h1.next().await.unwrap().unwrap(), Message::text("over h1"));
    assert_eq!(h2.next().await.unwrap().unwrap(), Message::text("over h2"));
    assert!(h2.next().await.unwrap().unwrap() == Message::binary(vec![5u8; 100_000]));
    h1.close().await.unwrap();
    while h1.next().await.transpose().unwrap().is_some() {}
    h2.close().await.unwrap();
    while h2.next().await.transpose().unwrap().is_some() {}
}

#[tokio::test]
async fn several_http2_websockets_share_the_axum_connection() {
    let addr = serve().await;
    let conn = h2_client(addr).await;
    let mut sockets = Vec::new();
    for _ in 0..10 {
        sockets.push(
            conn.connect(format!("ws://{addr}/ws"), Config::default())
                .await
                .unwrap(),
        );
    }
    for (i, ws) in sockets.iter_mut().enumerate() {
        ws.send(Message::text(format!("{i}"))).await.unwrap();
    }
    for (i, ws) in sockets.iter_mut().enumerate() {
        assert_eq!(
            ws.next().await.unwrap().unwrap(),
            Message::text(format!("{i}"))
        );
    }
}

#[tokio::test]
async fn http2_refusals_come_from_check_connect() {
    let addr = serve().await;
    let tcp = TcpStream::connect(addr).await.unwrap();
    let (send, conn) = h2::client::handshake(tcp).await.unwrap();
    tokio::spawn(async move {
        let _ = conn.await;
    });
    let mut send = send.ready().await.unwrap();
    let mut request = http::Request::builder()
        .method(http::Method::CONNECT)
        .uri(format!("http://{addr}/ws"))
        .header("sec-websocket-version", "13")
        .body(())
        .unwrap();
    request
        .extensions_mut()
        .insert(h2::ext::Protocol::from_static("webtransport"));
    let (response, _stream) = send.send_request(request, false).unwrap();
    assert_eq!(
        response.await.unwrap().status(),
        http::StatusCode::NOT_IMPLEMENTED
    );
}
