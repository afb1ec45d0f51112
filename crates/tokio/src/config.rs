//! [`Config`]: per-connection options for the stream and both handshakes.

use std::time::Duration;

use ferrows_core::cork::CorkConfig;
use ferrows_core::deflate::{DeflateConfig, Negotiated};
use ferrows_core::handshake::HeadLimits;
use ferrows_core::limits::Limits;
use ferrows_core::protocol::{self, DeflateSettings, HeartbeatConfig};

/// The default size of the read buffer: 64 KiB.
pub const DEFAULT_READ_BUFFER_SIZE: usize = 64 * 1024;

/// How long [`accept`](crate::accept) waits for a complete upgrade request by
/// default: 10 s, uWebSockets' HTTP idle timeout. A real client sends its
/// request one round trip after connecting; a peer that stays silent,
/// trickles its head or stops halfway is dropped at this deadline.
pub const DEFAULT_ACCEPT_TIMEOUT: Duration = Duration::from_secs(10);

/// How a connection behaves. The defaults are `ws` 8.23's.
///
/// Built with chained setters:
///
/// ```
/// use std::time::Duration;
/// use ferrows::Config;
/// use ferrows::deflate::DeflateConfig;
/// let config = Config::default()
///     .max_payload(1 << 20)
///     .close_timeout(Duration::from_secs(5))
///     .deflate(DeflateConfig::default());
/// assert!(config.deflate_config().is_some());
/// ```
///
/// UTF-8 validation of text messages cannot be turned off here: received
/// text is handed out as [`Utf8Bytes`](crate::Utf8Bytes), which relies on it.
#[derive(Clone, Debug)]
pub struct Config {
    protocol: protocol::Config,
    deflate: Option<DeflateConfig>,
    pub(crate) head_limits: HeadLimits,
    pub(crate) read_buffer_size: usize,
    pub(crate) accept_timeout: Option<Duration>,
    pub(crate) heartbeat: Option<HeartbeatConfig>,
}

impl Default for Config {
    fn default() -> Self {
        Self {
            protocol: protocol::Config::default(),
            deflate: None,
            head_limits: HeadLimits::default(),
            read_buffer_size: DEFAULT_READ_BUFFER_SIZE,
            accept_timeout: Some(DEFAULT_ACCEPT_TIMEOUT),
            heartbeat: None,
        }
    }
}

impl Config {
    /// The defaults: `ws`'s limits, automatic pongs, a 30 s close timeout,
    /// a 10 s accept timeout, no compression, 64 KiB reads.
    pub fn new() -> Self {
        Self::default()
    }

    /// All receive limits at once.
    #[must_use]
    pub fn limits(mut self, limits: Limits) -> Self {
        self.protocol.limits = limits;
        self
    }

    /// The largest message accepted, in bytes (after inflation too); larger
    /// ones fail the connection with 1009. 0 disables the limit. Default
    /// 100 MiB.
    #[must_use]
    pub fn max_payload(mut self, bytes: usize) -> Self {
        self.protocol.limits.max_payload = bytes;
        self
    }

    /// Answer pings automatically (default true). Pings are yielded either way.
    #[must_use]
    pub fn auto_pong(mut self, enabled: bool) -> Self {
        self.protocol.auto_pong = enabled;
        self
    }

    /// How long to wait for the peer's close frame after ours before the
    /// stream ends with a timeout error (default 30 s).
    #[must_use]
    pub fn close_timeout(mut self, timeout: Duration) -> Self {
        self.protocol.close_timeout_ms = u64::try_from(timeout.as_millis()).unwrap_or(u64::MAX);
        self
    }

    /// Pings the peer every `interval` while the connection is open and ends
    /// the stream with
    /// [`is_heartbeat_timeout`](crate::Error::is_heartbeat_timeout) when a
    /// ping stays unanswered for `timeout` (the transport is dropped without
    /// a closing handshake). Timed by the stream itself, so it runs while the
    /// stream is being read. Default: off.
    #[must_use]
    pub fn heartbeat(mut self, interval: Duration, timeout: Duration) -> Self {
        let ms = |d: Duration| u64::try_from(d.as_millis()).unwrap_or(u64::MAX);
        self.heartbeat = Some(HeartbeatConfig {
            interval_ms: ms(interval),
            timeout_ms: ms(timeout),
        });
        self
    }

    /// How long [`accept`](crate::accept) and [`accept_with`](crate::accept_with)
    /// wait for the client's complete upgrade request, from their call to
    /// the end of the head; bytes arriving do not extend it. When it runs
    /// out the handshake fails with
    /// [`is_handshake_timeout`](crate::Error::is_handshake_timeout) and the
    /// transport is dropped unanswered. `None` waits forever. Default
    /// [`DEFAULT_ACCEPT_TIMEOUT`] (10 s). Needs tokio's time driver.
    #[must_use]
    pub fn accept_timeout(mut self, timeout: Option<Duration>) -> Self {
        self.accept_timeout = timeout;
        self
    }

    /// The outgoing buffer's tuning.
    #[must_use]
    pub fn cork(mut self, cork: CorkConfig) -> Self {
        self.protocol.cork = cork;
        self
    }

    /// Queued bytes above which [`Sink::poll_ready`](futures_sink::Sink::poll_ready)
    /// waits for the transport to drain (default 64 KiB).
    #[must_use]
    pub fn high_water_mark(mut self, bytes: usize) -> Self {
        self.protocol.cork.high_water_mark = bytes;
        self
    }

    /// Offer (client) or accept (server) permessage-deflate with these
    /// options. Off by default.
    #[must_use]
    pub fn deflate(mut self, deflate: DeflateConfig) -> Self {
        self.deflate = Some(deflate);
        self
    }

    /// Bounds on the handshake's HTTP head (default 16 KiB, 2000 lines).
    #[must_use]
    pub fn head_limits(mut self, limits: HeadLimits) -> Self {
        self.head_limits = limits;
        self
    }

    /// How many bytes each read asks the transport for (default 64 KiB).
    #[must_use]
    pub fn read_buffer_size(mut self, bytes: usize) -> Self {
        self.read_buffer_size = bytes.max(1);
        self
    }

    /// The permessage-deflate options, when enabled.
    pub fn deflate_config(&self) -> Option<&DeflateConfig> {
        self.deflate.as_ref()
    }

    /// Checks the permessage-deflate options (zlib's ranges).
    pub(crate) fn validate(&self) -> Result<(), crate::Error> {
        match &self.deflate {
            Some(deflate) => deflate.validate().map_err(crate::Error::deflate_config),
            None => Ok(()),
        }
    }

    /// The engine's configuration for one connection: UTF-8 validation on,
    /// replies not deferred, a fresh masking seed, and the negotiated
    /// permessage-deflate parameters (if any).
    pub(crate) fn engine_config(&self, deflate: Option<Negotiated>) -> protocol::Config {
        let mut config = self.protocol.clone();
        config.skip_utf8_validation = false;
        config.defer_replies = false;
        config.mask_seed = crate::random::seed();
        config.deflate = deflate.map(|negotiated| {
            let options = self.deflate.clone().unwrap_or_default();
            DeflateSettings {
                negotiated,
                threshold: options.threshold,
                level: options.level,
                mem_level: options.mem_level,
            }
        });
        config
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn engine_config_forces_validation_and_immediate_replies() {
        let config = Config::new().max_payload(10).auto_pong(false);
        let engine = config.engine_config(None);
        assert!(!engine.skip_utf8_validation && !engine.defer_replies);
        assert_eq!(engine.limits.max_payload, 10);
        assert!(!engine.auto_pong && engine.deflate.is_none());
    }

    #[test]
    fn engine_config_carries_negotiated_deflate_and_local_knobs() {
        let options = DeflateConfig {
            level: 1,
            threshold: 7,
            ..DeflateConfig::default()
        };
        let engine = Config::new()
            .deflate(options)
            .engine_config(Some(Negotiated::default()));
        let settings = engine.deflate.expect("deflate settings");
        assert_eq!((settings.level, settings.threshold), (1, 7));
    }

    #[test]
    fn close_timeout_is_in_milliseconds() {
        let engine = Config::new()
            .close_timeout(Duration::from_millis(1500))
            .engine_config(None);
        assert_eq!(engine.close_timeout_ms, 1500);
    }

    #[test]
    fn accept_timeout_defaults_to_ten_seconds_and_can_be_turned_off() {
        assert_eq!(Config::new().accept_timeout, Some(Duration::from_secs(10)));
        assert_eq!(Config::new().accept_timeout(None).accept_timeout, None);
    }

    #[test]
    fn masking_seeds_differ_between_connections() {
        let config = Config::new();
        assert_ne!(
            config.engine_config(None).mask_seed,
            config.engine_config(None).mask_seed
        );
    }
}
