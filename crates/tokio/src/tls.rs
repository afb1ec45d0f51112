//! `wss://` over tokio-rustls (feature `tls`), with the ring crypto provider.
//!
//! [`WebSocketStream`] runs over a `tokio_rustls` stream unchanged: accept
//! or connect TLS first, then call [`accept`](crate::accept) or
//! [`connect`] on the TLS stream. This module adds the
//! configs and a `wss://` dialer.
//!
//! Only ring is compiled in: rustls 0.23 panics on the first
//! `ClientConfig::builder()` when both ring and aws-lc-rs are present and no
//! process-wide provider is installed, so the configs here are built with
//! `builder_with_provider(ring::default_provider())` and depend on no global
//! state.

use std::sync::Arc;

use tokio::net::TcpStream;
use tokio_rustls::rustls::crypto::ring;
use tokio_rustls::rustls::pki_types::{CertificateDer, PrivateKeyDer, ServerName};
use tokio_rustls::rustls::{self, ClientConfig, RootCertStore, ServerConfig};
use tokio_rustls::{client, TlsConnector};

pub use tokio_rustls;

use crate::config::Config;
use crate::error::Error;
use crate::handshake::{connect, IntoRequest};
use crate::stream::WebSocketStream;

/// A client config trusting `roots`, on the ring provider with its safe
/// default protocol versions.
///
/// # Errors
///
/// When the provider supports none of the default protocol versions
/// (never with ring).
pub fn client_config(roots: RootCertStore) -> Result<Arc<ClientConfig>, rustls::Error> {
    let config = ClientConfig::builder_with_provider(Arc::new(ring::default_provider()))
        .with_safe_default_protocol_versions()?
        .with_root_certificates(roots)
        .with_no_client_auth();
    Ok(Arc::new(config))
}

/// A server config presenting `certs` (leaf first) with `key`, on the ring
/// provider, without client authentication.
///
/// # Errors
///
/// When the key does not match the certificate or is unsupported.
pub fn server_config(
    certs: Vec<CertificateDer<'static>>,
    key: PrivateKeyDer<'static>,
) -> Result<Arc<ServerConfig>, rustls::Error> {
    let config = ServerConfig::builder_with_provider(Arc::new(ring::default_provider()))
        .with_safe_default_protocol_versions()?
        .with_no_client_auth()
        .with_single_cert(certs, key)?;
    Ok(Arc::new(config))
}

/// Connects to a `wss://` URL: TCP (with `TCP_NODELAY`), TLS with `tls`
/// (server name from the URL's host), then the client handshake.
pub async fn connect_tls(
    url: impl IntoRequest,
    tls: Arc<ClientConfig>,
    config: Config,
) -> Result<WebSocketStream<client::TlsStream<TcpStream>>, Error> {
    let request = url.into_request()?;
    if !request.is_secure() {
        return Err(Error::url("connect_tls needs a wss:// URL"));
    }
    let name = ServerName::try_from(request.host().to_owned())
        .map_err(|_| Error::url("the host is not a valid TLS server name"))?;
    let tcp = TcpStream::connect((request.host(), request.port())).await?;
    tcp.set_nodelay(true)?;
    let stream = TlsConnector::from(tls).connect(name, tcp).await?;
    connect(request, stream, config).await
}
