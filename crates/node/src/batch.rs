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
    /// Everything queued is written after the queue was watched (see
    /// `Flags::drain_armed`): JavaScript emits `'drain'`.
    Drain = 11,
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
    /// Bytes copied while the slab is lent out as input (see [`Batch::lend`]).
    side: Vec<u8>,
}

/// Where a read landed in the slab: payloads inside it are recorded where
/// they lie (already unmasked in place) instead of being copied again.
#[derive(Clone, Copy, Debug)]
pub struct InPlace {
    /// Slab offset of the read.
    base: usize,
    /// Address and length of the read while it is lent out.
    addr: usize,
    len: usize,
}

impl InPlace {
    /// The slab offset of `bytes`, if they lie inside the read.
    fn offset_of(&self, bytes: &[u8]) -> Option<usize> {
        let at = (bytes.as_ptr() as usize).checked_sub(self.addr)?;
        (at + bytes.len() <= self.len).then_some(self.base + at)
    }
}

/// An error record's payload ("code\nmessage") and field 4.
fn error_record(err: &Error) -> (String, i32) {
    let text = format!("{}\n{}", err.code(), err);
    let flags = i32::from(err.close_code()) | (i32::from(err.is_range_error()) << 16);
    (text, flags)
}

/// Kinds whose fields 2 and 3 locate bytes in the slab.
fn has_payload(kind: i32) -> bool {
    [
        Kind::Text,
        Kind::Binary,
        Kind::Ping,
        Kind::Pong,
        Kind::CloseFrame,
        Kind::Error,
    ]
    .iter()
    .any(|k| *k as i32 == kind)
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

    /// Room the payload slab has allocated.
    pub fn payload_capacity(&self) -> usize {
        self.payload.capacity()
    }

    /// Moves the payload out (to become an external `Buffer`).
    pub fn take_payload(&mut self) -> Vec<u8> {
        std::mem::take(&mut self.payload)
    }

    /// Puts back a payload that could not be lent.
    pub fn restore_payload(&mut self, payload: Vec<u8>) {
        self.payload = payload;
    }

    /// Reads up to `max` bytes from `sock` straight into the slab's spare room.
    /// On `Data(n)` the bytes are `payload()[base..base + n]`, `base` being
    /// the slab length before the read.
    #[cfg(unix)]
    pub fn read_from(
        &mut self,
        mut sock: impl crate::driver::io::Socket,
        max: usize,
    ) -> crate::driver::io::ReadResult {
        use crate::driver::io::ReadResult;
        self.payload.reserve(max);
        let base = self.payload.len();
        let spare = &mut self.payload.spare_capacity_mut()[..max];
        let result = sock.read_uninit(spare);
        if let ReadResult::Data(n) = result {
            // SAFETY: the read initialised the first `n` spare bytes.
            unsafe { self.payload.set_len(base + n) };
        }
        result
    }

    /// Lends `payload()[base..base + n]` out as engine input: the slab moves
    /// out (returned here) and bytes pushed meanwhile go to a side buffer,
    /// their offsets marked until [`Batch::settle`] appends them.
    pub fn lend(&mut self, base: usize, n: usize) -> (Vec<u8>, InPlace) {
        let side = std::mem::take(&mut self.side);
        let slab = std::mem::replace(&mut self.payload, side);
        let addr = slab[base..base + n].as_ptr() as usize;
        (slab, InPlace { base, addr, len: n })
    }

    /// Takes the slab back after [`Batch::lend`]: side bytes are appended
    /// and the records from index `first` re-pointed at them.
    pub fn settle(&mut self, slab: Vec<u8>, first: usize) {
        let mut side = std::mem::replace(&mut self.payload, slab);
        let side_base = self.payload.len() as i32;
        self.payload.extend_from_slice(&side);
        for record in self.records[first * RECORD..].chunks_mut(RECORD) {
            if record[2] < 0 && has_payload(record[1]) {
                record[2] = side_base + (-record[2] - 1);
            }
        }
        side.clear();
        self.side = side;
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
        let (text, flags) = error_record(err);
        self.push_bytes(id, Kind::Error, text.as_bytes(), flags);
    }
}

/// Feeds one connection's engine events into the batch.
#[derive(Debug)]
pub struct BatchSink<'a> {
    batch: &'a mut Batch,
    id: u32,
    in_place: Option<InPlace>,
}

impl<'a> BatchSink<'a> {
    /// Stamps records with connection `id`; payloads are copied into the slab.
    pub fn new(batch: &'a mut Batch, id: u32) -> Self {
        Self {
            batch,
            id,
            in_place: None,
        }
    }

    /// Like [`BatchSink::new`] while the slab is lent out as input: payloads
    /// inside `in_place` are recorded where they lie.
    pub fn in_place(batch: &'a mut Batch, id: u32, in_place: InPlace) -> Self {
        Self {
            batch,
            id,
            in_place: Some(in_place),
        }
    }

    /// Appends a record for `bytes`: in place when they lie in the lent
    /// read, otherwise copied (to the side buffer, offset marked negative,
    /// while the slab is lent out).
    fn push_bytes(&mut self, kind: Kind, bytes: &[u8], c: i32) {
        match self.in_place.and_then(|p| p.offset_of(bytes)) {
            Some(offset) => self
                .batch
                .push(self.id, kind, offset as i32, bytes.len() as i32, c),
            None => self.copy_bytes(kind, bytes, c),
        }
    }

    /// Appends a record for a copy of `bytes` (see [`BatchSink::push_bytes`]).
    fn copy_bytes(&mut self, kind: Kind, bytes: &[u8], c: i32) {
        let offset = self.batch.payload.len() as i32;
        self.batch.payload.extend_from_slice(bytes);
        let offset = if self.in_place.is_some() {
            -offset - 1
        } else {
            offset
        };
        self.batch
            .push(self.id, kind, offset, bytes.len() as i32, c);
    }
}

impl EventHandler for BatchSink<'_> {
    fn message(&mut self, kind: DataKind, payload: Payload<'_>) {
        crate::fault::check(crate::fault::Site::Receive);
        let kind = match kind {
            DataKind::Text => Kind::Text,
            DataKind::Binary => Kind::Binary,
        };
        let ends = std::mem::take(&mut self.batch.ends);
        if ends.is_empty() {
            self.push_bytes(kind, payload.as_slice(), 0);
        } else {
            // The boundaries follow the payload, so it is always copied.
            self.copy_bytes(kind, payload.as_slice(), ends.len() as i32);
            for end in &ends {
                self.batch.payload.extend_from_slice(&end.to_le_bytes());
            }
        }
        self.batch.ends = ends;
        self.batch.ends.clear();
    }

    fn fragment_ends(&mut self, ends: &[u32]) {
        self.batch.ends.clear();
        self.batch.ends.extend_from_slice(ends);
    }

    fn ping(&mut self, payload: &[u8]) {
        self.push_bytes(Kind::Ping, payload, 0);
    }

    fn pong(&mut self, payload: &[u8]) {
        self.push_bytes(Kind::Pong, payload, 0);
    }

    fn close(&mut self, code: u16, reason: &[u8]) {
        self.push_bytes(Kind::CloseFrame, reason, i32::from(code));
    }

    fn error(&mut self, error: Error) {
        let (text, flags) = error_record(&error);
        self.copy_bytes(Kind::Error, text.as_bytes(), flags);
    }

    fn abort(&mut self, reason: Abort) {
        let code = match reason {
            Abort::TooManyPendingPongs => 1,
            Abort::CloseTimeout => 2,
            Abort::HeartbeatTimeout => 3,
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
        let mut sink = BatchSink::new(&mut batch, 7);
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

    #[test]
    fn payloads_inside_a_lent_read_stay_in_place_and_copies_are_re_pointed() {
        let mut batch = Batch::default();
        batch.payload.extend_from_slice(b"earlier");
        let base = batch.payload().len();
        batch.payload.extend_from_slice(b"..hello..");
        let (slab, in_place) = batch.lend(base, 9);
        let mut sink = BatchSink::in_place(&mut batch, 3, in_place);
        sink.message(DataKind::Text, Payload::Slice(&slab[base + 2..base + 7]));
        sink.ping(b"copied");
        sink.fragment_ends(&[1]);
        sink.message(DataKind::Binary, Payload::Slice(&slab[base + 2..base + 4]));
        sink.error(Error::internal());
        batch.settle(slab, 0);
        let records: Vec<&[i32]> = batch.records().chunks(RECORD).collect();
        let bytes = |r: &[i32]| &batch.payload()[r[2] as usize..(r[2] + r[3]) as usize];
        assert_eq!(records[0][2], base as i32 + 2, "in place, not copied");
        assert_eq!(bytes(records[0]), b"hello");
        assert_eq!(bytes(records[1]), b"copied");
        assert_eq!(bytes(records[2]), b"he", "a fragmented message is copied");
        let end = (records[2][2] + records[2][3]) as usize;
        assert_eq!(&batch.payload()[end..end + 4], &1u32.to_le_bytes());
        assert!(bytes(records[3]).starts_with(Error::internal().code().as_bytes()));
        assert_eq!(
            batch.payload().len(),
            base + 9 + 6 + 2 + 4 + records[3][3] as usize
        );
    }

    #[test]
    fn settle_leaves_records_of_other_kinds_alone() {
        let mut batch = Batch::default();
        batch.payload.extend_from_slice(b"abc");
        let (slab, in_place) = batch.lend(0, 3);
        batch.push(1, Kind::Closed, -5, 0, 0);
        let mut sink = BatchSink::in_place(&mut batch, 1, in_place);
        sink.pong(b"x");
        batch.settle(slab, 0);
        assert_eq!(&batch.records()[..3], &[1, Kind::Closed as i32, -5]);
        assert_eq!(&batch.records()[5..9], &[1, Kind::Pong as i32, 3, 1]);
        assert_eq!(batch.payload(), b"abcx");
    }
}
