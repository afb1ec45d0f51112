//! Close codes and close-frame payloads (RFC 6455 §5.5.1, §7.4).
//!
//! One rule decides both what a peer may put on the wire and what the
//! application may pass to `close(code)`: 1000–1003, 1007–1014 and 3000–4999
//! (`ws`'s `isValidStatusCode`). Anything else received is a protocol error
//! (1002); anything else passed by the application is a `TypeError`.

use crate::error::{Error, FrameRule, Kind};

/// No status code was present in the close frame (reported locally, never sent).
pub const NO_STATUS: u16 = 1005;
/// The connection closed without a close frame (reported locally, never sent).
pub const ABNORMAL: u16 = 1006;
/// The largest close reason: 125 bytes of control payload minus the 2-byte code.
pub const MAX_REASON_LEN: usize = 123;
/// The largest control frame payload.
pub const MAX_CONTROL_PAYLOAD: usize = 125;

/// Whether `code` may appear in a close frame, sent or received.
pub const fn is_valid_code(code: u16) -> bool {
    matches!(code, 1000..=1003 | 1007..=1014 | 3000..=4999)
}

/// A decoded close frame payload.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct CloseFrame<'a> {
    /// The status code, or [`NO_STATUS`] when the payload was empty.
    pub code: u16,
    /// The reason bytes (UTF-8 unless validation was skipped).
    pub reason: &'a [u8],
}

/// Decodes and validates a received close payload.
///
/// `validate_utf8` is false only when the application opted out
/// (`skipUTF8Validation`).
pub fn parse_payload(payload: &[u8], validate_utf8: bool) -> Result<CloseFrame<'_>, Error> {
    match payload {
        [] => Ok(CloseFrame {
            code: NO_STATUS,
            reason: &[],
        }),
        [_] => Err(Error::frame(FrameRule::ControlPayloadLength(1))),
        [hi, lo, reason @ ..] => {
            let code = u16::from_be_bytes([*hi, *lo]);
            if !is_valid_code(code) {
                return Err(Error::frame(FrameRule::InvalidCloseCode(code)));
            }
            if validate_utf8 && simdutf8::basic::from_utf8(reason).is_err() {
                return Err(Error::new(Kind::InvalidUtf8));
            }
            Ok(CloseFrame { code, reason })
        }
    }
}

/// Builds a close payload: the big-endian code followed by the reason.
///
/// A `code` of [`NO_STATUS`] produces an empty payload (and `reason` must be
/// empty). The caller validates `code` and the reason length first.
pub fn encode_payload(code: u16, reason: &[u8], out: &mut Vec<u8>) {
    debug_assert!(reason.len() <= MAX_REASON_LEN);
    if code == NO_STATUS {
        debug_assert!(reason.is_empty());
        return;
    }
    out.extend_from_slice(&code.to_be_bytes());
    out.extend_from_slice(reason);
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn valid_received_codes_match_rfc_ranges() {
        for code in 0..=u16::MAX {
            let expect = matches!(code, 1000..=1003 | 1007..=1014 | 3000..=4999);
            assert_eq!(is_valid_code(code), expect, "code {code}");
        }
    }

    #[test]
    fn invalid_codes_of_the_autobahn_7_9_group_are_rejected() {
        for code in [
            0u16, 999, 1004, 1005, 1006, 1015, 1016, 1100, 2000, 2999, 5000, 65535,
        ] {
            let payload = code.to_be_bytes();
            let err = parse_payload(&payload, true).unwrap_err();
            assert_eq!(err.close_code(), 1002, "code {code}");
            assert_eq!(err.code(), "WS_ERR_INVALID_CLOSE_CODE");
        }
    }

    #[test]
    fn empty_payload_is_1005_and_one_byte_is_a_protocol_error() {
        assert_eq!(parse_payload(&[], true).unwrap().code, NO_STATUS);
        let err = parse_payload(&[3], true).unwrap_err();
        assert_eq!(err.code(), "WS_ERR_INVALID_CONTROL_PAYLOAD_LENGTH");
    }

    #[test]
    fn reason_is_validated_unless_skipped() {
        let mut payload = 1000u16.to_be_bytes().to_vec();
        payload.extend_from_slice(&[0xce, 0xba, 0xe1, 0xbd, 0xb9, 0xcf, 0x83, 0xff]);
        assert!(parse_payload(&payload, true).unwrap_err().is_invalid_utf8());
        assert_eq!(parse_payload(&payload, false).unwrap().code, 1000);
    }

    #[test]
    fn valid_codes_and_123_byte_reasons_round_trip() {
        let reason = [b'a'; MAX_REASON_LEN];
        for code in [1000u16, 1001, 1003, 1007, 1014, 3000, 4999] {
            let mut out = Vec::new();
            encode_payload(code, &reason, &mut out);
            assert_eq!(out.len(), MAX_CONTROL_PAYLOAD);
            let frame = parse_payload(&out, true).unwrap();
            assert_eq!((frame.code, frame.reason), (code, &reason[..]));
        }
        let mut out = Vec::new();
        encode_payload(NO_STATUS, &[], &mut out);
        assert!(out.is_empty());
    }

    #[test]
    fn application_codes_follow_ws() {
        assert!(is_valid_code(1000) && is_valid_code(4999));
        for code in [999u16, 1004, 1005, 1006, 1015, 2999, 5000] {
            assert!(!is_valid_code(code));
        }
    }
}
