//! An axum server with an echo WebSocket route at `/ws` (feature `axum`).
//!
//! ```text
//! cargo run -p ferrows --features axum --example axum_echo -- 127.0.0.1:3000
//! cargo run -p ferrows --example client -- ws://127.0.0.1:3000/ws
//! ```

use axum::response::Response;
use axum::routing::get;
use axum::Router;
use ferrows::axum::{UpgradedSocket, WebSocketUpgrade};
use ferrows::deflate::DeflateConfig;
use ferrows::Config;
use futures_util::{SinkExt, StreamExt};

#[tokio::main]
async fn main() -> std::io::Result<()> {
    let addr = std::env::args()
        .nth(1)
        .unwrap_or_else(|| "127.0.0.1:3000".to_owned());
    let app = Router::new().route("/ws", get(upgrade));
    let listener = tokio::net::TcpListener::bind(&addr).await?;
    eprintln!("axum echo listening on ws://{}/ws", listener.local_addr()?);
    axum::serve(listener, app).await
}

async fn upgrade(ws: WebSocketUpgrade) -> Response {
    ws.config(Config::default().deflate(DeflateConfig::default()))
        .on_upgrade(echo)
}

async fn echo(mut socket: UpgradedSocket) {
    while let Some(Ok(message)) = socket.next().await {
        if (message.is_text() || message.is_binary()) && socket.send(message).await.is_err() {
            return;
        }
    }
}
