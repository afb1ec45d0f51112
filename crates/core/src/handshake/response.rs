//! What the server writes: the 101 answer (SM8) and refusals (SM7).
//!
//! Strings are written as UTF-8, as `ws` writes them with `socket.write`.

/// The status lines and header lines of a 101 answer, without CRLFs, in the
/// order `ws` builds them: status line, `Upgrade`, `Connection`,
/// `Sec-WebSocket-Accept`, then `Sec-WebSocket-Protocol` and
/// `Sec-WebSocket-Extensions` when given and non-empty (`ws` skips a falsy
/// protocol). This is the array `ws`'s `'headers'` event lets users edit;
/// write it with [`encode_lines`].
///
/// ```
/// use ferrows_core::handshake::{encode_lines, response_101_lines};
/// let lines = response_101_lines("s3pPLMBiTxaQ9kYGzzhZRbK+xOo=", Some("chat"), None);
/// assert_eq!(lines[0], "HTTP/1.1 101 Switching Protocols");
/// assert!(encode_lines(&lines).ends_with(b"Sec-WebSocket-Protocol: chat\r\n\r\n"));
/// ```
pub fn response_101_lines(
    accept: &str,
    protocol: Option<&str>,
    extensions: Option<&str>,
) -> Vec<String> {
    let mut lines = vec![
        "HTTP/1.1 101 Switching Protocols".to_owned(),
        "Upgrade: websocket".to_owned(),
        "Connection: Upgrade".to_owned(),
        format!("Sec-WebSocket-Accept: {accept}"),
    ];
    if let Some(protocol) = protocol.filter(|p| !p.is_empty()) {
        lines.push(format!("Sec-WebSocket-Protocol: {protocol}"));
    }
    if let Some(extensions) = extensions {
        lines.push(format!("Sec-WebSocket-Extensions: {extensions}"));
    }
    lines
}

/// Joins head lines with CRLF and ends the head with an empty line, as
/// `ws`'s `headers.concat('\r\n').join('\r\n')`.
pub fn encode_lines(lines: &[String]) -> Vec<u8> {
    let size = lines.iter().map(|l| l.len() + 2).sum::<usize>() + 2;
    let mut out = Vec::with_capacity(size);
    for line in lines {
        out.extend_from_slice(line.as_bytes());
        out.extend_from_slice(b"\r\n");
    }
    out.extend_from_slice(b"\r\n");
    out
}

/// A refusal as `ws`'s `abortHandshake` writes it (SM7):
/// `HTTP/1.1 <status> <status text>`, then `Connection: close`,
/// `Content-Type: text/html`, `Content-Length`, then `headers`, then the body:
/// `message`, or the status text when the message is missing or empty.
///
/// An extra header whose name equals one of the three defaults exactly
/// (case-sensitive, like a JS object key) replaces its value in place; any
/// other is appended. The caller ends the connection after writing this.
///
/// ```
/// use ferrows_core::handshake::error_response;
/// assert_eq!(
///     error_response(405, Some("Invalid HTTP method"), &[]),
///     b"HTTP/1.1 405 Method Not Allowed\r\nConnection: close\r\nContent-Type: text/html\r\n\
///       Content-Length: 19\r\n\r\nInvalid HTTP method".to_vec()
/// );
/// ```
pub fn error_response(status: u16, message: Option<&str>, headers: &[(String, String)]) -> Vec<u8> {
    let body = message
        .filter(|m| !m.is_empty())
        .unwrap_or(status_text(status));
    let mut fields = vec![
        ("Connection".to_owned(), "close".to_owned()),
        ("Content-Type".to_owned(), "text/html".to_owned()),
        ("Content-Length".to_owned(), body.len().to_string()),
    ];
    for (name, value) in headers {
        match fields.iter_mut().find(|(existing, _)| existing == name) {
            Some(field) => field.1.clone_from(value),
            None => fields.push((name.clone(), value.clone())),
        }
    }
    let mut out = format!("HTTP/1.1 {status} {}\r\n", status_text(status));
    for (name, value) in &fields {
        out.push_str(name);
        out.push_str(": ");
        out.push_str(value);
        out.push_str("\r\n");
    }
    out.push_str("\r\n");
    out.push_str(body);
    out.into_bytes()
}

/// The bare answer Node's HTTP server gives to a request it cannot parse
/// (its `clientError` default): `HTTP/1.1 <status> <text>\r\nConnection: close\r\n\r\n`.
/// Use it for [`RequestParser`](super::RequestParser) refusals to match a
/// Node server byte for byte (400, and 431 for an oversized head).
pub fn client_error_response(status: u16) -> Vec<u8> {
    format!(
        "HTTP/1.1 {status} {}\r\nConnection: close\r\n\r\n",
        status_text(status)
    )
    .into_bytes()
}

/// The reason phrase Node's `http.STATUS_CODES` gives `status`, or `""` for a
/// code it does not know (where `ws` would write `undefined`).
pub fn status_text(status: u16) -> &'static str {
    match status {
        100..=103 => [
            "Continue",
            "Switching Protocols",
            "Processing",
            "Early Hints",
        ][usize::from(status - 100)],
        200..=208 => [
            "OK",
            "Created",
            "Accepted",
            "Non-Authoritative Information",
            "No Content",
            "Reset Content",
            "Partial Content",
            "Multi-Status",
            "Already Reported",
        ][usize::from(status - 200)],
        226 => "IM Used",
        300..=308 => redirect_text(status),
        400..=431 => client_error_text(status),
        451 => "Unavailable For Legal Reasons",
        500..=511 => server_error_text(status),
        _ => "",
    }
}

fn redirect_text(status: u16) -> &'static str {
    match status {
        300 => "Multiple Choices",
        301 => "Moved Permanently",
        302 => "Found",
        303 => "See Other",
        304 => "Not Modified",
        305 => "Use Proxy",
        307 => "Temporary Redirect",
        308 => "Permanent Redirect",
        _ => "",
    }
}

fn client_error_text(status: u16) -> &'static str {
    const TEXTS: [&str; 32] = [
        "Bad Request",
        "Unauthorized",
        "Payment Required",
        "Forbidden",
        "Not Found",
        "Method Not Allowed",
        "Not Acceptable",
        "Proxy Authentication Required",
        "Request Timeout",
        "Conflict",
        "Gone",
        "Length Required",
        "Precondition Failed",
        "Payload Too Large",
        "URI Too Long",
        "Unsupported Media Type",
        "Range Not Satisfiable",
        "Expectation Failed",
        "I'm a Teapot",
        "",
        "",
        "Misdirected Request",
        "Unprocessable Entity",
        "Locked",
        "Failed Dependency",
        "Too Early",
        "Upgrade Required",
        "",
        "Precondition Required",
        "Too Many Requests",
        "",
        "Request Header Fields Too Large",
    ];
    TEXTS
        .get(usize::from(status.wrapping_sub(400)))
        .copied()
        .unwrap_or("")
}

fn server_error_text(status: u16) -> &'static str {
    const TEXTS: [&str; 12] = [
        "Internal Server Error",
        "Not Implemented",
        "Bad Gateway",
        "Service Unavailable",
        "Gateway Timeout",
        "HTTP Version Not Supported",
        "Variant Also Negotiates",
        "Insufficient Storage",
        "Loop Detected",
        "Bandwidth Limit Exceeded",
        "Not Extended",
        "Network Authentication Required",
    ];
    TEXTS
        .get(usize::from(status.wrapping_sub(500)))
        .copied()
        .unwrap_or("")
}

#[cfg(test)]
#[path = "response_tests.rs"]
mod tests;
