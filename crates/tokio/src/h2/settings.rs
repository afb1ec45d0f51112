//! [`Settings`]: the HTTP/2 connection's knobs, for both roles.

use ::h2::{client, server};

/// The connection receive window used unless
/// [`Settings::initial_connection_window_size`] says otherwise: 2 MiB.
///
/// Every stream's unread bytes count against the connection window too, so
/// with h2's 64 KiB default one paused WebSocket would stall all the others;
/// 2 MiB lets 32 of them stall before the rest feel it.
pub const DEFAULT_CONNECTION_WINDOW: u32 = 2 * 1024 * 1024;

/// h2's small-DATA-frame budget used unless [`Settings::data_frame_budget`]
/// says otherwise: 16 MiB.
///
/// ferrows drains every stream as frames arrive, but h2 may process a whole
/// burst of frames in one poll of the connection before the stream's reader
/// task runs; a peer filling a 64 KiB window with one-byte frames costs
/// about 255 × 65,535 ≈ 16 MiB. h2's default (half the connection window)
/// let a burst of a few thousand tiny WebSocket messages close the whole
/// connection with `ENHANCE_YOUR_CALM`.
pub const DEFAULT_DATA_FRAME_BUDGET: usize = 16 * 1024 * 1024;

/// HTTP/2 connection settings for [`ServerConnection`](super::ServerConnection)
/// and [`ClientConnection`](super::ClientConnection). Unset values keep h2's
/// defaults (65,535-byte stream windows, no stream limit announced by a
/// client), except the connection window ([`DEFAULT_CONNECTION_WINDOW`])
/// and the data-frame budget ([`DEFAULT_DATA_FRAME_BUDGET`]).
///
/// ```
/// use ferrows::h2::Settings;
/// let settings = Settings::new()
///     .initial_window_size(16 * 1024)
///     .max_concurrent_streams(256)
///     .data_frame_budget(64 * 1024);
/// # let _ = settings;
/// ```
#[derive(Clone, Debug, Default)]
pub struct Settings {
    initial_window_size: Option<u32>,
    initial_connection_window_size: Option<u32>,
    max_concurrent_streams: Option<u32>,
    data_frame_budget: Option<usize>,
}

impl Settings {
    /// h2's defaults.
    pub fn new() -> Self {
        Self::default()
    }

    /// Each stream's receive window (`SETTINGS_INITIAL_WINDOW_SIZE`): how
    /// many bytes a peer may send on one WebSocket before this side reads
    /// them. Smaller means tighter backpressure per WebSocket.
    #[must_use]
    pub fn initial_window_size(mut self, bytes: u32) -> Self {
        self.initial_window_size = Some(bytes);
        self
    }

    /// The connection's receive window, shared by all its streams.
    #[must_use]
    pub fn initial_connection_window_size(mut self, bytes: u32) -> Self {
        self.initial_connection_window_size = Some(bytes);
        self
    }

    /// `SETTINGS_MAX_CONCURRENT_STREAMS`: how many WebSockets the peer may
    /// open at once on this connection.
    #[must_use]
    pub fn max_concurrent_streams(mut self, streams: u32) -> Self {
        self.max_concurrent_streams = Some(streams);
        self
    }

    /// h2's budget for small received DATA frames, after which it closes the
    /// connection with `ENHANCE_YOUR_CALM` (default
    /// [`DEFAULT_DATA_FRAME_BUDGET`]). It only has to cover the frames h2
    /// buffers between two runs of a stream's reader task: ferrows drains
    /// frames as they arrive.
    #[must_use]
    pub fn data_frame_budget(mut self, budget: usize) -> Self {
        self.data_frame_budget = Some(budget);
        self
    }

    fn connection_window(&self) -> u32 {
        self.initial_connection_window_size
            .unwrap_or(DEFAULT_CONNECTION_WINDOW)
    }

    /// A server builder with these settings and `SETTINGS_ENABLE_CONNECT_PROTOCOL`.
    pub(crate) fn server_builder(&self) -> server::Builder {
        let mut builder = server::Builder::new();
        builder.enable_connect_protocol();
        if let Some(size) = self.initial_window_size {
            builder.initial_window_size(size);
        }
        builder.initial_connection_window_size(self.connection_window());
        if let Some(max) = self.max_concurrent_streams {
            builder.max_concurrent_streams(max);
        }
        builder.data_frame_budget(self.data_frame_budget.unwrap_or(DEFAULT_DATA_FRAME_BUDGET));
        builder
    }

    /// A client builder with these settings.
    pub(crate) fn client_builder(&self) -> client::Builder {
        let mut builder = client::Builder::new();
        if let Some(size) = self.initial_window_size {
            builder.initial_window_size(size);
        }
        builder.initial_connection_window_size(self.connection_window());
        if let Some(max) = self.max_concurrent_streams {
            builder.max_concurrent_streams(max);
        }
        builder.data_frame_budget(self.data_frame_budget.unwrap_or(DEFAULT_DATA_FRAME_BUDGET));
        builder
    }
}
