//! The HTTP/1.1 opening handshake of RFC 6455 §4, for both roles, without I/O.
//!
//! # Contract
//!
//! Everything here is a pure function of bytes or strings, with `ws` 8.23's
//! semantics: the same checks in the same order, the same status codes, the
//! same messages, byte-exact responses.
//!
//! **Server.** Feed the bytes received so far to a [`RequestParser`] until it
//! returns a [`RequestHead`] (or a [`Rejection`]: 400 malformed, 431 too large);
//! the bytes after the head are the start of the frame stream. A driver whose
//! HTTP parsing is done elsewhere (Node's parser in the addon) skips that step
//! and implements [`HeaderLookup`] over its headers. Then:
//!
//! 1. [`check_upgrade`] (or [`RequestHead::check_upgrade`], which first
//!    applies [`check_http_version`]) — method 405, `Upgrade`, key and version
//!    400;
//! 2. the user's `shouldHandle` (400 via [`Rejection::from_status`]);
//! 3. [`UpgradeRequest::subprotocols`] and, with permessage-deflate enabled,
//!    [`UpgradeRequest::extension_offers`] for the extension layer (400);
//! 4. `verifyClient` (401 or the user's code), a closing server (503);
//! 5. [`accept_key`], [`response_101_lines`] (which the `'headers'` event may
//!    edit) and [`encode_lines`].
//!
//! A refusal is written with [`Rejection::to_response`] (or, for parse
//! errors, Node's bare [`client_error_response`]) and the connection ended.
//!
//! **Client.** [`generate_key`] from caller-supplied randomness,
//! [`check_client_protocols`], [`encode_request`]; then feed the answer to a
//! [`ResponseParser`], and call [`check_response`] and
//! [`check_response_extensions`]. A non-101 status is reported by
//! [`ClientHandshakeError::unexpected_status`] so the caller can emit
//! `'unexpected-response'` or follow a redirect.
//!
//! # Limits and linear time
//!
//! Both parsers take the whole buffer received so far on each call but only
//! examine new bytes, and run httparse once per head, so a head dripped one
//! byte per segment costs O(n) (CVE-2023-43669). [`HeadLimits`] bounds the
//! head's bytes and header lines. The token parsers are single passes without
//! backtracking (CVE-2021-32640, CVE-2020-7662/7663). No input panics.

mod client;
mod client_error;
mod client_response;
mod connect;
mod extensions;
mod head;
mod key;
mod rejection;
mod request;
mod response;
mod tokens;
mod upgrade;

#[cfg(test)]
mod timing;

pub use client::{check_header, encode_request, ClientRequest, InvalidHeader};
pub use client_error::ClientHandshakeError;
pub use client_response::{
    check_response, check_response_extensions, Accepted, ResponseHead, ResponseParser,
};
pub use connect::{check_connect, check_connect_response, ConnectRefusal, ConnectRequest};
pub use extensions::{format_extensions, parse_extensions, ExtensionOffer};
pub use head::HeaderLookup;
pub use key::{accept_key, generate_key, is_valid_key};
pub use rejection::Rejection;
pub use request::{RequestHead, RequestParser};
pub use response::{
    client_error_response, encode_lines, error_response, response_101_lines, status_text,
};
pub use tokens::{check_client_protocols, parse_subprotocols, TokenError};
pub use upgrade::{
    check_http_version, check_upgrade, wants_upgrade, UpgradeFields, UpgradeRequest,
};

/// The GUID RFC 6455 §1.3 appends to the key before hashing.
pub const GUID: &str = "258EAFA5-E914-47DA-95CA-C5AB0DC85B11";

/// Bounds on a raw request or response head.
///
/// The defaults are Node's, so a ferrows listener refuses what a Node server
/// in front of `ws` refuses: 16 KiB of head (`--max-http-header-size`) and
/// 2000 header lines (`maxHeadersCount`). Python websockets is stricter
/// (8 KiB per line, 128 headers); the byte cap already bounds the work and
/// memory, so the count cap only matters for Node parity (lines over it are
/// dropped, not refused).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct HeadLimits {
    /// The most bytes a head may take, from its first byte to the end of the
    /// blank line. Over it: 431 (server) or `HPE_HEADER_OVERFLOW` (client).
    pub max_bytes: usize,
    /// The most header lines kept; later ones are dropped. 0 keeps all.
    pub max_headers: usize,
}

impl HeadLimits {
    /// Node's default `--max-http-header-size`: 16 KiB.
    pub const DEFAULT_MAX_BYTES: usize = 16 * 1024;
    /// Node's default `maxHeadersCount`: 2000.
    pub const DEFAULT_MAX_HEADERS: usize = 2000;
}

impl Default for HeadLimits {
    fn default() -> Self {
        Self {
            max_bytes: Self::DEFAULT_MAX_BYTES,
            max_headers: Self::DEFAULT_MAX_HEADERS,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn default_limits_are_node_defaults() {
        assert_eq!(
            HeadLimits::default(),
            HeadLimits {
                max_bytes: 16384,
                max_headers: 2000
            }
        );
    }

    #[test]
    fn server_and_client_complete_a_handshake() {
        let key = generate_key(*b"0123456789abcdef");
        let protocols = ["chat".to_owned()];
        let request = ClientRequest {
            host: "example.com",
            path: "/",
            key: &key,
            version: 13,
            protocols: &protocols,
            extensions: Some("permessage-deflate; client_max_window_bits"),
            origin: Some("https://example.com"),
            extra_headers: &[],
        };
        let bytes = encode_request(&request).unwrap();
        let (head, _) = RequestParser::new(HeadLimits::default())
            .parse(&bytes)
            .unwrap()
            .unwrap();
        let upgrade = head.check_upgrade().unwrap();
        assert_eq!(
            upgrade.fields.origin.as_deref(),
            Some("https://example.com")
        );
        let chosen = upgrade.subprotocols().unwrap().remove(0);
        let offers = upgrade.extension_offers().unwrap();
        let answer = format_extensions(&[ExtensionOffer {
            name: offers[0].name.clone(),
            params: Vec::new(),
        }]);
        let lines = response_101_lines(
            &accept_key(upgrade.key.as_bytes()),
            Some(&chosen),
            Some(&answer),
        );
        let response = encode_lines(&lines);
        let (head, used) = ResponseParser::new(HeadLimits::default())
            .parse(&response)
            .unwrap()
            .unwrap();
        assert_eq!(used, response.len());
        let accepted = head.check(&key, &protocols).unwrap();
        assert_eq!(accepted.protocol.as_deref(), Some("chat"));
        let answers = check_response_extensions(accepted.extensions.as_deref(), true).unwrap();
        assert_eq!(answers[0].name, "permessage-deflate");
    }
}
