//! The server reads a request head from raw bytes, incrementally.

use super::head::{collect, find, latin1, HeadScanner, HeaderLookup, Scan};
use super::rejection::Rejection;
use super::upgrade::{check_http_version, check_upgrade, UpgradeRequest};
use super::HeadLimits;

/// A parsed request head, shaped like Node's `IncomingMessage`.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct RequestHead {
    /// The method token, e.g. `GET`.
    pub method: String,
    /// The request target (`req.url`), Latin-1 decoded.
    pub target: String,
    /// 1 for HTTP/1.1, 0 for HTTP/1.0.
    pub minor_version: u8,
    /// `req.headers`: lowercase names, repeats merged as Node merges them,
    /// values Latin-1 decoded with surrounding white space removed.
    pub headers: Vec<(String, String)>,
    /// `req.rawHeaders`: every kept line, names in their original case.
    pub raw_headers: Vec<(String, String)>,
}

impl RequestHead {
    /// The value of a header by lowercase name, as `req.headers[name]`.
    pub fn header(&self, name: &str) -> Option<&str> {
        find(&self.headers, name)
    }

    /// [`check_http_version`] then [`check_upgrade`]: the checks a ferrows
    /// listener makes before user hooks.
    pub fn check_upgrade(&self) -> Result<UpgradeRequest, Rejection> {
        check_http_version(self.minor_version)?;
        check_upgrade(&self.method, self)
    }
}

impl HeaderLookup for RequestHead {
    fn get(&self, lowercase_name: &str) -> Option<&str> {
        self.header(lowercase_name)
    }
}

/// Reads a request head from bytes as they arrive.
///
/// Call [`parse`](Self::parse) with the whole buffer received so far after
/// each read. Bytes already examined are not examined again, so a head sent
/// one byte per segment costs O(n) in total (CVE-2023-43669); httparse runs
/// once, when the blank line has arrived. Refusals follow Node's parser:
/// 431 when no blank line appears within `max_bytes`; 400 for malformed
/// input, including bare CR or LF line ends. Header lines beyond
/// `max_headers` are dropped (so a lost `Upgrade` later fails
/// [`check_upgrade`] with 400, as in `ws` 8.17.1).
///
/// After a head is returned the parser is ready for a new buffer.
///
/// ```
/// use ferrows_core::handshake::{HeadLimits, RequestParser};
/// let mut parser = RequestParser::new(HeadLimits::default());
/// let bytes = b"GET /chat HTTP/1.1\r\nHost: a\r\nUpgrade: websocket\r\n\r\n\x81\x00";
/// assert!(parser.parse(&bytes[..10]).unwrap().is_none());
/// let (head, consumed) = parser.parse(bytes).unwrap().unwrap();
/// assert_eq!(head.target, "/chat");
/// assert_eq!(head.header("upgrade"), Some("websocket"));
/// assert_eq!(&bytes[consumed..], b"\x81\x00");
/// ```
#[derive(Clone, Debug)]
pub struct RequestParser {
    limits: HeadLimits,
    scanner: HeadScanner,
}

impl RequestParser {
    /// A parser enforcing `limits`.
    pub const fn new(limits: HeadLimits) -> Self {
        Self {
            limits,
            scanner: HeadScanner::new(),
        }
    }

    /// Looks for a complete head in `buf`, everything received so far.
    /// Returns the head and its length in bytes (what follows is the start
    /// of the frame stream), `None` when more bytes are needed, or the
    /// refusal to send.
    pub fn parse(&mut self, buf: &[u8]) -> Result<Option<(RequestHead, usize)>, Rejection> {
        match self.scanner.scan(buf, self.limits.max_bytes) {
            Scan::Partial => Ok(None),
            Scan::TooLarge => Err(Rejection::from_status(431)),
            Scan::Malformed => Err(Rejection::from_status(400)),
            Scan::Complete { end, lines, .. } => {
                self.scanner.start_over();
                let head = parse_head(&buf[..end], lines, self.limits.max_headers)?;
                Ok(Some((head, end)))
            }
        }
    }

    /// How many bytes this parser has examined in total: at most the bytes
    /// it was offered, however they were split across calls.
    pub const fn bytes_examined(&self) -> usize {
        self.scanner.examined()
    }
}

fn parse_head(bytes: &[u8], lines: usize, max_headers: usize) -> Result<RequestHead, Rejection> {
    let mut fields = vec![httparse::EMPTY_HEADER; lines.max(1)];
    let mut request = httparse::Request::new(&mut fields);
    match request.parse(bytes) {
        Ok(httparse::Status::Complete(_)) => {}
        _ => return Err(Rejection::from_status(400)),
    }
    let (headers, raw_headers) = collect(request.headers, max_headers);
    Ok(RequestHead {
        method: request.method.unwrap_or_default().to_owned(),
        target: latin1(request.path.unwrap_or_default().as_bytes()),
        minor_version: request.version.unwrap_or_default(),
        headers,
        raw_headers,
    })
}

#[cfg(test)]
#[path = "request_tests.rs"]
mod tests;
