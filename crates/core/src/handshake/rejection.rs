//! A server's refusal of an opening handshake.

use std::fmt;

use super::response::{error_response, status_text};

/// What the server answers when it refuses a handshake: a status, the
/// message `ws` uses as the body (and as the `wsClientError` error message),
/// and extra response headers. Write it with [`Rejection::to_response`].
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Rejection {
    /// The HTTP status, e.g. 400.
    pub status: u16,
    /// The body; `ws`'s message, or the status text.
    pub message: String,
    /// Extra headers, e.g. `Sec-WebSocket-Version: 13, 8`.
    pub headers: Vec<(String, String)>,
}

impl Rejection {
    /// A refusal with a message and no extra headers.
    pub fn new(status: u16, message: impl Into<String>) -> Self {
        let message = message.into();
        Self {
            status,
            message,
            headers: Vec::new(),
        }
    }

    /// A refusal whose body is the status text, as `ws`'s
    /// `abortHandshake(socket, code)` (for `shouldHandle` → 400, a closing
    /// server → 503, `verifyClient` → 401).
    pub fn from_status(status: u16) -> Self {
        Self::new(status, status_text(status))
    }

    /// Adds a response header.
    #[must_use]
    pub fn with_header(mut self, name: impl Into<String>, value: impl Into<String>) -> Self {
        self.headers.push((name.into(), value.into()));
        self
    }

    /// 400 `Invalid Sec-WebSocket-Protocol header`.
    pub fn invalid_protocols() -> Self {
        Self::new(400, "Invalid Sec-WebSocket-Protocol header")
    }

    /// 400 `Invalid or unacceptable Sec-WebSocket-Extensions header`: the
    /// value does not parse, or the extension layer refuses the offer.
    pub fn invalid_extensions() -> Self {
        Self::new(
            400,
            "Invalid or unacceptable Sec-WebSocket-Extensions header",
        )
    }

    /// The bytes `ws` writes before ending the socket (SM7).
    pub fn to_response(&self) -> Vec<u8> {
        error_response(self.status, Some(&self.message), &self.headers)
    }
}

impl fmt::Display for Rejection {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.message)
    }
}

impl std::error::Error for Rejection {}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn from_status_uses_status_text() {
        let rejection = Rejection::from_status(503);
        assert_eq!(rejection.message, "Service Unavailable");
        assert_eq!(rejection.to_string(), "Service Unavailable");
        assert!(rejection.headers.is_empty());
    }

    #[test]
    fn with_header_appends_in_order() {
        let rejection = Rejection::new(401, "no")
            .with_header("A", "1")
            .with_header("B", "2");
        assert_eq!(
            rejection.headers,
            [("A".into(), "1".into()), ("B".into(), "2".into())]
        );
        assert_eq!(
            rejection.to_response(),
            b"HTTP/1.1 401 Unauthorized\r\nConnection: close\r\nContent-Type: text/html\r\n\
              Content-Length: 2\r\nA: 1\r\nB: 2\r\n\r\nno"
        );
    }

    #[test]
    fn token_refusals_carry_ws_messages() {
        assert_eq!(Rejection::invalid_protocols().status, 400);
        assert_eq!(
            Rejection::invalid_protocols().message,
            "Invalid Sec-WebSocket-Protocol header"
        );
        assert_eq!(Rejection::invalid_extensions().status, 400);
        assert_eq!(
            Rejection::invalid_extensions().message,
            "Invalid or unacceptable Sec-WebSocket-Extensions header"
        );
    }
}
