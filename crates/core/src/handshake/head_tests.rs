use super::*;

fn scan_all(buf: &[u8], max: usize) -> Scan {
    HeadScanner::new().scan(buf, max)
}

#[test]
fn scan_finds_end_after_blank_line() {
    let head = b"GET / HTTP/1.1\r\nHost: a\r\n\r\nframe";
    assert_eq!(
        scan_all(head, 1024),
        Scan::Complete {
            start: 0,
            end: 27,
            lines: 2
        }
    );
}

#[test]
fn scan_skips_leading_blank_lines() {
    let head = b"\r\n\r\nGET / HTTP/1.1\r\n\r\n";
    assert_eq!(
        scan_all(head, 1024),
        Scan::Complete {
            start: 4,
            end: 22,
            lines: 1
        }
    );
}

#[test]
fn scan_incomplete_head_is_partial() {
    assert_eq!(
        scan_all(b"GET / HTTP/1.1\r\nHost: a\r\n\r", 1024),
        Scan::Partial
    );
    assert_eq!(scan_all(b"", 1024), Scan::Partial);
}

#[test]
fn scan_bare_line_feed_is_malformed() {
    assert_eq!(
        scan_all(b"GET / HTTP/1.1\nHost: a\n\n", 1024),
        Scan::Malformed
    );
    assert_eq!(scan_all(b"\n", 1024), Scan::Malformed);
}

#[test]
fn scan_bare_carriage_return_is_malformed() {
    assert_eq!(
        scan_all(b"GET / HTTP/1.1\rHost: a\r\n\r\n", 1024),
        Scan::Malformed
    );
}

#[test]
fn scan_over_byte_cap_is_too_large() {
    let head = b"GET / HTTP/1.1\r\n\r\n";
    assert_eq!(
        scan_all(head, head.len()),
        Scan::Complete {
            start: 0,
            end: 18,
            lines: 1
        }
    );
    assert_eq!(scan_all(head, head.len() - 1), Scan::TooLarge);
    assert_eq!(scan_all(&head[..10], 10), Scan::TooLarge);
    assert_eq!(scan_all(&head[..9], 10), Scan::Partial);
}

#[test]
fn scan_one_byte_at_a_time_examines_each_byte_once() {
    let head = b"GET / HTTP/1.1\r\nHost: a\r\n\r\n";
    let mut scanner = HeadScanner::new();
    for n in 1..head.len() {
        assert_eq!(scanner.scan(&head[..n], 1024), Scan::Partial);
        assert_eq!(scanner.scan(&head[..n], 1024), Scan::Partial);
    }
    assert!(matches!(
        scanner.scan(head, 1024),
        Scan::Complete { end: 27, .. }
    ));
    assert_eq!(scanner.examined(), head.len());
}

#[test]
fn scan_shorter_buffer_starts_over() {
    let mut scanner = HeadScanner::new();
    assert_eq!(scanner.scan(b"XXXXXXXXXXXX", 1024), Scan::Partial);
    assert!(matches!(
        scanner.scan(b"A\r\n\r\n", 1024),
        Scan::Complete { end: 5, .. }
    ));
}

#[test]
fn scan_next_head_continues_after_interim() {
    let buf = b"HTTP/1.1 100 Continue\r\n\r\nHTTP/1.1 101 S\r\nA: b\r\n\r\n";
    let mut scanner = HeadScanner::new();
    assert_eq!(
        scanner.scan(buf, 1024),
        Scan::Complete {
            start: 0,
            end: 25,
            lines: 1
        }
    );
    scanner.next_head();
    assert_eq!(
        scanner.scan(buf, 1024),
        Scan::Complete {
            start: 25,
            end: 49,
            lines: 2
        }
    );
}

fn pairs(list: &[(&str, &str)]) -> Vec<(String, String)> {
    list.iter()
        .map(|(n, v)| ((*n).to_owned(), (*v).to_owned()))
        .collect()
}

#[test]
fn merge_follows_node_rules() {
    let raw = pairs(&[
        ("Upgrade", "a"),
        ("UPGRADE", "b"),
        ("Host", "h1"),
        ("host", "h2"),
        ("Cookie", "c1"),
        ("cookie", "c2"),
        ("Set-Cookie", "s1"),
        ("set-cookie", "s2"),
        ("Sec-WebSocket-Protocol", "p1"),
        ("sec-websocket-protocol", "p2"),
        ("Content-Type", "t1"),
        ("User-Agent", "u1"),
        ("user-agent", "u2"),
    ]);
    assert_eq!(
        merge(&raw),
        pairs(&[
            ("upgrade", "a, b"),
            ("host", "h1"),
            ("cookie", "c1; c2"),
            ("set-cookie", "s1, s2"),
            ("sec-websocket-protocol", "p1, p2"),
            ("content-type", "t1"),
            ("user-agent", "u1"),
        ])
    );
}

#[test]
fn collect_truncates_to_max_and_decodes_latin1() {
    let fields = [
        httparse::Header {
            name: "X-A",
            value: b"caf\xe9",
        },
        httparse::Header {
            name: "X-B",
            value: b"2",
        },
        httparse::Header {
            name: "X-C",
            value: b"3",
        },
    ];
    let (merged, raw) = collect(&fields, 2);
    assert_eq!(raw, pairs(&[("X-A", "caf\u{e9}"), ("X-B", "2")]));
    assert_eq!(merged, pairs(&[("x-a", "caf\u{e9}"), ("x-b", "2")]));
    assert_eq!(collect(&fields, 0).1.len(), 3);
}

#[test]
fn lookup_on_pairs_ignores_ascii_case_and_takes_first() {
    let list = pairs(&[("Upgrade", "websocket"), ("upgrade", "other")]);
    assert_eq!(HeaderLookup::get(&list, "upgrade"), Some("websocket"));
    assert_eq!(HeaderLookup::get(list.as_slice(), "connection"), None);
    let borrowed = [("Origin", "https://a")];
    assert_eq!(
        HeaderLookup::get(&borrowed[..], "origin"),
        Some("https://a")
    );
}
