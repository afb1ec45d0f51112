//! Why a client handshake failed.

use std::fmt;

/// A failed client handshake. `Display` gives the message of the `Error`
/// `ws` emits (for example `Invalid Sec-WebSocket-Accept header`); the text
/// of HTTP parse errors imitates Node's and is not API. Every failure ends
/// the connection with close code 1006.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ClientHandshakeError {
    kind: Kind,
}

#[derive(Clone, Debug, PartialEq, Eq)]
enum Kind {
    /// A complete response whose status is not 101.
    UnexpectedStatus(u16),
    /// A 101 response that breaks a handshake rule.
    Refused(&'static str),
    /// The response head could not be parsed (Node's `HPE_*` errors).
    Parse {
        code: &'static str,
        reason: &'static str,
    },
}

impl ClientHandshakeError {
    pub(crate) const fn refused(message: &'static str) -> Self {
        Self {
            kind: Kind::Refused(message),
        }
    }

    pub(crate) const fn unexpected_status_error(status: u16) -> Self {
        Self {
            kind: Kind::UnexpectedStatus(status),
        }
    }

    pub(crate) const fn parse(code: &'static str, reason: &'static str) -> Self {
        Self {
            kind: Kind::Parse { code, reason },
        }
    }

    pub(crate) const fn header_overflow() -> Self {
        Self::parse("HPE_HEADER_OVERFLOW", "Header overflow")
    }

    pub(crate) fn from_httparse(error: httparse::Error) -> Self {
        let (code, reason) = match error {
            httparse::Error::Status => ("HPE_INVALID_STATUS", "Invalid status code"),
            httparse::Error::Version => ("HPE_INVALID_CONSTANT", "Expected HTTP/"),
            httparse::Error::HeaderName => ("HPE_INVALID_HEADER_TOKEN", "Invalid header token"),
            httparse::Error::HeaderValue => {
                ("HPE_INVALID_HEADER_TOKEN", "Invalid header value char")
            }
            _ => ("HPE_INVALID_CONSTANT", "Invalid response"),
        };
        Self::parse(code, reason)
    }

    /// `Invalid Sec-WebSocket-Extensions header`: for the extension layer
    /// when it refuses the server's permessage-deflate parameters.
    pub const fn invalid_extensions() -> Self {
        Self::refused("Invalid Sec-WebSocket-Extensions header")
    }

    /// The status of a non-101 response: the caller emits
    /// `'unexpected-response'` (or follows a redirect) instead of failing,
    /// and with no listener fails with this error's message,
    /// `Unexpected server response: <status>`.
    pub const fn unexpected_status(&self) -> Option<u16> {
        match self.kind {
            Kind::UnexpectedStatus(status) => Some(status),
            _ => None,
        }
    }

    /// Node's parser error code (`HPE_HEADER_OVERFLOW`, …) when the response
    /// head could not be parsed.
    pub const fn parse_error_code(&self) -> Option<&'static str> {
        match self.kind {
            Kind::Parse { code, .. } => Some(code),
            _ => None,
        }
    }
}

impl fmt::Display for ClientHandshakeError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match &self.kind {
            Kind::UnexpectedStatus(status) => write!(f, "Unexpected server response: {status}"),
            Kind::Refused(message) => f.write_str(message),
            Kind::Parse { reason, .. } => write!(f, "Parse Error: {reason}"),
        }
    }
}

impl std::error::Error for ClientHandshakeError {}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn unexpected_status_reports_code_and_ws_message() {
        let error = ClientHandshakeError::unexpected_status_error(403);
        assert_eq!(error.unexpected_status(), Some(403));
        assert_eq!(error.parse_error_code(), None);
        assert_eq!(error.to_string(), "Unexpected server response: 403");
    }

    #[test]
    fn refusal_displays_message_only() {
        let error = ClientHandshakeError::invalid_extensions();
        assert_eq!(error.unexpected_status(), None);
        assert_eq!(error.parse_error_code(), None);
        assert_eq!(error.to_string(), "Invalid Sec-WebSocket-Extensions header");
    }

    #[test]
    fn parse_errors_carry_node_codes() {
        let overflow = ClientHandshakeError::header_overflow();
        assert_eq!(overflow.parse_error_code(), Some("HPE_HEADER_OVERFLOW"));
        assert_eq!(overflow.to_string(), "Parse Error: Header overflow");
        for (error, code) in [
            (httparse::Error::Status, "HPE_INVALID_STATUS"),
            (httparse::Error::Version, "HPE_INVALID_CONSTANT"),
            (httparse::Error::HeaderName, "HPE_INVALID_HEADER_TOKEN"),
            (httparse::Error::HeaderValue, "HPE_INVALID_HEADER_TOKEN"),
            (httparse::Error::NewLine, "HPE_INVALID_CONSTANT"),
        ] {
            let error = ClientHandshakeError::from_httparse(error);
            assert_eq!(error.parse_error_code(), Some(code));
            assert!(error.to_string().starts_with("Parse Error: "));
        }
    }
}
