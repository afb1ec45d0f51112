//! The RFC 6455 §5 frame codec.
//!
//! * [`header`] decodes a header from the front of a buffer and applies every
//!   rule the header alone decides, per role, in `ws`'s order.
//! * [`encode`] writes headers with the minimal length encoding.
//! * [`opcode`] names the opcodes.
//!
//! The payload path — unmasking in place, splitting the frame off the read
//! buffer without copying, streaming partial payloads to the UTF-8 validator —
//! lives in [`crate::protocol`]'s receiver, which owns the buffer.

pub mod encode;
pub mod header;
pub mod opcode;

pub use encode::{encode as encode_header, header_len, EncodedHeader, FrameHead};
pub use header::{decode as decode_header, Header, HeaderContext, MAX_HEADER_LEN};
pub use opcode::{DataKind, OpCode};
