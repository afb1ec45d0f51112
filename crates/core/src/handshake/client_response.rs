//! The client reads the server's answer and checks it as `ws`'s
//! `initAsClient` does.

use super::client_error::ClientHandshakeError;
use super::extensions::{parse_extensions, ExtensionOffer};
use super::head::{collect, find, latin1, HeadScanner, HeaderLookup, Scan};
use super::key::accept_key;
use super::upgrade::is_websocket;
use super::HeadLimits;

/// A parsed response head, shaped like Node's `IncomingMessage`.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ResponseHead {
    /// The status code.
    pub status: u16,
    /// The reason phrase (`res.statusMessage`).
    pub reason: String,
    /// 1 for HTTP/1.1, 0 for HTTP/1.0.
    pub minor_version: u8,
    /// `res.headers`: lowercase names, repeats merged as Node merges them.
    pub headers: Vec<(String, String)>,
    /// `res.rawHeaders`: every kept line, names in their original case.
    pub raw_headers: Vec<(String, String)>,
}

impl ResponseHead {
    /// The value of a header by lowercase name, as `res.headers[name]`.
    pub fn header(&self, name: &str) -> Option<&str> {
        find(&self.headers, name)
    }

    /// [`check_response`] on this head.
    pub fn check(
        &self,
        key: &str,
        offered_protocols: &[String],
    ) -> Result<Accepted, ClientHandshakeError> {
        check_response(self, self.status, key, offered_protocols)
    }
}

impl HeaderLookup for ResponseHead {
    fn get(&self, lowercase_name: &str) -> Option<&str> {
        self.header(lowercase_name)
    }
}

/// Reads the server's response head from bytes as they arrive, with the same
/// incremental, linear-time contract as [`RequestParser`](super::RequestParser).
///
/// Interim `1xx` responses other than 101 (`100 Continue`, `103 Early
/// Hints`) are skipped, as Node's client skips them. `max_bytes` bounds all
/// heads together; over it the error is Node's `HPE_HEADER_OVERFLOW`.
/// Header lines beyond `max_headers` are dropped, as Node's
/// `maxHeadersCount` drops them.
#[derive(Clone, Debug)]
pub struct ResponseParser {
    limits: HeadLimits,
    scanner: HeadScanner,
}

impl ResponseParser {
    /// A parser enforcing `limits`.
    pub const fn new(limits: HeadLimits) -> Self {
        Self {
            limits,
            scanner: HeadScanner::new(),
        }
    }

    /// Looks for the final response head in `buf`, everything received so
    /// far. Returns the head and the bytes it used (what follows is the
    /// body, or the frame stream after a 101), or `None` when more bytes are
    /// needed.
    pub fn parse(
        &mut self,
        buf: &[u8],
    ) -> Result<Option<(ResponseHead, usize)>, ClientHandshakeError> {
        loop {
            match self.scanner.scan(buf, self.limits.max_bytes) {
                Scan::Partial => return Ok(None),
                Scan::TooLarge => return Err(ClientHandshakeError::header_overflow()),
                Scan::Malformed => {
                    let reason = "Missing expected CR or LF";
                    return Err(ClientHandshakeError::parse("HPE_CR_EXPECTED", reason));
                }
                Scan::Complete { start, end, lines } => {
                    let head = parse_head(&buf[start..end], lines, self.limits.max_headers)?;
                    if is_interim(head.status) {
                        self.scanner.next_head();
                        continue;
                    }
                    self.scanner.start_over();
                    return Ok(Some((head, end)));
                }
            }
        }
    }

    /// How many bytes this parser has examined in total.
    pub const fn bytes_examined(&self) -> usize {
        self.scanner.examined()
    }
}

/// Node's `statusIsInformational`.
const fn is_interim(status: u16) -> bool {
    status >= 100 && status < 200 && status != 101
}

fn parse_head(
    bytes: &[u8],
    lines: usize,
    max_headers: usize,
) -> Result<ResponseHead, ClientHandshakeError> {
    let mut fields = vec![httparse::EMPTY_HEADER; lines.max(1)];
    let mut response = httparse::Response::new(&mut fields);
    match response.parse(bytes) {
        Ok(httparse::Status::Complete(_)) => {}
        Ok(httparse::Status::Partial) => {
            return Err(ClientHandshakeError::from_httparse(
                httparse::Error::NewLine,
            ))
        }
        Err(error) => return Err(ClientHandshakeError::from_httparse(error)),
    }
    let (headers, raw_headers) = collect(response.headers, max_headers);
    Ok(ResponseHead {
        status: response.code.unwrap_or_default(),
        reason: latin1(response.reason.unwrap_or_default().as_bytes()),
        minor_version: response.version.unwrap_or_default(),
        headers,
        raw_headers,
    })
}

/// What a successful handshake settled.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Accepted {
    /// The subprotocol the server chose (`ws.protocol`), if any.
    pub protocol: Option<String>,
    /// The raw `Sec-WebSocket-Extensions` answer, for
    /// [`check_response_extensions`] and the extension layer.
    pub extensions: Option<String>,
}

/// The checks of `ws`'s `initAsClient`, in its order and with its messages:
///
/// 1. status 101, else [`ClientHandshakeError::unexpected_status`];
/// 2. `Upgrade` is `websocket` (any case): `Invalid Upgrade header`;
/// 3. `Sec-WebSocket-Accept` equals [`accept_key`] of `key`:
///    `Invalid Sec-WebSocket-Accept header`;
/// 4. a subprotocol when none was offered: `Server sent a subprotocol but none
///    was requested`; one not offered: `Server sent an invalid subprotocol`;
///    none when some were offered: `Server sent no subprotocol`.
///
/// ```
/// use ferrows_core::handshake::check_response;
/// let headers = [("upgrade", "websocket"), ("sec-websocket-accept", "s3pPLMBiTxaQ9kYGzzhZRbK+xOo=")];
/// let accepted = check_response(&headers[..], 101, "dGhlIHNhbXBsZSBub25jZQ==", &[]).unwrap();
/// assert_eq!(accepted.protocol, None);
/// ```
pub fn check_response(
    head: &(impl HeaderLookup + ?Sized),
    status: u16,
    key: &str,
    offered_protocols: &[String],
) -> Result<Accepted, ClientHandshakeError> {
    if status != 101 {
        return Err(ClientHandshakeError::unexpected_status_error(status));
    }
    if !head.get("upgrade").is_some_and(is_websocket) {
        return Err(ClientHandshakeError::refused("Invalid Upgrade header"));
    }
    if head.get("sec-websocket-accept") != Some(accept_key(key.as_bytes()).as_str()) {
        return Err(ClientHandshakeError::refused(
            "Invalid Sec-WebSocket-Accept header",
        ));
    }
    let protocol = check_chosen_protocol(head.get("sec-websocket-protocol"), offered_protocols)?;
    Ok(Accepted {
        protocol,
        extensions: head.get("sec-websocket-extensions").map(str::to_owned),
    })
}

/// `ws`'s subprotocol rules for the server's choice: none may come back when
/// none was offered, it must be one of those offered, and there must be one
/// when some were offered.
pub(crate) fn check_chosen_protocol(
    protocol: Option<&str>,
    offered_protocols: &[String],
) -> Result<Option<String>, ClientHandshakeError> {
    let refusal = match protocol {
        Some(_) if offered_protocols.is_empty() => {
            Some("Server sent a subprotocol but none was requested")
        }
        Some(chosen) if !offered_protocols.iter().any(|p| p == chosen) => {
            Some("Server sent an invalid subprotocol")
        }
        None if !offered_protocols.is_empty() => Some("Server sent no subprotocol"),
        _ => None,
    };
    match refusal {
        Some(message) => Err(ClientHandshakeError::refused(message)),
        None => Ok(protocol.map(str::to_owned)),
    }
}

/// The extension checks `ws` makes before handing the answer to
/// permessage-deflate: an answer when nothing was offered fails with
/// `Server sent a Sec-WebSocket-Extensions header but no extension was
/// requested`; bad syntax with `Invalid Sec-WebSocket-Extensions header`; any
/// extension other than `permessage-deflate` with `Server indicated an
/// extension that was not requested`. Returns the answers (all named
/// `permessage-deflate`; empty without the header). If the extension layer
/// then refuses the parameters, fail with
/// [`ClientHandshakeError::invalid_extensions`].
pub fn check_response_extensions(
    raw: Option<&str>,
    offered_deflate: bool,
) -> Result<Vec<ExtensionOffer>, ClientHandshakeError> {
    let Some(raw) = raw else {
        return Ok(Vec::new());
    };
    if !offered_deflate {
        return Err(ClientHandshakeError::refused(
            "Server sent a Sec-WebSocket-Extensions header but no extension was requested",
        ));
    }
    let answers = parse_extensions(raw).map_err(|_| ClientHandshakeError::invalid_extensions())?;
    if answers.iter().any(|a| a.name != "permessage-deflate") {
        return Err(ClientHandshakeError::refused(
            "Server indicated an extension that was not requested",
        ));
    }
    Ok(answers)
}

#[cfg(test)]
#[path = "client_response_tests.rs"]
mod tests;
