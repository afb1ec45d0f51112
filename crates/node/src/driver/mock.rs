//! A scripted [`Socket`] for the driver's connection-level I/O logic, used by
//! its tests and by the `driver_io` fuzz target (`fuzz/fuzz_targets/`). Each
//! call consumes the next scripted outcome; an empty script would block.
//! `EINTR` is not scripted: the descriptor's calls in `io.rs` retry it below
//! this trait, so the logic above never sees it.

use std::collections::VecDeque;
use std::io::{self, IoSlice};
use std::mem::MaybeUninit;

use super::io::{ReadResult, Socket};

/// The outcome of the next read.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum ReadOp {
    /// Up to this many bytes of the peer's input (would block when none is left).
    Chunk(usize),
    /// Nothing to read right now.
    WouldBlock,
    /// The peer closed its write side.
    Eof,
    /// `ECONNRESET`; every later call fails too.
    Reset,
}

/// The outcome of the next write.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum WriteOp {
    /// Take up to this many bytes (0: would block).
    Accept(usize),
    /// `ECONNRESET`; every later call fails too.
    Reset,
}

/// A socket whose reads and writes follow a script.
#[derive(Debug, Default)]
pub struct MockSocket {
    /// The peer's bytes not read yet.
    pub incoming: VecDeque<u8>,
    /// Outcomes of the next reads.
    pub reads: VecDeque<ReadOp>,
    /// Outcomes of the next writes.
    pub writes: VecDeque<WriteOp>,
    /// Every byte a write took, in order.
    pub accepted: Vec<u8>,
    /// The connection was reset.
    pub reset: bool,
}

fn reset_error() -> io::Error {
    io::Error::from_raw_os_error(libc::ECONNRESET)
}

impl Socket for MockSocket {
    fn read_uninit(&mut self, buf: &mut [MaybeUninit<u8>]) -> ReadResult {
        if self.reset {
            return ReadResult::Failed(reset_error());
        }
        match self.reads.pop_front().unwrap_or(ReadOp::WouldBlock) {
            ReadOp::Chunk(max) => {
                let n = max.min(buf.len()).min(self.incoming.len());
                if n == 0 {
                    return ReadResult::WouldBlock;
                }
                let bytes = &self.incoming.make_contiguous()[..n];
                // SAFETY: `buf` has room for `n` bytes (`n <= buf.len()`), and
                // the peer's bytes cannot overlap memory the caller lent us.
                unsafe {
                    std::ptr::copy_nonoverlapping(bytes.as_ptr(), buf.as_mut_ptr().cast(), n)
                };
                self.incoming.drain(..n);
                ReadResult::Data(n)
            }
            ReadOp::WouldBlock => ReadResult::WouldBlock,
            ReadOp::Eof => ReadResult::Eof,
            ReadOp::Reset => {
                self.reset = true;
                ReadResult::Failed(reset_error())
            }
        }
    }

    fn writev(&mut self, slices: &[IoSlice<'_>]) -> io::Result<usize> {
        if self.reset {
            return Err(reset_error());
        }
        let mut room = match self.writes.pop_front().unwrap_or(WriteOp::Accept(0)) {
            WriteOp::Accept(n) => n,
            WriteOp::Reset => {
                self.reset = true;
                return Err(reset_error());
            }
        };
        let before = self.accepted.len();
        for slice in slices {
            let take = room.min(slice.len());
            self.accepted.extend_from_slice(&slice[..take]);
            room -= take;
        }
        Ok(self.accepted.len() - before)
    }
}

#[cfg(test)]
mod tests {
    use ferrows_core::frame::DataKind;
    use ferrows_core::protocol::{Config, SendOptions};

    use super::*;
    use crate::batch::{Batch, Kind, RECORD};
    use crate::driver::read_into;
    use crate::engine::Engine;

    fn server() -> Engine {
        Engine::new(true, Config::default())
    }

    #[test]
    fn flush_stops_at_a_short_write_and_resumes_where_it_stopped() {
        let mut engine = server();
        let mut sock = MockSocket::default();
        engine
            .send(DataKind::Binary, &[7; 300], SendOptions::default())
            .unwrap();
        sock.writes
            .extend([WriteOp::Accept(100), WriteOp::Accept(1000)]);
        assert_eq!(engine.flush_to(&mut sock).unwrap(), 100);
        assert_eq!(engine.written_total(), 100);
        assert_eq!(engine.flush_to(&mut sock).unwrap(), 304 - 100);
        assert_eq!(engine.pending_bytes(), 0);
        assert_eq!(&sock.accepted[..4], &[0x82, 126, 1, 44]);
        assert_eq!(&sock.accepted[4..], &[7; 300][..]);
    }

    #[test]
    fn a_reset_during_flush_is_an_error_and_nothing_is_counted_written() {
        let mut engine = server();
        let mut sock = MockSocket::default();
        engine
            .send(DataKind::Text, b"hello", SendOptions::default())
            .unwrap();
        sock.writes.extend([WriteOp::Accept(3), WriteOp::Reset]);
        assert_eq!(engine.flush_to(&mut sock).unwrap(), 3);
        assert!(engine.flush_to(&mut sock).is_err());
        assert_eq!(engine.written_total(), 3);
        assert_eq!(sock.accepted.len(), 3);
    }

    #[test]
    fn write_through_queues_what_a_short_write_left() {
        let mut engine = server();
        let mut sock = MockSocket::default();
        sock.writes.push_back(WriteOp::Accept(10));
        let opts = SendOptions::default();
        engine
            .send_through(DataKind::Binary, &[1; 1000], opts, &mut sock)
            .unwrap();
        assert_eq!(engine.written_total(), 10);
        assert_eq!(engine.pending_bytes(), 1004 - 10);
        sock.writes.push_back(WriteOp::Reset);
        engine
            .send_through(DataKind::Binary, &[2; 10], opts, &mut sock)
            .unwrap();
        assert_eq!(sock.accepted.len(), 10, "a reset socket takes nothing");
        assert!(engine.flush_to(&mut sock).is_err());
    }

    /// A masked client frame of `len` bytes of `fill` (mask key 0).
    fn masked_frame(len: u16, fill: u8) -> Vec<u8> {
        let mut frame = vec![0x82, 0x80 | 126];
        frame.extend_from_slice(&len.to_be_bytes());
        frame.extend_from_slice(&[0; 4]);
        frame.resize(frame.len() + usize::from(len), fill);
        frame
    }

    #[test]
    fn reads_in_small_chunks_assemble_a_frame_across_slab_and_engine_buffer() {
        let (mut engine, mut batch) = (server(), Batch::default());
        let mut sock = MockSocket::default();
        sock.incoming.extend(masked_frame(40_000, 9));
        sock.incoming.extend(masked_frame(3, 4));
        let mut events = Vec::new();
        for chunk in [5, 1, 30_000, 0, 9_999, 20] {
            sock.reads.push_back(ReadOp::Chunk(chunk));
            let step = read_into(&mut engine, &mut batch, 3, &mut sock, 0);
            assert!(!step.panicked);
            for r in batch.records().chunks(RECORD) {
                assert_eq!(r[1], Kind::Binary as i32);
                let (offset, len) = (r[2] as usize, r[3] as usize);
                events.push(batch.payload()[offset..offset + len].to_vec());
            }
            batch.clear();
        }
        assert_eq!(events, vec![vec![9; 40_000], vec![4; 3]]);
    }

    #[test]
    fn a_reset_or_eof_read_reports_it_and_queues_nothing() {
        let (mut engine, mut batch) = (server(), Batch::default());
        let mut sock = MockSocket::default();
        sock.incoming.extend(masked_frame(200, 1));
        sock.reads
            .extend([ReadOp::Chunk(100), ReadOp::Eof, ReadOp::Reset]);
        let step = read_into(&mut engine, &mut batch, 0, &mut sock, 0);
        assert!(matches!(step.result, ReadResult::Data(100)));
        let step = read_into(&mut engine, &mut batch, 0, &mut sock, 0);
        assert!(matches!(step.result, ReadResult::Eof));
        let step = read_into(&mut engine, &mut batch, 0, &mut sock, 0);
        assert!(matches!(step.result, ReadResult::Failed(_)));
        assert!(batch.is_empty());
    }
}
