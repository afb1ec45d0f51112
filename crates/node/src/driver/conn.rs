//! One Rust-owned socket: its descriptor, its poll handle and its engine.

use std::collections::VecDeque;
use std::io::IoSlice;
use std::os::fd::RawFd;

use ferrows_core::frame::DataKind;
use ferrows_core::protocol::{EventHandler, SendError, SendOptions};
use ferrows_core::Connection;

use super::io::{ReadResult, Socket};
use crate::engine::{with_engine, Engine};
use crate::uv::Handle;

/// The least room a read into the engine's buffer gets: its pending frame
/// may need only a few more bytes, but more input may follow them.
const PARTIAL_READ_MIN: usize = 16 * 1024;

impl Engine {
    /// Reads from `sock` straight into the engine's buffer and parses what
    /// came: for a partial frame, whose bytes the engine would otherwise copy
    /// there.
    pub fn read_partial(
        &mut self,
        mut sock: impl Socket,
        max: usize,
        now_ms: u64,
        handler: &mut impl EventHandler,
    ) -> ReadResult {
        with_engine!(self, c => {
            let result = sock.read_uninit(c.input_spare(PARTIAL_READ_MIN, max));
            if let ReadResult::Data(n) = result {
                // SAFETY: `read` initialised the first `n` bytes of the spare
                // room, and nothing touched the connection since.
                unsafe { c.receive_spare(n, now_ms, handler) };
            }
            result
        })
    }

    /// Sends a message, writing it to `sock` at once when nothing is queued
    /// ahead of it (see `Connection::send_through`).
    pub fn send_through(
        &mut self,
        kind: DataKind,
        data: &[u8],
        opts: SendOptions,
        mut sock: impl Socket,
    ) -> Result<u64, SendError> {
        with_engine!(self, c => c.send_through(kind, data, opts, |slices| sock.writev(slices)))
    }

    /// Writes pending output to `sock` with `writev` until it would block.
    /// Returns the bytes written, or the error that broke the socket.
    pub fn flush_to(&mut self, mut sock: impl Socket) -> std::io::Result<usize> {
        with_engine!(self, c => flush_connection(c, &mut sock))
    }
}

fn flush_connection<R: ferrows_core::Role>(
    conn: &mut Connection<R>,
    sock: &mut impl Socket,
) -> std::io::Result<usize> {
    let mut total = 0;
    loop {
        let mut slices = [IoSlice::new(&[]); 64];
        let count = conn.io_slices(&mut slices);
        if count == 0 {
            return Ok(total);
        }
        let want: usize = slices[..count].iter().map(|s| s.len()).sum();
        let written = sock.writev(&slices[..count])?;
        conn.advance_written(written);
        total += written;
        if written < want {
            return Ok(total);
        }
    }
}

/// Connection flags.
#[derive(Clone, Copy, Debug, Default)]
pub struct Flags {
    /// JavaScript paused reading.
    pub paused: bool,
    /// The peer sent FIN.
    pub read_eof: bool,
    /// We sent FIN.
    pub write_shutdown: bool,
    /// The socket is waiting for writability.
    pub want_writable: bool,
    /// Queued in the driver's dirty list.
    pub dirty: bool,
    /// JavaScript asked to half-close once output is flushed (`socket.end()`).
    pub end_requested: bool,
    /// Report a `Drain` record once nothing is left to write: set when the
    /// socket pushed back, or when JavaScript saw bytes queued.
    pub drain_armed: bool,
}

/// A socket the driver owns.
#[derive(Debug)]
pub struct Conn {
    /// The owned descriptor.
    pub fd: RawFd,
    /// The `uv_poll_t` watching it.
    pub poll: Option<Handle>,
    /// The protocol engine.
    pub engine: Engine,
    /// State flags.
    pub flags: Flags,
    /// Sends whose JavaScript callback waits for their bytes to be written,
    /// in send order (see [`Notify`]).
    pub notify: VecDeque<Notify>,
}

/// A send with a callback: complete once `written_total` reaches `end`;
/// `failed` sends (refused because the connection was closing) complete, with
/// an error, as soon as every earlier send has.
#[derive(Clone, Copy, Debug)]
pub struct Notify {
    /// Cork position of the send's last byte.
    pub end: u64,
    /// The send was refused.
    pub failed: bool,
}

impl Conn {
    /// Records a send's callback; `end` is `None` when the send was refused.
    pub fn expect(&mut self, end: Option<u64>) {
        let previous = self.notify.back().map_or(0, |n| n.end);
        self.notify.push_back(match end {
            Some(end) => Notify { end, failed: false },
            None => Notify {
                end: previous,
                failed: true,
            },
        });
    }

    /// Pops the callbacks whose bytes are written, as runs of
    /// `(completed, failed)` in order.
    pub fn take_completed(&mut self, mut emit: impl FnMut(u32, u32)) {
        let written = self.engine.written_total();
        let (mut ok, mut failed) = (0u32, 0u32);
        while let Some(front) = self
            .notify
            .front()
            .copied()
            .filter(|n| n.end <= written || n.failed)
        {
            self.notify.pop_front();
            if front.failed {
                failed += 1;
            } else {
                if failed > 0 {
                    emit(ok, failed);
                    (ok, failed) = (0, 0);
                }
                ok += 1;
            }
        }
        if ok > 0 || failed > 0 {
            emit(ok, failed);
        }
        if self.notify.is_empty() {
            self.notify = VecDeque::new();
        }
    }
}
