//! User options: ws's `perMessageDeflate` object.
//!
//! ws distinguishes an option left out (`undefined`) from one set to `false`:
//! `serverNoContextTakeover: false` makes a server refuse offers that ask for
//! it, while leaving it out accepts them. `None` is "left out" here.

use core::fmt;

/// `clientMaxWindowBits`: `None` is ws's `undefined`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ClientBits {
    /// ws `false`: never offered; a server refuses to send it, a client
    /// refuses a response carrying it.
    Off,
    /// ws `true`: a client offers the parameter without a value.
    Unvalued,
    /// A window size, 8 to 15. A server asks clients to use at most this;
    /// a client offers it and refuses a larger value in the response.
    Bits(u8),
}

/// `serverMaxWindowBits`: `None` is ws's `undefined`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ServerBits {
    /// ws `false`: a server refuses offers that carry the parameter.
    Off,
    /// A window size, 8 to 15. A client offers it; a server answers with it
    /// and refuses offers asking for a smaller window.
    Bits(u8),
}

/// The user's permessage-deflate options (ws's `perMessageDeflate` object).
///
/// The four negotiation fields use `None` for ws's `undefined`, which is the
/// default. Call [`validate`](Self::validate) before use.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DeflateConfig {
    /// `serverNoContextTakeover`: `Some(true)` requests/accepts it,
    /// `Some(false)` makes a server refuse offers that ask for it.
    pub server_no_context_takeover: Option<bool>,
    /// `clientNoContextTakeover`: `Some(true)` requests/acknowledges it,
    /// `Some(false)` makes a client refuse a response that sets it.
    pub client_no_context_takeover: Option<bool>,
    /// `serverMaxWindowBits`.
    pub server_max_window_bits: Option<ServerBits>,
    /// `clientMaxWindowBits`.
    pub client_max_window_bits: Option<ClientBits>,
    /// `threshold`: when this side resets its context after each message,
    /// messages whose first fragment is smaller are sent uncompressed; with
    /// context takeover ws compresses everything. See
    /// [`Negotiated::should_compress`](super::Negotiated::should_compress).
    /// Default 1024.
    pub threshold: usize,
    /// `zlibDeflateOptions.level`, 0 to 9. Default 6 (zlib's default).
    pub level: u32,
    /// `zlibDeflateOptions.memLevel`, 1 to 9. Default 8.
    pub mem_level: u8,
}

impl DeflateConfig {
    /// ws's default `threshold`.
    pub const DEFAULT_THRESHOLD: usize = 1024;
    /// zlib's `Z_DEFAULT_COMPRESSION`, which is level 6.
    pub const DEFAULT_LEVEL: u32 = 6;
    /// zlib's default memLevel.
    pub const DEFAULT_MEM_LEVEL: u8 = 8;

    /// Checks the ranges zlib enforces (Node throws a `RangeError` for them):
    /// window bits 8 to 15, level 0 to 9, memLevel 1 to 9.
    ///
    /// ```
    /// use ferrows_core::deflate::{DeflateConfig, ServerBits};
    /// let cfg = DeflateConfig {
    ///     server_max_window_bits: Some(ServerBits::Bits(16)),
    ///     ..DeflateConfig::default()
    /// };
    /// assert!(cfg.validate().is_err());
    /// ```
    pub fn validate(&self) -> Result<(), ConfigError> {
        if let Some(ServerBits::Bits(bits)) = self.server_max_window_bits {
            check_range("windowBits", bits.into(), 8, 15)?;
        }
        if let Some(ClientBits::Bits(bits)) = self.client_max_window_bits {
            check_range("windowBits", bits.into(), 8, 15)?;
        }
        check_range("level", self.level, 0, 9)?;
        check_range("memLevel", self.mem_level.into(), 1, 9)
    }

    /// `serverMaxWindowBits` when it is a number.
    pub(crate) fn server_bits(&self) -> Option<u8> {
        match self.server_max_window_bits {
            Some(ServerBits::Bits(bits)) => Some(bits),
            _ => None,
        }
    }

    /// `clientMaxWindowBits` when it is a number.
    pub(crate) fn client_bits(&self) -> Option<u8> {
        match self.client_max_window_bits {
            Some(ClientBits::Bits(bits)) => Some(bits),
            _ => None,
        }
    }
}

impl Default for DeflateConfig {
    fn default() -> Self {
        Self {
            server_no_context_takeover: None,
            client_no_context_takeover: None,
            server_max_window_bits: None,
            client_max_window_bits: None,
            threshold: Self::DEFAULT_THRESHOLD,
            level: Self::DEFAULT_LEVEL,
            mem_level: Self::DEFAULT_MEM_LEVEL,
        }
    }
}

fn check_range(name: &str, value: u32, min: u32, max: u32) -> Result<(), ConfigError> {
    if (min..=max).contains(&value) {
        return Ok(());
    }
    Err(ConfigError {
        message: format!(
            "The value of \"options.{name}\" is out of range. It must be >= {min} and <= {max}. \
             Received {value}"
        ),
    })
}

/// An invalid [`DeflateConfig`]. The message follows Node's `ERR_OUT_OF_RANGE`
/// wording; its text is not API.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ConfigError {
    message: String,
}

impl ConfigError {
    /// The human-readable message.
    pub fn message(&self) -> &str {
        &self.message
    }
}

impl fmt::Display for ConfigError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.message)
    }
}

impl std::error::Error for ConfigError {}

#[cfg(test)]
mod tests {
    use super::*;

    fn with_server_bits(bits: u8) -> DeflateConfig {
        DeflateConfig {
            server_max_window_bits: Some(ServerBits::Bits(bits)),
            ..DeflateConfig::default()
        }
    }

    #[test]
    fn default_config_is_valid_with_ws_defaults() {
        let cfg = DeflateConfig::default();
        assert_eq!(cfg.validate(), Ok(()));
        assert_eq!((cfg.threshold, cfg.level, cfg.mem_level), (1024, 6, 8));
        assert_eq!(cfg.server_no_context_takeover, None);
    }

    #[test]
    fn window_bits_8_to_15_are_valid() {
        for bits in 8..=15 {
            assert_eq!(with_server_bits(bits).validate(), Ok(()));
            let cfg = DeflateConfig {
                client_max_window_bits: Some(ClientBits::Bits(bits)),
                ..DeflateConfig::default()
            };
            assert_eq!(cfg.validate(), Ok(()));
        }
    }

    #[test]
    fn server_window_bits_7_and_16_are_rejected() {
        let err = with_server_bits(7).validate().unwrap_err();
        assert_eq!(
            err.message(),
            "The value of \"options.windowBits\" is out of range. It must be >= 8 and <= 15. \
             Received 7"
        );
        assert!(with_server_bits(16).validate().is_err());
    }

    #[test]
    fn client_window_bits_out_of_range_is_rejected() {
        let cfg = DeflateConfig {
            client_max_window_bits: Some(ClientBits::Bits(0)),
            ..DeflateConfig::default()
        };
        assert!(cfg.validate().is_err());
    }

    #[test]
    fn level_and_mem_level_out_of_range_are_rejected() {
        let level = DeflateConfig {
            level: 10,
            ..DeflateConfig::default()
        };
        assert!(level.validate().unwrap_err().to_string().contains("level"));
        for mem_level in [0, 10] {
            let cfg = DeflateConfig {
                mem_level,
                ..DeflateConfig::default()
            };
            assert!(cfg.validate().unwrap_err().message().contains("memLevel"));
        }
    }

    #[test]
    fn unvalued_and_off_bits_are_valid_and_not_numeric() {
        let cfg = DeflateConfig {
            server_max_window_bits: Some(ServerBits::Off),
            client_max_window_bits: Some(ClientBits::Unvalued),
            ..DeflateConfig::default()
        };
        assert_eq!(cfg.validate(), Ok(()));
        assert_eq!((cfg.server_bits(), cfg.client_bits()), (None, None));
        assert_eq!(with_server_bits(9).server_bits(), Some(9));
    }
}
