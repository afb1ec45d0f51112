//! Client ↔ server over real loopback TCP.

use ferrows::{accept, connect_tcp, CloseFrame, Config, Message};
use futures_util::{SinkExt, StreamExt};
use tokio::net::TcpListener;

/// Binds a loopback listener and returns it with its `ws://` URL.
async fn listener() -> (TcpListener, String) {
    let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
    let url = format!("ws://{}/echo", listener.local_addr().unwrap());
    (listener, url)
}

#[tokio::test]
async fn client_and_server_echo_then_close_over_tcp() {
    let (listener, url) = listener().await;
    let server = tokio::spawn(async move {
        let (tcp, _) = listener.accept().await.unwrap();
        let mut ws = accept(tcp, Config::default()).await?;
        let mut seen = Vec::new();
        while let Some(message) = ws.next().await {
            let message = message?;
            if message.is_text() || message.is_binary() {
                ws.send(message.clone()).await?;
            }
            seen.push(message);
        }
        Ok::<_, ferrows::Error>(seen)
    });
    let mut ws = connect_tcp(url.as_str(), Config::default()).await.unwrap();
    ws.send(Message::text("over tcp")).await.unwrap();
    ws.send(Message::binary(vec![9u8; 70_000])).await.unwrap();
    assert_eq!(ws.next().await.unwrap().unwrap(), Message::text("over tcp"));
    assert_eq!(ws.next().await.unwrap().unwrap().len(), 70_000);
    ws.send(Message::Close(Some(CloseFrame::new(1001, "going away"))))
        .await
        .unwrap();
    let reply = ws.next().await.unwrap().unwrap();
    assert_eq!(
        reply,
        Message::Close(Some(CloseFrame::new(1001, "going away")))
    );
    assert!(ws.next().await.is_none());
    let seen = server.await.unwrap().unwrap();
    assert_eq!(seen.len(), 3);
    assert_eq!(
        seen[2],
        Message::Close(Some(CloseFrame::new(1001, "going away")))
    );
}

#[tokio::test]
async fn client_drops_tcp_server_sees_abnormal_closure() {
    let (listener, url) = listener().await;
    let server = tokio::spawn(async move {
        let (tcp, _) = listener.accept().await.unwrap();
        let mut ws = accept(tcp, Config::default()).await.unwrap();
        ws.next().await.unwrap().unwrap_err()
    });
    let ws = connect_tcp(url, Config::default()).await.unwrap();
    drop(ws);
    let err = server.await.unwrap();
    assert!(err.is_closed(), "{err}");
    assert_eq!(err.close_code(), Some(1006));
}

#[tokio::test]
async fn connect_tcp_refuses_wss_urls() {
    let err = connect_tcp("wss://127.0.0.1:1/", Config::default())
        .await
        .unwrap_err();
    assert!(err.is_url());
}

#[tokio::test]
async fn connect_tcp_to_closed_port_is_io_error() {
    let (listener, url) = listener().await;
    drop(listener);
    let err = connect_tcp(url, Config::default()).await.unwrap_err();
    assert!(err.is_io());
}
