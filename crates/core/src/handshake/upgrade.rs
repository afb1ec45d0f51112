//! The server's checks of an upgrade request (SM6), in `ws`'s order, before
//! any user hook (`shouldHandle`, `verifyClient`) runs.

use super::extensions::{parse_extensions, ExtensionOffer};
use super::head::HeaderLookup;
use super::key::is_valid_key;
use super::rejection::Rejection;
use super::tokens::parse_subprotocols;

/// The handshake fields of a request that passed [`check_upgrade`].
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct UpgradeRequest {
    /// `Sec-WebSocket-Key`, valid per [`is_valid_key`](super::is_valid_key).
    pub key: String,
    /// What HTTP/1.1, HTTP/2 and HTTP/3 handshakes share.
    pub fields: UpgradeFields,
}

impl UpgradeRequest {
    /// [`UpgradeFields::subprotocols`].
    pub fn subprotocols(&self) -> Result<Vec<String>, Rejection> {
        self.fields.subprotocols()
    }

    /// [`UpgradeFields::extension_offers`].
    pub fn extension_offers(&self) -> Result<Vec<ExtensionOffer>, Rejection> {
        self.fields.extension_offers()
    }
}

/// The fields of an accepted WebSocket request that every HTTP version
/// carries the same way: the version, the subprotocol and extension offers,
/// and the origin.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct UpgradeFields {
    /// `Sec-WebSocket-Version`: 13, or 8 over HTTP/1.1.
    pub version: u8,
    /// The raw `Sec-WebSocket-Protocol` value, if any.
    pub protocols: Option<String>,
    /// The raw `Sec-WebSocket-Extensions` value, if any.
    pub extensions: Option<String>,
    /// `Origin`, or `Sec-WebSocket-Origin` when the version is 8 (the `origin`
    /// `ws` hands to `verifyClient`).
    pub origin: Option<String>,
}

impl UpgradeFields {
    /// The fields of a request whose version checked out as `version`.
    pub(crate) fn from_headers(headers: &(impl HeaderLookup + ?Sized), version: u8) -> Self {
        let origin_header = if version == 8 {
            "sec-websocket-origin"
        } else {
            "origin"
        };
        Self {
            version,
            protocols: headers.get("sec-websocket-protocol").map(str::to_owned),
            extensions: headers.get("sec-websocket-extensions").map(str::to_owned),
            origin: headers.get(origin_header).map(str::to_owned),
        }
    }

    /// The offered subprotocols in order (empty without the header), or 400
    /// `Invalid Sec-WebSocket-Protocol header` for bad syntax or a duplicate.
    pub fn subprotocols(&self) -> Result<Vec<String>, Rejection> {
        match &self.protocols {
            None => Ok(Vec::new()),
            Some(value) => parse_subprotocols(value).map_err(|_| Rejection::invalid_protocols()),
        }
    }

    /// The extension offers in order (empty without the header), or 400
    /// `Invalid or unacceptable Sec-WebSocket-Extensions header`. `ws` only
    /// looks at the header when permessage-deflate is enabled; so should the
    /// caller.
    pub fn extension_offers(&self) -> Result<Vec<ExtensionOffer>, Rejection> {
        match &self.extensions {
            None => Ok(Vec::new()),
            Some(value) => parse_extensions(value).map_err(|_| Rejection::invalid_extensions()),
        }
    }
}

/// Checks an upgrade request as `ws`'s `handleUpgrade` does, stopping at the
/// first failure:
///
/// | check | refusal |
/// |---|---|
/// | method is `GET` | 405 `Invalid HTTP method` |
/// | `Upgrade` is `websocket` (any case) | 400 `Invalid Upgrade header` |
/// | `Sec-WebSocket-Key` is 22 base64 chars + `==` | 400 `Missing or invalid Sec-WebSocket-Key header` |
/// | `Sec-WebSocket-Version` is 13 or 8 (as JS `+value`) | 400 `Missing or invalid Sec-WebSocket-Version header`, with `Sec-WebSocket-Version: 13, 8` |
///
/// A missing header (for example one lost to the header-count cap,
/// CVE-2024-37890) fails its check like a wrong one.
///
/// ```
/// use ferrows_core::handshake::check_upgrade;
/// let headers = [
///     ("upgrade", "websocket"),
///     ("sec-websocket-key", "dGhlIHNhbXBsZSBub25jZQ=="),
///     ("sec-websocket-version", "13"),
/// ];
/// assert_eq!(check_upgrade("GET", &headers[..]).unwrap().fields.version, 13);
/// assert_eq!(check_upgrade("POST", &headers[..]).unwrap_err().status, 405);
/// ```
pub fn check_upgrade(
    method: &str,
    headers: &(impl HeaderLookup + ?Sized),
) -> Result<UpgradeRequest, Rejection> {
    if method != "GET" {
        return Err(Rejection::new(405, "Invalid HTTP method"));
    }
    if !headers.get("upgrade").is_some_and(is_websocket) {
        return Err(Rejection::new(400, "Invalid Upgrade header"));
    }
    let key = headers
        .get("sec-websocket-key")
        .filter(|key| is_valid_key(key));
    let key =
        key.ok_or_else(|| Rejection::new(400, "Missing or invalid Sec-WebSocket-Key header"))?;
    let Some(version) = headers
        .get("sec-websocket-version")
        .and_then(version_number)
    else {
        return Err(
            Rejection::new(400, "Missing or invalid Sec-WebSocket-Version header")
                .with_header("Sec-WebSocket-Version", "13, 8"),
        );
    };
    Ok(UpgradeRequest {
        key: key.to_owned(),
        fields: UpgradeFields::from_headers(headers, version),
    })
}

/// Refuses HTTP/1.0 requests: RFC 6455 §4.1 requires HTTP/1.1 or later.
/// Node and `ws` accept HTTP/1.0 upgrades; ferrows' own HTTP listeners do not
/// and answer 400 `Invalid HTTP version`.
pub fn check_http_version(minor_version: u8) -> Result<(), Rejection> {
    if minor_version >= 1 {
        Ok(())
    } else {
        Err(Rejection::new(400, "Invalid HTTP version"))
    }
}

/// Whether Node's HTTP parser would report this request as an upgrade: an
/// `Upgrade` header is present and `Connection` lists the token `upgrade`
/// (any case, comma-separated). A listener answers other requests itself
/// (`ws` in port mode answers 426).
pub fn wants_upgrade(headers: &(impl HeaderLookup + ?Sized)) -> bool {
    let connection = headers.get("connection").unwrap_or_default();
    headers.get("upgrade").is_some()
        && connection.split(',').any(|token| {
            token
                .trim_matches([' ', '\t'])
                .eq_ignore_ascii_case("upgrade")
        })
}

/// `value.toLowerCase() === 'websocket'`.
pub(crate) fn is_websocket(value: &str) -> bool {
    value.eq_ignore_ascii_case("websocket")
        || (!value.is_ascii() && value.to_lowercase() == "websocket")
}

/// `+value` in JS, when it is 13 or 8.
fn version_number(value: &str) -> Option<u8> {
    let text = value.trim_matches(is_js_space);
    let number = match radix_literal(text) {
        Some(number) => number?,
        None if text.is_empty() => 0,
        None => decimal_literal(text)?,
    };
    [13, 8].contains(&number).then_some(number)
}

/// JS `WhiteSpace` and `LineTerminator`.
fn is_js_space(c: char) -> bool {
    (c.is_whitespace() && c != '\u{85}') || c == '\u{feff}'
}

/// `0x…`, `0o…`, `0b…` integer literals: `None` when `text` is not one,
/// `Some(None)` when it is malformed (NaN) or above 255.
fn radix_literal(text: &str) -> Option<Option<u8>> {
    let radix = match text.get(..2)? {
        "0x" | "0X" => 16,
        "0o" | "0O" => 8,
        "0b" | "0B" => 2,
        _ => return None,
    };
    let digits = &text[2..];
    if digits.is_empty() {
        return Some(None);
    }
    let mut number: u32 = 0;
    for c in digits.chars() {
        let Some(digit) = c.to_digit(radix) else {
            return Some(None);
        };
        number = (number * radix + digit).min(256);
    }
    Some(u8::try_from(number).ok())
}

/// A JS decimal literal (`13`, `013`, `+13`, `13.0`, `1.3e1`, `.8e1`) that is
/// an integer from 0 to 255.
fn decimal_literal(text: &str) -> Option<u8> {
    let allowed = |b: u8| b.is_ascii_digit() || matches!(b, b'.' | b'e' | b'E' | b'+' | b'-');
    if !text.bytes().all(allowed) {
        return None;
    }
    let number: f64 = text.parse().ok()?;
    let integer = number as u8;
    (f64::from(integer) == number).then_some(integer)
}

#[cfg(test)]
#[path = "upgrade_tests.rs"]
mod tests;
