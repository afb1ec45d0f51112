use super::*;

const KEY: &str = "dGhlIHNhbXBsZSBub25jZQ==";

fn request(extra: &[(&str, &str)]) -> Vec<(String, String)> {
    let mut headers = vec![
        ("Upgrade".to_owned(), "websocket".to_owned()),
        ("Sec-WebSocket-Key".to_owned(), KEY.to_owned()),
        ("Sec-WebSocket-Version".to_owned(), "13".to_owned()),
    ];
    for (name, value) in extra {
        match headers
            .iter_mut()
            .find(|(n, _)| n.eq_ignore_ascii_case(name))
        {
            Some(field) => field.1 = (*value).to_owned(),
            None => headers.push(((*name).to_owned(), (*value).to_owned())),
        }
    }
    headers
}

fn without(name: &str) -> Vec<(String, String)> {
    request(&[])
        .into_iter()
        .filter(|(n, _)| !n.eq_ignore_ascii_case(name))
        .collect()
}

fn refusal(method: &str, headers: &[(String, String)]) -> (u16, String, Vec<(String, String)>) {
    let rejection = check_upgrade(method, headers).unwrap_err();
    (rejection.status, rejection.message, rejection.headers)
}

#[test]
fn valid_request_passes_with_raw_fields() {
    let headers = request(&[
        ("Sec-WebSocket-Protocol", "chat, superchat"),
        ("Sec-WebSocket-Extensions", "permessage-deflate"),
        ("Origin", "https://example.com"),
    ]);
    let upgrade = check_upgrade("GET", &headers).unwrap();
    assert_eq!(upgrade.key, KEY);
    assert_eq!(upgrade.fields.version, 13);
    assert_eq!(upgrade.fields.protocols.as_deref(), Some("chat, superchat"));
    assert_eq!(
        upgrade.fields.extensions.as_deref(),
        Some("permessage-deflate")
    );
    assert_eq!(
        upgrade.fields.origin.as_deref(),
        Some("https://example.com")
    );
    assert_eq!(upgrade.subprotocols().unwrap(), ["chat", "superchat"]);
    assert_eq!(
        upgrade.extension_offers().unwrap()[0].name,
        "permessage-deflate"
    );
}

#[test]
fn non_get_method_is_405() {
    for method in ["POST", "get", "HEAD", ""] {
        let (status, message, _) = refusal(method, &request(&[]));
        assert_eq!((status, message.as_str()), (405, "Invalid HTTP method"));
    }
}

#[test]
fn method_is_checked_before_headers() {
    assert_eq!(refusal("POST", &without("upgrade")).0, 405);
}

#[test]
fn missing_or_wrong_upgrade_is_400() {
    for headers in [
        without("upgrade"),
        request(&[("Upgrade", "h2c")]),
        request(&[("Upgrade", "websocket, websocket")]),
    ] {
        let (status, message, extra) = refusal("GET", &headers);
        assert_eq!((status, message.as_str()), (400, "Invalid Upgrade header"));
        assert!(extra.is_empty());
    }
}

#[test]
fn upgrade_compares_case_insensitively() {
    for value in ["WebSocket", "WEBSOCKET", "websocket"] {
        assert!(
            check_upgrade("GET", &request(&[("Upgrade", value)])).is_ok(),
            "{value}"
        );
    }
    // JS `toLowerCase` maps the Kelvin sign to `k`; so does this check.
    assert!(check_upgrade("GET", &request(&[("Upgrade", "websoc\u{212a}et")])).is_ok());
    assert!(check_upgrade("GET", &request(&[("Upgrade", "websock\u{e9}t")])).is_err());
}

#[test]
fn missing_or_invalid_key_is_400() {
    for headers in [
        without("sec-websocket-key"),
        request(&[("Sec-WebSocket-Key", "abc")]),
    ] {
        let (status, message, _) = refusal("GET", &headers);
        assert_eq!(
            (status, message.as_str()),
            (400, "Missing or invalid Sec-WebSocket-Key header")
        );
    }
}

#[test]
fn upgrade_is_checked_before_key() {
    let headers = request(&[("Upgrade", "x"), ("Sec-WebSocket-Key", "bad")]);
    assert_eq!(refusal("GET", &headers).1, "Invalid Upgrade header");
}

#[test]
fn missing_or_unsupported_version_is_400_with_header() {
    let bad = [
        "", "12", "7", "9", "13, 13", "13a", "NaN", "Infinity", "0x", "0x1g", "-13", "1e", ".",
    ];
    let mut cases: Vec<_> = bad
        .iter()
        .map(|v| request(&[("Sec-WebSocket-Version", v)]))
        .collect();
    cases.push(without("sec-websocket-version"));
    for headers in cases {
        let (status, message, extra) = refusal("GET", &headers);
        assert_eq!(
            (status, message.as_str()),
            (400, "Missing or invalid Sec-WebSocket-Version header")
        );
        assert_eq!(
            extra,
            [("Sec-WebSocket-Version".to_owned(), "13, 8".to_owned())]
        );
    }
}

#[test]
fn key_is_checked_before_version() {
    let headers = request(&[("Sec-WebSocket-Key", "bad"), ("Sec-WebSocket-Version", "1")]);
    assert_eq!(
        refusal("GET", &headers).1,
        "Missing or invalid Sec-WebSocket-Key header"
    );
}

#[test]
fn version_is_read_like_js_unary_plus() {
    for (value, version) in [
        ("13", 13),
        ("8", 8),
        (" 13\t", 13),
        ("013", 13),
        ("+13", 13),
        ("13.0", 13),
        ("1.3e1", 13),
        (".8e1", 8),
        ("0xd", 13),
        ("0XD", 13),
        ("0o15", 13),
        ("0b1000", 8),
        ("\u{feff}8\u{a0}", 8),
    ] {
        let upgrade = check_upgrade("GET", &request(&[("Sec-WebSocket-Version", value)]));
        assert_eq!(
            upgrade.map(|u| u.fields.version).ok(),
            Some(version),
            "{value:?}"
        );
    }
    assert!(check_upgrade("GET", &request(&[("Sec-WebSocket-Version", "13\u{85}")])).is_err());
}

#[test]
fn version_8_reads_sec_websocket_origin() {
    let headers = request(&[
        ("Sec-WebSocket-Version", "8"),
        ("Origin", "https://a"),
        ("Sec-WebSocket-Origin", "https://b"),
    ]);
    assert_eq!(
        check_upgrade("GET", &headers)
            .unwrap()
            .fields
            .origin
            .as_deref(),
        Some("https://b")
    );
    let headers = request(&[
        ("Origin", "https://a"),
        ("Sec-WebSocket-Origin", "https://b"),
    ]);
    assert_eq!(
        check_upgrade("GET", &headers)
            .unwrap()
            .fields
            .origin
            .as_deref(),
        Some("https://a")
    );
}

#[test]
fn bad_subprotocols_are_400() {
    for value in ["a,,b", "a, a", " a", "a b"] {
        let upgrade = check_upgrade("GET", &request(&[("Sec-WebSocket-Protocol", value)])).unwrap();
        assert_eq!(
            upgrade.subprotocols().unwrap_err(),
            Rejection::invalid_protocols(),
            "{value:?}"
        );
    }
    let upgrade = check_upgrade("GET", &request(&[])).unwrap();
    assert!(upgrade.subprotocols().unwrap().is_empty());
}

#[test]
fn bad_extensions_are_400() {
    for value in ["permessage-deflate;", "a;b=\"", ""] {
        let upgrade =
            check_upgrade("GET", &request(&[("Sec-WebSocket-Extensions", value)])).unwrap();
        assert_eq!(
            upgrade.extension_offers().unwrap_err(),
            Rejection::invalid_extensions(),
            "{value:?}"
        );
    }
    let upgrade = check_upgrade("GET", &request(&[])).unwrap();
    assert!(upgrade.extension_offers().unwrap().is_empty());
}

#[test]
fn http_version_below_1_1_is_400() {
    assert_eq!(check_http_version(1), Ok(()));
    let rejection = check_http_version(0).unwrap_err();
    assert_eq!(
        (rejection.status, rejection.message.as_str()),
        (400, "Invalid HTTP version")
    );
}

#[test]
fn wants_upgrade_needs_upgrade_and_connection_token() {
    let with = |connection: &str| {
        let headers = [("Upgrade", "websocket"), ("Connection", connection)];
        wants_upgrade(&headers[..])
    };
    assert!(with("Upgrade"));
    assert!(with("keep-alive, UPGRADE"));
    assert!(with("keep-alive,\tupgrade "));
    assert!(!with("upgradex"));
    assert!(!with("keep-alive"));
    assert!(!with(""));
    assert!(!wants_upgrade(&[("Connection", "upgrade")][..]));
    assert!(!wants_upgrade(&[("Upgrade", "websocket")][..]));
}
