//! A TCP echo server: every text and binary message is sent back.
//!
//! ```text
//! cargo run -p ferrows --example echo_server -- 127.0.0.1:9001
//! ```

use ferrows::{accept, Config};
use futures_util::{SinkExt, StreamExt};
use tokio::net::{TcpListener, TcpStream};

#[tokio::main]
async fn main() -> std::io::Result<()> {
    let addr = std::env::args()
        .nth(1)
        .unwrap_or_else(|| "127.0.0.1:9001".to_owned());
    let listener = TcpListener::bind(&addr).await?;
    eprintln!("echo server listening on ws://{}", listener.local_addr()?);
    loop {
        let (tcp, peer) = listener.accept().await?;
        tokio::spawn(async move {
            if let Err(err) = serve(tcp).await {
                eprintln!("{peer}: {err}");
            }
        });
    }
}

/// Echoes one connection until the peer closes it.
async fn serve(tcp: TcpStream) -> Result<(), ferrows::Error> {
    tcp.set_nodelay(true)?;
    let mut ws = accept(tcp, Config::default()).await?;
    while let Some(message) = ws.next().await {
        let message = message?;
        if message.is_text() || message.is_binary() {
            ws.send(message).await?;
        }
    }
    Ok(())
}
