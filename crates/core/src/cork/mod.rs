//! The outgoing write buffer ("cork") of one connection, drained with one
//! `writev` per flush.
//!
//! Every outgoing byte of a connection — frame headers, small payloads,
//! control frames and large payloads — is queued in a [`Cork`] in order.
//! Small pieces are copied into fixed-size segments, where adjacent copies
//! coalesce into one slice, so a loop turn that sends a hundred small frames
//! hands the kernel one or a few iovecs. Large payloads are queued as owned
//! [`Bytes`](bytes::Bytes) without copying and become their own slice.
//!
//! Every byte has a monotonic position: [`Cork::queued_total`] after a push
//! is the position one past that push's last byte, and the push is fully
//! written once [`Cork::written_total`] reaches it. That is how send
//! callbacks are fired.
//!
//! # Driving it
//!
//! 1. During a loop turn, the protocol pushes frames ([`Cork::push_frame`],
//!    [`Cork::push_frame_owned`], [`Cork::reserve`] + [`Cork::commit`], …) and
//!    remembers, for each send with a callback, its end position
//!    `queued_total()` right after the push.
//! 2. At flush time (a libuv driver flushes once per loop turn from its check
//!    hook; a tokio driver in `poll_write_vectored`), the driver fills an
//!    iovec array with [`Cork::io_slices`] and issues **one** `writev`.
//!    Drivers that write one buffer at a time use [`Cork::chunk`] instead.
//! 3. It reports the bytes the kernel took with [`Cork::advance`]; partial
//!    writes may end anywhere.
//! 4. It fires the callbacks of sends whose end position is
//!    `<= written_total()`.
//! 5. If [`Cork::is_empty`] is false it waits for the socket to become
//!    writable and goes back to step 2. [`Cork::is_above_high_water`] is the
//!    backpressure signal to surface meanwhile (ws has no cap; this is a
//!    signal, not a limit).
//!
//! On teardown, [`Cork::clear`] drops what is pending without counting it as
//! written: sends whose end position is beyond `written_total()` at that
//! moment were never written and their callbacks get an error. Positions stay
//! honest afterwards too: bytes pushed after a `clear` are complete once
//! `written_total() + discarded_total()` reaches their end position.
//!
//! [`Cork`] also implements [`bytes::Buf`], so tokio's `write_buf` and
//! friends can drain it directly.
//!
//! # Memory
//!
//! [`Cork::new`] allocates nothing. Copy segments are
//! [`CorkConfig::segment_size`] bytes (a single copy or reservation larger
//! than that gets its own segment of exactly its size). Drained segments are
//! freed, except one spare kept for the next push, so an idle connection holds
//! at most one segment. [`Cork::peak`] records the most bytes ever pending.
//!
//! # Example
//!
//! ```
//! use std::io::IoSlice;
//! use bytes::Bytes;
//! use ferrows_core::cork::{Cork, CorkConfig};
//!
//! let mut cork = Cork::new(CorkConfig::default());
//! // One loop turn: two small frames and one large binary frame.
//! cork.push_frame(&[0x81, 0x02], b"hi");
//! cork.push_frame(&[0x89, 0x00], b"");
//! let ping_end = cork.queued_total();
//! cork.push_frame_owned(&[0x82, 0x7e, 0x80, 0x00], Bytes::from(vec![7; 0x8000]));
//! let binary_end = cork.queued_total();
//!
//! // Flush: the three headers and "hi" coalesce; the payload is not copied.
//! let mut iov = [IoSlice::new(&[]); 64];
//! assert_eq!(cork.io_slices(&mut iov), 2);
//! let written = 1000; // what writev returned
//! cork.advance(written);
//! assert!(cork.written_total() >= ping_end); // fire the ping's callback
//! assert!(cork.written_total() < binary_end); // wait for writable, flush again
//! assert_eq!(cork.len(), 0x8000 + 10 - 1000);
//! ```

mod buffer;
mod config;
mod piece;
mod pool;
#[cfg(test)]
mod tests;

pub use self::buffer::Cork;
pub use self::config::CorkConfig;
