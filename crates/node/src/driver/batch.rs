//! Events on their way to JavaScript, batched for one call per loop turn.
//!
//! Each event is one fixed-size record of `i32`s in a table JavaScript
//! allocated once (an `Int32Array` shared with the addon), plus, for events
//! that carry bytes, a range in the batch's payload slab (one `Buffer` per
//! delivery). The JS dispatcher walks the records and fans them out to the
//! `WebSocket` objects, taking `subarray`s of the slab for payloads.
//!
//! | field | meaning |
//! |---|---|
//! | 0 | connection id |
//! | 1 | [`Kind`] |
//! | 2, 3 | payload offset and length in the slab (or kind-specific values) |
//! | 4 | kind-specific value |

use ferrows_core::frame::DataKind;
use ferrows_core::protocol::{Abort, EventHandler, Payload};
use ferrows_core::Error;

/// `i32`s per record.
pub const RECORD: usize = 5;

/// Event kinds, shared with `lib/native.ts`.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
#[repr(i32)]
pub enum Kind {
    /// A text message: payload.
    Text = 1,
    /// A binary message: payload; field 4 = number of frame boundaries
    /// (little-endian `u32`s right after the payload), 0 for one frame.
    Binary = 2,
    /// A ping: payload.
    Ping = 3,
    /// A pong: payload.
    Pong = 4,
    /// The peer's close frame: payload = reason, field 4 = code.
    CloseFrame = 5,
    /// A protocol error: payload = "code\nmessage", field 4 = close code | range-error flag << 16.
    Error = 6,
    /// Send callbacks due, in send order: field 2 = how many completed,
    /// then field 3 = how many (following them) failed.
    Sent = 7,
    /// The peer ended its side of the connection (TCP FIN).
    End = 8,
    /// The connection is gone; its id is free. Field 2 = errno (0 if none).
    Closed = 9,
    /// The engine gave up: field 2 = 1 (too many pending pongs) or 2 (close timeout).
    Abort = 10,
}

/// Records and payload bytes waiting for delivery.
#[derive(Debug, Default)]
pub struct Batch {
    records: Vec<i32>,
    payload: Vec<u8>,
    /// Ids whose `Closed` record is in this batch: reusable once delivered.
    frees: Vec<u32>,
    /// Frame boundaries announced for the next binary message.
    ends: Vec<u32>,
}

impl Batch {
    /// Appends a record without payload.
    pub fn push(&mut self, id: u32, kind: Kind, a: i32, b: i32, c: i32) {
        self.records
            .extend_from_slice(&[id as i32, kind as i32, a, b, c]);
    }

    /// Appends a record whose fields 2 and 3 locate `bytes` in the slab.
    pub fn push_bytes(&mut self, id: u32, kind: Kind, bytes: &[u8], c: i32) {
        let offset = self.payload.len() as i32;
        self.payload.extend_from_slice(bytes);
        self.push(id, kind, offset, bytes.len() as i32, c);
    }

    /// Appends the final record of connection `id`; the id becomes reusable
    /// only after this batch has been delivered, so JavaScript never sees a
    /// new connection's records under an id it still maps to the old one.
    pub fn push_closed(&mut self, id: u32, errno: i32) {
        self.push(id, Kind::Closed, errno, 0, 0);
        self.frees.push(id);
    }

    /// Takes the ids freed by this batch (after delivery).
    pub fn take_frees(&mut self) -> Vec<u32> {
        std::mem::take(&mut self.frees)
    }

    /// Number of records.
    pub fn len(&self) -> usize {
        self.records.len() / RECORD
    }

    /// Whether nothing is waiting.
    pub fn is_empty(&self) -> bool {
        self.records.is_empty()
    }

    /// The records, `RECORD` `i32`s each.
    pub fn records(&self) -> &[i32] {
        &self.records
    }

    /// The payload slab.
    pub fn payload(&self) -> &[u8] {
        &self.payload
    }

    /// Moves the payload out (to become an external `Buffer`).
    pub fn take_payload(&mut self) -> Vec<u8> {
        std::mem::take(&mut self.payload)
    }

    /// Puts back a payload that could not be lent.
    pub fn restore_payload(&mut self, payload: Vec<u8>) {
        self.payload = payload;
    }

    /// Empties the batch, keeping modest allocations for reuse.
    pub fn clear(&mut self) {
        self.records.clear();
        self.payload.clear();
        self.frees.clear();
        if self.payload.capacity() > 4 << 20 {
            self.payload = Vec::new();
        }
        if self.records.capacity() > 64 * 1024 {
            self.records = Vec::new();
        }
    }

    /// Appends an error record.
    pub fn push_error(&mut self, id: u32, err: &Error) {
        let text = format!("{}\n{}", err.code(), err);
        let flags = i32::from(err.close_code()) | (i32::from(err.is_range_error()) << 16);
        self.push_bytes(id, Kind::Error, text.as_bytes(), flags);
    }
}

/// Feeds one connection's engine events into the batch.
#[derive(Debug)]
pub struct BatchSink<'a> {
    /// The batch.
    pub batch: &'a mut Batch,
    /// The connection id stamped on each record.
    pub id: u32,
}

impl EventHandler for BatchSink<'_> {
    fn message(&mut self, kind: DataKind, payload: Payload<'_>) {
        let kind = match kind {
            DataKind::Text => Kind::Text,
            DataKind::Binary => Kind::Binary,
        };
        let ends = std::mem::take(&mut self.batch.ends);
        self.batch
            .push_bytes(self.id, kind, payload.as_slice(), ends.len() as i32);
        for end in &ends {
            self.batch.payload.extend_from_slice(&end.to_le_bytes());
        }
        self.batch.ends = ends;
        self.batch.ends.clear();
    }

    fn fragment_ends(&mut self, ends: &[u32]) {
        self.batch.ends.clear();
        self.batch.ends.extend_from_slice(ends);
    }

    fn ping(&mut self, payload: &[u8]) {
        self.batch.push_bytes(self.id, Kind::Ping, payload, 0);
    }

    fn pong(&mut self, payload: &[u8]) {
        self.batch.push_bytes(self.id, Kind::Pong, payload, 0);
    }

    fn close(&mut self, code: u16, reason: &[u8]) {
        self.batch
            .push_bytes(self.id, Kind::CloseFrame, reason, i32::from(code));
    }

    fn error(&mut self, error: Error) {
        self.batch.push_error(self.id, &error);
    }

    fn abort(&mut self, reason: Abort) {
        let code = match reason {
            Abort::TooManyPendingPongs => 1,
            Abort::CloseTimeout => 2,
        };
        self.batch.push(self.id, Kind::Abort, code, 0, 0);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn records_locate_payloads_in_the_slab() {
        let mut batch = Batch::default();
        let mut sink = BatchSink {
            batch: &mut batch,
            id: 7,
        };
        sink.message(DataKind::Text, Payload::Slice(b"hello"));
        sink.close(1000, b"bye");
        assert_eq!(batch.len(), 2);
        assert_eq!(&batch.records()[..5], &[7, Kind::Text as i32, 0, 5, 0]);
        assert_eq!(
            &batch.records()[5..],
            &[7, Kind::CloseFrame as i32, 5, 3, 1000]
        );
        assert_eq!(batch.payload(), b"hellobye");
        batch.clear();
        assert!(batch.is_empty());
    }
}
