//! The read half of the driving recipe: read, feed the engine, watch the
//! close timer, and finish the stream once input has ended.

use std::pin::Pin;
use std::task::{Context, Poll};

use tokio::io::{AsyncRead, AsyncWrite, ReadBuf};

use super::WebSocketStream;
use crate::error::Error;

impl<S: AsyncRead + AsyncWrite + Unpin> WebSocketStream<S> {
    /// Writes what the engine queued by itself (automatic pongs, the close
    /// reply) without waiting: a pending write leaves the rest for later.
    pub(super) fn flush_opportunistically(&mut self, cx: &mut Context<'_>) {
        if self.write_broken || (self.engine.pending_bytes() == 0 && !self.needs_io_flush) {
            return;
        }
        if let Poll::Ready(Err(err)) = self.poll_write_out(cx) {
            if !self.is_finishing() {
                self.inbox.failure.get_or_insert(err);
            }
        }
    }

    /// Fires the engine's deadline (the close timeout or the heartbeat) when
    /// it has passed; returns whether it fired.
    pub(super) fn poll_timer(&mut self, cx: &mut Context<'_>) -> bool {
        let Some(deadline) = self.engine.poll_timeout() else {
            return false;
        };
        if self.clock.poll_deadline(deadline, cx).is_pending() {
            return false;
        }
        let now = self.clock.now_ms();
        self.engine.handle_timeout(now, &mut self.inbox);
        true
    }

    /// Input has ended: the peer's close frame arrived, the engine failed or
    /// gave up, or the transport's read side ended.
    pub(super) fn is_finishing(&self) -> bool {
        self.read_eof || self.inbox.failure.is_some() || self.engine.is_input_halted()
    }

    /// Reads one chunk and feeds it to the engine. `Ready` means progress
    /// (events, EOF or a failure); `Pending` means nothing to read yet.
    pub(super) fn poll_read_step(&mut self, cx: &mut Context<'_>) -> Poll<()> {
        let mut buf = ReadBuf::new(&mut self.read_buf);
        let result = std::task::ready!(Pin::new(&mut self.io).poll_read(cx, &mut buf));
        let n = buf.filled().len();
        match result {
            Err(err) => {
                self.read_eof = true;
                self.inbox.failure.get_or_insert(Error::io(err));
            }
            Ok(()) if n == 0 => {
                self.read_eof = true;
                if !self.engine.receive_eof() {
                    self.inbox.failure.get_or_insert(Error::abnormal_closure());
                }
            }
            Ok(()) => {
                let now = self.clock.now_ms();
                self.engine
                    .receive(&mut self.read_buf[..n], now, &mut self.inbox);
            }
        }
        Poll::Ready(())
    }

    /// Flushes what is left (unless the transport must be destroyed),
    /// half-closes the transport, and ends the stream with its failure, if
    /// any. Write and shutdown errors no longer matter here: the stream's
    /// outcome is already decided.
    pub(super) fn poll_finish(&mut self, cx: &mut Context<'_>) -> Poll<Option<Error>> {
        if self.inbox.destroy && !self.write_broken {
            self.engine.discard_output();
            self.write_broken = true;
        }
        if !self.write_broken && self.poll_write_out(cx).is_pending() {
            return Poll::Pending;
        }
        if !self.shut_down {
            let shutdown = Pin::new(&mut self.io).poll_shutdown(cx);
            if shutdown.is_pending() {
                return Poll::Pending;
            }
            self.shut_down = true;
        }
        self.ended = true;
        Poll::Ready(self.inbox.failure.take())
    }
}
