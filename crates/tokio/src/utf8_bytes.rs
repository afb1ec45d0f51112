//! [`Utf8Bytes`]: text as cheaply clonable, reference-counted bytes.

use std::fmt;
use std::ops::Deref;

use bytes::Bytes;

/// An immutable UTF-8 string backed by [`Bytes`].
///
/// A received text message is handed over without copying the payload the
/// engine reassembled, and cloning (for an echo, a broadcast) only bumps a
/// reference count. It dereferences to `str`.
///
/// ```
/// use ferrows::Utf8Bytes;
/// let text = Utf8Bytes::from("héllo");
/// assert_eq!(text.as_str(), "héllo");
/// assert_eq!(text.len(), 6);
/// assert!(Utf8Bytes::try_from(bytes::Bytes::from_static(b"\xff")).is_err());
/// ```
#[derive(Clone, Default, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct Utf8Bytes(Bytes);

impl Utf8Bytes {
    /// Wraps a static string without allocating.
    pub const fn from_static(text: &'static str) -> Self {
        Self(Bytes::from_static(text.as_bytes()))
    }

    /// Wraps bytes the engine has validated.
    ///
    /// # Safety
    ///
    /// `bytes` must be valid UTF-8.
    pub(crate) unsafe fn from_bytes_unchecked(bytes: Bytes) -> Self {
        Self(bytes)
    }

    /// The text.
    pub fn as_str(&self) -> &str {
        // SAFETY: every constructor guarantees that `self.0` is valid UTF-8
        // (checked, built from a `str`, or validated by the engine), and
        // `Bytes` is immutable.
        unsafe { std::str::from_utf8_unchecked(&self.0) }
    }

    /// The underlying bytes (free).
    pub fn as_bytes(&self) -> &Bytes {
        &self.0
    }

    /// Consumes the string and returns its bytes (free).
    pub fn into_bytes(self) -> Bytes {
        self.0
    }
}

impl Deref for Utf8Bytes {
    type Target = str;

    fn deref(&self) -> &str {
        self.as_str()
    }
}

impl AsRef<str> for Utf8Bytes {
    fn as_ref(&self) -> &str {
        self.as_str()
    }
}

impl AsRef<[u8]> for Utf8Bytes {
    fn as_ref(&self) -> &[u8] {
        &self.0
    }
}

impl From<String> for Utf8Bytes {
    fn from(text: String) -> Self {
        Self(Bytes::from(text))
    }
}

impl From<&str> for Utf8Bytes {
    fn from(text: &str) -> Self {
        Self(Bytes::copy_from_slice(text.as_bytes()))
    }
}

impl From<Utf8Bytes> for Bytes {
    fn from(text: Utf8Bytes) -> Self {
        text.0
    }
}

impl TryFrom<Bytes> for Utf8Bytes {
    type Error = std::str::Utf8Error;

    /// Checks that `bytes` is UTF-8 (no copy).
    fn try_from(bytes: Bytes) -> Result<Self, Self::Error> {
        std::str::from_utf8(&bytes)?;
        Ok(Self(bytes))
    }
}

impl TryFrom<Vec<u8>> for Utf8Bytes {
    type Error = std::string::FromUtf8Error;

    /// Checks that `bytes` is UTF-8 (no copy).
    fn try_from(bytes: Vec<u8>) -> Result<Self, Self::Error> {
        Ok(Self::from(String::from_utf8(bytes)?))
    }
}

impl PartialEq<str> for Utf8Bytes {
    fn eq(&self, other: &str) -> bool {
        self.as_str() == other
    }
}

impl PartialEq<&str> for Utf8Bytes {
    fn eq(&self, other: &&str) -> bool {
        self.as_str() == *other
    }
}

impl fmt::Display for Utf8Bytes {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

impl fmt::Debug for Utf8Bytes {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        fmt::Debug::fmt(self.as_str(), f)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn string_round_trips_without_copy() {
        let text = Utf8Bytes::from(String::from("abc"));
        let ptr = text.as_ptr();
        let bytes = text.into_bytes();
        assert_eq!(bytes.as_ptr(), ptr);
    }

    #[test]
    fn invalid_bytes_are_refused() {
        assert!(Utf8Bytes::try_from(vec![0xc3]).is_err());
        assert_eq!(Utf8Bytes::try_from(vec![0xc3, 0xa9]).unwrap(), "é");
    }

    #[test]
    fn static_text_compares_and_displays() {
        let text = Utf8Bytes::from_static("hi");
        assert_eq!(text, "hi");
        assert_eq!(text.to_string(), "hi");
        assert_eq!(format!("{text:?}"), "\"hi\"");
    }
}
