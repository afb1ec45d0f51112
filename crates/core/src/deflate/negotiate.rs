//! Offer and accept for both roles (ws `offer`, `acceptAsServer`,
//! `acceptAsClient`).
//!
//! The semantics are ws 8.23's, including the 8.21.x rule: a server with a
//! numeric `clientMaxWindowBits` refuses an offer whose numeric
//! `client_max_window_bits` is smaller, or which lacks the parameter.

use super::config::{ClientBits, DeflateConfig, ServerBits};
use super::negotiated::Agreement;
use super::params::{normalize_all, Key, NegotiationError, Params, Value};
use super::EXTENSION_NAME;

/// One offer's (or response's) parameters in header order, duplicates kept;
/// `None` is a parameter without a value.
type RawParams<'a> = &'a [(String, Option<String>)];

/// The client's `Sec-WebSocket-Extensions` offer (ws `offer()` + `format`),
/// e.g. `permessage-deflate; client_max_window_bits` for the defaults.
///
/// ```
/// use ferrows_core::deflate::{client_offer, ClientBits, DeflateConfig};
/// let cfg = DeflateConfig {
///     server_no_context_takeover: Some(true),
///     client_max_window_bits: Some(ClientBits::Bits(10)),
///     ..DeflateConfig::default()
/// };
/// assert_eq!(
///     client_offer(&cfg),
///     "permessage-deflate; server_no_context_takeover; client_max_window_bits=10"
/// );
/// ```
pub fn client_offer(cfg: &DeflateConfig) -> String {
    let mut offer = String::from(EXTENSION_NAME);
    if cfg.server_no_context_takeover == Some(true) {
        offer.push_str("; server_no_context_takeover");
    }
    if cfg.client_no_context_takeover == Some(true) {
        offer.push_str("; client_no_context_takeover");
    }
    if let Some(ServerBits::Bits(bits)) = cfg.server_max_window_bits {
        offer.push_str(&format!("; server_max_window_bits={bits}"));
    }
    match cfg.client_max_window_bits {
        Some(ClientBits::Bits(bits)) => offer.push_str(&format!("; client_max_window_bits={bits}")),
        None | Some(ClientBits::Unvalued) => offer.push_str("; client_max_window_bits"),
        Some(ClientBits::Off) => {}
    }
    offer
}

/// Server: accepts the first acceptable `permessage-deflate` offer; the
/// [`Agreement`] gives the response header and the parameters to run with.
///
/// `offers` holds the parameter lists of every `permessage-deflate` offer in
/// header order. `Ok(None)`: there was none. `Err(_)`: some offer has an
/// invalid parameter (all are checked first, as ws does), or none is
/// acceptable; ws then answers 400.
///
/// ```
/// use ferrows_core::deflate::{server_accept, DeflateConfig, ServerBits};
/// let cfg = DeflateConfig {
///     server_max_window_bits: Some(ServerBits::Bits(10)),
///     ..DeflateConfig::default()
/// };
/// let too_small = vec![("server_max_window_bits".to_owned(), Some("9".to_owned()))];
/// let plain: Vec<(String, Option<String>)> = Vec::new();
/// // The first offer asks for a window below ours; the second is accepted.
/// let agreed = server_accept(&cfg, &[too_small.as_slice(), plain.as_slice()]).unwrap().unwrap();
/// assert_eq!(agreed.response_header(), "permessage-deflate; server_max_window_bits=10");
/// let err = server_accept(&cfg, &[too_small.as_slice()]).unwrap_err();
/// assert_eq!(err.message(), "None of the extension offers can be accepted");
/// ```
pub fn server_accept(
    cfg: &DeflateConfig,
    offers: &[RawParams<'_>],
) -> Result<Option<Agreement>, NegotiationError> {
    if offers.is_empty() {
        return Ok(None);
    }
    let offers = normalize_all(offers, true)?;
    let Some(mut accepted) = offers.into_iter().find(|offer| acceptable(cfg, offer)) else {
        return Err(NegotiationError::error(
            "None of the extension offers can be accepted",
        ));
    };
    apply_server_options(cfg, &mut accepted);
    Ok(Some(Agreement::new(accepted)))
}

/// The negation of ws's rejection test in `acceptAsServer`.
fn acceptable(cfg: &DeflateConfig, offer: &Params) -> bool {
    let refuses_server_nct =
        cfg.server_no_context_takeover == Some(false) && offer.has(Key::ServerNoContextTakeover);
    let server_bits_too_small = match offer.get(Key::ServerMaxWindowBits) {
        Some(Value::Bits(offered)) => match cfg.server_max_window_bits {
            Some(ServerBits::Off) => true,
            Some(ServerBits::Bits(ours)) => ours > offered,
            None => false,
        },
        _ => false,
    };
    let client_bits_too_small = match (cfg.client_bits(), offer.get(Key::ClientMaxWindowBits)) {
        (Some(ours), Some(Value::Bits(offered))) => ours > offered,
        (Some(_), None) => true,
        _ => false,
    };
    !(refuses_server_nct || server_bits_too_small || client_bits_too_small)
}

/// ws turns the accepted offer into the response by overriding with its own
/// options; new parameters are appended.
fn apply_server_options(cfg: &DeflateConfig, accepted: &mut Params) {
    if cfg.server_no_context_takeover == Some(true) {
        accepted.set(Key::ServerNoContextTakeover, Value::Flag);
    }
    if cfg.client_no_context_takeover == Some(true) {
        accepted.set(Key::ClientNoContextTakeover, Value::Flag);
    }
    if let Some(bits) = cfg.server_bits() {
        accepted.set(Key::ServerMaxWindowBits, Value::Bits(bits));
    }
    if let Some(bits) = cfg.client_bits() {
        accepted.set(Key::ClientMaxWindowBits, Value::Bits(bits));
    } else if accepted.get(Key::ClientMaxWindowBits) == Some(Value::Flag)
        || cfg.client_max_window_bits == Some(ClientBits::Off)
    {
        accepted.remove(Key::ClientMaxWindowBits);
    }
}

/// Client: validates the server's response (ws `acceptAsClient`).
///
/// `responses` holds the parameter lists of every `permessage-deflate` entry
/// of the response header; ws checks them all and uses the first. An error
/// fails the handshake (ws: `Invalid Sec-WebSocket-Extensions header`).
///
/// ```
/// use ferrows_core::deflate::{client_accept, ClientBits, DeflateConfig};
/// let cfg = DeflateConfig {
///     client_max_window_bits: Some(ClientBits::Bits(10)),
///     ..DeflateConfig::default()
/// };
/// let larger = vec![("client_max_window_bits".to_owned(), Some("12".to_owned()))];
/// let err = client_accept(&cfg, &[larger.as_slice()]).unwrap_err();
/// assert_eq!(err.message(), "Unexpected or invalid parameter \"client_max_window_bits\"");
/// // Without the parameter the client still limits itself to its own 10 bits.
/// let agreed = client_accept(&cfg, &[&[]]).unwrap();
/// assert_eq!(agreed.negotiated.compressor_params(false), (10, false));
/// ```
pub fn client_accept(
    cfg: &DeflateConfig,
    responses: &[RawParams<'_>],
) -> Result<Agreement, NegotiationError> {
    let mut params = normalize_all(responses, false)?
        .into_iter()
        .next()
        .ok_or_else(|| NegotiationError::error("Missing permessage-deflate parameters"))?;
    if cfg.client_no_context_takeover == Some(false) && params.has(Key::ClientNoContextTakeover) {
        return Err(NegotiationError::error(
            "Unexpected parameter \"client_no_context_takeover\"",
        ));
    }
    match params.get(Key::ClientMaxWindowBits) {
        None => {
            if let Some(bits) = cfg.client_bits() {
                params.set(Key::ClientMaxWindowBits, Value::Bits(bits));
            }
        }
        Some(value) if client_bits_refused(cfg, value) => {
            return Err(NegotiationError::error(
                "Unexpected or invalid parameter \"client_max_window_bits\"",
            ));
        }
        Some(_) => {}
    }
    Ok(Agreement::new(params))
}

fn client_bits_refused(cfg: &DeflateConfig, value: Value) -> bool {
    match (cfg.client_max_window_bits, value) {
        (Some(ClientBits::Off), _) => true,
        (Some(ClientBits::Bits(ours)), Value::Bits(theirs)) => theirs > ours,
        _ => false,
    }
}

#[cfg(test)]
#[path = "negotiate_tests.rs"]
mod tests;
