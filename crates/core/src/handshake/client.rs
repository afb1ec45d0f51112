//! The client's upgrade request, written as Node's `http.request` writes the
//! one `ws` builds.

use std::fmt;

use super::tokens::is_tchar;

/// What a client puts in its upgrade request.
#[derive(Clone, Copy, Debug)]
pub struct ClientRequest<'a> {
    /// The `Host` value: `host[:port]`, IPv6 in brackets, the port omitted
    /// when it is the scheme's default (as Node does).
    pub host: &'a str,
    /// The request target: path and query.
    pub path: &'a str,
    /// `Sec-WebSocket-Key`, e.g. from [`generate_key`](super::generate_key).
    pub key: &'a str,
    /// `Sec-WebSocket-Version`: 13, or 8.
    pub version: u8,
    /// The subprotocols to offer, sent joined with `,` when not empty.
    pub protocols: &'a [String],
    /// The `Sec-WebSocket-Extensions` offer, e.g. from
    /// [`format_extensions`](super::format_extensions).
    pub extensions: Option<&'a str>,
    /// Sent as `Origin`, or as `Sec-WebSocket-Origin` below version 13;
    /// skipped when empty.
    pub origin: Option<&'a str>,
    /// The user's `options.headers`, in order. They come first; a
    /// handshake header of the same name (any case) replaces the value in
    /// place; a user `Host` replaces the generated one.
    pub extra_headers: &'a [(String, String)],
}

/// A header name, value or path that Node would refuse to send (it would
/// throw from `http.request`). `Display` gives Node's message.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct InvalidHeader {
    kind: InvalidKind,
}

#[derive(Clone, Debug, PartialEq, Eq)]
enum InvalidKind {
    Name(String),
    Value(String),
    Path,
}

impl InvalidHeader {
    /// Node's `err.code`: `ERR_INVALID_HTTP_TOKEN`, `ERR_INVALID_CHAR` or
    /// `ERR_UNESCAPED_CHARACTERS`.
    pub const fn code(&self) -> &'static str {
        match self.kind {
            InvalidKind::Name(_) => "ERR_INVALID_HTTP_TOKEN",
            InvalidKind::Value(_) => "ERR_INVALID_CHAR",
            InvalidKind::Path => "ERR_UNESCAPED_CHARACTERS",
        }
    }
}

impl fmt::Display for InvalidHeader {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match &self.kind {
            InvalidKind::Name(name) => {
                write!(f, "Header name must be a valid HTTP token [\"{name}\"]")
            }
            InvalidKind::Value(name) => {
                write!(f, "Invalid character in header content [\"{name}\"]")
            }
            InvalidKind::Path => f.write_str("Request path contains unescaped characters"),
        }
    }
}

impl std::error::Error for InvalidHeader {}

/// Checks one header as Node's `setHeader` does: the name must be a
/// non-empty token; the value may hold tab and bytes 0x20–0x7E and
/// 0x80–0xFF (Latin-1 characters), nothing else — so no CR/LF injection.
pub fn check_header(name: &str, value: &str) -> Result<(), InvalidHeader> {
    if name.is_empty() || !name.bytes().all(is_tchar) {
        return Err(InvalidHeader {
            kind: InvalidKind::Name(name.to_owned()),
        });
    }
    let valid =
        |c: char| c == '\t' || (' '..='~').contains(&c) || ('\u{80}'..='\u{ff}').contains(&c);
    if !value.chars().all(valid) {
        return Err(InvalidHeader {
            kind: InvalidKind::Value(name.to_owned()),
        });
    }
    Ok(())
}

/// Encodes the upgrade request: `GET <path> HTTP/1.1`, the user's headers,
/// then `Sec-WebSocket-Version`, `Sec-WebSocket-Key`, `Connection: Upgrade`,
/// `Upgrade: websocket`, the optional `Sec-WebSocket-Extensions`,
/// `Sec-WebSocket-Protocol` and origin header, and `Host` last unless the
/// user set one — the order Node writes `ws`'s request in. Header text is
/// written as Latin-1, as Node writes it.
///
/// Fails, like Node, on a path with characters outside U+0021–U+00FF or a
/// header refused by [`check_header`].
///
/// ```
/// use ferrows_core::handshake::{encode_request, ClientRequest};
/// let request = ClientRequest {
///     host: "example.com", path: "/chat", key: "dGhlIHNhbXBsZSBub25jZQ==", version: 13,
///     protocols: &[], extensions: None, origin: None, extra_headers: &[],
/// };
/// let bytes = encode_request(&request).unwrap();
/// assert!(bytes.starts_with(b"GET /chat HTTP/1.1\r\nSec-WebSocket-Version: 13\r\n"));
/// assert!(bytes.ends_with(b"Host: example.com\r\n\r\n"));
/// ```
pub fn encode_request(req: &ClientRequest<'_>) -> Result<Vec<u8>, InvalidHeader> {
    if !req.path.chars().all(|c| ('\u{21}'..='\u{ff}').contains(&c)) {
        return Err(InvalidHeader {
            kind: InvalidKind::Path,
        });
    }
    let mut fields: Vec<(&str, String)> = Vec::new();
    for (name, value) in req.extra_headers {
        set(&mut fields, name, value.clone());
    }
    for (name, value) in handshake_fields(req) {
        set(&mut fields, name, value);
    }
    if !fields
        .iter()
        .any(|(name, _)| name.eq_ignore_ascii_case("host"))
    {
        fields.push(("Host", req.host.to_owned()));
    }
    let mut out = Vec::new();
    push_latin1(&mut out, &format!("GET {} HTTP/1.1\r\n", req.path));
    for (name, value) in &fields {
        check_header(name, value)?;
        push_latin1(&mut out, &format!("{name}: {value}\r\n"));
    }
    out.extend_from_slice(b"\r\n");
    Ok(out)
}

/// The headers `ws` adds, in its order.
fn handshake_fields(req: &ClientRequest<'_>) -> Vec<(&'static str, String)> {
    let mut fields = vec![
        ("Sec-WebSocket-Version", req.version.to_string()),
        ("Sec-WebSocket-Key", req.key.to_owned()),
        ("Connection", "Upgrade".to_owned()),
        ("Upgrade", "websocket".to_owned()),
    ];
    if let Some(extensions) = req.extensions {
        fields.push(("Sec-WebSocket-Extensions", extensions.to_owned()));
    }
    if !req.protocols.is_empty() {
        fields.push(("Sec-WebSocket-Protocol", req.protocols.join(",")));
    }
    if let Some(origin) = req.origin.filter(|o| !o.is_empty()) {
        let name = if req.version < 13 {
            "Sec-WebSocket-Origin"
        } else {
            "Origin"
        };
        fields.push((name, origin.to_owned()));
    }
    fields
}

/// Node's `setHeader`: a name already present (any case) keeps its place and
/// takes the new spelling and value.
fn set<'a>(fields: &mut Vec<(&'a str, String)>, name: &'a str, value: String) {
    match fields
        .iter_mut()
        .find(|(existing, _)| existing.eq_ignore_ascii_case(name))
    {
        Some(field) => *field = (name, value),
        None => fields.push((name, value)),
    }
}

/// Appends `text` as Latin-1; callers have checked every char is ≤ U+00FF.
fn push_latin1(out: &mut Vec<u8>, text: &str) {
    out.extend(text.chars().map(|c| u8::try_from(c).unwrap_or(b'?')));
}

#[cfg(test)]
#[path = "client_tests.rs"]
mod tests;
