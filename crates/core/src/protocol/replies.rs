//! The engine's own close frame (the reply to the peer's close, or the close
//! after a protocol error), optionally held back until the application has
//! seen the events that preceded it.
//!
//! `ws` reacts to a chunk synchronously: the application's handler for a
//! message runs — and may send — before the parser reaches the bad frame or
//! the close frame that follows it in the same chunk. A driver that batches
//! events for the application (the Node driver delivers a whole loop turn at
//! once) would otherwise write the engine's close frame *before* the
//! application's replies to the earlier messages, and a reply that follows a
//! close frame can never be sent. With [`Config::defer_replies`] the engine
//! keeps its close frame here until the driver calls
//! [`Connection::commit_replies`] after the application has handled the
//! events, which restores `ws`'s order on the wire.
//!
//! Automatic pongs are never held: they go out in parse order, which keeps a
//! pong ahead of the reply to a message completed after its ping (Autobahn
//! 5.6–5.8, 5.19, 5.20). Relative to a message completed *before* the ping in
//! the same chunk, the pong may precede the application's reply, where `ws`
//! would send it after; both orders are valid RFC 6455.
//!
//! [`Config::defer_replies`]: super::Config::defer_replies
//! [`Connection::commit_replies`]: super::Connection::commit_replies

use crate::close::MAX_CONTROL_PAYLOAD;

/// A control payload held inline (at most 125 bytes, never on the heap).
#[derive(Clone, Copy)]
pub(crate) struct ControlPayload {
    bytes: [u8; MAX_CONTROL_PAYLOAD],
    len: u8,
}

impl ControlPayload {
    /// Copies `payload`, which the frame rules already bounded to 125 bytes.
    pub(crate) fn new(payload: &[u8]) -> Self {
        let len = payload.len().min(MAX_CONTROL_PAYLOAD);
        let mut bytes = [0u8; MAX_CONTROL_PAYLOAD];
        bytes[..len].copy_from_slice(&payload[..len]);
        Self {
            bytes,
            len: len as u8,
        }
    }

    pub(crate) fn as_slice(&self) -> &[u8] {
        &self.bytes[..usize::from(self.len)]
    }
}

impl std::fmt::Debug for ControlPayload {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_tuple("ControlPayload")
            .field(&self.as_slice())
            .finish()
    }
}

/// The close frame waiting for [`Connection::commit_replies`](super::Connection::commit_replies).
#[derive(Debug, Default)]
pub(crate) struct Replies {
    /// Boxed: held only between a failure or close and the next commit.
    close: Option<Box<ControlPayload>>,
}

impl Replies {
    /// Holds `payload`; a second close reply never replaces the first.
    pub(crate) fn set_close(&mut self, payload: &[u8]) {
        self.close
            .get_or_insert_with(|| Box::new(ControlPayload::new(payload)));
    }

    pub(crate) fn has_close(&self) -> bool {
        self.close.is_some()
    }

    pub(crate) fn take_close(&mut self) -> Option<ControlPayload> {
        self.close.take().map(|boxed| *boxed)
    }

    pub(crate) fn clear(&mut self) {
        self.close = None;
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn control_payloads_round_trip_up_to_125_bytes() {
        for len in [0usize, 1, 124, 125] {
            let data: Vec<u8> = (0..len as u8).collect();
            assert_eq!(ControlPayload::new(&data).as_slice(), &data[..]);
        }
    }

    #[test]
    fn the_first_close_reply_wins() {
        let mut replies = Replies::default();
        replies.set_close(&[3, 232]);
        replies.set_close(&[3, 234]);
        assert!(replies.has_close());
        assert_eq!(replies.take_close().unwrap().as_slice(), &[3, 232]);
        assert!(!replies.has_close());
    }
}
