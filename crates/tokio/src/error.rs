//! The crate's error type.
//!
//! [`Error`] is opaque: ask it questions with the `is_*` predicates and read
//! the close code with [`Error::close_code`]. **The message text is not API**;
//! it may change in any release.

use std::fmt;
use std::io;

use ferrows_core::deflate::ConfigError;
use ferrows_core::handshake::{ClientHandshakeError, InvalidHeader, Rejection};
use ferrows_core::protocol::{Abort, SendError};

/// Why an operation on a WebSocket failed.
pub struct Error {
    kind: Kind,
}

/// The failure classes, one per layer.
enum Kind {
    /// The peer broke RFC 6455 (or a receive limit); the engine answered
    /// with a close frame carrying the error's code.
    Protocol(ferrows_core::Error),
    /// The transport failed.
    Io(io::Error),
    /// The connection is closed, or closing, for the reason given.
    Closed(Closed),
    /// The opening handshake failed.
    Handshake(Handshake),
    /// The application passed something the protocol does not allow.
    InvalidInput(Invalid),
    /// A URL that is not `ws://` or `wss://`, or is malformed.
    Url(&'static str),
}

/// How a connection came to be closed.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Closed {
    /// The transport ended before the closing handshake completed (1006).
    Abnormal,
    /// The peer did not answer our close frame in time (1006).
    Timeout,
    /// The peer's pings outran our automatic pongs; the transport was destroyed.
    TooManyPendingPongs,
    /// A heartbeat ping went unanswered for its timeout (1006).
    Heartbeat,
    /// A send after our close frame was queued, or after the stream ended.
    AfterClose,
}

/// What the application got wrong.
enum Invalid {
    /// A command the engine refused (close code, reason or control length).
    Send(SendError),
    /// permessage-deflate options out of zlib's ranges.
    Deflate(ConfigError),
}

/// Why an opening handshake failed.
enum Handshake {
    /// The server refused the request with this answer (server side).
    Rejected(Rejection),
    /// The server's answer was not an acceptable 101 (client side).
    Response(ClientHandshakeError),
    /// The request could not be written (bad header or path; client side).
    Request(InvalidHeader),
    /// The transport ended in the middle of the handshake.
    Eof,
    /// The client did not deliver its request within the accept timeout.
    Timeout,
    /// The HTTP/2 server did not enable extended CONNECT (RFC 8441 §3).
    #[cfg_attr(
        not(feature = "http2"),
        expect(dead_code, reason = "only the HTTP/2 client builds it")
    )]
    NoExtendedConnect,
}

impl Error {
    pub(crate) fn protocol(err: ferrows_core::Error) -> Self {
        Self::new(Kind::Protocol(err))
    }

    pub(crate) fn io(err: io::Error) -> Self {
        Self::new(Kind::Io(err))
    }

    pub(crate) fn abnormal_closure() -> Self {
        Self::new(Kind::Closed(Closed::Abnormal))
    }

    pub(crate) fn already_closed() -> Self {
        Self::new(Kind::Closed(Closed::AfterClose))
    }

    pub(crate) fn aborted(reason: Abort) -> Self {
        Self::new(Kind::Closed(match reason {
            Abort::CloseTimeout => Closed::Timeout,
            Abort::TooManyPendingPongs => Closed::TooManyPendingPongs,
            Abort::HeartbeatTimeout => Closed::Heartbeat,
        }))
    }

    pub(crate) fn rejected(rejection: Rejection) -> Self {
        Self::new(Kind::Handshake(Handshake::Rejected(rejection)))
    }

    pub(crate) fn response(err: ClientHandshakeError) -> Self {
        Self::new(Kind::Handshake(Handshake::Response(err)))
    }

    pub(crate) fn request(err: InvalidHeader) -> Self {
        Self::new(Kind::Handshake(Handshake::Request(err)))
    }

    pub(crate) fn handshake_eof() -> Self {
        Self::new(Kind::Handshake(Handshake::Eof))
    }

    pub(crate) fn handshake_timeout() -> Self {
        Self::new(Kind::Handshake(Handshake::Timeout))
    }

    #[cfg(feature = "http2")]
    pub(crate) fn extended_connect_unsupported() -> Self {
        Self::new(Kind::Handshake(Handshake::NoExtendedConnect))
    }

    pub(crate) fn send(err: SendError) -> Self {
        match err {
            SendError::Closing => Self::already_closed(),
            other => Self::new(Kind::InvalidInput(Invalid::Send(other))),
        }
    }

    pub(crate) fn deflate_config(err: ConfigError) -> Self {
        Self::new(Kind::InvalidInput(Invalid::Deflate(err)))
    }

    pub(crate) fn url(reason: &'static str) -> Self {
        Self::new(Kind::Url(reason))
    }

    const fn new(kind: Kind) -> Self {
        Self { kind }
    }

    /// The peer broke the protocol (or a receive limit such as `max_payload`);
    /// [`protocol_error`](Self::protocol_error) tells which rule.
    pub fn is_protocol(&self) -> bool {
        matches!(self.kind, Kind::Protocol(_))
    }

    /// The transport (socket, TLS stream) failed.
    pub fn is_io(&self) -> bool {
        matches!(self.kind, Kind::Io(_))
    }

    /// The connection is closed: the transport ended without a closing
    /// handshake (1006), the close timeout fired, the engine gave up on the
    /// peer, or the application sent after closing.
    pub fn is_closed(&self) -> bool {
        matches!(self.kind, Kind::Closed(_))
    }

    /// The peer did not finish the closing handshake within the close timeout.
    pub fn is_timeout(&self) -> bool {
        matches!(self.kind, Kind::Closed(Closed::Timeout))
    }

    /// The peer did not answer a heartbeat ping in time (see `Config::heartbeat`).
    pub fn is_heartbeat_timeout(&self) -> bool {
        matches!(self.kind, Kind::Closed(Closed::Heartbeat))
    }

    /// The opening handshake failed (either side).
    pub fn is_handshake(&self) -> bool {
        matches!(self.kind, Kind::Handshake(_))
    }

    /// The client did not deliver a complete upgrade request within
    /// [`Config::accept_timeout`](crate::Config::accept_timeout) (also
    /// [`is_handshake`](Self::is_handshake); not [`is_timeout`](Self::is_timeout),
    /// which is the closing handshake's).
    pub fn is_handshake_timeout(&self) -> bool {
        matches!(self.kind, Kind::Handshake(Handshake::Timeout))
    }

    /// The HTTP/2 server did not send `SETTINGS_ENABLE_CONNECT_PROTOCOL = 1`,
    /// so no WebSocket can be opened on that connection (also
    /// [`is_handshake`](Self::is_handshake)).
    pub fn is_extended_connect_unsupported(&self) -> bool {
        matches!(self.kind, Kind::Handshake(Handshake::NoExtendedConnect))
    }

    /// The application passed an invalid close code, a close reason over 123
    /// bytes, a control payload over 125 bytes, or permessage-deflate
    /// options out of range.
    pub fn is_invalid_input(&self) -> bool {
        matches!(self.kind, Kind::InvalidInput(_))
    }

    /// The URL is not a valid `ws://` or `wss://` URL (or needs a feature).
    pub fn is_url(&self) -> bool {
        matches!(self.kind, Kind::Url(_))
    }

    /// The close code this failure maps to: the code sent to the peer for a
    /// protocol error (1002, 1007, 1008, 1009, 1011), and 1006 for a
    /// connection that ended without a closing handshake (including a
    /// transport failure).
    pub fn close_code(&self) -> Option<u16> {
        match &self.kind {
            Kind::Protocol(err) => Some(err.close_code()),
            Kind::Closed(Closed::AfterClose) => None,
            Kind::Closed(_) | Kind::Io(_) => Some(ferrows_core::close::ABNORMAL),
            _ => None,
        }
    }

    /// The engine's error, for [`is_protocol`](Self::is_protocol) failures.
    pub fn protocol_error(&self) -> Option<&ferrows_core::Error> {
        match &self.kind {
            Kind::Protocol(err) => Some(err),
            _ => None,
        }
    }

    /// The refusal a server sent (status, body, headers), when
    /// [`accept`](crate::accept) refused the request.
    pub fn rejection(&self) -> Option<&Rejection> {
        match &self.kind {
            Kind::Handshake(Handshake::Rejected(rejection)) => Some(rejection),
            _ => None,
        }
    }

    /// The status of a server's non-101 answer, on the client side.
    pub fn unexpected_status(&self) -> Option<u16> {
        match &self.kind {
            Kind::Handshake(Handshake::Response(err)) => err.unexpected_status(),
            _ => None,
        }
    }
}

impl fmt::Display for Error {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match &self.kind {
            Kind::Protocol(err) => write!(f, "protocol error: {err}"),
            Kind::Io(err) => write!(f, "I/O error: {err}"),
            Kind::Closed(Closed::Abnormal) => f.write_str("connection closed abnormally (1006)"),
            Kind::Closed(Closed::Timeout) => f.write_str("closing handshake timed out (1006)"),
            Kind::Closed(Closed::TooManyPendingPongs) => {
                f.write_str("too many pending automatic pongs; connection destroyed")
            }
            Kind::Closed(Closed::Heartbeat) => {
                f.write_str("no pong to the heartbeat ping in time; connection destroyed (1006)")
            }
            Kind::Closed(Closed::AfterClose) => f.write_str("the connection is closed"),
            Kind::Handshake(h) => write!(f, "handshake failed: {h}"),
            Kind::InvalidInput(Invalid::Send(err)) => write!(f, "invalid input: {err}"),
            Kind::InvalidInput(Invalid::Deflate(err)) => {
                write!(f, "invalid deflate options: {err}")
            }
            Kind::Url(reason) => write!(f, "invalid URL: {reason}"),
        }
    }
}

impl fmt::Display for Handshake {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Handshake::Rejected(r) => write!(f, "refused with {}: {}", r.status, r.message),
            Handshake::Response(err) => err.fmt(f),
            Handshake::Request(err) => err.fmt(f),
            Handshake::Eof => f.write_str("the connection ended during the handshake"),
            Handshake::Timeout => {
                f.write_str("no complete upgrade request within the accept timeout")
            }
            Handshake::NoExtendedConnect => {
                f.write_str("the HTTP/2 server does not support extended CONNECT (RFC 8441)")
            }
        }
    }
}

impl fmt::Debug for Error {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_tuple("ferrows::Error")
            .field(&format_args!("{self}"))
            .finish()
    }
}

impl std::error::Error for Error {
    fn source(&self) -> Option<&(dyn std::error::Error + 'static)> {
        match &self.kind {
            Kind::Protocol(err) => Some(err),
            Kind::Io(err) => Some(err),
            Kind::Handshake(Handshake::Rejected(err)) => Some(err),
            Kind::Handshake(Handshake::Response(err)) => Some(err),
            Kind::Handshake(Handshake::Request(err)) => Some(err),
            Kind::InvalidInput(Invalid::Send(err)) => Some(err),
            Kind::InvalidInput(Invalid::Deflate(err)) => Some(err),
            _ => None,
        }
    }
}

impl From<io::Error> for Error {
    fn from(err: io::Error) -> Self {
        Self::io(err)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn abnormal_closure_is_closed_with_1006() {
        let err = Error::abnormal_closure();
        assert!(err.is_closed() && !err.is_protocol() && !err.is_timeout());
        assert_eq!(err.close_code(), Some(1006));
    }

    #[test]
    fn close_timeout_is_closed_and_timeout() {
        let err = Error::aborted(Abort::CloseTimeout);
        assert!(err.is_closed() && err.is_timeout());
        assert_eq!(err.close_code(), Some(1006));
    }

    #[test]
    fn handshake_timeout_is_handshake_not_close_timeout() {
        let err = Error::handshake_timeout();
        assert!(err.is_handshake() && err.is_handshake_timeout());
        assert!(!err.is_timeout() && !err.is_closed());
        assert_eq!(err.close_code(), None);
    }

    #[test]
    fn send_after_close_is_closed_without_code() {
        let err = Error::send(SendError::Closing);
        assert!(err.is_closed());
        assert_eq!(err.close_code(), None);
    }

    #[test]
    fn bad_close_code_is_invalid_input() {
        let err = Error::send(SendError::InvalidCloseCode);
        assert!(err.is_invalid_input() && !err.is_closed());
        assert!(std::error::Error::source(&err).is_some());
    }

    #[test]
    fn rejection_is_handshake_and_exposed() {
        let err = Error::rejected(Rejection::new(400, "Invalid Upgrade header"));
        assert!(err.is_handshake());
        assert_eq!(err.rejection().map(|r| r.status), Some(400));
        assert_eq!(err.unexpected_status(), None);
    }

    #[test]
    fn io_error_converts_and_keeps_source() {
        let err = Error::from(io::Error::from(io::ErrorKind::BrokenPipe));
        assert!(err.is_io() && !err.is_closed());
        assert!(std::error::Error::source(&err).is_some());
    }
}
