//! The engine's error type.
//!
//! [`Error`] is opaque: ask it questions with the `is_*` predicates, read the
//! close code it maps to with [`Error::close_code`] and the `ws`-compatible
//! `err.code` string with [`Error::code`]. **The message text is not API**; it
//! mirrors `ws` so that logs look familiar, and may change.

use std::fmt;

/// Why a connection failed. Each failure maps to exactly one close code.
#[derive(Clone, PartialEq, Eq)]
pub struct Error {
    kind: Kind,
}

/// The failure classes, one small enum per layer.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum Kind {
    /// A frame broke an RFC 6455 §5 rule (close code 1002).
    Frame(FrameRule),
    /// A text message or close reason is not UTF-8 (1007).
    InvalidUtf8,
    /// A message (or its inflated form) exceeds `maxPayload` (1009).
    MessageTooBig,
    /// A 64-bit payload length above 2^53 − 1 (1009).
    UnsupportedLength,
    /// More data frames in one message than `maxFragments` (1008).
    TooManyFragments,
    /// More receive chunks buffered than `maxBufferedChunks` (1008).
    TooManyChunks,
    /// The permessage-deflate stream is corrupt (1007 with zlib's `Z_DATA_ERROR`, as `ws` reports it).
    Inflate,
    /// A caught panic or another internal failure (1011).
    Internal,
}

/// The RFC 6455 §5 rules a received frame can break.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum FrameRule {
    /// RSV2 or RSV3 set.
    Rsv23,
    /// RSV1 set without permessage-deflate, or on a control/continuation frame.
    Rsv1,
    /// A reserved opcode, or a broken continuation sequence.
    InvalidOpcode(u8),
    /// A control frame without FIN.
    ExpectedFin,
    /// A control payload over 125 bytes, or a close payload of one byte.
    ControlPayloadLength(u8),
    /// The server received an unmasked frame.
    ExpectedMask,
    /// The client received a masked frame.
    UnexpectedMask,
    /// A received close code outside the valid ranges.
    InvalidCloseCode(u16),
}

impl Error {
    pub(crate) const fn new(kind: Kind) -> Self {
        Self { kind }
    }

    pub(crate) const fn frame(rule: FrameRule) -> Self {
        Self::new(Kind::Frame(rule))
    }

    /// An internal failure (for example a caught panic) that must fail only
    /// this connection, with close code 1011.
    pub const fn internal() -> Self {
        Self::new(Kind::Internal)
    }

    #[cfg(test)]
    pub(crate) fn kind(&self) -> Kind {
        self.kind
    }

    /// The close code to send to the peer (and to report locally).
    ///
    pub const fn close_code(&self) -> u16 {
        match self.kind {
            Kind::Frame(_) => 1002,
            Kind::InvalidUtf8 | Kind::Inflate => 1007,
            Kind::MessageTooBig | Kind::UnsupportedLength => 1009,
            Kind::TooManyFragments | Kind::TooManyChunks => 1008,
            Kind::Internal => 1011,
        }
    }

    /// The `ws` error code (`err.code`), e.g. `WS_ERR_INVALID_UTF8`.
    pub const fn code(&self) -> &'static str {
        match self.kind {
            Kind::Frame(rule) => match rule {
                FrameRule::Rsv23 => "WS_ERR_UNEXPECTED_RSV_2_3",
                FrameRule::Rsv1 => "WS_ERR_UNEXPECTED_RSV_1",
                FrameRule::InvalidOpcode(_) => "WS_ERR_INVALID_OPCODE",
                FrameRule::ExpectedFin => "WS_ERR_EXPECTED_FIN",
                FrameRule::ControlPayloadLength(_) => "WS_ERR_INVALID_CONTROL_PAYLOAD_LENGTH",
                FrameRule::ExpectedMask => "WS_ERR_EXPECTED_MASK",
                FrameRule::UnexpectedMask => "WS_ERR_UNEXPECTED_MASK",
                FrameRule::InvalidCloseCode(_) => "WS_ERR_INVALID_CLOSE_CODE",
            },
            Kind::InvalidUtf8 => "WS_ERR_INVALID_UTF8",
            Kind::MessageTooBig => "WS_ERR_UNSUPPORTED_MESSAGE_LENGTH",
            Kind::UnsupportedLength => "WS_ERR_UNSUPPORTED_DATA_PAYLOAD_LENGTH",
            Kind::TooManyFragments | Kind::TooManyChunks => "WS_ERR_TOO_MANY_BUFFERED_PARTS",
            Kind::Inflate => "Z_DATA_ERROR",
            Kind::Internal => "WS_ERR_INTERNAL",
        }
    }

    /// True for every RFC 6455 framing violation (close code 1002).
    pub const fn is_protocol(&self) -> bool {
        matches!(self.kind, Kind::Frame(_))
    }

    /// True for invalid UTF-8 in a text message or close reason (1007).
    pub const fn is_invalid_utf8(&self) -> bool {
        matches!(self.kind, Kind::InvalidUtf8)
    }

    /// True when a size limit was exceeded (1009).
    pub const fn is_too_big(&self) -> bool {
        matches!(self.kind, Kind::MessageTooBig | Kind::UnsupportedLength)
    }

    /// True when a part-count limit was exceeded (1008).
    pub const fn is_too_many_parts(&self) -> bool {
        matches!(self.kind, Kind::TooManyFragments | Kind::TooManyChunks)
    }

    /// True when the compressed stream could not be inflated (1007).
    pub const fn is_inflate(&self) -> bool {
        matches!(self.kind, Kind::Inflate)
    }

    /// True for internal failures such as a caught panic (1011).
    pub const fn is_internal(&self) -> bool {
        matches!(self.kind, Kind::Internal)
    }

    /// Whether `ws` raises this as a `RangeError` (every frame error except
    /// invalid UTF-8, which is a plain `Error`).
    pub const fn is_range_error(&self) -> bool {
        !matches!(
            self.kind,
            Kind::InvalidUtf8 | Kind::Inflate | Kind::Internal
        )
    }

    fn message(&self) -> (bool, MessageText) {
        use MessageText::{Static, WithCode};
        match self.kind {
            Kind::Frame(rule) => match rule {
                FrameRule::Rsv23 => (true, Static("RSV2 and RSV3 must be clear")),
                FrameRule::Rsv1 => (true, Static("RSV1 must be clear")),
                FrameRule::InvalidOpcode(op) => (true, WithCode("invalid opcode ", u64::from(op))),
                FrameRule::ExpectedFin => (true, Static("FIN must be set")),
                FrameRule::ControlPayloadLength(len) => {
                    (true, WithCode("invalid payload length ", u64::from(len)))
                }
                FrameRule::ExpectedMask => (true, Static("MASK must be set")),
                FrameRule::UnexpectedMask => (true, Static("MASK must be clear")),
                FrameRule::InvalidCloseCode(code) => {
                    (true, WithCode("invalid status code ", u64::from(code)))
                }
            },
            Kind::InvalidUtf8 => (true, Static("invalid UTF-8 sequence")),
            Kind::MessageTooBig => (false, Static("Max payload size exceeded")),
            Kind::UnsupportedLength => (
                false,
                Static("Unsupported WebSocket frame: payload length > 2^53 - 1"),
            ),
            Kind::TooManyFragments => (false, Static("Too many message fragments")),
            Kind::TooManyChunks => (false, Static("Too many buffered chunks")),
            Kind::Inflate => (false, Static("invalid compressed data")),
            Kind::Internal => (false, Static("internal error")),
        }
    }
}

enum MessageText {
    Static(&'static str),
    WithCode(&'static str, u64),
}

impl fmt::Display for Error {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let (prefixed, text) = self.message();
        if prefixed {
            f.write_str("Invalid WebSocket frame: ")?;
        }
        match text {
            MessageText::Static(s) => f.write_str(s),
            MessageText::WithCode(s, n) => write!(f, "{s}{n}"),
        }
    }
}

impl fmt::Debug for Error {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Error")
            .field("code", &self.code())
            .field("close_code", &self.close_code())
            .field("message", &self.to_string())
            .finish()
    }
}

impl std::error::Error for Error {}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn frame_errors_carry_ws_prefix_and_1002() {
        let err = Error::frame(FrameRule::InvalidOpcode(5));
        assert_eq!(err.to_string(), "Invalid WebSocket frame: invalid opcode 5");
        assert_eq!(err.close_code(), 1002);
        assert_eq!(err.code(), "WS_ERR_INVALID_OPCODE");
        assert!(err.is_protocol() && err.is_range_error());
    }

    #[test]
    fn limit_errors_have_no_prefix() {
        let err = Error::new(Kind::MessageTooBig);
        assert_eq!(err.to_string(), "Max payload size exceeded");
        assert_eq!(err.close_code(), 1009);
        assert!(err.is_too_big());
        let err = Error::new(Kind::TooManyChunks);
        assert_eq!(err.close_code(), 1008);
        assert!(err.is_too_many_parts());
    }

    #[test]
    fn utf8_is_a_plain_error_with_1007() {
        let err = Error::new(Kind::InvalidUtf8);
        assert!(!err.is_range_error());
        assert_eq!(err.close_code(), 1007);
        assert_eq!(
            err.to_string(),
            "Invalid WebSocket frame: invalid UTF-8 sequence"
        );
    }

    #[test]
    fn every_kind_maps_to_one_close_code() {
        let kinds = [
            Kind::Frame(FrameRule::Rsv23),
            Kind::Frame(FrameRule::Rsv1),
            Kind::Frame(FrameRule::ExpectedFin),
            Kind::Frame(FrameRule::ControlPayloadLength(126)),
            Kind::Frame(FrameRule::ExpectedMask),
            Kind::Frame(FrameRule::UnexpectedMask),
            Kind::Frame(FrameRule::InvalidCloseCode(999)),
            Kind::InvalidUtf8,
            Kind::MessageTooBig,
            Kind::UnsupportedLength,
            Kind::TooManyFragments,
            Kind::TooManyChunks,
            Kind::Inflate,
            Kind::Internal,
        ];
        for kind in kinds {
            let err = Error::new(kind);
            assert!(matches!(err.close_code(), 1002 | 1007..=1009 | 1011));
            assert!(err.code().starts_with("WS_ERR_") || err.code() == "Z_DATA_ERROR");
            assert!(!format!("{err:?}").is_empty());
        }
    }
}
