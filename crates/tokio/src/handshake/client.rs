//! The client's side of the opening handshake.

use ferrows_core::deflate::{client_accept, client_offer, Negotiated, EXTENSION_NAME};
use ferrows_core::handshake::{
    check_response_extensions, encode_request, generate_key, ClientHandshakeError, ClientRequest,
    ResponseHead, ResponseParser,
};
use tokio::io::{AsyncRead, AsyncWrite, AsyncWriteExt};

use super::request::{IntoRequest, Request};
use super::{read_head, ReadError};
use crate::config::Config;
use crate::error::Error;
use crate::random;
use crate::stream::{Negotiation, WebSocketStream};

/// Performs the client's opening handshake on `stream`, a transport already
/// connected to the server (TCP, TLS, a proxy tunnel): writes the upgrade
/// request for `request` (a URL or a [`Request`]), offering
/// permessage-deflate when [`Config::deflate`] is set, and checks the
/// answer as `ws` 8.23 does.
///
/// A non-101 answer fails with [`Error::unexpected_status`] set; a 101 that
/// breaks a rule (wrong `Sec-WebSocket-Accept`, unrequested subprotocol or
/// extension) fails with [`Error::is_handshake`].
pub async fn connect<S>(
    request: impl IntoRequest,
    mut stream: S,
    config: Config,
) -> Result<WebSocketStream<S>, Error>
where
    S: AsyncRead + AsyncWrite + Unpin,
{
    let request = request.into_request()?;
    config.validate()?;
    let key = generate_key(random::key_bytes());
    stream.write_all(&encode(&request, &key, &config)?).await?;
    stream.flush().await?;
    let mut buf = Vec::new();
    let mut parser = ResponseParser::new(config.head_limits);
    let (head, used) = match read_head(&mut stream, &mut buf, |bytes| parser.parse(bytes)).await {
        Ok(found) => found,
        Err(ReadError::Parse(err)) => return Err(Error::response(err)),
        Err(ReadError::Transport(err)) => return Err(err),
    };
    let negotiation = check(&head, &key, &request, &config).map_err(Error::response)?;
    let leftover = &mut buf[used..];
    Ok(WebSocketStream::from_parts(
        stream,
        false,
        &config,
        negotiation,
        leftover,
    ))
}

/// The request bytes.
fn encode(request: &Request, key: &str, config: &Config) -> Result<Vec<u8>, Error> {
    let offer = config.deflate_config().map(client_offer);
    let host = request.host_header();
    let head = ClientRequest {
        host: &host,
        path: request.path(),
        key,
        version: 13,
        protocols: &request.protocols,
        extensions: offer.as_deref(),
        origin: request.origin.as_deref(),
        extra_headers: &request.headers,
    };
    encode_request(&head).map_err(Error::request)
}

/// `check_response`, then the extension checks of [`accept_extensions`].
fn check(
    head: &ResponseHead,
    key: &str,
    request: &Request,
    config: &Config,
) -> Result<Negotiation, ClientHandshakeError> {
    let accepted = head.check(key, &request.protocols)?;
    let deflate = accept_extensions(accepted.extensions.as_deref(), config)?;
    Ok(Negotiation {
        protocol: accepted.protocol,
        deflate,
    })
}

/// The client's extension checks, shared by HTTP/1.1 and HTTP/2: the
/// server's `Sec-WebSocket-Extensions` answer must only accept what was
/// offered, and permessage-deflate's `client_accept` must agree with it.
pub(crate) fn accept_extensions(
    answer: Option<&str>,
    config: &Config,
) -> Result<Option<Negotiated>, ClientHandshakeError> {
    let offered = config.deflate_config();
    let answers = check_response_extensions(answer, offered.is_some())?;
    match offered {
        Some(options) if !answers.is_empty() => {
            let params: Vec<_> = answers
                .iter()
                .filter(|answer| answer.name == EXTENSION_NAME)
                .map(|answer| answer.params.as_slice())
                .collect();
            let agreement = client_accept(options, &params)
                .map_err(|_| ClientHandshakeError::invalid_extensions())?;
            Ok(Some(agreement.negotiated))
        }
        _ => Ok(None),
    }
}
