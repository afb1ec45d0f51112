//! A connected client and server over an in-memory duplex.

use ferrows::{accept, connect, Config, WebSocketStream};
use tokio::io::DuplexStream;

/// Runs both handshakes over a duplex with `capacity` bytes of buffer per
/// direction.
pub async fn duplex_pair(
    client: Config,
    server: Config,
    capacity: usize,
) -> (WebSocketStream<DuplexStream>, WebSocketStream<DuplexStream>) {
    let (client_io, server_io) = tokio::io::duplex(capacity);
    let (client, server) = tokio::join!(
        connect("ws://localhost/test", client_io, client),
        accept(server_io, server)
    );
    (
        client.expect("client handshake"),
        server.expect("server handshake"),
    )
}
