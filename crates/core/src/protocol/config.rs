//! Per-connection configuration.

use crate::cork::CorkConfig;
use crate::deflate::Negotiated;
use crate::limits::Limits;

/// `ws`'s default `closeTimeout`: 30 seconds.
pub const DEFAULT_CLOSE_TIMEOUT_MS: u64 = 30_000;

/// How one connection behaves. Everything has a `ws`-compatible default.
#[derive(Clone, Debug)]
pub struct Config {
    /// Receive limits (`maxPayload`, `maxFragments`, `maxBufferedChunks`, `maxPendingAutoPongs`).
    pub limits: Limits,
    /// Skip UTF-8 validation of text messages and close reasons (`skipUTF8Validation`).
    pub skip_utf8_validation: bool,
    /// Answer pings automatically while open (`autoPong`).
    pub auto_pong: bool,
    /// How long to wait for the peer after our close frame (`closeTimeout`), in ms.
    pub close_timeout_ms: u64,
    /// The outgoing buffer.
    pub cork: CorkConfig,
    /// permessage-deflate, when the handshake negotiated it.
    pub deflate: Option<DeflateSettings>,
    /// Hold the engine's own close frame (close reply, error close) until
    /// [`Connection::commit_replies`](super::Connection::commit_replies): for
    /// drivers that hand events to the application later than they parse
    /// them (see the `replies` module).
    pub defer_replies: bool,
    /// Seed for the client's masking keys (RFC 6455 §10.3: unpredictable). The
    /// driver fills it from the operating system's random source. Unused by
    /// servers.
    pub mask_seed: [u8; 32],
}

impl Default for Config {
    fn default() -> Self {
        Self {
            limits: Limits::default(),
            skip_utf8_validation: false,
            auto_pong: true,
            close_timeout_ms: DEFAULT_CLOSE_TIMEOUT_MS,
            cork: CorkConfig::default(),
            deflate: None,
            defer_replies: false,
            mask_seed: [0; 32],
        }
    }
}

/// permessage-deflate as negotiated, plus our local compression knobs.
#[derive(Clone, Copy, Debug)]
pub struct DeflateSettings {
    /// The parameters both sides agreed on.
    pub negotiated: Negotiated,
    /// Messages smaller than this are sent uncompressed when our side uses
    /// no context takeover (`ws`'s `threshold`, default 1024).
    pub threshold: usize,
    /// zlib compression level (0–9).
    pub level: u32,
    /// zlib memory level (1–9).
    pub mem_level: u8,
}
