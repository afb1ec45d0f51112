//! permessage-deflate (RFC 7692): negotiation, bounded inflate, deflate.
//!
//! This layer is a frame→frame stage: it never sees sockets or headers as
//! bytes, only parsed extension parameters and frame payloads.
//!
//! # Contract
//!
//! 1. **Configure.** Build a [`DeflateConfig`] (ws's `perMessageDeflate`
//!    object) and call [`DeflateConfig::validate`] once, when the server or
//!    client is created, as ws throws on invalid window bits.
//! 2. **Negotiate** (cold path, once per connection).
//!    - Client: send [`client_offer`] as `Sec-WebSocket-Extensions`. If the
//!      101 response carries `permessage-deflate`, pass its parameter lists to
//!      [`client_accept`]. An error fails the handshake (ws reports
//!      `Invalid Sec-WebSocket-Extensions header`).
//!    - Server: pass the parameter lists of every `permessage-deflate` offer,
//!      in header order, to [`server_accept`]. `Ok(Some(a))` means: answer
//!      with [`Agreement::response_header`]. `Ok(None)`: no offer, no
//!      compression. `Err(_)`: ws answers 400 `Invalid or unacceptable
//!      Sec-WebSocket-Extensions header`.
//!    - Both return an [`Agreement`]: its [`Negotiated`] parameters are all a
//!      connection needs; `params()` is ws's `perMessageDeflate.params`.
//! 3. **Run.** Build one [`Deflater`] from [`Negotiated::compressor_params`]
//!    and one [`Inflater`] from [`Negotiated::decompressor_params`]. Both
//!    allocate their zlib state lazily, on first use.
//!    - Receiving a message with RSV1: call [`Inflater::inflate`] for every
//!      frame of the message (`fin` on the last), with `limit = maxPayload`.
//!      [`InflateError::close_code`] gives 1009 (too big) or 1007 (corrupt).
//!      After an error the inflater stays failed: close the connection.
//!    - Sending: call [`Deflater::compress`] for the message, or for each
//!      fragment of it (`fin` on the last), and set RSV1 on the first frame.
//!      Whether to compress a message at all is the caller's choice;
//!      [`Negotiated::should_compress`] gives ws's rule for `threshold`.
//!    - [`Deflater::release`] and [`Inflater::release`] free the zlib state,
//!      for example for idle connections, or when the connection ends.
//!
//! ```
//! use bytes::BytesMut;
//! use ferrows_core::deflate::{client_accept, server_accept, DeflateConfig, Deflater, Inflater};
//!
//! let cfg = DeflateConfig::default();
//! cfg.validate().unwrap();
//! // Server side: Chromium's offer `permessage-deflate; client_max_window_bits`.
//! let offer = vec![("client_max_window_bits".to_owned(), None)];
//! let server = server_accept(&cfg, &[offer.as_slice()]).unwrap().unwrap();
//! assert_eq!(server.response_header(), "permessage-deflate");
//! // Client side: the 101 response carried `permessage-deflate` with no parameters.
//! let client = client_accept(&cfg, &[&[]]).unwrap();
//!
//! let (bits, reset) = server.negotiated.compressor_params(true);
//! let mut deflater = Deflater::new(bits, reset, cfg.level, cfg.mem_level);
//! let (bits, reset) = client.negotiated.decompressor_params(false);
//! let mut inflater = Inflater::new(bits, reset);
//!
//! let mut payload = Vec::new();
//! deflater.compress(b"Hello", true, &mut payload);
//! assert_eq!(payload, [0xf2, 0x48, 0xcd, 0xc9, 0xc9, 0x07, 0x00]);
//! let mut message = BytesMut::new();
//! inflater.inflate(&payload, true, &mut message, 100 * 1024 * 1024).unwrap();
//! assert_eq!(&message[..], b"Hello");
//! ```
//!
//! # Window bits 8
//!
//! zlib cannot compress with an 8-bit window (it silently uses 9, and
//! zlib-rs refuses it). A negotiated window of 8 for *our* compressor is
//! honoured by compressing with the Huffman-only strategy: such a stream holds
//! no LZ77 back-references at all, so it respects any window size. The
//! negotiation therefore never has to decline or rewrite an 8, and behaves as
//! ws does. Decompression always uses a 15-bit window: the negotiated values
//! only cap the *sender's* window (RFC 7692 §7.1.2), a larger decoding window
//! accepts every conforming stream, and zlib-rs allocates 32 KiB anyway.
//!
//! # Memory per connection (zlib-rs 0.6)
//!
//! Measured with a counting allocator; `w` is the compressor's window bits
//! and `m` the memLevel. Each direction's state is allocated on its first
//! message and freed by `release()`.
//!
//! | state | bytes |
//! |---|---|
//! | [`Deflater`] | `4 · 2^w + 7 · 2^(m+6) + 128 KiB + ~3 KiB` |
//! | ↳ w = 15, m = 8 (defaults) | 371 KiB |
//! | ↳ w = 15, m = 1 | 260 KiB |
//! | ↳ w = 9, m = 1 | 134 KiB |
//! | [`Inflater`] | 46 KiB whatever the window (a 32 KiB window + state) |
//!
//! Classic C zlib needs about `2^(w+2) + 2^(m+9)` for deflate; zlib-rs keeps
//! a fixed 64 Ki-entry hash table (128 KiB) instead of `2^(m+8)` bytes. The
//! receive buffer is the caller's and never grows past the `limit` given to
//! [`Inflater::inflate`].

mod compress;
mod config;
mod inflate;
mod negotiate;
mod negotiated;
mod params;

#[cfg(test)]
mod distance_probe;
#[cfg(test)]
mod roundtrip_tests;
#[cfg(test)]
mod test_util;

pub use compress::Deflater;
pub use config::{ClientBits, ConfigError, DeflateConfig, ServerBits};
pub use inflate::{InflateError, Inflater};
pub use negotiate::{client_accept, client_offer, server_accept};
pub use negotiated::{Agreement, Negotiated};
pub use params::NegotiationError;

/// The extension token, as it appears in `Sec-WebSocket-Extensions`.
pub const EXTENSION_NAME: &str = "permessage-deflate";

/// The tail of a sync flush (an empty stored block), removed by the sender
/// and appended by the receiver (RFC 7692 §7.2.1, §7.2.2).
pub const TRAILER: [u8; 4] = [0x00, 0x00, 0xff, 0xff];
