use super::*;

const KEY: &str = "dGhlIHNhbXBsZSBub25jZQ==";

fn base<'a>() -> ClientRequest<'a> {
    ClientRequest {
        host: "example.com:8080",
        path: "/chat?room=1",
        key: KEY,
        version: 13,
        protocols: &[],
        extensions: None,
        origin: None,
        extra_headers: &[],
    }
}

fn text(req: &ClientRequest<'_>) -> String {
    encode_request(req)
        .unwrap()
        .iter()
        .map(|&b| char::from(b))
        .collect()
}

#[test]
fn client_minimal_request_is_byte_exact() {
    assert_eq!(
        text(&base()),
        "GET /chat?room=1 HTTP/1.1\r\nSec-WebSocket-Version: 13\r\n\
         Sec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\nConnection: Upgrade\r\n\
         Upgrade: websocket\r\nHost: example.com:8080\r\n\r\n"
    );
}

#[test]
fn client_full_request_is_byte_exact() {
    let protocols = ["chat".to_owned(), "superchat".to_owned()];
    let extra = [("User-Agent".to_owned(), "x".to_owned())];
    let req = ClientRequest {
        protocols: &protocols,
        extensions: Some("permessage-deflate; client_max_window_bits"),
        origin: Some("https://example.com"),
        extra_headers: &extra,
        ..base()
    };
    assert_eq!(
        text(&req),
        "GET /chat?room=1 HTTP/1.1\r\nUser-Agent: x\r\nSec-WebSocket-Version: 13\r\n\
         Sec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\nConnection: Upgrade\r\n\
         Upgrade: websocket\r\n\
         Sec-WebSocket-Extensions: permessage-deflate; client_max_window_bits\r\n\
         Sec-WebSocket-Protocol: chat,superchat\r\nOrigin: https://example.com\r\n\
         Host: example.com:8080\r\n\r\n"
    );
}

#[test]
fn client_version_8_sends_sec_websocket_origin() {
    let req = ClientRequest {
        version: 8,
        origin: Some("https://a"),
        ..base()
    };
    let text = text(&req);
    assert!(text.contains("Sec-WebSocket-Version: 8\r\n"));
    assert!(text.contains("Sec-WebSocket-Origin: https://a\r\n"));
    assert!(!text.contains("\r\nOrigin"));
}

#[test]
fn client_empty_origin_is_not_sent() {
    assert!(!text(&ClientRequest {
        origin: Some(""),
        ..base()
    })
    .contains("Origin"));
}

#[test]
fn client_handshake_header_replaces_user_header_in_place() {
    let extra = [
        ("sec-websocket-key".to_owned(), "user".to_owned()),
        ("X-A".to_owned(), "1".to_owned()),
        ("connection".to_owned(), "keep-alive".to_owned()),
    ];
    let text = text(&ClientRequest {
        extra_headers: &extra,
        ..base()
    });
    assert_eq!(
        text,
        "GET /chat?room=1 HTTP/1.1\r\nSec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\n\
         X-A: 1\r\nConnection: Upgrade\r\nSec-WebSocket-Version: 13\r\n\
         Upgrade: websocket\r\nHost: example.com:8080\r\n\r\n"
    );
}

#[test]
fn client_user_host_replaces_generated_host() {
    let extra = [("host".to_owned(), "proxy.example".to_owned())];
    let text = text(&ClientRequest {
        extra_headers: &extra,
        ..base()
    });
    assert!(text.starts_with("GET /chat?room=1 HTTP/1.1\r\nhost: proxy.example\r\n"));
    assert_eq!(text.matches("ost:").count(), 1);
}

#[test]
fn client_writes_latin1() {
    let extra = [("X-Name".to_owned(), "caf\u{e9}".to_owned())];
    let bytes = encode_request(&ClientRequest {
        path: "/\u{e9}",
        extra_headers: &extra,
        ..base()
    })
    .unwrap();
    assert!(bytes.starts_with(b"GET /\xe9 HTTP/1.1\r\nX-Name: caf\xe9\r\n"));
}

#[test]
fn client_header_injection_fails() {
    for value in ["a\r\nX-Evil: 1", "a\nb", "a\0", "\u{100}"] {
        let extra = [("X-A".to_owned(), value.to_owned())];
        let error = encode_request(&ClientRequest {
            extra_headers: &extra,
            ..base()
        })
        .unwrap_err();
        assert_eq!(error.code(), "ERR_INVALID_CHAR");
        assert_eq!(
            error.to_string(),
            "Invalid character in header content [\"X-A\"]"
        );
    }
    let error = encode_request(&ClientRequest {
        key: "a\r\n",
        ..base()
    })
    .unwrap_err();
    assert_eq!(
        error.to_string(),
        "Invalid character in header content [\"Sec-WebSocket-Key\"]"
    );
}

#[test]
fn client_invalid_header_name_fails() {
    for name in ["", "X A", "X:A", "X\u{e9}"] {
        let extra = [(name.to_owned(), "1".to_owned())];
        let error = encode_request(&ClientRequest {
            extra_headers: &extra,
            ..base()
        })
        .unwrap_err();
        assert_eq!(error.code(), "ERR_INVALID_HTTP_TOKEN");
        assert_eq!(
            error.to_string(),
            format!("Header name must be a valid HTTP token [\"{name}\"]")
        );
    }
}

#[test]
fn client_unescaped_path_fails() {
    for path in ["/a b", "/a\r\n", "/\u{100}", "/\t"] {
        let error = encode_request(&ClientRequest { path, ..base() }).unwrap_err();
        assert_eq!(error.code(), "ERR_UNESCAPED_CHARACTERS");
        assert_eq!(
            error.to_string(),
            "Request path contains unescaped characters"
        );
    }
}

#[test]
fn check_header_accepts_tab_and_latin1() {
    assert!(check_header("X-A", "a\tb \u{80}\u{ff}~").is_ok());
    assert!(check_header("!#$%&'*+-.^_`|~09azAZ", "").is_ok());
    assert!(check_header("X-A", "\u{7f}").is_err());
}
