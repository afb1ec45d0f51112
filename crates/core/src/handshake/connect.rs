//! The opening handshake of WebSockets over HTTP/2 (RFC 8441) and HTTP/3
//! (RFC 9220): an extended CONNECT request answered with a 2xx, instead of a
//! `GET` with `Upgrade` answered with 101.
//!
//! The checks are the same for both HTTP versions; only the way a driver
//! carries out a refusal differs:
//!
//! | [`ConnectRefusal`] | HTTP/2 | HTTP/3 |
//! |---|---|---|
//! | [`is_malformed`](ConnectRefusal::is_malformed) | `RST_STREAM(PROTOCOL_ERROR)` | reset with `H3_MESSAGE_ERROR` |
//! | otherwise | a response with [`status`](ConnectRefusal::status) and the body [`message`](ConnectRefusal::message) | the same |
//!
//! There is no `Sec-WebSocket-Key` and no `Sec-WebSocket-Accept` (RFC 8441
//! §5): `:protocol` replaces them, so a stray key is ignored.
//!
//! ```
//! use ferrows_core::handshake::check_connect;
//! let headers = [
//!     (":method", "CONNECT"),
//!     (":protocol", "websocket"),
//!     (":scheme", "https"),
//!     (":path", "/chat?room=1"),
//!     (":authority", "example.com"),
//!     ("sec-websocket-version", "13"),
//! ];
//! let request = check_connect(&headers[..]).unwrap();
//! assert_eq!(request.path, "/chat?room=1");
//! let plain = [(":method", "CONNECT"), (":authority", "example.com:443")];
//! assert_eq!(check_connect(&plain[..]).unwrap_err().status(), 405);
//! ```

use std::fmt;

use super::client_error::ClientHandshakeError;
use super::client_response::{check_chosen_protocol, Accepted};
use super::head::HeaderLookup;
use super::rejection::Rejection;
use super::upgrade::UpgradeFields;

/// The handshake fields of an extended CONNECT request that passed
/// [`check_connect`].
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ConnectRequest {
    /// `:scheme` (`https` for `wss:`, `http` for `ws:`).
    pub scheme: String,
    /// `:path`: the path and query.
    pub path: String,
    /// `:authority`: what `Host` is in HTTP/1.1.
    pub authority: String,
    /// The subprotocol, extension and origin headers, as over HTTP/1.1.
    pub fields: UpgradeFields,
}

/// Why an extended CONNECT request was refused. The message text is not API.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ConnectRefusal {
    kind: RefusalKind,
}

#[derive(Clone, Debug, PartialEq, Eq)]
enum RefusalKind {
    /// A malformed request (RFC 9113 §8.1.1): reset the stream, send no
    /// response.
    Malformed(&'static str),
    /// A well-formed request this endpoint refuses with a response.
    Respond(Rejection),
}

impl ConnectRefusal {
    const fn malformed(reason: &'static str) -> Self {
        Self {
            kind: RefusalKind::Malformed(reason),
        }
    }

    fn respond(rejection: Rejection) -> Self {
        Self {
            kind: RefusalKind::Respond(rejection),
        }
    }

    /// Whether the request is malformed: the stream is reset
    /// (`PROTOCOL_ERROR` in HTTP/2, `H3_MESSAGE_ERROR` in HTTP/3) and no
    /// response is sent.
    pub const fn is_malformed(&self) -> bool {
        matches!(self.kind, RefusalKind::Malformed(_))
    }

    /// The status to answer with; 400 for a malformed request (for drivers
    /// that cannot reset and must answer).
    pub fn status(&self) -> u16 {
        match &self.kind {
            RefusalKind::Malformed(_) => 400,
            RefusalKind::Respond(rejection) => rejection.status,
        }
    }

    /// The response body, and the message of the error a server reports.
    pub fn message(&self) -> &str {
        match &self.kind {
            RefusalKind::Malformed(reason) => reason,
            RefusalKind::Respond(rejection) => &rejection.message,
        }
    }

    /// Extra response headers (`sec-websocket-version: 13` for a bad version).
    pub fn headers(&self) -> &[(String, String)] {
        match &self.kind {
            RefusalKind::Malformed(_) => &[],
            RefusalKind::Respond(rejection) => &rejection.headers,
        }
    }
}

impl fmt::Display for ConnectRefusal {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.message())
    }
}

impl std::error::Error for ConnectRefusal {}

/// Checks an HTTP/2 or HTTP/3 request for a WebSocket endpoint, stopping at
/// the first failure. `headers` holds the pseudo-headers (`:method`,
/// `:protocol`, …) next to the regular ones, all names lowercase.
///
/// | check | refusal |
/// |---|---|
/// | `:method` is `CONNECT` | 405 `Invalid HTTP method` |
/// | `:protocol` is present (plain CONNECT is a proxy tunnel) | 405 `CONNECT without :protocol is not supported` |
/// | `:protocol` is `websocket` | 501 `Unsupported :protocol` (RFC 9220 §3) |
/// | `:scheme`, `:path` and `:authority` are present and not empty | malformed |
/// | no `connection` or `upgrade` header (RFC 8441 §5, RFC 9113 §8.2.2) | malformed |
/// | `sec-websocket-version` is 13 | 400 `Missing or invalid Sec-WebSocket-Version header`, with `sec-websocket-version: 13` |
///
/// A missing `sec-websocket-version` is refused like a wrong one, as over
/// HTTP/1.1: every client seen (Chromium, aioquic, Node) sends it.
pub fn check_connect(
    headers: &(impl HeaderLookup + ?Sized),
) -> Result<ConnectRequest, ConnectRefusal> {
    if headers.get(":method") != Some("CONNECT") {
        return Err(ConnectRefusal::respond(Rejection::new(
            405,
            "Invalid HTTP method",
        )));
    }
    let Some(protocol) = headers.get(":protocol") else {
        return Err(ConnectRefusal::respond(Rejection::new(
            405,
            "CONNECT without :protocol is not supported",
        )));
    };
    if !protocol.eq_ignore_ascii_case("websocket") {
        return Err(ConnectRefusal::respond(Rejection::new(
            501,
            "Unsupported :protocol",
        )));
    }
    let required = |name| headers.get(name).filter(|value| !value.is_empty());
    let (Some(scheme), Some(path), Some(authority)) = (
        required(":scheme"),
        required(":path"),
        required(":authority"),
    ) else {
        return Err(ConnectRefusal::malformed(
            "Malformed extended CONNECT: :scheme, :path and :authority are required",
        ));
    };
    if headers.get("connection").is_some() || headers.get("upgrade").is_some() {
        return Err(ConnectRefusal::malformed(
            "Malformed extended CONNECT: connection-specific header",
        ));
    }
    if headers.get("sec-websocket-version").map(str::trim) != Some("13") {
        return Err(ConnectRefusal::respond(
            Rejection::new(400, "Missing or invalid Sec-WebSocket-Version header")
                .with_header("sec-websocket-version", "13"),
        ));
    }
    Ok(ConnectRequest {
        scheme: scheme.to_owned(),
        path: path.to_owned(),
        authority: authority.to_owned(),
        fields: UpgradeFields::from_headers(headers, 13),
    })
}

/// The client's checks of the answer to its extended CONNECT: a 2xx status
/// (else [`ClientHandshakeError::unexpected_status`], so the caller can emit
/// `'unexpected-response'`), then the subprotocol rules of
/// [`check_response`](super::check_response). There is no accept digest to
/// check.
///
/// ```
/// use ferrows_core::handshake::check_connect_response;
/// let headers = [("sec-websocket-protocol", "chat")];
/// let offered = ["chat".to_string()];
/// assert_eq!(check_connect_response(&headers[..], 200, &offered).unwrap().protocol.as_deref(), Some("chat"));
/// assert_eq!(check_connect_response(&headers[..], 404, &offered).unwrap_err().unexpected_status(), Some(404));
/// ```
pub fn check_connect_response(
    head: &(impl HeaderLookup + ?Sized),
    status: u16,
    offered_protocols: &[String],
) -> Result<Accepted, ClientHandshakeError> {
    if !(200..300).contains(&status) {
        return Err(ClientHandshakeError::unexpected_status_error(status));
    }
    let protocol = check_chosen_protocol(head.get("sec-websocket-protocol"), offered_protocols)?;
    Ok(Accepted {
        protocol,
        extensions: head.get("sec-websocket-extensions").map(str::to_owned),
    })
}

#[cfg(test)]
#[path = "connect_tests.rs"]
mod tests;
