//! An HTTP/2 WebSocket server and client on loopback, and a raw h2 client
//! for requests the library would never send.

#![allow(dead_code, reason = "each test file uses part of the support")]

use std::future::Future;
use std::net::SocketAddr;

use bytes::Bytes;
use ferrows::h2::{self, ClientConnection, H2WebSocket, Settings};
use ferrows::{AcceptOptions, Config};
use futures_util::{SinkExt, StreamExt};
use tokio::net::{TcpListener, TcpStream};

/// Serves HTTP/2 WebSocket connections on a loopback port, running
/// `handler` on each WebSocket; returns the address.
pub async fn serve<F, Fut>(
    config: Config,
    options: impl Fn() -> AcceptOptions + Send + 'static,
    settings: Settings,
    handler: F,
) -> SocketAddr
where
    F: Fn(H2WebSocket) -> Fut + Clone + Send + 'static,
    Fut: Future<Output = ()> + Send + 'static,
{
    let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = listener.local_addr().unwrap();
    tokio::spawn(async move {
        loop {
            let (tcp, _) = listener.accept().await.unwrap();
            let (config, options, settings) = (config.clone(), options(), settings.clone());
            let handler = handler.clone();
            tokio::spawn(async move {
                let conn = h2::accept_with(tcp, config, options, &settings).await;
                let Ok(mut conn) = conn else { return };
                while let Some(Ok(ws)) = conn.accept().await {
                    tokio::spawn(handler(ws));
                }
            });
        }
    });
    addr
}

/// An echo server with default options.
pub async fn echo_server(config: Config, settings: Settings) -> SocketAddr {
    serve(config, AcceptOptions::new, settings, echo).await
}

/// Sends back every text and binary message until the WebSocket ends.
pub async fn echo(mut ws: H2WebSocket) {
    while let Some(Ok(message)) = ws.next().await {
        if (message.is_text() || message.is_binary()) && ws.send(message).await.is_err() {
            return;
        }
    }
}

/// A client connection to `addr`.
pub async fn client(addr: SocketAddr, settings: &Settings) -> ClientConnection {
    let tcp = TcpStream::connect(addr).await.unwrap();
    ClientConnection::handshake(tcp, settings)
        .await
        .expect("h2 handshake")
}

/// A raw h2 client (no ferrows) on `addr`, its connection driven on a task.
pub async fn raw_client(addr: SocketAddr) -> ::h2::client::SendRequest<Bytes> {
    let tcp = TcpStream::connect(addr).await.unwrap();
    let (send, conn) = ::h2::client::handshake(tcp).await.unwrap();
    tokio::spawn(async move {
        let _ = conn.await;
    });
    send.ready().await.unwrap()
}

/// Closes `ws` and reads until the closing handshake completes.
pub async fn close(mut ws: H2WebSocket) {
    ws.close().await.unwrap();
    while let Some(message) = ws.next().await {
        message.unwrap();
    }
}
