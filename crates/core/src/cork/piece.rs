//! The pieces a [`Cork`](super::Cork) queues: copy segments and owned buffers.
//!
//! A [`Segment`] is a fixed-size, zero-initialised byte block with a read
//! cursor (`start`) and a write cursor (`end`); bytes in `start..end` are
//! pending, bytes in `end..` are free room for further copies or a
//! reservation. An owned piece is a [`Bytes`] whose own cursor is advanced as
//! it is written.

use bytes::{Buf, Bytes};

/// A copy segment: `buf[start..end]` is pending, `buf[end..]` is free room.
#[derive(Debug)]
pub(super) struct Segment {
    buf: Box<[u8]>,
    start: usize,
    end: usize,
}

impl Segment {
    /// Wraps `buf` as an empty segment (recycled blocks keep stale bytes).
    pub(super) fn new(buf: Box<[u8]>) -> Self {
        Self {
            buf,
            start: 0,
            end: 0,
        }
    }

    /// Allocates a zeroed block of `size` bytes.
    pub(super) fn allocate(size: usize) -> Self {
        Self::new(vec![0; size].into_boxed_slice())
    }

    /// Free bytes after the write cursor.
    pub(super) fn room(&self) -> usize {
        self.buf.len() - self.end
    }

    /// Copies `bytes` after the write cursor.
    ///
    /// The caller guarantees `bytes.len() <= self.room()`.
    pub(super) fn append(&mut self, bytes: &[u8]) {
        let end = self.end + bytes.len();
        self.buf[self.end..end].copy_from_slice(bytes);
        self.end = end;
    }

    /// The `n` bytes after the write cursor, for in-place encoding.
    ///
    /// The caller guarantees `n <= self.room()`.
    pub(super) fn spare_mut(&mut self, n: usize) -> &mut [u8] {
        &mut self.buf[self.end..self.end + n]
    }

    /// Moves the write cursor over `n` bytes written through [`Self::spare_mut`].
    pub(super) fn commit(&mut self, n: usize) {
        debug_assert!(n <= self.room(), "commit past the end of a segment");
        self.end += n;
    }

    /// Gives the block back for recycling.
    pub(super) fn into_block(self) -> Box<[u8]> {
        self.buf
    }
}

/// One queued run of pending bytes.
#[derive(Debug)]
pub(super) enum Piece {
    /// Bytes copied into a segment; adjacent copies share one piece.
    Copy(Segment),
    /// A caller-owned buffer queued without copying.
    Owned(Bytes),
}

impl Piece {
    /// The pending bytes of this piece (empty only for a segment that holds
    /// nothing but an uncommitted reservation).
    pub(super) fn pending(&self) -> &[u8] {
        match self {
            Self::Copy(seg) => &seg.buf[seg.start..seg.end],
            Self::Owned(bytes) => bytes,
        }
    }

    /// Marks the first `n` pending bytes as written.
    ///
    /// The caller guarantees `n <= self.pending().len()`.
    pub(super) fn consume(&mut self, n: usize) {
        match self {
            Self::Copy(seg) => seg.start += n,
            Self::Owned(bytes) => bytes.advance(n),
        }
    }

    /// Free room at the end of this piece for further copies.
    pub(super) fn room(&self) -> usize {
        match self {
            Self::Copy(seg) => seg.room(),
            Self::Owned(_) => 0,
        }
    }

    /// The segment behind a copy piece.
    pub(super) fn segment_mut(&mut self) -> Option<&mut Segment> {
        match self {
            Self::Copy(seg) => Some(seg),
            Self::Owned(_) => None,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn segment_appends_then_consumes_in_order() {
        let mut piece = Piece::Copy(Segment::allocate(8));
        let seg = piece.segment_mut().expect("copy piece");
        seg.append(b"abc");
        seg.spare_mut(2).copy_from_slice(b"de");
        seg.commit(2);
        assert_eq!(piece.room(), 3);
        piece.consume(1);
        assert_eq!(piece.pending(), b"bcde");
    }

    #[test]
    fn owned_piece_consumes_without_room() {
        let mut piece = Piece::Owned(Bytes::from_static(b"hello"));
        assert_eq!(piece.room(), 0);
        assert!(piece.segment_mut().is_none());
        piece.consume(2);
        assert_eq!(piece.pending(), b"llo");
    }

    #[test]
    fn recycled_block_starts_empty_with_full_room() {
        let mut seg = Segment::allocate(4);
        seg.append(b"xy");
        let seg = Segment::new(seg.into_block());
        assert_eq!(seg.room(), 4);
        assert!(Piece::Copy(seg).pending().is_empty());
    }
}
