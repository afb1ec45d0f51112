//! A client: connect, send a text and a binary message, print the answers,
//! close.
//!
//! ```text
//! cargo run -p ferrows --example echo_server &
//! cargo run -p ferrows --example client -- ws://127.0.0.1:9001/
//! ```

use ferrows::{connect_tcp, CloseFrame, Config, Message};
use futures_util::{SinkExt, StreamExt};

#[tokio::main]
async fn main() -> Result<(), ferrows::Error> {
    let url = std::env::args()
        .nth(1)
        .unwrap_or_else(|| "ws://127.0.0.1:9001/".to_owned());
    let mut ws = connect_tcp(url.as_str(), Config::default()).await?;
    ws.send(Message::text("hello, ferrows")).await?;
    ws.send(Message::binary(vec![1u8, 2, 3])).await?;
    for _ in 0..2 {
        match ws.next().await {
            Some(message) => eprintln!("received {:?}", message?),
            None => return Ok(()),
        }
    }
    ws.send(Message::Close(Some(CloseFrame::new(1000, "done"))))
        .await?;
    // Read until the server's close frame completes the closing handshake.
    while let Some(message) = ws.next().await {
        eprintln!("received {:?}", message?);
    }
    Ok(())
}
