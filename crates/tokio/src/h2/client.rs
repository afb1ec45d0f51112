//! The client's side: WebSockets opened with extended CONNECT on an HTTP/2
//! connection (RFC 8441 §4–5), several per connection.

use ::h2::client::SendRequest;
use ::h2::{ext::Protocol, Ping};
use bytes::Bytes;
use ferrows_core::deflate::client_offer;
use ferrows_core::handshake::{check_connect_response, check_header};
use http::{HeaderName, HeaderValue, Method, Uri};
use tokio::io::{AsyncRead, AsyncWrite};

use super::io::{io_error, H2Stream};
use super::server::H2WebSocket;
use super::settings::Settings;
use crate::config::Config;
use crate::error::Error;
use crate::handshake::{accept_extensions, IntoRequest, Request};
use crate::http_fields::merged_headers;
use crate::stream::{Negotiation, WebSocketStream};

/// Headers the extended CONNECT sets itself, or that HTTP/2 forbids
/// (RFC 9113 §8.2.2); an application's value for them is dropped.
const RESERVED: [&str; 10] = [
    "connection",
    "upgrade",
    "keep-alive",
    "proxy-connection",
    "transfer-encoding",
    "te",
    "sec-websocket-key",
    "sec-websocket-version",
    "sec-websocket-protocol",
    "sec-websocket-extensions",
];

/// A client's HTTP/2 connection whose server enabled extended CONNECT; each
/// [`connect`](Self::connect) opens one more WebSocket on it. Cloning is
/// cheap and shares the connection, which a spawned task drives until the
/// last handle and WebSocket are gone.
#[derive(Clone, Debug)]
pub struct ClientConnection {
    send: SendRequest<Bytes>,
}

impl ClientConnection {
    /// Performs the HTTP/2 handshake on `io` (TCP for h2c, or TLS that
    /// chose ALPN `h2`), spawns the connection's task, and waits for the
    /// server's SETTINGS: a PING round trip, since a server's SETTINGS come
    /// before anything else it sends.
    ///
    /// Fails with [`Error::is_extended_connect_unsupported`] when the server
    /// did not send `SETTINGS_ENABLE_CONNECT_PROTOCOL = 1`.
    pub async fn handshake<S>(io: S, settings: &Settings) -> Result<Self, Error>
    where
        S: AsyncRead + AsyncWrite + Unpin + Send + 'static,
    {
        let h2_err = |err| Error::io(io_error(err));
        let (send, mut conn) = settings
            .client_builder()
            .handshake::<_, Bytes>(io)
            .await
            .map_err(h2_err)?;
        let ping = conn.ping_pong();
        tokio::spawn(async move {
            let _ = conn.await;
        });
        if let Some(mut ping) = ping {
            ping.ping(Ping::opaque()).await.map_err(h2_err)?;
        }
        if !send.is_extended_connect_protocol_enabled() {
            return Err(Error::extended_connect_unsupported());
        }
        Ok(Self { send })
    }

    /// Opens a WebSocket on this connection: sends the extended CONNECT for
    /// `request` (`:scheme` `https` for `wss://`, `http` for `ws://`),
    /// offering its subprotocols and permessage-deflate when
    /// [`Config::deflate`] is set, and checks the answer as over HTTP/1.1.
    ///
    /// A non-2xx answer fails with [`Error::unexpected_status`] set; a reset
    /// stream (a malformed request) with an I/O error of kind
    /// `ConnectionReset`.
    pub async fn connect(
        &self,
        request: impl IntoRequest,
        config: Config,
    ) -> Result<H2WebSocket, Error> {
        let request = request.into_request()?;
        config.validate()?;
        let h2_err = |err| Error::io(io_error(err));
        let mut send = self.send.clone().ready().await.map_err(h2_err)?;
        let (response, stream) = send
            .send_request(extended_connect(&request, &config)?, false)
            .map_err(h2_err)?;
        let (parts, body) = response.await.map_err(h2_err)?.into_parts();
        let fields = merged_headers(&parts.headers);
        let accepted = check_connect_response(&fields, parts.status.as_u16(), &request.protocols)
            .map_err(Error::response)?;
        let deflate =
            accept_extensions(accepted.extensions.as_deref(), &config).map_err(Error::response)?;
        let negotiation = Negotiation {
            protocol: accepted.protocol,
            deflate,
        };
        let io = H2Stream::new(stream, body);
        Ok(WebSocketStream::from_parts(
            io,
            false,
            &config,
            negotiation,
            &mut [],
        ))
    }

    /// How many more streams the server currently allows.
    pub fn max_send_streams(&self) -> usize {
        self.send.current_max_send_streams()
    }
}

/// Opens one WebSocket over a new HTTP/2 connection on `io` with default
/// [`Settings`]: [`ClientConnection::handshake`] then
/// [`connect`](ClientConnection::connect). The connection closes when the
/// WebSocket is dropped.
pub async fn connect<S>(
    request: impl IntoRequest,
    io: S,
    config: Config,
) -> Result<H2WebSocket, Error>
where
    S: AsyncRead + AsyncWrite + Unpin + Send + 'static,
{
    let client = ClientConnection::handshake(io, &Settings::default()).await?;
    client.connect(request, config).await
}

/// The extended CONNECT request for `request`.
fn extended_connect(request: &Request, config: &Config) -> Result<http::Request<()>, Error> {
    let uri = Uri::builder()
        .scheme(if request.is_secure() { "https" } else { "http" })
        .authority(authority(request))
        .path_and_query(request.path())
        .build()
        .map_err(|_| Error::url("the URL cannot be an HTTP/2 request target"))?;
    let mut out = http::Request::new(());
    *out.method_mut() = Method::CONNECT;
    *out.uri_mut() = uri;
    out.extensions_mut()
        .insert(Protocol::from_static("websocket"));
    let protocols = request.protocols.join(", ");
    let offer = config.deflate_config().map(client_offer);
    let ours = [
        ("sec-websocket-version", Some("13")),
        (
            "sec-websocket-protocol",
            Some(protocols.as_str()).filter(|p| !p.is_empty()),
        ),
        ("sec-websocket-extensions", offer.as_deref()),
        ("origin", request.origin.as_deref()),
    ];
    let theirs = request
        .headers
        .iter()
        .map(|(n, v)| (n.as_str(), Some(v.as_str())));
    let theirs = theirs.filter(|(name, _)| !is_reserved(name));
    for (name, value) in ours.into_iter().chain(theirs) {
        if let Some(value) = value {
            append(out.headers_mut(), name, value)?;
        }
    }
    Ok(out)
}

/// `:authority`: an application's `Host` header, else the URL's.
fn authority(request: &Request) -> String {
    let host = request
        .headers
        .iter()
        .rev()
        .find(|(name, _)| name.eq_ignore_ascii_case("host"));
    host.map_or_else(|| request.host_header(), |(_, value)| value.clone())
}

fn is_reserved(name: &str) -> bool {
    name.eq_ignore_ascii_case("host") || RESERVED.iter().any(|r| name.eq_ignore_ascii_case(r))
}

/// Appends one header, checked as the HTTP/1.1 client checks it (values
/// are Latin-1).
fn append(headers: &mut http::HeaderMap, name: &str, value: &str) -> Result<(), Error> {
    check_header(name, value).map_err(Error::request)?;
    let latin1: Vec<u8> = value.chars().filter_map(|c| u8::try_from(c).ok()).collect();
    let name = HeaderName::from_bytes(name.as_bytes());
    let value = HeaderValue::from_bytes(&latin1);
    if let (Ok(name), Ok(value)) = (name, value) {
        headers.append(name, value);
    }
    Ok(())
}
