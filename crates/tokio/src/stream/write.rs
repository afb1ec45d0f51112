//! The write half: the engine's cork onto the transport with vectored
//! writes, backpressure at the cork's high-water mark, and the [`Sink`].

use std::io::{self, IoSlice};
use std::pin::Pin;
use std::task::{ready, Context, Poll};

use futures_sink::Sink;
use tokio::io::{AsyncRead, AsyncWrite};

use super::WebSocketStream;
use crate::error::Error;
use crate::message::{CloseFrame, Message};

/// Slices handed to one `writev`: Linux's `UIO_MAXIOV` is 1024, but a few
/// dozen already cover a full cork of coalesced frames.
const MAX_SLICES: usize = 64;

impl<S: AsyncRead + AsyncWrite + Unpin> WebSocketStream<S> {
    /// Writes every queued byte, then flushes the transport. A failure
    /// marks the write side broken and drops what was queued.
    pub(super) fn poll_write_out(&mut self, cx: &mut Context<'_>) -> Poll<Result<(), Error>> {
        match ready!(self.poll_write_io(cx)) {
            Ok(()) => Poll::Ready(Ok(())),
            Err(err) => {
                self.write_broken = true;
                self.engine.discard_output();
                Poll::Ready(Err(Error::io(err)))
            }
        }
    }

    fn poll_write_io(&mut self, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        while self.engine.pending_bytes() > 0 {
            let mut slices = [IoSlice::new(&[]); MAX_SLICES];
            let count = self.engine.io_slices(&mut slices);
            let io = Pin::new(&mut self.io);
            let written = ready!(io.poll_write_vectored(cx, &slices[..count]))?;
            if written == 0 {
                return Poll::Ready(Err(io::ErrorKind::WriteZero.into()));
            }
            self.engine.advance_written(written);
            self.needs_io_flush = true;
        }
        if self.needs_io_flush {
            ready!(Pin::new(&mut self.io).poll_flush(cx))?;
            self.needs_io_flush = false;
        }
        Poll::Ready(Ok(()))
    }

    /// Sending is refused once the stream ended or a write failed.
    fn check_writable(&self) -> Result<(), Error> {
        if self.ended || self.write_broken {
            Err(Error::already_closed())
        } else {
            Ok(())
        }
    }
}

impl<S: AsyncRead + AsyncWrite + Unpin> Sink<Message> for WebSocketStream<S> {
    type Error = Error;

    /// Ready while the engine's queued bytes are at or below the cork's
    /// high-water mark; above it, writes until the transport has taken
    /// enough to get back under it.
    fn poll_ready(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Result<(), Error>> {
        let this = self.get_mut();
        let waker = this.wakers.writer(cx.waker());
        let cx = &mut Context::from_waker(&waker);
        this.check_writable()?;
        if this.engine.is_above_high_water() {
            if let Poll::Ready(result) = this.poll_write_out(cx) {
                return Poll::Ready(result);
            }
            if this.engine.is_above_high_water() {
                return Poll::Pending;
            }
        }
        Poll::Ready(Ok(()))
    }

    /// Queues the message (a data message, a ping or pong, or a close
    /// frame). Nothing is written until the sink is flushed or polled again.
    fn start_send(self: Pin<&mut Self>, item: Message) -> Result<(), Error> {
        let this = self.get_mut();
        this.check_writable()?;
        let now = this.clock.now_ms();
        this.engine.send(item, now)
    }

    /// Writes everything queued and flushes the transport.
    fn poll_flush(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Result<(), Error>> {
        let this = self.get_mut();
        let waker = this.wakers.writer(cx.waker());
        let cx = &mut Context::from_waker(&waker);
        this.check_writable()?;
        this.poll_write_out(cx)
    }

    /// Sends a close frame (1000) unless one was sent, flushes, and
    /// half-closes the transport once the closing handshake allows it (the
    /// peer's close frame already arrived). Otherwise keep polling the stream
    /// to receive the peer's answer; the stream then ends.
    fn poll_close(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Result<(), Error>> {
        let this = self.get_mut();
        let waker = this.wakers.writer(cx.waker());
        let cx = &mut Context::from_waker(&waker);
        if this.ended || this.shut_down {
            return Poll::Ready(Ok(()));
        }
        this.check_writable()?;
        if !this.engine.is_close_sent() {
            let now = this.clock.now_ms();
            this.engine
                .send(Message::Close(Some(CloseFrame::normal())), now)?;
        }
        ready!(this.poll_write_out(cx))?;
        if this.engine.should_shutdown() {
            ready!(Pin::new(&mut this.io).poll_shutdown(cx))?;
            this.shut_down = true;
        }
        Poll::Ready(Ok(()))
    }
}
