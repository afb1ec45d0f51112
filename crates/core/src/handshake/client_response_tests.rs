use proptest::prelude::*;

use super::*;

const KEY: &str = "dGhlIHNhbXBsZSBub25jZQ==";
const ACCEPT: &str = "s3pPLMBiTxaQ9kYGzzhZRbK+xOo=";
const SWITCH: &[u8] =
    b"HTTP/1.1 101 Switching Protocols\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n\
    Sec-WebSocket-Accept: s3pPLMBiTxaQ9kYGzzhZRbK+xOo=\r\n\r\n";

fn parse_once(bytes: &[u8]) -> Result<Option<(ResponseHead, usize)>, ClientHandshakeError> {
    ResponseParser::new(HeadLimits::default()).parse(bytes)
}

fn headers(extra: &[(&str, &str)]) -> Vec<(String, String)> {
    let mut list = vec![
        ("upgrade".to_owned(), "websocket".to_owned()),
        ("sec-websocket-accept".to_owned(), ACCEPT.to_owned()),
    ];
    for (name, value) in extra {
        list.retain(|(n, _)| n != name);
        list.push(((*name).to_owned(), (*value).to_owned()));
    }
    list
}

fn refusal(list: &[(String, String)], offered: &[&str]) -> String {
    let offered: Vec<String> = offered.iter().map(|p| (*p).to_owned()).collect();
    check_response(list, 101, KEY, &offered)
        .unwrap_err()
        .to_string()
}

#[test]
fn client_parses_101_and_keeps_frame_bytes() {
    let mut bytes = SWITCH.to_vec();
    bytes.extend_from_slice(b"\x81\x02hi");
    let (head, consumed) = parse_once(&bytes).unwrap().unwrap();
    assert_eq!(
        (head.status, head.reason.as_str(), head.minor_version),
        (101, "Switching Protocols", 1)
    );
    assert_eq!(&bytes[consumed..], b"\x81\x02hi");
    assert_eq!(
        head.check(KEY, &[]).unwrap(),
        Accepted {
            protocol: None,
            extensions: None
        }
    );
}

#[test]
fn client_skips_interim_responses() {
    let mut bytes =
        b"HTTP/1.1 100 Continue\r\n\r\nHTTP/1.1 103 Early Hints\r\nLink: </a>\r\n\r\n".to_vec();
    bytes.extend_from_slice(SWITCH);
    let (head, consumed) = parse_once(&bytes).unwrap().unwrap();
    assert_eq!((head.status, consumed), (101, bytes.len()));
    assert_eq!(head.header("link"), None);
}

#[test]
fn client_one_byte_reads_scan_linearly() {
    let mut bytes = b"HTTP/1.1 100 Continue\r\n\r\n".to_vec();
    bytes.extend_from_slice(SWITCH);
    let mut parser = ResponseParser::new(HeadLimits::default());
    for n in 1..bytes.len() {
        assert_eq!(parser.parse(&bytes[..n]), Ok(None));
    }
    assert!(parser.parse(&bytes).unwrap().is_some());
    assert_eq!(parser.bytes_examined(), bytes.len());
}

#[test]
fn client_oversized_response_head_overflows() {
    let mut bytes = b"HTTP/1.1 101 Switching Protocols\r\nX: ".to_vec();
    bytes.resize(HeadLimits::default().max_bytes, b'a');
    let error = parse_once(&bytes).unwrap_err();
    assert_eq!(error.parse_error_code(), Some("HPE_HEADER_OVERFLOW"));
    assert_eq!(error.to_string(), "Parse Error: Header overflow");
}

#[test]
fn client_malformed_response_fails_with_parse_error() {
    for (bytes, code) in [
        (&b"HTTP/1.1 1x1 Nope\r\n\r\n"[..], "HPE_INVALID_STATUS"),
        (b"ICY 200 OK\r\n\r\n", "HPE_INVALID_CONSTANT"),
        (b"HTTP/1.1 101 S\nUpgrade: websocket\n\n", "HPE_CR_EXPECTED"),
        (
            b"HTTP/1.1 101 S\r\nBad Name: x\r\n\r\n",
            "HPE_INVALID_HEADER_TOKEN",
        ),
    ] {
        let error = parse_once(bytes).unwrap_err();
        assert_eq!(
            error.parse_error_code(),
            Some(code),
            "{:?}",
            String::from_utf8_lossy(bytes)
        );
        assert_eq!(error.unexpected_status(), None);
    }
}

#[test]
fn client_non_101_is_unexpected_response() {
    for status in [200, 302, 400, 404, 426, 503] {
        let bytes = format!("HTTP/1.1 {status} X\r\nContent-Length: 0\r\n\r\n");
        let (head, consumed) = parse_once(bytes.as_bytes()).unwrap().unwrap();
        assert_eq!(consumed, bytes.len());
        let error = head.check(KEY, &[]).unwrap_err();
        assert_eq!(error.unexpected_status(), Some(status));
        assert_eq!(
            error.to_string(),
            format!("Unexpected server response: {status}")
        );
    }
}

#[test]
fn client_missing_or_wrong_upgrade_fails() {
    let missing: Vec<_> = headers(&[])
        .into_iter()
        .filter(|(n, _)| n != "upgrade")
        .collect();
    for list in [missing, headers(&[("upgrade", "h2c")])] {
        assert_eq!(refusal(&list, &[]), "Invalid Upgrade header");
    }
    assert!(check_response(&headers(&[("upgrade", "WebSocket")]), 101, KEY, &[]).is_ok());
}

#[test]
fn client_upgrade_is_checked_before_accept() {
    assert_eq!(
        refusal(
            &headers(&[("upgrade", "x"), ("sec-websocket-accept", "y")]),
            &[]
        ),
        "Invalid Upgrade header"
    );
}

#[test]
fn client_wrong_or_missing_accept_fails() {
    let missing: Vec<_> = headers(&[])
        .into_iter()
        .filter(|(n, _)| n != "sec-websocket-accept")
        .collect();
    for list in [
        missing,
        headers(&[("sec-websocket-accept", "s3pPLMBiTxaQ9kYGzzhZRbK+xOo")]),
    ] {
        assert_eq!(refusal(&list, &[]), "Invalid Sec-WebSocket-Accept header");
    }
}

#[test]
fn client_subprotocol_rules() {
    assert_eq!(
        refusal(&headers(&[("sec-websocket-protocol", "chat")]), &[]),
        "Server sent a subprotocol but none was requested"
    );
    assert_eq!(
        refusal(&headers(&[("sec-websocket-protocol", "")]), &[]),
        "Server sent a subprotocol but none was requested"
    );
    assert_eq!(
        refusal(&headers(&[("sec-websocket-protocol", "other")]), &["chat"]),
        "Server sent an invalid subprotocol"
    );
    assert_eq!(
        refusal(
            &headers(&[("sec-websocket-protocol", "chat, v2")]),
            &["chat", "v2"]
        ),
        "Server sent an invalid subprotocol"
    );
    assert_eq!(
        refusal(&headers(&[]), &["chat"]),
        "Server sent no subprotocol"
    );
    let offered = ["chat".to_owned(), "v2".to_owned()];
    let accepted = check_response(
        &headers(&[("sec-websocket-protocol", "v2")]),
        101,
        KEY,
        &offered,
    )
    .unwrap();
    assert_eq!(accepted.protocol.as_deref(), Some("v2"));
}

#[test]
fn client_accept_is_checked_before_subprotocol() {
    let list = headers(&[
        ("sec-websocket-accept", "x"),
        ("sec-websocket-protocol", "chat"),
    ]);
    assert_eq!(refusal(&list, &[]), "Invalid Sec-WebSocket-Accept header");
}

#[test]
fn client_returns_raw_extensions() {
    let list = headers(&[(
        "sec-websocket-extensions",
        "permessage-deflate; server_no_context_takeover",
    )]);
    let accepted = check_response(&list, 101, KEY, &[]).unwrap();
    assert_eq!(
        accepted.extensions.as_deref(),
        Some("permessage-deflate; server_no_context_takeover")
    );
}

#[test]
fn client_upgrade_lost_to_count_cap_fails() {
    let mut bytes = b"HTTP/1.1 101 Switching Protocols\r\n".to_vec();
    for _ in 0..3 {
        bytes.extend_from_slice(b"X: 1\r\n");
    }
    bytes.extend_from_slice(&SWITCH[34..]);
    let limits = HeadLimits {
        max_headers: 3,
        ..HeadLimits::default()
    };
    let (head, _) = ResponseParser::new(limits).parse(&bytes).unwrap().unwrap();
    assert_eq!(
        head.check(KEY, &[]).unwrap_err().to_string(),
        "Invalid Upgrade header"
    );
}

#[test]
fn client_extension_answer_rules() {
    assert_eq!(check_response_extensions(None, false), Ok(Vec::new()));
    assert_eq!(check_response_extensions(None, true), Ok(Vec::new()));
    let message = |raw: &str, offered: bool| {
        check_response_extensions(Some(raw), offered)
            .unwrap_err()
            .to_string()
    };
    assert_eq!(
        message("permessage-deflate", false),
        "Server sent a Sec-WebSocket-Extensions header but no extension was requested"
    );
    assert_eq!(
        message("permessage-deflate;", true),
        "Invalid Sec-WebSocket-Extensions header"
    );
    assert_eq!(
        message("x-foo", true),
        "Server indicated an extension that was not requested"
    );
    assert_eq!(
        message("permessage-deflate, x-foo", true),
        "Server indicated an extension that was not requested"
    );
    let answers =
        check_response_extensions(Some("permessage-deflate; client_max_window_bits=10"), true)
            .unwrap();
    assert_eq!(answers.len(), 1);
    assert_eq!(
        answers[0].params,
        [("client_max_window_bits".to_owned(), Some("10".to_owned()))]
    );
}

proptest! {
    #[test]
    fn client_parser_never_panics(bytes in proptest::collection::vec(any::<u8>(), 0..2048), cut in 0_usize..2048) {
        let limits = HeadLimits { max_bytes: 1024, max_headers: 8 };
        let mut parser = ResponseParser::new(limits);
        let cut = cut.min(bytes.len());
        let first = parser.parse(&bytes[..cut]);
        let second = parser.parse(&bytes);
        if matches!(first, Ok(None)) {
            prop_assert_eq!(second, ResponseParser::new(limits).parse(&bytes));
        }
    }
}
