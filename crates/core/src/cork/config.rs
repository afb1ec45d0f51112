//! [`CorkConfig`]: the sizes that tune a [`Cork`](super::Cork).

/// Tuning of a [`Cork`](super::Cork).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct CorkConfig {
    /// Payloads at least this long are queued by [`Cork::push_frame_owned`](super::Cork::push_frame_owned)
    /// as owned [`Bytes`](bytes::Bytes) without copying (default 16 KiB).
    pub bypass_threshold: usize,
    /// Pending bytes strictly above which [`Cork::is_above_high_water`](super::Cork::is_above_high_water)
    /// reports backpressure (default 64 KiB, uWS's `maxBackpressure`). ws has
    /// no limit, so this is a signal, not a cap: pushes always succeed.
    pub high_water_mark: usize,
    /// Size of each copy segment (default 16 KiB). Beyond one spare, drained
    /// segments are freed so an idle connection keeps little memory.
    pub segment_size: usize,
    /// Keep one drained segment (and the piece queue's slots) for the next
    /// push (default true). Drivers holding many mostly idle connections turn
    /// this off: a drained cork then owns no heap memory at all, at the cost
    /// of one allocation per busy loop turn.
    pub keep_spare: bool,
}

impl Default for CorkConfig {
    fn default() -> Self {
        Self {
            bypass_threshold: 16 * 1024,
            high_water_mark: 64 * 1024,
            segment_size: 16 * 1024,
            keep_spare: true,
        }
    }
}
