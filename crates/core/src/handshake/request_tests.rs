use proptest::prelude::*;

use super::*;

const UPGRADE: &[u8] =
    b"GET /chat?x=1 HTTP/1.1\r\nHost: server.example.com\r\nUpgrade: websocket\r\n\
    Connection: Upgrade\r\nSec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\n\
    Sec-WebSocket-Version: 13\r\n\r\n";

fn parse_once(bytes: &[u8], limits: HeadLimits) -> Result<Option<(RequestHead, usize)>, Rejection> {
    RequestParser::new(limits).parse(bytes)
}

fn status(bytes: &[u8]) -> u16 {
    parse_once(bytes, HeadLimits::default()).unwrap_err().status
}

#[test]
fn server_parses_rfc_example_request() {
    let (head, consumed) = parse_once(UPGRADE, HeadLimits::default()).unwrap().unwrap();
    assert_eq!(consumed, UPGRADE.len());
    assert_eq!(
        (
            head.method.as_str(),
            head.target.as_str(),
            head.minor_version
        ),
        ("GET", "/chat?x=1", 1)
    );
    assert_eq!(head.header("host"), Some("server.example.com"));
    assert_eq!(
        head.raw_headers[0],
        ("Host".to_owned(), "server.example.com".to_owned())
    );
    let upgrade = head.check_upgrade().unwrap();
    assert_eq!(
        (upgrade.key.as_str(), upgrade.fields.version),
        ("dGhlIHNhbXBsZSBub25jZQ==", 13)
    );
}

#[test]
fn server_keeps_frame_bytes_after_head() {
    let mut bytes = UPGRADE.to_vec();
    bytes.extend_from_slice(b"\x81\x85frame");
    let (_, consumed) = parse_once(&bytes, HeadLimits::default()).unwrap().unwrap();
    assert_eq!(&bytes[consumed..], b"\x81\x85frame");
}

#[test]
fn server_merges_repeats_and_decodes_latin1() {
    let bytes =
        b"GET / HTTP/1.1\r\nX-Name: caf\xe9  \r\nUpgrade: websocket\r\nupgrade: h2c\r\n\r\n";
    let (head, _) = parse_once(bytes, HeadLimits::default()).unwrap().unwrap();
    assert_eq!(head.header("x-name"), Some("caf\u{e9}"));
    assert_eq!(head.header("upgrade"), Some("websocket, h2c"));
    assert_eq!(head.raw_headers.len(), 3);
    assert_eq!(
        head.check_upgrade().unwrap_err().message,
        "Invalid Upgrade header"
    );
}

#[test]
fn server_skips_leading_blank_lines() {
    let mut bytes = b"\r\n\r\n".to_vec();
    bytes.extend_from_slice(UPGRADE);
    let (head, consumed) = parse_once(&bytes, HeadLimits::default()).unwrap().unwrap();
    assert_eq!((head.method.as_str(), consumed), ("GET", bytes.len()));
}

#[test]
fn server_malformed_request_is_400() {
    for bytes in [
        &b"GET / HTTP/1.1\nHost: a\n\n"[..],
        b"GET / HTTP/1.1\r\nHost: a\rX: b\r\n\r\n",
        b"GET / HTTP/2.0\r\n\r\n",
        b"GET  / HTTP/1.1\r\n\r\n",
        b"GET / HTTP/1.1\r\nBad Name: a\r\n\r\n",
        b"GET / HTTP/1.1\r\nX: a\x01b\r\n\r\n",
        b"GET /\xe9 HTTP/1.1\r\n\r\n",
        b"\x00\r\n\r\n",
    ] {
        assert_eq!(status(bytes), 400, "{:?}", String::from_utf8_lossy(bytes));
    }
    assert_eq!(Rejection::from_status(400).message, "Bad Request");
}

#[test]
fn server_http_1_0_request_is_400() {
    let bytes = b"GET / HTTP/1.0\r\nUpgrade: websocket\r\n\r\n";
    let (head, _) = parse_once(bytes, HeadLimits::default()).unwrap().unwrap();
    assert_eq!(head.minor_version, 0);
    let rejection = head.check_upgrade().unwrap_err();
    assert_eq!(
        (rejection.status, rejection.message.as_str()),
        (400, "Invalid HTTP version")
    );
}

#[test]
fn server_head_over_byte_cap_is_431() {
    let limits = HeadLimits {
        max_bytes: UPGRADE.len(),
        ..HeadLimits::default()
    };
    assert!(parse_once(UPGRADE, limits).unwrap().is_some());
    let limits = HeadLimits {
        max_bytes: UPGRADE.len() - 1,
        ..HeadLimits::default()
    };
    let rejection = parse_once(UPGRADE, limits).unwrap_err();
    assert_eq!(
        (rejection.status, rejection.message.as_str()),
        (431, "Request Header Fields Too Large")
    );
}

#[test]
fn server_huge_header_line_is_431() {
    let mut bytes = b"GET / HTTP/1.1\r\nX: ".to_vec();
    bytes.resize(64 * 1024, b'a');
    assert_eq!(status(&bytes), 431);
}

#[test]
fn server_headers_over_count_cap_are_dropped() {
    let limits = HeadLimits {
        max_headers: 3,
        ..HeadLimits::default()
    };
    let bytes = b"GET / HTTP/1.1\r\nA: 1\r\nB: 2\r\nC: 3\r\nUpgrade: websocket\r\n\r\n";
    let (head, _) = parse_once(bytes, limits).unwrap().unwrap();
    assert_eq!(head.raw_headers.len(), 3);
    assert_eq!(head.header("upgrade"), None);
    let rejection = head.check_upgrade().unwrap_err();
    assert_eq!(
        (rejection.status, rejection.message.as_str()),
        (400, "Invalid Upgrade header")
    );
}

#[test]
fn server_default_count_cap_keeps_2000_headers() {
    let mut bytes = b"GET / HTTP/1.1\r\n".to_vec();
    for _ in 0..2500 {
        bytes.extend_from_slice(b"X:\r\n");
    }
    bytes.extend_from_slice(b"\r\n");
    let (head, _) = parse_once(&bytes, HeadLimits::default()).unwrap().unwrap();
    assert_eq!(head.raw_headers.len(), 2000);
}

#[test]
fn server_slowloris_one_byte_reads_scan_linearly() {
    let mut parser = RequestParser::new(HeadLimits::default());
    for n in 1..UPGRADE.len() {
        assert!(parser.parse(&UPGRADE[..n]).unwrap().is_none());
    }
    assert!(parser.parse(UPGRADE).unwrap().is_some());
    assert_eq!(parser.bytes_examined(), UPGRADE.len());
}

#[test]
fn server_slowloris_endless_head_is_431_at_cap() {
    let limits = HeadLimits::default();
    let mut parser = RequestParser::new(limits);
    let mut bytes = b"GET / HTTP/1.1\r\nX-Drip: ".to_vec();
    let outcome = loop {
        bytes.push(b'a');
        match parser.parse(&bytes) {
            Ok(None) => continue,
            other => break other,
        }
    };
    assert_eq!(outcome.unwrap_err().status, 431);
    assert_eq!(bytes.len(), limits.max_bytes);
    assert_eq!(parser.bytes_examined(), limits.max_bytes);
}

#[test]
fn server_slowloris_cpu_time_is_linear() {
    let drip = |len: usize| {
        let mut bytes = b"GET / HTTP/1.1\r\n".to_vec();
        bytes.resize(len, b'a');
        move || {
            let mut parser = RequestParser::new(HeadLimits {
                max_bytes: usize::MAX,
                max_headers: 0,
            });
            (1..=bytes.len())
                .filter(|&n| matches!(parser.parse(&bytes[..n]), Ok(None)))
                .count()
        }
    };
    let ratio = super::super::timing::growth(drip(1 << 16), drip(1 << 18));
    assert!(ratio < 10.0, "4x input took {ratio}x the time");
}

#[test]
fn server_parser_is_reusable_after_a_head() {
    let mut parser = RequestParser::new(HeadLimits::default());
    assert!(parser.parse(UPGRADE).unwrap().is_some());
    assert!(parser.parse(&UPGRADE[..5]).unwrap().is_none());
    assert!(parser.parse(UPGRADE).unwrap().is_some());
}

proptest! {
    #[test]
    fn server_parser_never_panics(bytes in proptest::collection::vec(any::<u8>(), 0..2048), cut in 0_usize..2048) {
        let limits = HeadLimits { max_bytes: 1024, max_headers: 8 };
        let mut parser = RequestParser::new(limits);
        let cut = cut.min(bytes.len());
        let first = parser.parse(&bytes[..cut]);
        let second = parser.parse(&bytes);
        let once = parse_once(&bytes, limits);
        if matches!(first, Ok(None)) {
            prop_assert_eq!(second, once);
        }
    }

    #[test]
    fn server_parser_chunking_does_not_change_result(extra in "[A-Za-z-]{1,12}: [ -~]{0,20}", cut in 0_usize..400) {
        let mut bytes = UPGRADE[..UPGRADE.len() - 2].to_vec();
        bytes.extend_from_slice(extra.as_bytes());
        bytes.extend_from_slice(b"\r\n\r\n");
        let mut parser = RequestParser::new(HeadLimits::default());
        let cut = cut.min(bytes.len() - 1);
        prop_assert_eq!(parser.parse(&bytes[..cut]), Ok(None));
        prop_assert_eq!(parser.parse(&bytes), parse_once(&bytes, HeadLimits::default()));
    }
}
