//! [`Message`]: what the stream yields and the sink takes.

use bytes::Bytes;

use crate::utf8_bytes::Utf8Bytes;

/// One WebSocket message, or a control frame surfaced to the application.
///
/// Text is [`Utf8Bytes`] rather than `String`: a received message is handed
/// over without a copy (the engine has already validated its UTF-8), and an
/// echo or a broadcast clones it for the price of a reference count.
///
/// The engine answers pings and the peer's close frame by itself; `Ping`,
/// `Pong` and `Close` are still yielded so the application sees them, as
/// tokio-tungstenite does. Sending `Ping`/`Pong` queues a control frame;
/// sending `Close` starts (or answers) the closing handshake.
///
/// ```
/// use ferrows::{CloseFrame, Message};
/// let text = Message::text("hello");
/// assert!(text.is_text());
/// assert_eq!(text.as_text(), Some("hello"));
/// let close = Message::Close(Some(CloseFrame::new(1000, "bye")));
/// assert!(close.is_close());
/// ```
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Message {
    /// A text message (valid UTF-8).
    Text(Utf8Bytes),
    /// A binary message.
    Binary(Bytes),
    /// A ping with its payload (at most 125 bytes).
    Ping(Bytes),
    /// A pong with its payload (at most 125 bytes).
    Pong(Bytes),
    /// A close frame: `None` for a frame without a status code (1005).
    Close(Option<CloseFrame>),
}

/// The status code and reason of a close frame.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct CloseFrame {
    /// The status code (RFC 6455 §7.4), for example 1000 for a normal closure.
    pub code: u16,
    /// The reason, at most 123 bytes of UTF-8.
    pub reason: String,
}

impl CloseFrame {
    /// A close frame with `code` and `reason`.
    pub fn new(code: u16, reason: impl Into<String>) -> Self {
        Self {
            code,
            reason: reason.into(),
        }
    }

    /// 1000, normal closure, without a reason.
    pub fn normal() -> Self {
        Self::new(1000, String::new())
    }
}

impl Message {
    /// A text message.
    pub fn text(text: impl Into<Utf8Bytes>) -> Self {
        Self::Text(text.into())
    }

    /// A binary message.
    pub fn binary(data: impl Into<Bytes>) -> Self {
        Self::Binary(data.into())
    }

    /// Whether this is a text message.
    pub fn is_text(&self) -> bool {
        matches!(self, Self::Text(_))
    }

    /// Whether this is a binary message.
    pub fn is_binary(&self) -> bool {
        matches!(self, Self::Binary(_))
    }

    /// Whether this is a ping.
    pub fn is_ping(&self) -> bool {
        matches!(self, Self::Ping(_))
    }

    /// Whether this is a pong.
    pub fn is_pong(&self) -> bool {
        matches!(self, Self::Pong(_))
    }

    /// Whether this is a close frame.
    pub fn is_close(&self) -> bool {
        matches!(self, Self::Close(_))
    }

    /// The text of a text message.
    pub fn as_text(&self) -> Option<&str> {
        match self {
            Self::Text(text) => Some(text.as_str()),
            _ => None,
        }
    }

    /// The payload bytes (the encoded reason's text for a close frame).
    pub fn as_payload(&self) -> &[u8] {
        match self {
            Self::Text(text) => text.as_bytes(),
            Self::Binary(data) | Self::Ping(data) | Self::Pong(data) => data,
            Self::Close(Some(frame)) => frame.reason.as_bytes(),
            Self::Close(None) => &[],
        }
    }

    /// The payload length in bytes.
    pub fn len(&self) -> usize {
        self.as_payload().len()
    }

    /// Whether the payload is empty.
    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }

    /// Consumes the message and returns its payload bytes.
    pub fn into_payload(self) -> Bytes {
        match self {
            Self::Text(text) => text.into_bytes(),
            Self::Binary(data) | Self::Ping(data) | Self::Pong(data) => data,
            Self::Close(Some(frame)) => Bytes::from(frame.reason),
            Self::Close(None) => Bytes::new(),
        }
    }
}

impl From<String> for Message {
    fn from(text: String) -> Self {
        Self::text(text)
    }
}

impl From<&str> for Message {
    fn from(text: &str) -> Self {
        Self::text(text)
    }
}

impl From<Bytes> for Message {
    fn from(data: Bytes) -> Self {
        Self::Binary(data)
    }
}

impl From<Vec<u8>> for Message {
    fn from(data: Vec<u8>) -> Self {
        Self::Binary(data.into())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn kinds_answer_their_predicates() {
        assert!(Message::binary(vec![1u8]).is_binary());
        assert!(Message::Ping(Bytes::new()).is_ping());
        assert!(Message::Pong(Bytes::new()).is_pong());
        assert!(Message::Close(None).is_close());
        assert_eq!(Message::binary(vec![1u8]).as_text(), None);
    }

    #[test]
    fn payload_of_each_kind() {
        assert_eq!(Message::from("ab").len(), 2);
        assert_eq!(Message::Close(None).into_payload(), Bytes::new());
        let close = Message::Close(Some(CloseFrame::new(1001, "away")));
        assert_eq!(close.as_payload(), b"away");
        assert_eq!(close.into_payload(), Bytes::from_static(b"away"));
        assert!(Message::from(Vec::new()).is_empty());
    }

    #[test]
    fn normal_close_frame_is_1000_without_reason() {
        assert_eq!(CloseFrame::normal(), CloseFrame::new(1000, ""));
    }
}
