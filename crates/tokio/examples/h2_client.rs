//! An HTTP/2 client: opens two WebSockets on one h2c connection, sends a
//! message on each, prints the answers, closes both.
//!
//! ```text
//! cargo run -p ferrows --features http2 --example h2_echo &
//! cargo run -p ferrows --features http2 --example h2_client -- 127.0.0.1:9002
//! ```

use ferrows::h2::{ClientConnection, Settings};
use ferrows::{Config, Message};
use futures_util::{SinkExt, StreamExt};
use tokio::net::TcpStream;

#[tokio::main]
async fn main() -> Result<(), ferrows::Error> {
    let addr = std::env::args()
        .nth(1)
        .unwrap_or_else(|| "127.0.0.1:9002".to_owned());
    let tcp = TcpStream::connect(&addr).await?;
    let client = ClientConnection::handshake(tcp, &Settings::default()).await?;
    for name in ["first", "second"] {
        let mut ws = client
            .connect(format!("ws://{addr}/{name}"), Config::default())
            .await?;
        ws.send(Message::text(format!("hello from the {name} stream")))
            .await?;
        if let Some(reply) = ws.next().await.transpose()? {
            eprintln!("{name}: {reply:?}");
        }
        ws.close().await?;
        while ws.next().await.transpose()?.is_some() {}
    }
    Ok(())
}
