//! The server's side: an HTTP/2 connection that accepts WebSockets
//! (extended CONNECT, RFC 8441 §4–5).

use std::future::poll_fn;
use std::task::{Context, Poll};

use ::h2::server::{Connection, SendResponse};
use ::h2::{ext::Protocol, Reason, RecvStream};
use bytes::Bytes;
use ferrows_core::handshake::{
    check_connect, ConnectRefusal, ConnectRequest, Rejection, RequestHead,
};
use http::{Request, Response, StatusCode};
use tokio::io::{AsyncRead, AsyncWrite};
use tokio::sync::mpsc;

use super::io::{io_error, H2Stream};
use super::settings::Settings;
use crate::config::Config;
use crate::error::Error;
use crate::handshake::{negotiate, AcceptOptions, Agreement};
use crate::http_fields::{request_fields, Fields};
use crate::stream::WebSocketStream;

/// A WebSocket accepted over HTTP/2.
pub type H2WebSocket = WebSocketStream<H2Stream>;

/// What the connection's task hands to [`ServerConnection::accept`].
type Accepted = Result<H2WebSocket, Error>;

/// One request h2 accepted, with the handle to answer it.
type Incoming = (Request<RecvStream>, SendResponse<Bytes>);

/// An HTTP/2 server connection that accepts WebSockets; a task spawned by
/// [`accept_with`] drives it, so WebSockets keep flowing whether or not
/// [`accept`](Self::accept) is being awaited.
///
/// Every request is answered by that task:
///
/// - an extended CONNECT passing `check_connect` and the [`AcceptOptions`]
///   is answered 200 (with `sec-websocket-protocol`/`-extensions`) and
///   yielded by [`accept`](Self::accept);
/// - a malformed one is reset with `PROTOCOL_ERROR`;
/// - anything else is refused with `check_connect`'s or the application's
///   answer: 405 for other methods and plain CONNECT, 501 for another
///   `:protocol`, 400 for a bad version. Refusals are not yielded; this
///   connection serves WebSockets only (mount ordinary HTTP/2 routes next to
///   WebSockets with the [`axum`](crate::axum) extractor instead).
///
/// Closing one WebSocket never closes the connection. Dropping this handle
/// or calling [`shutdown`](Self::shutdown) sends GOAWAY: open WebSockets
/// keep working until they end, new ones are refused.
#[derive(Debug)]
pub struct ServerConnection {
    accepted: mpsc::UnboundedReceiver<Accepted>,
    shutdown: mpsc::UnboundedSender<()>,
}

impl ServerConnection {
    /// The next accepted WebSocket; `None` once the connection has closed,
    /// after a final `Err` if it failed (GOAWAY with an error, I/O failure).
    pub async fn accept(&mut self) -> Option<Result<H2WebSocket, Error>> {
        self.accepted.recv().await
    }

    /// Sends GOAWAY: WebSockets already open keep working, new ones are
    /// refused, and the connection closes once they have all ended.
    pub fn shutdown(&self) {
        let _ = self.shutdown.send(());
    }
}

impl futures_core::Stream for ServerConnection {
    type Item = Result<H2WebSocket, Error>;

    fn poll_next(self: std::pin::Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Option<Self::Item>> {
        self.get_mut().accepted.poll_recv(cx)
    }
}

/// Serves WebSockets over HTTP/2 on `io` (TCP for h2c, or TLS that chose
/// ALPN `h2`) with default [`AcceptOptions`] and [`Settings`]. See
/// [`accept_with`].
pub async fn accept<S>(io: S, config: Config) -> Result<ServerConnection, Error>
where
    S: AsyncRead + AsyncWrite + Unpin + Send + 'static,
{
    accept_with(io, config, AcceptOptions::default(), &Settings::default()).await
}

/// Performs the HTTP/2 handshake on `io` announcing
/// `SETTINGS_ENABLE_CONNECT_PROTOCOL`, then spawns the task that drives the
/// connection and answers its requests (see [`ServerConnection`]).
/// `options` play the part they play in [`accept_with`](crate::accept_with):
/// `check_request` sees a [`RequestHead`] with method `CONNECT`, the
/// `:path` as target, `host` set from `:authority`, and the pseudo-headers
/// among the headers.
///
/// Fails if the client's preface or settings are not valid HTTP/2.
pub async fn accept_with<S>(
    io: S,
    config: Config,
    options: AcceptOptions,
    settings: &Settings,
) -> Result<ServerConnection, Error>
where
    S: AsyncRead + AsyncWrite + Unpin + Send + 'static,
{
    config.validate()?;
    let conn = settings
        .server_builder()
        .handshake::<_, Bytes>(io)
        .await
        .map_err(|err| Error::io(io_error(err)))?;
    let (accepted_tx, accepted) = mpsc::unbounded_channel();
    let (shutdown, shutdown_rx) = mpsc::unbounded_channel();
    let driver = Driver {
        conn,
        config,
        options,
        accepted: accepted_tx,
        shutdown: shutdown_rx,
        closing: false,
    };
    tokio::spawn(driver.run());
    Ok(ServerConnection { accepted, shutdown })
}

/// The connection's task: accepts streams and answers them.
struct Driver<S> {
    conn: Connection<S, Bytes>,
    config: Config,
    options: AcceptOptions,
    accepted: mpsc::UnboundedSender<Accepted>,
    shutdown: mpsc::UnboundedReceiver<()>,
    closing: bool,
}

/// How a request is refused.
enum Refusal {
    /// `RST_STREAM(PROTOCOL_ERROR)`: the request is malformed.
    Reset,
    /// A response with this status, body and headers.
    Respond(Rejection),
}

impl<S: AsyncRead + AsyncWrite + Unpin> Driver<S> {
    async fn run(mut self) {
        loop {
            match poll_fn(|cx| self.poll_request(cx)).await {
                Some(Ok((request, respond))) => self.handle(request, respond),
                Some(Err(err)) => {
                    let _ = self.accepted.send(Err(Error::io(io_error(err))));
                    return;
                }
                None => return,
            }
        }
    }

    /// The next request; sends GOAWAY first once shutdown was asked for (or
    /// the handle dropped).
    fn poll_request(
        &mut self,
        cx: &mut Context<'_>,
    ) -> Poll<Option<Result<Incoming, ::h2::Error>>> {
        if !self.closing && self.shutdown.poll_recv(cx).is_ready() {
            self.closing = true;
            self.conn.graceful_shutdown();
        }
        self.conn.poll_accept(cx)
    }

    /// Answers one request: 200 and a WebSocket, or the refusal.
    fn handle(&mut self, request: Request<RecvStream>, mut respond: SendResponse<Bytes>) {
        match self.answer(&request) {
            Ok(agreement) => {
                let Ok(send) = respond.send_response(success(&agreement), false) else {
                    return; // the stream is already gone
                };
                let io = H2Stream::new(send, request.into_body());
                let ws = WebSocketStream::from_parts(
                    io,
                    true,
                    &self.config,
                    agreement.negotiation,
                    &mut [],
                );
                let _ = self.accepted.send(Ok(ws));
            }
            Err(Refusal::Reset) => respond.send_reset(Reason::PROTOCOL_ERROR),
            Err(Refusal::Respond(rejection)) => refuse(respond, rejection),
        }
    }

    /// `check_connect`, then the negotiation HTTP/1.1 uses too.
    fn answer(&self, request: &Request<RecvStream>) -> Result<Agreement, Refusal> {
        let protocol = request.extensions().get::<Protocol>().map(Protocol::as_str);
        let fields = request_fields(request.method(), protocol, request.uri(), request.headers());
        let connect = check_connect(&fields).map_err(Refusal::from)?;
        let head = request_head(&connect, fields);
        negotiate(&head, &connect.fields, &self.config, &self.options).map_err(Refusal::Respond)
    }
}

impl From<ConnectRefusal> for Refusal {
    fn from(refusal: ConnectRefusal) -> Self {
        if refusal.is_malformed() {
            return Self::Reset;
        }
        let rejection = refusal.headers().iter().fold(
            Rejection::new(refusal.status(), refusal.message()),
            |r, (name, value)| r.with_header(name.as_str(), value.as_str()),
        );
        Self::Respond(rejection)
    }
}

/// The request as [`AcceptOptions::check_request`] sees it.
fn request_head(connect: &ConnectRequest, mut headers: Fields) -> RequestHead {
    headers.push(("host".to_owned(), connect.authority.clone()));
    RequestHead {
        method: "CONNECT".to_owned(),
        target: connect.path.clone(),
        minor_version: 1,
        raw_headers: headers.clone(),
        headers,
    }
}

/// The 200 answer: no body, no `content-length`.
fn success(agreement: &Agreement) -> Response<()> {
    let mut response = Response::new(());
    let headers = response.headers_mut();
    let values = [
        (
            "sec-websocket-protocol",
            agreement.negotiation.protocol.as_deref(),
        ),
        ("sec-websocket-extensions", agreement.extensions.as_deref()),
    ];
    for (name, value) in values {
        if let Some(Ok(value)) = value.map(http::HeaderValue::from_str) {
            headers.insert(name, value);
        }
    }
    response
}

/// Answers `rejection`'s status with its headers and its message as the
/// body, then ends the stream.
fn refuse(mut respond: SendResponse<Bytes>, rejection: Rejection) {
    let mut response = Response::new(());
    *response.status_mut() =
        StatusCode::from_u16(rejection.status).unwrap_or(StatusCode::BAD_REQUEST);
    for (name, value) in &rejection.headers {
        if let (Ok(name), Ok(value)) = (
            http::HeaderName::from_bytes(name.as_bytes()),
            http::HeaderValue::from_str(value),
        ) {
            response.headers_mut().append(name, value);
        }
    }
    let body = Bytes::from(rejection.message.into_bytes());
    match respond.send_response(response, body.is_empty()) {
        Ok(mut send) if !body.is_empty() => {
            let _ = send.send_data(body, true);
        }
        _ => {}
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn refusal(fields: &[(&str, &str)]) -> Refusal {
        match check_connect(fields) {
            Ok(_) => panic!("accepted"),
            Err(refusal) => Refusal::from(refusal),
        }
    }

    const BASE: [(&str, &str); 5] = [
        (":method", "CONNECT"),
        (":protocol", "websocket"),
        (":scheme", "http"),
        (":authority", "a"),
        ("sec-websocket-version", "13"),
    ];

    #[test]
    fn missing_path_is_reset() {
        assert!(matches!(refusal(&BASE), Refusal::Reset));
    }

    #[test]
    fn connection_header_is_reset() {
        let mut fields = BASE.to_vec();
        fields.extend([(":path", "/"), ("connection", "upgrade")]);
        assert!(matches!(refusal(&fields), Refusal::Reset));
    }

    #[test]
    fn bad_version_is_answered_with_the_version_header() {
        let mut fields = BASE.to_vec();
        fields[4].1 = "8";
        fields.push((":path", "/"));
        let Refusal::Respond(rejection) = refusal(&fields) else {
            panic!("expected a response")
        };
        assert_eq!(rejection.status, 400);
        assert_eq!(
            rejection.headers,
            [("sec-websocket-version".to_owned(), "13".to_owned())]
        );
    }

    #[test]
    fn request_head_carries_path_and_authority() {
        let mut fields: Fields = BASE
            .iter()
            .map(|(n, v)| ((*n).into(), (*v).into()))
            .collect();
        fields.push((":path".into(), "/chat?x=1".into()));
        let connect = check_connect(&fields).unwrap();
        let head = request_head(&connect, fields);
        assert_eq!(
            (head.method.as_str(), head.target.as_str()),
            ("CONNECT", "/chat?x=1")
        );
        assert_eq!(head.header("host"), Some("a"));
    }

    #[test]
    fn success_carries_the_agreement_and_no_body() {
        let mut agreement = Agreement::default();
        agreement.negotiation.protocol = Some("chat".into());
        agreement.extensions = Some("permessage-deflate".into());
        let response = success(&agreement);
        assert_eq!(response.status(), StatusCode::OK);
        assert_eq!(response.headers()["sec-websocket-protocol"], "chat");
        assert!(response.headers().get("content-length").is_none());
    }
}
