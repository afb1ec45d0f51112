use super::*;

/// Node 20's `http.STATUS_CODES`, every entry.
const NODE_STATUS_CODES: [(u16, &str); 63] = [
    (100, "Continue"),
    (101, "Switching Protocols"),
    (102, "Processing"),
    (103, "Early Hints"),
    (200, "OK"),
    (201, "Created"),
    (202, "Accepted"),
    (203, "Non-Authoritative Information"),
    (204, "No Content"),
    (205, "Reset Content"),
    (206, "Partial Content"),
    (207, "Multi-Status"),
    (208, "Already Reported"),
    (226, "IM Used"),
    (300, "Multiple Choices"),
    (301, "Moved Permanently"),
    (302, "Found"),
    (303, "See Other"),
    (304, "Not Modified"),
    (305, "Use Proxy"),
    (307, "Temporary Redirect"),
    (308, "Permanent Redirect"),
    (400, "Bad Request"),
    (401, "Unauthorized"),
    (402, "Payment Required"),
    (403, "Forbidden"),
    (404, "Not Found"),
    (405, "Method Not Allowed"),
    (406, "Not Acceptable"),
    (407, "Proxy Authentication Required"),
    (408, "Request Timeout"),
    (409, "Conflict"),
    (410, "Gone"),
    (411, "Length Required"),
    (412, "Precondition Failed"),
    (413, "Payload Too Large"),
    (414, "URI Too Long"),
    (415, "Unsupported Media Type"),
    (416, "Range Not Satisfiable"),
    (417, "Expectation Failed"),
    (418, "I'm a Teapot"),
    (421, "Misdirected Request"),
    (422, "Unprocessable Entity"),
    (423, "Locked"),
    (424, "Failed Dependency"),
    (425, "Too Early"),
    (426, "Upgrade Required"),
    (428, "Precondition Required"),
    (429, "Too Many Requests"),
    (431, "Request Header Fields Too Large"),
    (451, "Unavailable For Legal Reasons"),
    (500, "Internal Server Error"),
    (501, "Not Implemented"),
    (502, "Bad Gateway"),
    (503, "Service Unavailable"),
    (504, "Gateway Timeout"),
    (505, "HTTP Version Not Supported"),
    (506, "Variant Also Negotiates"),
    (507, "Insufficient Storage"),
    (508, "Loop Detected"),
    (509, "Bandwidth Limit Exceeded"),
    (510, "Not Extended"),
    (511, "Network Authentication Required"),
];

#[test]
fn status_text_matches_node_table() {
    for (code, text) in NODE_STATUS_CODES {
        assert_eq!(status_text(code), text, "{code}");
    }
    let known = (0..=u16::MAX)
        .filter(|&code| !status_text(code).is_empty())
        .count();
    assert_eq!(known, NODE_STATUS_CODES.len());
}

#[test]
fn response_101_is_byte_exact() {
    let lines = response_101_lines("s3pPLMBiTxaQ9kYGzzhZRbK+xOo=", None, None);
    assert_eq!(
        encode_lines(&lines),
        b"HTTP/1.1 101 Switching Protocols\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n\
          Sec-WebSocket-Accept: s3pPLMBiTxaQ9kYGzzhZRbK+xOo=\r\n\r\n"
    );
}

#[test]
fn response_101_with_protocol_and_extensions_is_byte_exact() {
    let lines = response_101_lines(
        "abc=",
        Some("chat"),
        Some("permessage-deflate; client_max_window_bits=10"),
    );
    assert_eq!(
        encode_lines(&lines),
        b"HTTP/1.1 101 Switching Protocols\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n\
          Sec-WebSocket-Accept: abc=\r\nSec-WebSocket-Protocol: chat\r\n\
          Sec-WebSocket-Extensions: permessage-deflate; client_max_window_bits=10\r\n\r\n"
    );
}

#[test]
fn response_101_skips_empty_protocol() {
    let lines = response_101_lines("abc=", Some(""), None);
    assert_eq!(lines.len(), 4);
}

#[test]
fn encode_lines_keeps_user_edits() {
    let mut lines = response_101_lines("abc=", None, None);
    lines.push("Set-Cookie: a=b".to_owned());
    let encoded = encode_lines(&lines);
    assert!(encoded.ends_with(b"Sec-WebSocket-Accept: abc=\r\nSet-Cookie: a=b\r\n\r\n"));
    assert_eq!(encode_lines(&[]), b"\r\n");
}

#[test]
fn error_response_without_message_uses_status_text() {
    assert_eq!(
        error_response(400, None, &[]),
        b"HTTP/1.1 400 Bad Request\r\nConnection: close\r\nContent-Type: text/html\r\n\
          Content-Length: 11\r\n\r\nBad Request"
    );
    assert_eq!(
        error_response(503, Some(""), &[]),
        error_response(503, None, &[])
    );
}

#[test]
fn error_response_with_version_header_is_byte_exact() {
    let headers = [("Sec-WebSocket-Version".to_owned(), "13, 8".to_owned())];
    assert_eq!(
        error_response(
            400,
            Some("Missing or invalid Sec-WebSocket-Version header"),
            &headers
        ),
        b"HTTP/1.1 400 Bad Request\r\nConnection: close\r\nContent-Type: text/html\r\n\
          Content-Length: 47\r\nSec-WebSocket-Version: 13, 8\r\n\r\n\
          Missing or invalid Sec-WebSocket-Version header"
    );
}

#[test]
fn error_response_counts_utf8_bytes() {
    let response = error_response(401, Some("caf\u{e9}"), &[]);
    let text = String::from_utf8(response).unwrap();
    assert!(text.contains("Content-Length: 5\r\n"), "{text}");
    assert!(text.starts_with("HTTP/1.1 401 Unauthorized\r\n"));
}

#[test]
fn error_response_exact_name_overrides_in_place() {
    let headers = [
        ("Content-Type".to_owned(), "text/plain".to_owned()),
        ("content-type".to_owned(), "x/y".to_owned()),
        ("X-Reason".to_owned(), "nope".to_owned()),
    ];
    assert_eq!(
        error_response(403, Some("no"), &headers),
        b"HTTP/1.1 403 Forbidden\r\nConnection: close\r\nContent-Type: text/plain\r\n\
          Content-Length: 2\r\ncontent-type: x/y\r\nX-Reason: nope\r\n\r\nno"
    );
}

#[test]
fn error_response_statuses_ws_uses() {
    for (status, line) in [
        (426, "HTTP/1.1 426 Upgrade Required\r\n"),
        (431, "HTTP/1.1 431 Request Header Fields Too Large\r\n"),
        (503, "HTTP/1.1 503 Service Unavailable\r\n"),
        (499, "HTTP/1.1 499 \r\n"),
    ] {
        assert!(
            error_response(status, Some("m"), &[]).starts_with(line.as_bytes()),
            "{status}"
        );
    }
}

#[test]
fn client_error_response_matches_node() {
    assert_eq!(
        client_error_response(400),
        b"HTTP/1.1 400 Bad Request\r\nConnection: close\r\n\r\n"
    );
    assert_eq!(
        client_error_response(431),
        b"HTTP/1.1 431 Request Header Fields Too Large\r\nConnection: close\r\n\r\n"
    );
}
