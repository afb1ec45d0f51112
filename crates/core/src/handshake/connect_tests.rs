use super::*;

const GOOD: [(&str, &str); 9] = [
    (":method", "CONNECT"),
    (":protocol", "websocket"),
    (":scheme", "https"),
    (":path", "/chat?x=1"),
    (":authority", "localhost:8443"),
    ("sec-websocket-version", "13"),
    ("sec-websocket-protocol", "chat, superchat"),
    (
        "sec-websocket-extensions",
        "permessage-deflate; client_max_window_bits",
    ),
    ("origin", "https://localhost:8443"),
];

fn without(name: &str) -> Vec<(&'static str, &'static str)> {
    GOOD.iter().copied().filter(|(n, _)| *n != name).collect()
}

fn with(name: &'static str, value: &'static str) -> Vec<(&'static str, &'static str)> {
    let mut headers = without(name);
    headers.push((name, value));
    headers
}

#[test]
fn a_good_request_yields_its_fields() {
    let request = check_connect(&GOOD[..]).unwrap();
    assert_eq!(request.scheme, "https");
    assert_eq!(request.path, "/chat?x=1");
    assert_eq!(request.authority, "localhost:8443");
    assert_eq!(request.fields.version, 13);
    assert_eq!(
        request.fields.subprotocols().unwrap(),
        ["chat", "superchat"]
    );
    let offers = request.fields.extension_offers().unwrap();
    assert_eq!(offers[0].name, "permessage-deflate");
    assert_eq!(
        request.fields.origin.as_deref(),
        Some("https://localhost:8443")
    );
}

#[test]
fn a_stray_key_is_ignored() {
    let request = check_connect(&with("sec-websocket-key", "not even base64")[..]);
    assert!(request.is_ok());
}

#[test]
fn the_protocol_token_is_case_insensitive() {
    assert!(check_connect(&with(":protocol", "WebSocket")[..]).is_ok());
}

#[test]
fn other_methods_are_405() {
    for method in ["GET", "POST", "connect"] {
        let refusal = check_connect(&with(":method", method)[..]).unwrap_err();
        assert_eq!(refusal.status(), 405, "{method}");
        assert!(!refusal.is_malformed());
        assert_eq!(refusal.message(), "Invalid HTTP method");
    }
    assert_eq!(
        check_connect(&without(":method")[..]).unwrap_err().status(),
        405
    );
}

#[test]
fn plain_connect_is_405() {
    let refusal = check_connect(&without(":protocol")[..]).unwrap_err();
    assert_eq!(refusal.status(), 405);
    assert!(!refusal.is_malformed());
}

#[test]
fn another_protocol_is_501() {
    for protocol in ["webtransport", "connect-udp", ""] {
        let refusal = check_connect(&with(":protocol", protocol)[..]).unwrap_err();
        assert_eq!(refusal.status(), 501, "{protocol:?}");
        assert_eq!(refusal.to_string(), "Unsupported :protocol");
    }
}

#[test]
fn missing_or_empty_pseudo_headers_are_malformed() {
    for name in [":scheme", ":path", ":authority"] {
        let refusal = check_connect(&without(name)[..]).unwrap_err();
        assert!(refusal.is_malformed(), "{name} missing");
        assert_eq!(refusal.status(), 400);
        assert!(refusal.headers().is_empty());
        assert!(
            check_connect(&with(name, "")[..])
                .unwrap_err()
                .is_malformed(),
            "{name} empty"
        );
    }
}

#[test]
fn connection_specific_headers_are_malformed() {
    for (name, value) in [("connection", "upgrade"), ("upgrade", "websocket")] {
        let refusal = check_connect(&with(name, value)[..]).unwrap_err();
        assert!(refusal.is_malformed(), "{name}");
        assert!(refusal.message().contains("connection-specific"));
    }
}

#[test]
fn a_missing_or_other_version_is_400_naming_13() {
    let cases = [
        without("sec-websocket-version"),
        with("sec-websocket-version", "8"),
        with("sec-websocket-version", "14"),
    ];
    for headers in cases {
        let refusal = check_connect(&headers[..]).unwrap_err();
        assert_eq!(refusal.status(), 400);
        assert!(!refusal.is_malformed());
        assert_eq!(
            refusal.message(),
            "Missing or invalid Sec-WebSocket-Version header"
        );
        assert_eq!(
            refusal.headers(),
            [("sec-websocket-version".to_string(), "13".to_string())]
        );
    }
}

#[test]
fn checks_run_in_order() {
    // A wrong method wins over a missing :protocol, which wins over everything after it.
    let headers = [(":method", "GET"), ("connection", "upgrade")];
    assert_eq!(check_connect(&headers[..]).unwrap_err().status(), 405);
    let headers = [
        (":method", "CONNECT"),
        (":protocol", "x"),
        ("connection", "upgrade"),
    ];
    assert_eq!(check_connect(&headers[..]).unwrap_err().status(), 501);
    let headers = [
        (":method", "CONNECT"),
        (":protocol", "websocket"),
        ("sec-websocket-version", "1"),
    ];
    assert!(check_connect(&headers[..]).unwrap_err().is_malformed());
}

#[test]
fn a_2xx_answer_is_accepted() {
    let headers = [("sec-websocket-extensions", "permessage-deflate")];
    for status in [200, 204, 299] {
        let accepted = check_connect_response(&headers[..], status, &[]).unwrap();
        assert_eq!(accepted.protocol, None);
        assert_eq!(accepted.extensions.as_deref(), Some("permessage-deflate"));
    }
}

#[test]
fn other_statuses_are_unexpected() {
    let empty: [(&str, &str); 0] = [];
    for status in [101, 199, 300, 404, 501] {
        let error = check_connect_response(&empty[..], status, &[]).unwrap_err();
        assert_eq!(error.unexpected_status(), Some(status));
    }
}

#[test]
fn the_subprotocol_rules_are_those_of_http1() {
    let offered = ["a".to_string(), "b".to_string()];
    let chose = |p: &'static str| [("sec-websocket-protocol", p)];
    let none: [(&str, &str); 0] = [];
    assert_eq!(
        check_connect_response(&chose("b")[..], 200, &offered)
            .unwrap()
            .protocol
            .as_deref(),
        Some("b")
    );
    let message = |r: Result<Accepted, ClientHandshakeError>| r.unwrap_err().to_string();
    assert_eq!(
        message(check_connect_response(&chose("c")[..], 200, &offered)),
        "Server sent an invalid subprotocol"
    );
    assert_eq!(
        message(check_connect_response(&none[..], 200, &offered)),
        "Server sent no subprotocol"
    );
    assert_eq!(
        message(check_connect_response(&chose("a")[..], 200, &[])),
        "Server sent a subprotocol but none was requested"
    );
}
