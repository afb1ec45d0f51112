//! The opening handshake over an async transport, for both roles.
//!
//! All HTTP parsing and every check is the core's
//! (`ferrows_core::handshake`, `ferrows_core::deflate`); this module only
//! moves the bytes:
//!
//! - **Server** ([`accept`], [`accept_with`]): read until a
//!   `RequestParser` returns a head, `check_upgrade`, the application's
//!   checks and subprotocol choice ([`AcceptOptions`]), permessage-deflate
//!   `server_accept` when enabled, then write the 101 — or the refusal, after
//!   which the transport is shut down. Bytes read past the head start the
//!   frame stream.
//! - **Client** ([`connect`]): `encode_request` with a fresh key, read until a
//!   `ResponseParser` returns a head, `check_response`,
//!   `check_response_extensions` and `client_accept`. Bytes read past the head
//!   start the frame stream.

mod client;
mod request;
mod server;

use tokio::io::{AsyncRead, AsyncReadExt};

pub use client::connect;
pub use request::{IntoRequest, Request};
pub use server::{accept, accept_with, AcceptOptions};

#[cfg(feature = "axum")]
pub(crate) use server::{negotiate_deflate, select_protocol};
#[cfg(feature = "http2")]
pub(crate) use {
    client::accept_extensions,
    server::{negotiate, Agreement},
};

use crate::error::Error;

/// How much to read at a time while looking for the end of a head.
const HEAD_READ_CHUNK: usize = 4096;

/// Why reading a head stopped.
enum ReadError<E> {
    /// The parser refused the bytes.
    Parse(E),
    /// The transport failed or ended first.
    Transport(Error),
}

/// Reads from `io`, appending to `buf`, until `parse` finds a complete head
/// in everything read so far. Returns the head and its length in `buf`.
async fn read_head<S, T, E>(
    io: &mut S,
    buf: &mut Vec<u8>,
    mut parse: impl FnMut(&[u8]) -> Result<Option<(T, usize)>, E>,
) -> Result<(T, usize), ReadError<E>>
where
    S: AsyncRead + Unpin,
{
    loop {
        buf.reserve(HEAD_READ_CHUNK);
        let read = io.read_buf(buf).await;
        match read {
            Err(err) => return Err(ReadError::Transport(Error::io(err))),
            Ok(0) => return Err(ReadError::Transport(Error::handshake_eof())),
            Ok(_) => {}
        }
        if let Some(found) = parse(buf).map_err(ReadError::Parse)? {
            return Ok(found);
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use tokio::io::AsyncWriteExt;

    #[tokio::test]
    async fn read_head_returns_the_head_length_across_writes() {
        let (mut a, mut b) = tokio::io::duplex(64);
        let writer = tokio::spawn(async move {
            a.write_all(b"HEAD").await.unwrap();
            tokio::task::yield_now().await;
            a.write_all(b"!rest").await.unwrap();
        });
        let mut buf = Vec::new();
        let found = read_head(&mut b, &mut buf, |bytes| {
            Ok::<_, ()>(bytes.iter().position(|&c| c == b'!').map(|i| ((), i + 1)))
        })
        .await;
        writer.await.unwrap();
        let Ok(((), used)) = found else {
            panic!("no head found")
        };
        assert_eq!(&buf[..used], b"HEAD!");
    }

    #[tokio::test]
    async fn read_head_reports_eof_as_handshake_error() {
        let (a, mut b) = tokio::io::duplex(64);
        drop(a);
        let mut buf = Vec::new();
        let found = read_head(&mut b, &mut buf, |_| Ok::<Option<((), usize)>, ()>(None)).await;
        match found {
            Err(ReadError::Transport(err)) => assert!(err.is_handshake()),
            _ => panic!("expected a transport error"),
        }
    }
}
