//! [`Cork`]: the queue of copy segments and owned buffers, its positions and
//! its recycling.

use std::collections::VecDeque;
use std::fmt;
use std::io::IoSlice;

use bytes::{Buf, Bytes};

use super::piece::{Piece, Segment};
use super::CorkConfig;

/// Piece slots kept by the queue itself once it is drained.
pub(super) const KEPT_PIECE_SLOTS: usize = 16;

/// The ordered outgoing bytes of one connection; see the [module
/// docs](super) for how a driver drains it.
pub struct Cork {
    config: CorkConfig,
    pieces: VecDeque<Piece>,
    /// One drained `segment_size` block kept for the next push.
    spare: Option<Box<[u8]>>,
    len: usize,
    /// Bytes handed out by [`Cork::reserve`] and not yet committed.
    reserved: usize,
    peak: usize,
    queued_total: u64,
    written_total: u64,
    discarded_total: u64,
}

impl Cork {
    /// Creates an empty cork; nothing is allocated until the first push.
    pub fn new(config: CorkConfig) -> Self {
        Self {
            config,
            pieces: VecDeque::new(),
            spare: None,
            len: 0,
            reserved: 0,
            peak: 0,
            queued_total: 0,
            written_total: 0,
            discarded_total: 0,
        }
    }

    /// The configuration this cork was created with.
    pub fn config(&self) -> &CorkConfig {
        &self.config
    }

    /// Queues `bytes` by copying them (frame headers, small payloads).
    ///
    /// The copy coalesces with the copies queued right before it. Cancels an
    /// uncommitted [`reserve`](Self::reserve).
    pub fn push_copy(&mut self, bytes: &[u8]) {
        self.reserved = 0;
        if bytes.is_empty() {
            return;
        }
        let room = self.tail_room().min(bytes.len());
        let (head, rest) = bytes.split_at(room);
        if !head.is_empty() {
            self.tail_segment().append(head);
        }
        if !rest.is_empty() {
            let mut segment = self.new_segment(rest.len());
            segment.append(rest);
            self.push_piece(Piece::Copy(segment));
        }
        self.note_queued(bytes.len());
    }

    /// Queues an owned buffer without copying (large payloads); it becomes
    /// its own slice. Cancels an uncommitted [`reserve`](Self::reserve).
    pub fn push_owned(&mut self, bytes: Bytes) {
        self.reserved = 0;
        if bytes.is_empty() {
            return;
        }
        let n = bytes.len();
        self.push_piece(Piece::Owned(bytes));
        self.note_queued(n);
    }

    /// Queues `header` then `payload`, both copied.
    pub fn push_frame(&mut self, header: &[u8], payload: &[u8]) {
        self.push_copy(header);
        self.push_copy(payload);
    }

    /// Queues `header` (copied) then `payload`, which is copied only if it is
    /// shorter than [`CorkConfig::bypass_threshold`] and queued as is
    /// otherwise.
    pub fn push_frame_owned(&mut self, header: &[u8], payload: Bytes) {
        self.push_copy(header);
        if payload.len() < self.config.bypass_threshold {
            self.push_copy(&payload);
        } else {
            self.push_owned(payload);
        }
    }

    /// Reserves `n` writable bytes at the tail for in-place encoding (such as
    /// masking while copying) and returns them.
    ///
    /// The returned bytes hold stale data: write every byte you commit. They
    /// count as queued only once [`commit`](Self::commit) is called, and they
    /// come after everything queued before. The slice lies in the current
    /// copy segment when it has room, else in a new one (of exactly `n`
    /// bytes when `n` exceeds [`CorkConfig::segment_size`]). Any push,
    /// [`advance`](Self::advance) or [`clear`](Self::clear) cancels the
    /// reservation; a new `reserve` replaces it.
    ///
    /// # Example
    ///
    /// A client masks a payload while copying it, in one pass:
    ///
    /// ```
    /// use ferrows_core::cork::{Cork, CorkConfig};
    ///
    /// let mut cork = Cork::new(CorkConfig::default());
    /// let (key, payload) = ([1, 2, 3, 4], b"mask me");
    /// let spare = cork.reserve(payload.len());
    /// for (i, (out, byte)) in spare.iter_mut().zip(payload).enumerate() {
    ///     *out = byte ^ key[i % 4];
    /// }
    /// cork.commit(payload.len());
    /// assert_eq!(cork.chunk()[..2], [b'm' ^ 1, b'a' ^ 2]);
    /// ```
    pub fn reserve(&mut self, n: usize) -> &mut [u8] {
        self.reserved = 0;
        if n == 0 {
            return &mut [];
        }
        if self.tail_room() < n {
            let segment = self.new_segment(n);
            self.push_piece(Piece::Copy(segment));
        }
        self.reserved = n;
        self.tail_segment().spare_mut(n)
    }

    /// Queues the first `n` bytes of the outstanding reservation; the rest of
    /// it stays reserved, right after them.
    ///
    /// # Panics
    ///
    /// If `n` exceeds the bytes still reserved (a programming error).
    pub fn commit(&mut self, n: usize) {
        assert!(
            n <= self.reserved,
            "Cork::commit({n}) exceeds the {} reserved bytes",
            self.reserved
        );
        if n == 0 {
            return;
        }
        self.reserved -= n;
        self.tail_segment().commit(n);
        self.note_queued(n);
    }

    /// Fills `out` with up to `out.len()` slices of pending bytes, in order,
    /// and returns how many it filled. Their concatenation is a prefix of the
    /// pending bytes (all of them when `out` is long enough).
    pub fn io_slices<'a>(&'a self, out: &mut [IoSlice<'a>]) -> usize {
        let slices = self.pieces.iter().map(Piece::pending);
        let mut filled = 0;
        for (slot, bytes) in out.iter_mut().zip(slices.filter(|s| !s.is_empty())) {
            *slot = IoSlice::new(bytes);
            filled += 1;
        }
        filled
    }

    /// The first contiguous run of pending bytes (empty only when nothing is
    /// pending), for drivers that write one buffer at a time.
    pub fn chunk(&self) -> &[u8] {
        let mut slices = self.pieces.iter().map(Piece::pending);
        slices.find(|s| !s.is_empty()).unwrap_or_default()
    }

    /// Marks the first `n` pending bytes as written, after a possibly partial
    /// write that may end anywhere. Drained segments are recycled or freed.
    /// A non-zero `n` cancels an uncommitted [`reserve`](Self::reserve).
    ///
    /// # Panics
    ///
    /// If `n > self.len()` (a programming error: more written than handed
    /// out).
    pub fn advance(&mut self, n: usize) {
        assert!(
            n <= self.len,
            "Cork::advance({n}) exceeds the {} pending bytes",
            self.len
        );
        if n == 0 {
            return;
        }
        self.len -= n;
        self.written_total += n as u64;
        self.reserved = 0;
        let mut left = n;
        while let Some(front) = self.pieces.front_mut() {
            let available = front.pending().len();
            if left < available {
                front.consume(left);
                break;
            }
            left -= available;
            self.pop_front();
        }
        if self.pieces.is_empty() {
            let kept = if self.config.keep_spare {
                KEPT_PIECE_SLOTS
            } else {
                0
            };
            self.pieces.shrink_to(kept);
        }
    }

    /// Drops everything pending (connection torn down) and returns how many
    /// bytes were dropped. They are counted in
    /// [`discarded_total`](Self::discarded_total), not as written.
    pub fn clear(&mut self) -> usize {
        let dropped = self.len;
        while !self.pieces.is_empty() {
            self.pop_front();
        }
        self.pieces.shrink_to(KEPT_PIECE_SLOTS);
        self.len = 0;
        self.reserved = 0;
        self.discarded_total += dropped as u64;
        dropped
    }

    /// Bytes queued and not yet written.
    pub fn len(&self) -> usize {
        self.len
    }

    /// Whether nothing is pending.
    pub fn is_empty(&self) -> bool {
        self.len == 0
    }

    /// Accounts for `n` bytes the caller wrote to the transport directly,
    /// bypassing the cork (legal only while the cork is empty, so the stream
    /// stays in order): both totals advance, nothing is queued.
    ///
    /// # Panics
    ///
    /// Panics if bytes are pending (a write-through would overtake them).
    pub fn record_written_through(&mut self, n: usize) {
        assert!(
            self.len == 0,
            "write-through with {} bytes pending",
            self.len
        );
        self.queued_total += n as u64;
        self.written_total += n as u64;
    }

    /// Total bytes ever queued: the position one past the last queued byte.
    pub fn queued_total(&self) -> u64 {
        self.queued_total
    }

    /// Total bytes ever written: a send whose last byte is at position `p`
    /// (its `queued_total()` right after the push) is complete once
    /// `written_total() >= p`, provided no [`clear`](Self::clear) came
    /// between.
    pub fn written_total(&self) -> u64 {
        self.written_total
    }

    /// Total bytes dropped by [`clear`](Self::clear). Always
    /// `queued_total() == written_total() + discarded_total() + len()`.
    pub fn discarded_total(&self) -> u64 {
        self.discarded_total
    }

    /// Whether more than [`CorkConfig::high_water_mark`] bytes are pending.
    pub fn is_above_high_water(&self) -> bool {
        self.len > self.config.high_water_mark
    }

    /// The largest [`len`](Self::len) ever observed.
    pub fn peak(&self) -> usize {
        self.peak
    }

    /// Copy segments currently allocated, pending or spare (for tests and
    /// metrics; walks the queue).
    pub fn segments_allocated(&self) -> usize {
        let queued = self.pieces.iter().filter(|p| matches!(p, Piece::Copy(_)));
        queued.count() + usize::from(self.spare.is_some())
    }

    fn note_queued(&mut self, n: usize) {
        self.len += n;
        self.queued_total += n as u64;
        self.peak = self.peak.max(self.len);
    }

    /// Free room in the tail copy segment (0 when the tail is owned).
    fn tail_room(&self) -> usize {
        self.pieces.back().map_or(0, Piece::room)
    }

    /// The tail copy segment; callers have checked that `tail_room() > 0`
    /// or just pushed one.
    fn tail_segment(&mut self) -> &mut Segment {
        let tail = self.pieces.back_mut().and_then(Piece::segment_mut);
        tail.expect("Cork invariant: the tail piece is a copy segment")
    }

    /// An empty segment of at least `min` bytes, reusing the spare if it fits.
    fn new_segment(&mut self, min: usize) -> Segment {
        let size = min.max(self.config.segment_size);
        match self.spare.take() {
            Some(block) if block.len() == size => Segment::new(block),
            other => {
                self.spare = other;
                match super::pool::take(size) {
                    Some(block) => Segment::new(block),
                    None => Segment::allocate(size),
                }
            }
        }
    }

    /// Appends `piece`, first recycling a tail segment that holds nothing
    /// (left by a cancelled reservation), so only the tail is ever empty.
    fn push_piece(&mut self, piece: Piece) {
        if self.pieces.back().is_some_and(|p| p.pending().is_empty()) {
            self.pop_back();
        }
        self.pieces.push_back(piece);
    }

    fn pop_front(&mut self) {
        if let Some(piece) = self.pieces.pop_front() {
            self.recycle(piece);
        }
    }

    fn pop_back(&mut self) {
        if let Some(piece) = self.pieces.pop_back() {
            self.recycle(piece);
        }
    }

    /// Keeps a drained standard-size block as the one spare, or (without
    /// `keep_spare`) hands it to the thread's pool; frees the rest.
    fn recycle(&mut self, piece: Piece) {
        if let Piece::Copy(segment) = piece {
            let block = segment.into_block();
            if block.len() != self.config.segment_size {
                return;
            }
            if self.config.keep_spare {
                self.spare = Some(block);
            } else {
                super::pool::give(block);
            }
        }
    }
}

#[cfg(test)]
impl Cork {
    /// Slots the piece queue has allocated.
    pub(super) fn piece_capacity(&self) -> usize {
        self.pieces.capacity()
    }

    /// Pieces queued, counting an empty reserved tail.
    pub(super) fn piece_count(&self) -> usize {
        self.pieces.len()
    }
}

impl fmt::Debug for Cork {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Cork")
            .field("len", &self.len)
            .field("pieces", &self.pieces.len())
            .field("queued_total", &self.queued_total)
            .field("written_total", &self.written_total)
            .field("discarded_total", &self.discarded_total)
            .field("peak", &self.peak)
            .finish_non_exhaustive()
    }
}

/// Lets byte-sink APIs (tokio's `write_buf`, [`Buf::reader`]) drain the cork.
impl Buf for Cork {
    fn remaining(&self) -> usize {
        self.len
    }

    fn chunk(&self) -> &[u8] {
        Cork::chunk(self)
    }

    fn chunks_vectored<'a>(&'a self, dst: &mut [IoSlice<'a>]) -> usize {
        self.io_slices(dst)
    }

    fn advance(&mut self, cnt: usize) {
        Cork::advance(self, cnt);
    }
}
