//! [`H2Stream`]: one HTTP/2 stream (h2's `SendStream` and `RecvStream`) as
//! an `AsyncRead + AsyncWrite` byte pipe, so [`WebSocketStream`] runs over
//! it unchanged.
//!
//! # Driving contract
//!
//! - **Reading.** A small pump task owns the `RecvStream` and moves every
//!   DATA frame into this stream's own queue as soon as it arrives. h2
//!   charges unread small DATA frames to a connection-wide budget and closes
//!   the *whole connection* with `ENHANCE_YOUR_CALM` when about a hundred sit
//!   unread, so frames must never wait inside h2 for the WebSocket to read.
//!   Flow-control capacity is released only as `poll_read` hands bytes to
//!   the reader: a paused WebSocket stops releasing, the peer's window runs
//!   out, and that is the backpressure. The queue is therefore bounded by the
//!   stream's receive window.
//! - **Writing.** `poll_write` reserves capacity and sends at most what the
//!   connection has assigned, so h2 never buffers more than one window's
//!   worth; without capacity it returns `Pending`.
//! - **Ending.** `poll_shutdown` sends END_STREAM (an empty DATA frame); the
//!   peer's END_STREAM reads as EOF. A peer `RST_STREAM` (any code) reads and
//!   writes as [`ConnectionReset`](io::ErrorKind::ConnectionReset), the loss
//!   of the connection (GOAWAY, I/O error) as
//!   [`ConnectionAborted`](io::ErrorKind::ConnectionAborted): the WebSocket
//!   then ends with 1006, distinct from a clean EOF.
//! - **Dropping** a stream that never sent END_STREAM (an abort, or a
//!   WebSocket dropped while open) sends `RST_STREAM(CANCEL)`.
//!
//! [`WebSocketStream`]: crate::WebSocketStream

use std::collections::VecDeque;
use std::io;
use std::pin::Pin;
use std::sync::{Arc, Mutex, MutexGuard, PoisonError};
use std::task::{ready, Context, Poll, Waker};

use ::h2::{FlowControl, Reason, RecvStream, SendStream};
use bytes::{Buf, Bytes};
use tokio::io::{AsyncRead, AsyncWrite, ReadBuf};

/// The most one `poll_write` hands to h2 (and so reserves) at a time.
const MAX_WRITE_CHUNK: usize = 64 * 1024;

/// One HTTP/2 stream as a byte pipe: the transport of a WebSocket over
/// HTTP/2 (see the [module docs](self) for its contract).
pub struct H2Stream {
    send: SendStream<Bytes>,
    flow: FlowControl,
    inbound: Arc<Mutex<Inbound>>,
    write: WriteState,
}

/// What our side of the stream has done.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum WriteState {
    /// Sending DATA.
    Open,
    /// END_STREAM was sent: a clean end.
    Finished,
    /// We reset the stream.
    Reset,
}

/// What the pump has received and the reader not yet consumed.
#[derive(Default)]
struct Inbound {
    chunks: VecDeque<Bytes>,
    end: Option<End>,
    reader: Option<Waker>,
    /// The `H2Stream` is gone: received data is released, not queued.
    abandoned: bool,
}

/// How the peer's side ended.
enum End {
    /// END_STREAM.
    Eof,
    /// A reset or the loss of the connection.
    Failed(io::ErrorKind, Arc<::h2::Error>),
}

impl H2Stream {
    /// Wraps a stream pair: the `SendStream` of a response (server) or
    /// request (client), and the peer's body. Spawns the pump task that
    /// drains `recv`, so it must be called within a tokio runtime.
    ///
    /// # Panics
    ///
    /// Outside a tokio runtime.
    pub fn new(send: SendStream<Bytes>, mut recv: RecvStream) -> Self {
        let flow = recv.flow_control().clone();
        let inbound = Arc::new(Mutex::new(Inbound::default()));
        tokio::spawn(pump(recv, Arc::clone(&inbound)));
        Self {
            send,
            flow,
            inbound,
            write: WriteState::Open,
        }
    }

    /// Resets the stream with `RST_STREAM(CANCEL)` now: the abrupt close of
    /// RFC 8441 §5 (what `terminate()` is over TCP). Later writes fail; the
    /// peer's WebSocket sees 1006.
    pub fn cancel(&mut self) {
        if self.write != WriteState::Reset {
            self.send.send_reset(Reason::CANCEL);
            self.write = WriteState::Reset;
        }
    }

    /// h2's stream identifier.
    pub fn stream_id(&self) -> ::h2::StreamId {
        self.send.stream_id()
    }

    /// Waits until the connection assigns send capacity; returns how much.
    fn poll_send_capacity(
        &mut self,
        cx: &mut Context<'_>,
        wanted: usize,
    ) -> Poll<io::Result<usize>> {
        self.send.reserve_capacity(wanted);
        loop {
            let capacity = self.send.capacity();
            if capacity > 0 {
                return Poll::Ready(Ok(capacity));
            }
            match ready!(self.send.poll_capacity(cx)) {
                Some(Ok(_)) => {}
                Some(Err(err)) => return Poll::Ready(Err(io_error(err))),
                None => return Poll::Ready(Err(self.closed_error(cx))),
            }
        }
    }

    /// Why the send side closed under us: the peer's reset, or the
    /// connection's loss.
    fn closed_error(&mut self, cx: &mut Context<'_>) -> io::Error {
        match self.send.poll_reset(cx) {
            Poll::Ready(Err(err)) => io_error(err),
            _ => io::Error::new(
                io::ErrorKind::ConnectionReset,
                "the HTTP/2 stream was reset",
            ),
        }
    }

    /// An error for writes after END_STREAM or a local reset.
    fn check_writable(&self) -> io::Result<()> {
        match self.write {
            WriteState::Open => Ok(()),
            WriteState::Finished => Err(io::ErrorKind::BrokenPipe.into()),
            WriteState::Reset => Err(io::ErrorKind::ConnectionReset.into()),
        }
    }
}

impl std::fmt::Debug for H2Stream {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("H2Stream")
            .field("stream_id", &self.send.stream_id())
            .field("write", &self.write)
            .finish_non_exhaustive()
    }
}

impl AsyncRead for H2Stream {
    fn poll_read(
        self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        buf: &mut ReadBuf<'_>,
    ) -> Poll<io::Result<()>> {
        let this = self.get_mut();
        let mut inbound = lock(&this.inbound);
        let copied = inbound.copy_into(buf);
        if copied > 0 {
            drop(inbound);
            // A failure means the stream is gone; the next read reports how.
            let _ = this.flow.release_capacity(copied);
            return Poll::Ready(Ok(()));
        }
        match &inbound.end {
            Some(End::Eof) => Poll::Ready(Ok(())),
            Some(End::Failed(kind, err)) => {
                Poll::Ready(Err(io::Error::new(*kind, Arc::clone(err))))
            }
            None => {
                match &mut inbound.reader {
                    Some(waker) => waker.clone_from(cx.waker()),
                    slot => *slot = Some(cx.waker().clone()),
                }
                Poll::Pending
            }
        }
    }
}

impl AsyncWrite for H2Stream {
    fn poll_write(
        self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        buf: &[u8],
    ) -> Poll<io::Result<usize>> {
        let this = self.get_mut();
        this.check_writable()?;
        if buf.is_empty() {
            return Poll::Ready(Ok(0));
        }
        let wanted = buf.len().min(MAX_WRITE_CHUNK);
        let n = ready!(this.poll_send_capacity(cx, wanted))?.min(wanted);
        this.send
            .send_data(Bytes::copy_from_slice(&buf[..n]), false)
            .map_err(io_error)?;
        Poll::Ready(Ok(n))
    }

    /// Data handed to h2 is written by the connection's task; there is
    /// nothing to flush here.
    fn poll_flush(self: Pin<&mut Self>, _cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        Poll::Ready(Ok(()))
    }

    /// Sends END_STREAM once (after any queued DATA).
    fn poll_shutdown(self: Pin<&mut Self>, _cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        let this = self.get_mut();
        if this.write == WriteState::Open {
            this.write = WriteState::Finished;
            this.send.send_data(Bytes::new(), true).map_err(io_error)?;
        }
        Poll::Ready(Ok(()))
    }
}

impl Drop for H2Stream {
    fn drop(&mut self) {
        if self.write == WriteState::Open {
            self.cancel();
        }
        let mut inbound = lock(&self.inbound);
        inbound.abandoned = true;
        let unread: usize = inbound.chunks.drain(..).map(|chunk| chunk.len()).sum();
        drop(inbound);
        // Give the connection window back; fails harmlessly after a reset.
        let _ = self.flow.release_capacity(unread);
    }
}

impl Inbound {
    /// Moves queued bytes into `buf`; returns how many.
    fn copy_into(&mut self, buf: &mut ReadBuf<'_>) -> usize {
        let mut copied = 0;
        while buf.remaining() > 0 {
            let Some(chunk) = self.chunks.front_mut() else {
                break;
            };
            let n = chunk.len().min(buf.remaining());
            buf.put_slice(&chunk[..n]);
            chunk.advance(n);
            copied += n;
            if chunk.is_empty() {
                self.chunks.pop_front();
            }
        }
        copied
    }

    /// Records the end of the peer's side and wakes the reader.
    fn finish(&mut self, end: End) {
        self.end = Some(end);
        self.wake_reader();
    }

    fn wake_reader(&mut self) {
        if let Some(waker) = self.reader.take() {
            waker.wake();
        }
    }
}

/// Drains `recv` into `inbound` until the peer's side ends.
async fn pump(mut recv: RecvStream, inbound: Arc<Mutex<Inbound>>) {
    loop {
        let item = recv.data().await;
        let mut state = lock(&inbound);
        match item {
            Some(Ok(data)) if state.abandoned => {
                drop(state);
                let _ = recv.flow_control().release_capacity(data.len());
            }
            Some(Ok(data)) => {
                if !data.is_empty() {
                    state.chunks.push_back(data);
                    state.wake_reader();
                }
            }
            Some(Err(err)) => return state.finish(End::Failed(error_kind(&err), Arc::new(err))),
            None => return state.finish(End::Eof),
        }
    }
}

/// The lock, even if a panicking holder poisoned it (the queue stays
/// consistent: every update is a single push, pop or assignment).
fn lock(inbound: &Mutex<Inbound>) -> MutexGuard<'_, Inbound> {
    inbound.lock().unwrap_or_else(PoisonError::into_inner)
}

/// A stream reset reads as `ConnectionReset`; anything else (GOAWAY, a
/// connection error, the transport's failure) as `ConnectionAborted`.
fn error_kind(err: &::h2::Error) -> io::ErrorKind {
    if err.is_reset() {
        io::ErrorKind::ConnectionReset
    } else {
        io::ErrorKind::ConnectionAborted
    }
}

/// An h2 error as an I/O error of the kind [`error_kind`] gives, keeping it
/// as the source.
pub(crate) fn io_error(err: ::h2::Error) -> io::Error {
    io::Error::new(error_kind(&err), err)
}
