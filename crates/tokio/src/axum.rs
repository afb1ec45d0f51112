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
//! let app: Router = Router::new().route("/ws", get(handler));
//! ```
//!
//! The request is checked with the core's `check_http_version` and
//! `check_upgrade` (`ws` 8.23's checks and messages); the answer carries
//! `accept_key`. The upgraded connection comes from hyper's `OnUpgrade` (what
//! `hyper::upgrade::on` takes from the request's extensions; an extractor
//! only sees the request's parts) wrapped in `hyper_util`'s `TokioIo`.

use std::future::Future;

use ::axum::body::Body;
use ::axum::extract::FromRequestParts;
use ::axum::http::{header, request::Parts, StatusCode, Version};
use ::axum::response::{IntoResponse, Response};
use ferrows_core::deflate::Negotiated;
use ferrows_core::handshake::{
    accept_key, check_http_version, check_upgrade, wants_upgrade, Rejection, UpgradeRequest,
};
use hyper::upgrade::{OnUpgrade, Upgraded};
use hyper_util::rt::TokioIo;

use crate::config::Config;
use crate::handshake::{negotiate_deflate, select_protocol};
use crate::http_fields::merged_headers;
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
    request: UpgradeRequest,
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
        let headers = merged_headers(&parts.headers);
        check_http_version(u8::from(parts.version >= Version::HTTP_11))
            .map_err(UpgradeRejection)?;
        if !wants_upgrade(&headers) {
            return Err(UpgradeRejection(Rejection::from_status(426)));
        }
        let request = check_upgrade(parts.method.as_str(), &headers).map_err(UpgradeRejection)?;
        let on_upgrade = parts
            .extensions
            .remove::<OnUpgrade>()
            .ok_or_else(|| UpgradeRejection(Rejection::new(426, "Connection is not upgradable")))?;
        Ok(Self {
            request,
            on_upgrade,
            config: Config::default(),
            protocols: Vec::new(),
        })
    }
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
        self.request.fields.origin.as_deref()
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
        let response = switching_protocols(&self.request, protocol.as_deref(), extensions);
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
        let protocol = select_protocol(&self.request.fields, |offered| {
            ours.iter().find(|p| offered.contains(p)).cloned()
        })?;
        let (deflate, extensions) = negotiate_deflate(&self.request.fields, &self.config)?;
        Ok((protocol, deflate, extensions))
    }
}

/// The 101 answer.
fn switching_protocols(
    request: &UpgradeRequest,
    protocol: Option<&str>,
    extensions: Option<String>,
) -> Response {
    let accept = accept_key(request.key.as_bytes());
    let mut builder = Response::builder()
        .status(StatusCode::SWITCHING_PROTOCOLS)
        .header(header::UPGRADE, "websocket")
        .header(header::CONNECTION, "Upgrade")
        .header(header::SEC_WEBSOCKET_ACCEPT, accept);
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
