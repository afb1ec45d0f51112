//! An HTTP/2 (h2c, prior knowledge) echo server: every WebSocket opened with
//! extended CONNECT on any connection gets its text and binary messages back.
//!
//! ```text
//! cargo run -p ferrows --features http2 --example h2_echo -- 127.0.0.1:9002
//! ```

use ferrows::deflate::DeflateConfig;
use ferrows::h2::{self, H2WebSocket};
use ferrows::Config;
use futures_util::{SinkExt, StreamExt};
use tokio::net::{TcpListener, TcpStream};

#[tokio::main]
async fn main() -> std::io::Result<()> {
    let addr = std::env::args()
        .nth(1)
        .unwrap_or_else(|| "127.0.0.1:9002".to_owned());
    let listener = TcpListener::bind(&addr).await?;
    eprintln!("h2c echo server listening on {}", listener.local_addr()?);
    loop {
        let (tcp, peer) = listener.accept().await?;
        tokio::spawn(async move {
            if let Err(err) = serve(tcp).await {
                eprintln!("{peer}: {err}");
            }
        });
    }
}

/// Accepts WebSockets on one HTTP/2 connection until it closes.
async fn serve(tcp: TcpStream) -> Result<(), ferrows::Error> {
    tcp.set_nodelay(true)?;
    let config = Config::default().deflate(DeflateConfig::default());
    let mut conn = h2::accept(tcp, config).await?;
    while let Some(ws) = conn.accept().await {
        tokio::spawn(echo(ws?));
    }
    Ok(())
}

/// Echoes one WebSocket until the peer closes it.
async fn echo(mut ws: H2WebSocket) {
    while let Some(Ok(message)) = ws.next().await {
        if (message.is_text() || message.is_binary()) && ws.send(message).await.is_err() {
            break;
        }
    }
}
