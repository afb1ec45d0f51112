//! Plain-TCP convenience: resolve, connect, handshake.

use tokio::net::TcpStream;

use crate::config::Config;
use crate::error::Error;
use crate::handshake::{connect, IntoRequest};
use crate::stream::WebSocketStream;

/// Connects to a `ws://` URL over plain TCP (with `TCP_NODELAY`) and
/// performs the client handshake.
///
/// A `wss://` URL fails with [`Error::is_url`]: use
/// `ferrows::tls::connect_tls` (feature `tls`), or run [`connect`] over your
/// own TLS stream.
///
/// ```no_run
/// # async fn run() -> Result<(), ferrows::Error> {
/// let ws = ferrows::connect_tcp("ws://127.0.0.1:9001/", ferrows::Config::default()).await?;
/// # drop(ws); Ok(()) }
/// ```
pub async fn connect_tcp(
    url: impl IntoRequest,
    config: Config,
) -> Result<WebSocketStream<TcpStream>, Error> {
    let request = url.into_request()?;
    if request.is_secure() {
        return Err(Error::url("a wss:// URL needs TLS (feature `tls`)"));
    }
    let tcp = TcpStream::connect((request.host(), request.port())).await?;
    tcp.set_nodelay(true)?;
    connect(request, tcp, config).await
}
