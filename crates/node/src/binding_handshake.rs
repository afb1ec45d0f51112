//! Handshake helpers for JavaScript: the core's checks and parsers, so the
//! ws-compatible façade and the Rust crates share one implementation.
//!
//! These run once per connection (not per message), so plain napi-rs
//! conversions are fine here.

use std::collections::HashMap;

use ferrows_core::handshake::{self, ExtensionOffer};
use napi::bindgen_prelude::*;
use napi_derive::napi;

/// A refused upgrade request.
#[napi(object)]
pub struct UpgradeRejection {
    /// HTTP status (400, 405).
    pub status: u32,
    /// ws's message (the body and the `wsClientError` message).
    pub message: String,
    /// Extra response headers as `[name, value]` pairs.
    pub headers: Vec<Vec<String>>,
}

/// ws's checks of method, `Upgrade`, key and version, in order; `null` if they pass.
#[napi]
pub fn check_upgrade_request(
    method: String,
    upgrade: Option<String>,
    key: Option<String>,
    version: Option<String>,
) -> Option<UpgradeRejection> {
    let mut headers: Vec<(&str, &str)> = Vec::with_capacity(3);
    if let Some(v) = upgrade.as_deref() {
        headers.push(("upgrade", v));
    }
    if let Some(v) = key.as_deref() {
        headers.push(("sec-websocket-key", v));
    }
    if let Some(v) = version.as_deref() {
        headers.push(("sec-websocket-version", v));
    }
    handshake::check_upgrade(&method, &headers[..])
        .err()
        .map(|r| UpgradeRejection {
            status: u32::from(r.status),
            message: r.message,
            headers: r.headers.into_iter().map(|(n, v)| vec![n, v]).collect(),
        })
}

/// A refused extended CONNECT request (HTTP/2, HTTP/3).
#[napi(object)]
pub struct ConnectRejection {
    /// Malformed: reset the stream (`PROTOCOL_ERROR`) instead of answering.
    pub malformed: bool,
    /// HTTP status (400, 405, 501).
    pub status: u32,
    /// The body and the `wsClientError` message.
    pub message: String,
    /// Extra response headers as `[name, value]` pairs.
    pub headers: Vec<Vec<String>>,
}

/// The core's checks of an extended CONNECT request (RFC 8441/9220), over
/// its headers with the pseudo-headers included; `null` if they pass.
#[napi]
pub fn check_connect_request(headers: HashMap<String, String>) -> Option<ConnectRejection> {
    let pairs: Vec<(&str, &str)> = headers
        .iter()
        .map(|(n, v)| (n.as_str(), v.as_str()))
        .collect();
    handshake::check_connect(&pairs[..])
        .err()
        .map(|refusal| ConnectRejection {
            malformed: refusal.is_malformed(),
            status: u32::from(refusal.status()),
            message: refusal.message().to_owned(),
            headers: refusal
                .headers()
                .iter()
                .map(|(n, v)| vec![n.clone(), v.clone()])
                .collect(),
        })
}

/// The client's checks of the answer to its extended CONNECT (a 2xx, then
/// the subprotocol rules); returns ws's error message, or `null` if they
/// pass. A non-2xx status reads "Unexpected server response: N".
#[napi]
pub fn check_connect_response(
    status: u32,
    protocol: Option<String>,
    offered: Vec<String>,
) -> Option<String> {
    let mut headers: Vec<(&str, &str)> = Vec::with_capacity(1);
    if let Some(v) = protocol.as_deref() {
        headers.push(("sec-websocket-protocol", v));
    }
    let status = u16::try_from(status).unwrap_or(u16::MAX);
    handshake::check_connect_response(&headers[..], status, &offered)
        .err()
        .map(|e| e.to_string())
}

/// `Sec-WebSocket-Accept` for a key.
#[napi]
pub fn accept_key(key: String) -> String {
    handshake::accept_key(key.as_bytes())
}

/// The client's checks of a 101 response (`Upgrade`, accept digest,
/// subprotocol); returns ws's error message, or `null` if they pass.
#[napi]
pub fn check_upgrade_response(
    upgrade: Option<String>,
    accept: Option<String>,
    protocol: Option<String>,
    key: String,
    offered: Vec<String>,
) -> Option<String> {
    let mut headers: Vec<(&str, &str)> = Vec::with_capacity(3);
    if let Some(v) = upgrade.as_deref() {
        headers.push(("upgrade", v));
    }
    if let Some(v) = accept.as_deref() {
        headers.push(("sec-websocket-accept", v));
    }
    if let Some(v) = protocol.as_deref() {
        headers.push(("sec-websocket-protocol", v));
    }
    handshake::check_response(&headers[..], 101, &key, &offered)
        .err()
        .map(|e| e.to_string())
}

/// Whether `value` is an RFC 7230 token (a valid subprotocol name).
#[napi]
pub fn is_valid_token(value: String) -> bool {
    handshake::check_client_protocols(&[value]).is_ok()
}

/// ws `subprotocol.parse`: the offered subprotocols in order; throws
/// `SyntaxError` with ws's message on bad syntax or a duplicate.
#[napi]
pub fn parse_subprotocols(value: String) -> Result<Vec<String>> {
    handshake::parse_subprotocols(&value).map_err(|e| syntax_error(&e.to_string()))
}

/// One parsed extension: its name and ordered `[param, value | null]` pairs.
#[napi(object)]
pub struct ParsedExtension {
    /// Extension name.
    pub name: String,
    /// Parameters in header order; a parameter without a value has `null`.
    pub params: Vec<Vec<Option<String>>>,
}

/// ws `extension.parse`, in header order; throws `SyntaxError` like ws.
#[napi]
pub fn parse_extensions(value: String) -> Result<Vec<ParsedExtension>> {
    let offers = handshake::parse_extensions(&value).map_err(|e| syntax_error(&e.to_string()))?;
    Ok(offers
        .into_iter()
        .map(|o| ParsedExtension {
            name: o.name,
            params: o
                .params
                .into_iter()
                .map(|(n, v)| vec![Some(n), v])
                .collect(),
        })
        .collect())
}

/// ws `extension.format` for ordered offers.
#[napi]
pub fn format_extensions(offers: Vec<ParsedExtension>) -> String {
    let offers: Vec<ExtensionOffer> = offers.into_iter().map(to_offer).collect();
    handshake::format_extensions(&offers)
}

pub(crate) fn to_offer(parsed: ParsedExtension) -> ExtensionOffer {
    ExtensionOffer {
        name: parsed.name,
        params: parsed
            .params
            .into_iter()
            .filter_map(|mut pair| {
                let value = pair.get_mut(1).and_then(Option::take);
                pair.into_iter().next().flatten().map(|name| (name, value))
            })
            .collect(),
    }
}

/// Whether `bytes` is valid UTF-8 (ws `isValidUTF8`).
#[napi]
pub fn is_valid_utf8(bytes: &[u8]) -> bool {
    ferrows_core::utf8::validate(bytes)
}

/// XORs `data` in place with `key` (4 bytes) starting at mask position `phase`.
#[napi]
pub fn apply_mask(mut data: BufferSlice<'_>, key: &[u8], phase: u32) -> Result<()> {
    let key: [u8; 4] = key
        .try_into()
        .map_err(|_| Error::new(Status::InvalidArg, "the mask must be 4 bytes"))?;
    ferrows_core::mask::apply(&mut data, key, phase as usize);
    Ok(())
}

/// The masking kernel the CPU probe chose (for diagnostics and benchmarks).
#[napi]
pub fn mask_kernel() -> String {
    ferrows_core::mask::selected().to_string()
}

fn syntax_error(message: &str) -> Error {
    Error::new(Status::InvalidArg, message.to_string())
}
