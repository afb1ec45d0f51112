//! Connection options as JavaScript passes them, converted to the core's [`Config`].

use ferrows_core::cork::CorkConfig;
use ferrows_core::deflate::Negotiated;
use ferrows_core::limits::Limits;
use ferrows_core::protocol::{Config, DeflateSettings, HeartbeatConfig, DEFAULT_CLOSE_TIMEOUT_MS};
use napi_derive::napi;

/// Per-connection options (the `ws` option names, already defaulted by JavaScript).
#[napi(object)]
#[derive(Clone, Debug, Default)]
pub struct ConnOptions {
    /// `maxPayload` (0 = no limit).
    pub max_payload: Option<f64>,
    /// `maxFragments` (0 = no limit).
    pub max_fragments: Option<f64>,
    /// `maxBufferedChunks` (0 = no limit).
    pub max_buffered_chunks: Option<f64>,
    /// `maxPendingAutoPongs` (0 = no limit).
    pub max_pending_auto_pongs: Option<f64>,
    /// `skipUTF8Validation`.
    #[napi(js_name = "skipUTF8Validation")]
    pub skip_utf8_validation: Option<bool>,
    /// `autoPong`.
    pub auto_pong: Option<bool>,
    /// `closeTimeout` in ms.
    pub close_timeout: Option<f64>,
    /// Negotiated permessage-deflate, if any.
    pub deflate: Option<DeflateOptions>,
    /// `heartbeat.interval` in ms (absent or 0: no heartbeat).
    pub heartbeat_interval: Option<f64>,
    /// `heartbeat.timeout` in ms (JavaScript defaults it to the interval).
    pub heartbeat_timeout: Option<f64>,
}

/// The negotiated permessage-deflate parameters and local knobs.
#[napi(object)]
#[derive(Clone, Copy, Debug, Default)]
pub struct DeflateOptions {
    /// `server_no_context_takeover` was agreed.
    pub server_no_context_takeover: bool,
    /// `client_no_context_takeover` was agreed.
    pub client_no_context_takeover: bool,
    /// Agreed server window bits (8–15).
    pub server_max_window_bits: u32,
    /// Agreed client window bits (8–15).
    pub client_max_window_bits: u32,
    /// `threshold` in bytes.
    pub threshold: Option<u32>,
    /// zlib level (-1 = default).
    pub level: Option<i32>,
    /// zlib memLevel.
    pub mem_level: Option<u32>,
}

/// JavaScript numbers → the `ws` `value | 0` coercion, via the core.
fn int(value: Option<f64>, default: i64) -> i64 {
    match value {
        Some(v) if v.is_finite() => v as i64,
        Some(_) => 0,
        None => default,
    }
}

impl ConnOptions {
    /// The heartbeat, when `heartbeat_interval` is a positive number of ms.
    pub fn heartbeat(&self) -> Option<HeartbeatConfig> {
        let ms = |v: Option<f64>| v.filter(|v| v.is_finite() && *v >= 1.0).map(|v| v as u64);
        let interval_ms = ms(self.heartbeat_interval)?;
        Some(HeartbeatConfig {
            interval_ms,
            timeout_ms: ms(self.heartbeat_timeout).unwrap_or(interval_ms),
        })
    }

    /// Builds the engine configuration; `mask_seed` feeds client masking keys.
    pub fn to_config(&self, mask_seed: [u8; 32]) -> Config {
        let defaults = Limits::default();
        let limits = Limits::from_ws(
            int(self.max_payload, defaults.max_payload as i64),
            int(self.max_fragments, i64::from(defaults.max_fragments)),
            int(
                self.max_buffered_chunks,
                i64::from(defaults.max_buffered_chunks),
            ),
            int(
                self.max_pending_auto_pongs,
                i64::from(defaults.max_pending_pongs),
            ),
        );
        Config {
            limits,
            skip_utf8_validation: self.skip_utf8_validation.unwrap_or(false),
            auto_pong: self.auto_pong.unwrap_or(true),
            close_timeout_ms: self
                .close_timeout
                .filter(|v| v.is_finite() && *v >= 0.0)
                .map_or(DEFAULT_CLOSE_TIMEOUT_MS, |v| v as u64),
            deflate: self.deflate.map(DeflateOptions::to_settings),
            // Events reach JavaScript after parsing, so the engine's own replies
            // wait until the application has handled them (ws's wire order).
            defer_replies: true,
            // Thousands of mostly idle sockets: a drained cork keeps no memory.
            cork: CorkConfig {
                keep_spare: false,
                ..CorkConfig::default()
            },
            mask_seed,
        }
    }
}

impl DeflateOptions {
    /// The engine's deflate settings.
    pub(crate) fn to_settings(self) -> DeflateSettings {
        DeflateSettings {
            negotiated: Negotiated {
                server_no_context_takeover: self.server_no_context_takeover,
                client_no_context_takeover: self.client_no_context_takeover,
                server_max_window_bits: clamp_bits(self.server_max_window_bits),
                client_max_window_bits: clamp_bits(self.client_max_window_bits),
            },
            threshold: self.threshold.unwrap_or(1024) as usize,
            level: match self.level {
                Some(level @ 0..=9) => level as u32,
                _ => 6,
            },
            mem_level: self.mem_level.map_or(8, |m| m.clamp(1, 9) as u8),
        }
    }
}

fn clamp_bits(bits: u32) -> u8 {
    bits.clamp(8, 15) as u8
}

/// Fresh random bytes for masking keys.
pub fn random_seed() -> [u8; 32] {
    let mut seed = [0u8; 32];
    if getrandom::fill(&mut seed).is_err() {
        // The OS random source is unavailable: fall back to a weaker but
        // still unpredictable-per-process mix (address space layout + time).
        let stack = &seed as *const _ as usize as u64;
        let time = std::time::SystemTime::now()
            .duration_since(std::time::UNIX_EPOCH)
            .map_or(0, |d| d.as_nanos() as u64);
        seed[..8].copy_from_slice(&stack.to_le_bytes());
        seed[8..16].copy_from_slice(&time.to_le_bytes());
    }
    seed
}
