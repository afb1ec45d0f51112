//! The error a failed validation returns.

use std::fmt;

/// The bytes are not UTF-8, or cannot become UTF-8 with more input.
///
/// It is opaque on purpose. The protocol layer maps it to close code 1007
/// (`WS_ERR_INVALID_UTF8`), and the position of the bad byte is not API.
/// The `Display` text is "invalid UTF-8 sequence".
///
/// ```
/// # use ferrows_core::utf8::Utf8Stream;
/// let err = Utf8Stream::new().feed(b"\xC0").unwrap_err();
/// assert_eq!(err.to_string(), "invalid UTF-8 sequence");
/// ```
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Utf8Error {
    _private: (),
}

impl Utf8Error {
    pub(super) const fn new() -> Self {
        Self { _private: () }
    }
}

impl fmt::Display for Utf8Error {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("invalid UTF-8 sequence")
    }
}

impl std::error::Error for Utf8Error {}

#[cfg(test)]
mod tests {
    use super::Utf8Error;

    #[test]
    fn error_displays_invalid_utf8_sequence() {
        assert_eq!(Utf8Error::new().to_string(), "invalid UTF-8 sequence");
    }

    #[test]
    fn error_is_a_std_error_without_source() {
        let err: &dyn std::error::Error = &Utf8Error::new();
        assert!(err.source().is_none());
    }
}
