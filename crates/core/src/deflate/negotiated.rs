//! The agreed parameters of one connection.

use super::params::{Key, Params, Value};
use super::EXTENSION_NAME;

/// Fully negotiated parameters, as agreed on the wire: plain data, which is
/// all a connection needs. Window bits absent from the agreement are 15
/// (RFC 7692 §7.1.2).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Negotiated {
    /// The server resets its compressor after every message.
    pub server_no_context_takeover: bool,
    /// The client resets its compressor after every message.
    pub client_no_context_takeover: bool,
    /// The largest window the server's compressor may use (8 to 15).
    pub server_max_window_bits: u8,
    /// The largest window the client's compressor may use (8 to 15).
    pub client_max_window_bits: u8,
}

impl Default for Negotiated {
    /// A bare `permessage-deflate`: context takeover, 15-bit windows.
    fn default() -> Self {
        Self {
            server_no_context_takeover: false,
            client_no_context_takeover: false,
            server_max_window_bits: 15,
            client_max_window_bits: 15,
        }
    }
}

impl Negotiated {
    /// `(window_bits, no_context_takeover)` for this side's compressor.
    pub fn compressor_params(&self, is_server: bool) -> (u8, bool) {
        self.side(is_server)
    }

    /// `(window_bits, no_context_takeover)` for this side's decompressor,
    /// which are the peer's compressor parameters.
    pub fn decompressor_params(&self, is_server: bool) -> (u8, bool) {
        self.side(!is_server)
    }

    /// Whether ws would compress a message whose first fragment is
    /// `first_fragment_len` bytes (`sender.js`): the `threshold` only applies
    /// when this side resets its context after every message; with context
    /// takeover every message is compressed.
    ///
    /// ```
    /// use ferrows_core::deflate::Negotiated;
    /// let mut agreed = Negotiated::default();
    /// assert!(agreed.should_compress(true, 10, 1024));
    /// agreed.server_no_context_takeover = true;
    /// assert!(!agreed.should_compress(true, 10, 1024));
    /// assert!(agreed.should_compress(true, 1024, 1024));
    /// ```
    pub fn should_compress(
        &self,
        is_server: bool,
        first_fragment_len: usize,
        threshold: usize,
    ) -> bool {
        let (_, no_context_takeover) = self.compressor_params(is_server);
        !no_context_takeover || first_fragment_len >= threshold
    }

    fn side(&self, server: bool) -> (u8, bool) {
        if server {
            (self.server_max_window_bits, self.server_no_context_takeover)
        } else {
            (self.client_max_window_bits, self.client_no_context_takeover)
        }
    }
}

/// The result of a negotiation: the [`Negotiated`] parameters, plus the
/// parameter list exactly as ws holds it (`perMessageDeflate.params`), which
/// fixes the order of the response header.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Agreement {
    /// What the connection runs with.
    pub negotiated: Negotiated,
    params: Params,
}

impl Agreement {
    /// Builds the agreement from normalised parameters without a bare
    /// `client_max_window_bits` (ws deletes it from a server's answer, and a
    /// client refuses it).
    pub(crate) fn new(params: Params) -> Self {
        let mut negotiated = Negotiated::default();
        for &(key, value) in &params.entries {
            match (key, value) {
                (Key::ServerNoContextTakeover, _) => negotiated.server_no_context_takeover = true,
                (Key::ClientNoContextTakeover, _) => negotiated.client_no_context_takeover = true,
                (Key::ServerMaxWindowBits, Value::Bits(b)) => negotiated.server_max_window_bits = b,
                (Key::ClientMaxWindowBits, Value::Bits(b)) => negotiated.client_max_window_bits = b,
                (_, Value::Flag) => {}
            }
        }
        Self { negotiated, params }
    }

    /// ws's `params` object in property order: each name with its window
    /// bits, or `None` for a parameter without a value (ws `true`).
    pub fn params(&self) -> Vec<(&'static str, Option<u8>)> {
        let value = |v| match v {
            Value::Flag => None,
            Value::Bits(bits) => Some(bits),
        };
        self.params
            .entries
            .iter()
            .map(|&(key, v)| (key.name(), value(v)))
            .collect()
    }

    /// The `Sec-WebSocket-Extensions` value the server sends back, formatted
    /// as ws's `extension.format` does: `permessage-deflate; a; b=10`, with
    /// the parameters in the order of the accepted offer and the server's
    /// additions last.
    ///
    /// ```
    /// use ferrows_core::deflate::{server_accept, DeflateConfig};
    /// let offer = vec![
    ///     ("client_no_context_takeover".to_owned(), None),
    ///     ("client_max_window_bits".to_owned(), None),
    ///     ("server_max_window_bits".to_owned(), Some("9".to_owned())),
    /// ];
    /// let agreed = server_accept(&DeflateConfig::default(), &[offer.as_slice()]).unwrap().unwrap();
    /// assert_eq!(
    ///     agreed.response_header(),
    ///     "permessage-deflate; client_no_context_takeover; server_max_window_bits=9"
    /// );
    /// ```
    pub fn response_header(&self) -> String {
        let mut header = String::from(EXTENSION_NAME);
        for (name, bits) in self.params() {
            header.push_str("; ");
            header.push_str(name);
            if let Some(bits) = bits {
                header.push('=');
                header.push_str(&bits.to_string());
            }
        }
        header
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn agreement(entries: &[(Key, Value)]) -> Agreement {
        Agreement::new(Params {
            entries: entries.to_vec(),
        })
    }

    #[test]
    fn default_is_context_takeover_with_15_bit_windows() {
        let n = Negotiated::default();
        assert_eq!(n.compressor_params(true), (15, false));
        assert_eq!(n.decompressor_params(false), (15, false));
        let empty = agreement(&[]);
        assert_eq!(empty.response_header(), "permessage-deflate");
        assert_eq!(empty.negotiated, n);
    }

    #[test]
    fn response_header_and_params_keep_ws_order() {
        let a = agreement(&[
            (Key::ClientMaxWindowBits, Value::Bits(10)),
            (Key::ServerNoContextTakeover, Value::Flag),
            (Key::ServerMaxWindowBits, Value::Bits(9)),
            (Key::ClientNoContextTakeover, Value::Flag),
        ]);
        assert_eq!(
            a.response_header(),
            "permessage-deflate; client_max_window_bits=10; server_no_context_takeover; \
             server_max_window_bits=9; client_no_context_takeover"
        );
        assert_eq!(
            a.params(),
            [
                ("client_max_window_bits", Some(10)),
                ("server_no_context_takeover", None),
                ("server_max_window_bits", Some(9)),
                ("client_no_context_takeover", None),
            ]
        );
    }

    #[test]
    fn server_side_params_map_to_roles() {
        let n = agreement(&[
            (Key::ServerMaxWindowBits, Value::Bits(9)),
            (Key::ServerNoContextTakeover, Value::Flag),
            (Key::ClientMaxWindowBits, Value::Bits(12)),
        ])
        .negotiated;
        assert_eq!(n.compressor_params(true), (9, true));
        assert_eq!(n.decompressor_params(true), (12, false));
        assert_eq!(n.compressor_params(false), (12, false));
        assert_eq!(n.decompressor_params(false), (9, true));
    }

    #[test]
    fn client_no_context_takeover_maps_to_client_side() {
        let n = agreement(&[(Key::ClientNoContextTakeover, Value::Flag)]).negotiated;
        assert_eq!(n.compressor_params(false), (15, true));
        assert_eq!(n.decompressor_params(true), (15, true));
        assert_eq!(n.compressor_params(true), (15, false));
    }

    #[test]
    fn threshold_applies_only_without_context_takeover() {
        let n = Negotiated {
            client_no_context_takeover: true,
            ..Negotiated::default()
        };
        assert!(!n.should_compress(false, 1023, 1024));
        assert!(n.should_compress(false, 1024, 1024));
        assert!(
            n.should_compress(true, 0, 1024),
            "the server keeps its context"
        );
    }
}
