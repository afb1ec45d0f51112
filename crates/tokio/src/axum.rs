//! An axum 0.8 extractor for WebSocket upgrades (feature `axum`).
//!
//! ```no_run
//! use axum::{routing::get, Router};
//! use ferrows::axum::WebSocketUpgrade;
//! use futures_util::{SinkExt, StreamExt};
//!
//! async fn handler(ws: WebSocketUpgrade) -> axum::response::Response {
//!     ws.protocols(["chat"]).on_upgrade(|mut socket| async move {
//!         while let Some(Ok(message)) = socket.next().await {
//!             if (message.is_text() || message.is_binary()) && socket.send(message).await.is_err() {
//!                 break;
//!             }
//!         }
//!     })
//! }
//! // `get` serves HTTP/1.1; add `.connect(handler)` (or use `any`) for HTTP/2.
//! let app: Router = Router::new().route("/ws", get(handler));
//! ```
//!
//! The request is checked with the core's `check_http_version` and
//! `check_upgrade` (`ws` 8.23's checks and messages); the answer carries
//! `accept_key`. The upgraded connection comes from hyper's `OnUpgrade` (what
//! `hyper::upgrade::on` takes from the request's extensions; an extractor
//! only sees the request's parts) wrapped in `hyper_util`'s `TokioIo`.
//!
//! # HTTP/2 (features `axum` and `http2`)
//!
//! The same extractor accepts an HTTP/2 extended CONNECT (RFC 8441): the
//! request is checked with the core's `check_connect`, answered 200 instead
//! of 101, and `on_upgrade` yields the same [`UpgradedSocket`]. `axum::serve`
//! enables `SETTINGS_ENABLE_CONNECT_PROTOCOL` once axum's `http2` feature is
//! on (the `http2` feature turns it on); with your own hyper-util server use
//! `auto::Builder::http2().enable_connect_protocol()`. Route with `any(...)`
//! (or `get(h).connect(h)`): HTTP/2 WebSockets arrive as `CONNECT`, not `GET`.
//!
//! Limits of hyper's `Upgraded` over HTTP/2 (spec `h2-h3.md` §2.2): dropping
//! or aborting the socket ends the stream with END_STREAM, never
//! `RST_STREAM(CANCEL)`, so the peer sees a clean end; a peer reset with
//! `NO_ERROR` or `CANCEL` reads as EOF, so it surfaces as 1006 only when
//! the closing handshake had not completed; and h2's data-frame budget is
//! not configurable. A malformed request cannot be reset from a handler and
//! is answered 400. For resets and the budget, serve WebSockets with
//! [`ferrows::h2`](crate::h2) directly.

use std::future::Future;

use ::axum::body::Body;
use ::axum::extract::FromRequestParts;
use ::axum::http::{header, request::Parts, Method, StatusCode, Version};
use ::axum::response::{IntoResponse, Response};
use ferrows_core::deflate::Negotiated;
#[cfg(feature = "http2")]
use ferrows_core::handshake::check_connect;
use ferrows_core::handshake::{
    accept_key, check_http_version, check_upgrade, wants_upgrade, Rejection, UpgradeFields,
    UpgradeRequest,
};
use hyper::upgrade::{OnUpgrade, Upgraded};
use hyper_util::rt::TokioIo;

use crate::config::Config;
use crate::handshake::{negotiate_deflate, select_protocol};
use crate::http_fields::merged_headers;
#[cfg(feature = "http2")]
use crate::http_fields::request_fields;
use crate::stream::{Negotiation, WebSocketStream};

/// The selected subprotocol, the permessage-deflate parameters and the
/// `Sec-WebSocket-Extensions` answer.
type Agreed = (Option<String>, Option<Negotiated>, Option<String>);

/// The socket an upgraded axum request yields.
pub type UpgradedSocket = WebSocketStream<TokioIo<Upgraded>>;

/// Extracts a WebSocket upgrade request; answer it with
/// [`on_upgrade`](Self::on_upgrade).
#[derive(Debug)]
pub struct WebSocketUpgrade {
    /// What every HTTP version's handshake carries.
    fields: UpgradeFields,
    /// `Sec-WebSocket-Key` over HTTP/1.1 (answered with 101); `None` for an
    /// HTTP/2 extended CONNECT (answered with 200).
    key: Option<String>,
    on_upgrade: OnUpgrade,
    config: Config,
    protocols: Vec<String>,
}

/// A refused upgrade request, answered as `ws` answers it (status, the
/// message as the body, extra headers such as `Sec-WebSocket-Version`).
#[derive(Debug)]
pub struct UpgradeRejection(pub Rejection);

impl IntoResponse for UpgradeRejection {
    fn into_response(self) -> Response {
        let Rejection {
            status,
            message,
            headers,
        } = self.0;
        let mut response = Response::new(Body::from(message));
        *response.status_mut() = StatusCode::from_u16(status).unwrap_or(StatusCode::BAD_REQUEST);
        let fields = response.headers_mut();
        fields.insert(
            header::CONNECTION,
            header::HeaderValue::from_static("close"),
        );
        fields.insert(
            header::CONTENT_TYPE,
            header::HeaderValue::from_static("text/html"),
        );
        for (name, value) in headers {
            if let (Ok(name), Ok(value)) = (
                header::HeaderName::try_from(name),
                header::HeaderValue::try_from(value),
            ) {
                fields.insert(name, value);
            }
        }
        response
    }
}

impl<S: Send + Sync> FromRequestParts<S> for WebSocketUpgrade {
    type Rejection = UpgradeRejection;

    async fn from_request_parts(parts: &mut Parts, _state: &S) -> Result<Self, Self::Rejection> {
        let (fields, key) = if is_extended_connect(parts) {
            (check_h2(parts).map_err(UpgradeRejection)?, None)
        } else {
            let request = check_h1(parts).map_err(UpgradeRejection)?;
            (request.fields, Some(request.key))
        };
        let on_upgrade = parts
            .extensions
            .remove::<OnUpgrade>()
            .ok_or_else(|| UpgradeRejection(Rejection::new(426, "Connection is not upgradable")))?;
        Ok(Self {
            fields,
            key,
            on_upgrade,
            config: Config::default(),
            protocols: Vec::new(),
        })
    }
}

/// The HTTP/1.1 checks: version, an upgrade at all (426), then `ws`'s.
fn check_h1(parts: &Parts) -> Result<UpgradeRequest, Rejection> {
    let headers = merged_headers(&parts.headers);
    check_http_version(u8::from(parts.version >= Version::HTTP_11))?;
    if !wants_upgrade(&headers) {
        return Err(Rejection::from_status(426));
    }
    check_upgrade(parts.method.as_str(), &headers)
}

/// Whether the request is an HTTP/2 CONNECT (with or without `:protocol`),
/// for [`check_h2`] to judge.
fn is_extended_connect(parts: &Parts) -> bool {
    cfg!(feature = "http2") && parts.method == Method::CONNECT && parts.version == Version::HTTP_2
}

/// The RFC 8441 checks (the core's `check_connect`). hyper cannot reset a
/// stream from a handler, so a malformed request is answered 400 instead.
#[cfg(feature = "http2")]
fn check_h2(parts: &Parts) -> Result<UpgradeFields, Rejection> {
    let protocol = parts.extensions.get::<hyper::ext::Protocol>();
    let protocol = protocol.map(hyper::ext::Protocol::as_str);
    let fields = request_fields(&parts.method, protocol, &parts.uri, &parts.headers);
    match check_connect(&fields) {
        Ok(request) => Ok(request.fields),
        Err(refusal) => Err(refusal.headers().iter().fold(
            Rejection::new(refusal.status(), refusal.message()),
            |rejection, (name, value)| rejection.with_header(name.as_str(), value.as_str()),
        )),
    }
}

#[cfg(not(feature = "http2"))]
fn check_h2(_parts: &Parts) -> Result<UpgradeFields, Rejection> {
    Err(Rejection::from_status(405))
}

impl WebSocketUpgrade {
    /// The connection's options (permessage-deflate is negotiated when
    /// [`Config::deflate`] is set).
    #[must_use]
    pub fn config(mut self, config: Config) -> Self {
        self.config = config;
        self
    }

    /// The subprotocols this server speaks, most preferred first; the first
    /// one the client offered is selected.
    #[must_use]
    pub fn protocols<I: IntoIterator<Item = P>, P: Into<String>>(mut self, protocols: I) -> Self {
        self.protocols = protocols.into_iter().map(Into::into).collect();
        self
    }

    /// The client's `Origin` header, if any.
    pub fn origin(&self) -> Option<&str> {
        self.fields.origin.as_deref()
    }

    /// Answers 101 and runs `callback` with the socket once hyper hands the
    /// connection over (on a spawned task). A bad `Sec-WebSocket-Protocol`
    /// or unacceptable `Sec-WebSocket-Extensions` header is answered with 400.
    pub fn on_upgrade<F, Fut>(self, callback: F) -> Response
    where
        F: FnOnce(UpgradedSocket) -> Fut + Send + 'static,
        Fut: Future<Output = ()> + Send + 'static,
    {
        let (protocol, deflate, extensions) = match self.negotiate() {
            Ok(agreed) => agreed,
            Err(rejection) => return UpgradeRejection(rejection).into_response(),
        };
        let response = match &self.key {
            Some(key) => switching_protocols(key, protocol.as_deref(), extensions),
            None => connect_accepted(protocol.as_deref(), extensions),
        };
        let Self {
            on_upgrade, config, ..
        } = self;
        tokio::spawn(async move {
            let Ok(upgraded) = on_upgrade.await else {
                return;
            };
            let negotiation = Negotiation { protocol, deflate };
            let io = TokioIo::new(upgraded);
            callback(WebSocketStream::from_parts(
                io,
                true,
                &config,
                negotiation,
                &mut [],
            ))
            .await;
        });
        response
    }

    /// The subprotocol and permessage-deflate agreement, or a 400.
    fn negotiate(&self) -> Result<Agreed, Rejection> {
        let ours = &self.protocols;
        let protocol = select_protocol(&self.fields, |offered| {
            ours.iter().find(|p| offered.contains(p)).cloned()
        })?;
        let (deflate, extensions) = negotiate_deflate(&self.fields, &self.config)?;
        Ok((protocol, deflate, extensions))
    }
}

/// The 101 answer.
fn switching_protocols(key: &str, protocol: Option<&str>, extensions: Option<String>) -> Response {
    let builder = Response::builder()
        .status(StatusCode::SWITCHING_PROTOCOLS)
        .header(header::UPGRADE, "websocket")
        .header(header::CONNECTION, "Upgrade")
        .header(header::SEC_WEBSOCKET_ACCEPT, accept_key(key.as_bytes()));
    with_agreement(builder, protocol, extensions)
}

/// The 200 answer to an HTTP/2 extended CONNECT: no accept digest, no body.
fn connect_accepted(protocol: Option<&str>, extensions: Option<String>) -> Response {
    with_agreement(
        Response::builder().status(StatusCode::OK),
        protocol,
        extensions,
    )
}

/// Adds the negotiated subprotocol and extensions and an empty body.
fn with_agreement(
    mut builder: ::axum::http::response::Builder,
    protocol: Option<&str>,
    extensions: Option<String>,
) -> Response {
    if let Some(protocol) = protocol {
        builder = builder.header(header::SEC_WEBSOCKET_PROTOCOL, protocol);
    }
    if let Some(extensions) = extensions {
        builder = builder.header(header::SEC_WEBSOCKET_EXTENSIONS, extensions);
    }
    builder
        .body(Body::empty())
        .unwrap_or_else(|_| StatusCode::INTERNAL_SERVER_ERROR.into_response())
}
