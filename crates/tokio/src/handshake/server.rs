//! The server's side of the opening handshake.

use std::fmt;

use ferrows_core::deflate::{server_accept, Negotiated, EXTENSION_NAME};
use ferrows_core::handshake::{
    accept_key, client_error_response, encode_lines, response_101_lines, Rejection, RequestHead,
    RequestParser, UpgradeFields,
};
use tokio::io::{AsyncRead, AsyncWrite, AsyncWriteExt};

use super::{read_head, ReadError};
use crate::config::Config;
use crate::error::Error;
use crate::stream::{Negotiation, WebSocketStream};

type ProtocolSelector = dyn Fn(&[String]) -> Option<String> + Send + Sync;
type RequestCheck = dyn Fn(&RequestHead) -> Result<(), Rejection> + Send + Sync;

/// The application's part in [`accept_with`]: checks on the request and the
/// choice of subprotocol.
///
/// ```
/// use ferrows::{AcceptOptions, Rejection};
/// let options = AcceptOptions::new()
///     .check_request(|head| match head.target.as_str() {
///         "/chat" => Ok(()),
///         _ => Err(Rejection::from_status(404)),
///     })
///     .select_protocol(|offered| offered.iter().find(|p| *p == "chat.v2").cloned());
/// # let _ = options;
/// ```
#[derive(Default)]
pub struct AcceptOptions {
    select_protocol: Option<Box<ProtocolSelector>>,
    check_request: Option<Box<RequestCheck>>,
}

impl AcceptOptions {
    /// No checks beyond RFC 6455's; no subprotocol is selected.
    pub fn new() -> Self {
        Self::default()
    }

    /// Chooses a subprotocol from the client's offer (in the client's order).
    /// Called only when the client offered some; a choice that was not
    /// offered is ignored.
    #[must_use]
    pub fn select_protocol(
        mut self,
        select: impl Fn(&[String]) -> Option<String> + Send + Sync + 'static,
    ) -> Self {
        self.select_protocol = Some(Box::new(select));
        self
    }

    /// Inspects the request (path, headers, origin) after the RFC 6455
    /// checks passed; an `Err` refuses the handshake with that answer.
    #[must_use]
    pub fn check_request(
        mut self,
        check: impl Fn(&RequestHead) -> Result<(), Rejection> + Send + Sync + 'static,
    ) -> Self {
        self.check_request = Some(Box::new(check));
        self
    }
}

impl fmt::Debug for AcceptOptions {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("AcceptOptions")
            .field("select_protocol", &self.select_protocol.is_some())
            .field("check_request", &self.check_request.is_some())
            .finish()
    }
}

/// Performs the server's opening handshake on `stream` with default
/// [`AcceptOptions`]. See [`accept_with`].
pub async fn accept<S>(stream: S, config: Config) -> Result<WebSocketStream<S>, Error>
where
    S: AsyncRead + AsyncWrite + Unpin,
{
    accept_with(stream, config, &AcceptOptions::default()).await
}

/// Performs the server's opening handshake on `stream`: reads the HTTP
/// request, checks it as `ws` 8.23 does, applies `options`, negotiates
/// permessage-deflate when [`Config::deflate`] is set, and writes the 101.
///
/// The request must be complete within [`Config::accept_timeout`] (10 s by
/// default), or the handshake fails with
/// [`is_handshake_timeout`](Error::is_handshake_timeout) and `stream` is
/// dropped without an answer.
///
/// A refused request is answered (400 with `ws`'s message as the body, 405,
/// 431, or the application's [`Rejection`]), the transport is shut down, and
/// the error's [`rejection`](Error::rejection) tells what was sent.
pub async fn accept_with<S>(
    mut stream: S,
    config: Config,
    options: &AcceptOptions,
) -> Result<WebSocketStream<S>, Error>
where
    S: AsyncRead + AsyncWrite + Unpin,
{
    config.validate()?;
    let mut buf = Vec::new();
    let mut parser = RequestParser::new(config.head_limits);
    let read = read_head(&mut stream, &mut buf, |bytes| parser.parse(bytes));
    // One deadline for the whole head: a trickling client does not extend it.
    let found = match config.accept_timeout {
        Some(limit) => tokio::time::timeout(limit, read)
            .await
            .unwrap_or_else(|_| Err(ReadError::Transport(Error::handshake_timeout()))),
        None => read.await,
    };
    let (head, used) = match found {
        Ok(found) => found,
        Err(ReadError::Parse(rejection)) => {
            let response = client_error_response(rejection.status);
            return refuse(stream, &response, rejection).await;
        }
        Err(ReadError::Transport(err)) => return Err(err),
    };
    match answer(&head, &config, options) {
        Ok((response, negotiation)) => {
            stream.write_all(&response).await?;
            stream.flush().await?;
            let leftover = &mut buf[used..];
            Ok(WebSocketStream::from_parts(
                stream,
                true,
                &config,
                negotiation,
                leftover,
            ))
        }
        Err(rejection) => refuse(stream, &rejection.to_response(), rejection).await,
    }
}

/// The 101 response and what it settles, or the refusal.
fn answer(
    head: &RequestHead,
    config: &Config,
    options: &AcceptOptions,
) -> Result<(Vec<u8>, Negotiation), Rejection> {
    let upgrade = head.check_upgrade()?;
    let agreement = negotiate(head, &upgrade.fields, config, options)?;
    let accept = accept_key(upgrade.key.as_bytes());
    let protocol = agreement.negotiation.protocol.as_deref();
    let lines = response_101_lines(&accept, protocol, agreement.extensions.as_deref());
    Ok((encode_lines(&lines), agreement.negotiation))
}

/// What a server's successful answer settles, whatever the HTTP version.
#[derive(Debug, Default)]
pub(crate) struct Agreement {
    /// The subprotocol and permessage-deflate parameters for the stream.
    pub(crate) negotiation: Negotiation,
    /// The `Sec-WebSocket-Extensions` answer, if any.
    pub(crate) extensions: Option<String>,
}

/// The server's negotiation shared by HTTP/1.1 (101) and HTTP/2 (200), run
/// after the version's own checks passed: the application's
/// [`check_request`](AcceptOptions::check_request), its subprotocol choice,
/// then permessage-deflate when the config enables it.
pub(crate) fn negotiate(
    head: &RequestHead,
    fields: &UpgradeFields,
    config: &Config,
    options: &AcceptOptions,
) -> Result<Agreement, Rejection> {
    if let Some(check) = &options.check_request {
        check(head)?;
    }
    let selector = options.select_protocol.as_deref();
    let protocol = select_protocol(fields, |offered| selector.and_then(|f| f(offered)))?;
    let (deflate, extensions) = negotiate_deflate(fields, config)?;
    Ok(Agreement {
        negotiation: Negotiation { protocol, deflate },
        extensions,
    })
}

/// The subprotocol `select` picks from the client's offer (400 for a bad
/// `Sec-WebSocket-Protocol` header); a pick that was not offered is dropped.
pub(crate) fn select_protocol(
    fields: &UpgradeFields,
    select: impl FnOnce(&[String]) -> Option<String>,
) -> Result<Option<String>, Rejection> {
    let offered = fields.subprotocols()?;
    if offered.is_empty() {
        return Ok(None);
    }
    Ok(select(&offered).filter(|chosen| offered.contains(chosen)))
}

/// permessage-deflate for this request when the config enables it: the
/// agreed parameters and the `Sec-WebSocket-Extensions` answer, or 400.
pub(crate) fn negotiate_deflate(
    fields: &UpgradeFields,
    config: &Config,
) -> Result<(Option<Negotiated>, Option<String>), Rejection> {
    let Some(options) = config.deflate_config() else {
        return Ok((None, None));
    };
    let offers = fields.extension_offers()?;
    let params: Vec<_> = offers
        .iter()
        .filter(|offer| offer.name == EXTENSION_NAME)
        .map(|offer| offer.params.as_slice())
        .collect();
    match server_accept(options, &params) {
        Ok(Some(agreement)) => Ok((
            Some(agreement.negotiated),
            Some(agreement.response_header()),
        )),
        Ok(None) => Ok((None, None)),
        Err(_) => Err(Rejection::invalid_extensions()),
    }
}

/// Writes the refusal, shuts the transport down (both best effort: the
/// handshake has failed either way), and reports the rejection.
async fn refuse<S, T>(mut stream: S, response: &[u8], rejection: Rejection) -> Result<T, Error>
where
    S: AsyncWrite + Unpin,
{
    if stream.write_all(response).await.is_ok() {
        let _ = stream.shutdown().await;
    }
    Err(Error::rejected(rejection))
}
