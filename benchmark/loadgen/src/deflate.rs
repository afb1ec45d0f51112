//! permessage-deflate (RFC 7692) for one connection: one raw-deflate compressor and one inflater,
//! kept across messages (context takeover) unless the negotiated parameters say otherwise.

use flate2::{Compress, Compression, Decompress, FlushCompress, FlushDecompress, Status};

use crate::handshake::Deflate;

/// The 4 bytes a sync flush ends with; stripped on send, appended before inflating (§7.2.1–2).
const TAIL: [u8; 4] = [0x00, 0x00, 0xff, 0xff];

/// The compression state of one connection.
pub struct Codec {
    deflater: Compress,
    inflater: Decompress,
    params: Deflate,
}

impl std::fmt::Debug for Codec {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Codec")
            .field("params", &self.params)
            .finish()
    }
}

impl Codec {
    /// A codec for the negotiated `params`.
    pub fn new(params: Deflate) -> Self {
        let bits = params.client_max_window_bits.unwrap_or(15).max(9);
        Self {
            deflater: Compress::new_with_window_bits(Compression::fast(), false, bits),
            inflater: Decompress::new_with_window_bits(false, 15),
            params,
        }
    }

    /// Appends the compressed form of `plain` (sync-flushed, tail removed) to `out`.
    pub fn compress(&mut self, plain: &[u8], out: &mut Vec<u8>) -> Result<(), String> {
        let start = out.len();
        let before = self.deflater.total_in();
        loop {
            out.reserve(plain.len() + 64);
            let done = usize::try_from(self.deflater.total_in() - before).unwrap_or(usize::MAX);
            let input = plain.get(done..).unwrap_or_default();
            self.deflater
                .compress_vec(input, out, FlushCompress::Sync)
                .map_err(|e| format!("deflate failed: {e}"))?;
            let consumed = self.deflater.total_in() - before == plain.len() as u64;
            if consumed && out.len() < out.capacity() {
                break;
            }
        }
        if out.len() < start + 4 || out[out.len() - 4..] != TAIL {
            return Err("deflate output lacks the sync-flush tail".into());
        }
        out.truncate(out.len() - 4);
        if self.params.client_no_context_takeover {
            self.deflater.reset();
        }
        Ok(())
    }

    /// Inflates one message's `data` into `out` (cleared first); fails if it exceeds `max` bytes.
    pub fn decompress(&mut self, data: &[u8], max: usize, out: &mut Vec<u8>) -> Result<(), String> {
        out.clear();
        for part in [data, &TAIL[..]] {
            self.inflate_part(part, max, out)?;
        }
        if self.params.server_no_context_takeover {
            self.inflater.reset(false);
        }
        Ok(())
    }

    fn inflate_part(&mut self, part: &[u8], max: usize, out: &mut Vec<u8>) -> Result<(), String> {
        let before = self.inflater.total_in();
        loop {
            let done = usize::try_from(self.inflater.total_in() - before).unwrap_or(usize::MAX);
            let input = part.get(done..).unwrap_or_default();
            if out.len() > max {
                return Err(format!("inflated echo exceeds {max} bytes"));
            }
            out.reserve(max + 1 - out.len().min(max) + 64);
            let status = self
                .inflater
                .decompress_vec(input, out, FlushDecompress::Sync)
                .map_err(|e| format!("inflate failed: {e}"))?;
            let consumed = self.inflater.total_in() - before == part.len() as u64;
            if status == Status::StreamEnd {
                return Err("compressed echo ends the deflate stream (BFINAL)".into());
            }
            if consumed && out.len() < out.capacity() {
                return Ok(());
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn pair(params: Deflate) -> (Codec, Codec) {
        (Codec::new(params), Codec::new(params))
    }

    #[test]
    fn round_trip_with_context_takeover_shrinks_repeats() {
        let (mut tx, mut rx) = pair(Deflate::default());
        let msg = b"the same sixty-four byte message, repeated over and over again!!";
        let mut sizes = Vec::new();
        for _ in 0..3 {
            let mut wire = Vec::new();
            tx.compress(msg, &mut wire).unwrap();
            sizes.push(wire.len());
            let mut out = Vec::new();
            rx.decompress(&wire, msg.len(), &mut out).unwrap();
            assert_eq!(out, msg);
        }
        assert!(sizes[1] < sizes[0], "{sizes:?}");
    }

    #[test]
    fn no_context_takeover_makes_messages_independent() {
        let params = Deflate {
            client_no_context_takeover: true,
            ..Deflate::default()
        };
        let mut tx = Codec::new(params);
        let msg = b"abcabcabcabc independent";
        let (mut first, mut second) = (Vec::new(), Vec::new());
        tx.compress(msg, &mut first).unwrap();
        tx.compress(msg, &mut second).unwrap();
        assert_eq!(first, second);
        let mut fresh = Codec::new(Deflate::default());
        let mut out = Vec::new();
        fresh.decompress(&second, msg.len(), &mut out).unwrap();
        assert_eq!(out, msg);
    }

    #[test]
    fn decompress_longer_than_max_fails() {
        let (mut tx, mut rx) = pair(Deflate::default());
        let msg = vec![b'x'; 10_000];
        let mut wire = Vec::new();
        tx.compress(&msg, &mut wire).unwrap();
        let mut out = Vec::new();
        assert!(rx.decompress(&wire, 64, &mut out).is_err());
    }

    #[test]
    fn decompress_garbage_fails() {
        let mut rx = Codec::new(Deflate::default());
        let mut out = Vec::new();
        assert!(rx
            .decompress(&[0xff, 0xff, 0xff, 0xff], 64, &mut out)
            .is_err());
    }
}
