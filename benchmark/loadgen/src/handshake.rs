//! The client side of the opening handshake (RFC 6455 §4.1): a request with a fresh random key,
//! and a strict check of the server's answer — status 101, `Upgrade: websocket`,
//! `Connection: Upgrade`, the exact `Sec-WebSocket-Accept`, and the negotiated
//! permessage-deflate parameters (RFC 7692 §7.1) when deflate was offered.

use base64::Engine as _;
use sha1::{Digest as _, Sha1};

use crate::os;

const GUID: &str = "258EAFA5-E914-47DA-95CA-C5AB0DC85B11";
/// A 101 answer larger than this is rejected (servers send ~200 bytes).
const MAX_RESPONSE: usize = 16 * 1024;

/// An upgrade request ready to write, and the key the answer must match.
#[derive(Debug, Clone)]
pub struct Request {
    /// The `Sec-WebSocket-Key` sent.
    pub key: String,
    /// The request bytes.
    pub bytes: Vec<u8>,
}

/// The permessage-deflate parameters the server accepted.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct Deflate {
    /// The server resets its compressor after each message.
    pub server_no_context_takeover: bool,
    /// The client (we) must reset its compressor after each message.
    pub client_no_context_takeover: bool,
    /// The client's LZ77 window, if the server limited it.
    pub client_max_window_bits: Option<u8>,
}

/// The outcome of parsing what has arrived so far.
#[derive(Debug, PartialEq, Eq)]
pub enum Answer {
    /// The header block is not complete yet.
    Partial,
    /// A valid 101: `consumed` header bytes, and the negotiated deflate, if any.
    Accepted {
        /// Bytes of the header block (frames may follow in the same read).
        consumed: usize,
        /// `Some` when permessage-deflate was negotiated.
        deflate: Option<Deflate>,
    },
}

/// Builds an upgrade request for `host:port` with a random key, optionally offering
/// `permessage-deflate; client_max_window_bits`.
pub fn request(host: &str, port: u16, offer_deflate: bool) -> Request {
    let mut raw = [0u8; 16];
    os::random_bytes(&mut raw);
    let key = base64::engine::general_purpose::STANDARD.encode(raw);
    let ext = if offer_deflate {
        "Sec-WebSocket-Extensions: permessage-deflate; client_max_window_bits\r\n"
    } else {
        ""
    };
    let text = format!(
        "GET / HTTP/1.1\r\nHost: {host}:{port}\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n\
         Sec-WebSocket-Key: {key}\r\nSec-WebSocket-Version: 13\r\n{ext}\r\n"
    );
    Request {
        key,
        bytes: text.into_bytes(),
    }
}

/// The `Sec-WebSocket-Accept` value for `key`.
pub fn accept_for(key: &str) -> String {
    let digest = Sha1::new().chain_update(key).chain_update(GUID).finalize();
    base64::engine::general_purpose::STANDARD.encode(digest)
}

/// Parses the server's answer to `req` from `buf` (everything read so far).
pub fn parse(buf: &[u8], req: &Request, offered_deflate: bool) -> Result<Answer, String> {
    let mut headers = [httparse::EMPTY_HEADER; 32];
    let mut res = httparse::Response::new(&mut headers);
    let consumed = match res.parse(buf) {
        Ok(httparse::Status::Complete(n)) => n,
        Ok(httparse::Status::Partial) if buf.len() > MAX_RESPONSE => {
            return Err("handshake answer too large".into())
        }
        Ok(httparse::Status::Partial) => return Ok(Answer::Partial),
        Err(err) => return Err(format!("bad handshake answer: {err}")),
    };
    if res.code != Some(101) {
        return Err(format!("handshake answered {:?}, not 101", res.code));
    }
    let header = |name: &str| {
        res.headers
            .iter()
            .find(|h| h.name.eq_ignore_ascii_case(name))
            .map(|h| String::from_utf8_lossy(h.value).trim().to_owned())
    };
    check_headers(&header, req)?;
    let deflate = match header("sec-websocket-extensions") {
        None => None,
        Some(_) if !offered_deflate => return Err("server sent an extension not offered".into()),
        Some(value) => Some(parse_deflate(&value)?),
    };
    Ok(Answer::Accepted { consumed, deflate })
}

fn check_headers(header: &dyn Fn(&str) -> Option<String>, req: &Request) -> Result<(), String> {
    let upgrade = header("upgrade").unwrap_or_default();
    if !upgrade.eq_ignore_ascii_case("websocket") {
        return Err(format!("bad Upgrade header {upgrade:?}"));
    }
    let connection = header("connection").unwrap_or_default();
    if !connection
        .split(',')
        .any(|t| t.trim().eq_ignore_ascii_case("upgrade"))
    {
        return Err(format!("bad Connection header {connection:?}"));
    }
    let accept = header("sec-websocket-accept").unwrap_or_default();
    if accept != accept_for(&req.key) {
        return Err(format!("bad Sec-WebSocket-Accept {accept:?}"));
    }
    Ok(())
}

/// Parses an accepted `permessage-deflate` extension header value.
fn parse_deflate(value: &str) -> Result<Deflate, String> {
    let mut parts = value.split(';').map(str::trim);
    if parts.next() != Some("permessage-deflate") || value.contains(',') {
        return Err(format!("unexpected extension answer {value:?}"));
    }
    let mut out = Deflate::default();
    for param in parts {
        let (name, val) = match param.split_once('=') {
            Some((n, v)) => (n.trim(), Some(v.trim().trim_matches('"'))),
            None => (param, None),
        };
        match (name, val) {
            ("server_no_context_takeover", None) => out.server_no_context_takeover = true,
            ("client_no_context_takeover", None) => out.client_no_context_takeover = true,
            ("server_max_window_bits", Some(_)) => {}
            ("client_max_window_bits", Some(v)) => {
                out.client_max_window_bits = Some(window_bits(v)?)
            }
            _ => return Err(format!("unexpected deflate parameter {param:?}")),
        }
    }
    Ok(out)
}

fn window_bits(v: &str) -> Result<u8, String> {
    match v.parse::<u8>() {
        Ok(bits @ 8..=15) => Ok(bits),
        _ => Err(format!("bad window bits {v:?}")),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn answer(req: &Request, extra: &str) -> Vec<u8> {
        format!(
            "HTTP/1.1 101 Switching Protocols\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n\
             Sec-WebSocket-Accept: {}\r\n{extra}\r\n",
            accept_for(&req.key)
        )
        .into_bytes()
    }

    #[test]
    fn accept_for_rfc_sample_key_matches() {
        assert_eq!(
            accept_for("dGhlIHNhbXBsZSBub25jZQ=="),
            "s3pPLMBiTxaQ9kYGzzhZRbK+xOo="
        );
    }

    #[test]
    fn request_keys_are_random() {
        assert_ne!(request("h", 1, false).key, request("h", 1, false).key);
    }

    #[test]
    fn parse_valid_answer_reports_consumed_bytes() {
        let req = request("127.0.0.1", 80, false);
        let mut buf = answer(&req, "");
        let len = buf.len();
        buf.extend_from_slice(&[0x81, 0x00]);
        let got = parse(&buf, &req, false).unwrap();
        assert_eq!(
            got,
            Answer::Accepted {
                consumed: len,
                deflate: None
            }
        );
        assert_eq!(
            parse(&buf[..len - 1], &req, false).unwrap(),
            Answer::Partial
        );
    }

    #[test]
    fn parse_wrong_accept_fails() {
        let req = request("127.0.0.1", 80, false);
        let other = request("127.0.0.1", 80, false);
        assert!(parse(&answer(&other, ""), &req, false).is_err());
    }

    #[test]
    fn parse_non_101_fails() {
        let req = request("127.0.0.1", 80, false);
        assert!(parse(b"HTTP/1.1 400 Bad Request\r\n\r\n", &req, false).is_err());
    }

    #[test]
    fn parse_deflate_parameters_are_read() {
        let req = request("127.0.0.1", 80, true);
        let ext = "Sec-WebSocket-Extensions: permessage-deflate; server_no_context_takeover; \
                   client_max_window_bits=10\r\n";
        let Answer::Accepted { deflate, .. } = parse(&answer(&req, ext), &req, true).unwrap()
        else {
            panic!("partial")
        };
        let d = deflate.unwrap();
        assert!(d.server_no_context_takeover && !d.client_no_context_takeover);
        assert_eq!(d.client_max_window_bits, Some(10));
    }

    #[test]
    fn parse_extension_not_offered_fails() {
        let req = request("127.0.0.1", 80, false);
        let ext = "Sec-WebSocket-Extensions: permessage-deflate\r\n";
        assert!(parse(&answer(&req, ext), &req, false).is_err());
    }

    #[test]
    fn parse_unknown_deflate_parameter_fails() {
        assert!(parse_deflate("permessage-deflate; foo").is_err());
        assert!(parse_deflate("permessage-deflate; client_max_window_bits=16").is_err());
    }
}
