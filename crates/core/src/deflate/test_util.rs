//! Test helpers: deterministic data and an independent codec path (flate2).

use std::sync::OnceLock;

use flate2::{Compress, Compression, Decompress, FlushCompress, FlushDecompress, Status};

use super::TRAILER;

/// Deterministic pseudo-random bytes (xorshift64*).
pub(crate) fn noise(seed: u64, len: usize) -> Vec<u8> {
    let mut state = seed.wrapping_mul(0x9e37_79b9_7f4a_7c15) | 1;
    (0..len)
        .map(|_| {
            state ^= state >> 12;
            state ^= state << 25;
            state ^= state >> 27;
            (state.wrapping_mul(0x2545_f491_4f6c_dd1d) >> 56) as u8
        })
        .collect()
}

/// Compressible text-like bytes with some variation.
pub(crate) fn text(seed: u64, len: usize) -> Vec<u8> {
    let words: [&[u8]; 8] = [
        b"websocket ",
        b"frame ",
        b"deflate ",
        b"{\"id\":",
        b"42, ",
        b"\"payload\": ",
        b"hello ",
        b"\n",
    ];
    let picks = noise(seed, len / 3 + 1);
    let mut out = Vec::with_capacity(len + 16);
    for pick in picks {
        out.extend_from_slice(words[usize::from(pick) % words.len()]);
        if out.len() >= len {
            break;
        }
    }
    out.truncate(len);
    out
}

/// flate2's raw deflate of one message: sync flush, trailer removed.
pub(crate) fn flate2_message(data: &[u8], window_bits: u8) -> Vec<u8> {
    let mut enc = Compress::new_with_window_bits(Compression::new(9), false, window_bits);
    let mut out = Vec::with_capacity(data.len() + 64);
    loop {
        let consumed = usize::try_from(enc.total_in()).unwrap();
        enc.compress_vec(&data[consumed..], &mut out, FlushCompress::Sync)
            .unwrap();
        if usize::try_from(enc.total_in()).unwrap() == data.len() && out.len() < out.capacity() {
            break;
        }
        out.reserve(out.capacity());
    }
    assert!(out.ends_with(&TRAILER));
    out.truncate(out.len() - TRAILER.len());
    out
}

/// A decompression bomb: 10 MB of zeros as one ≈10 KB message (built once).
pub(crate) fn bomb() -> &'static [u8] {
    static BOMB: OnceLock<Vec<u8>> = OnceLock::new();
    BOMB.get_or_init(|| flate2_message(&vec![0; 10_000_000], 15))
}

/// A continuing flate2 raw inflater: the oracle for our compressor.
pub(crate) struct Oracle(Decompress);

impl Oracle {
    pub(crate) fn new() -> Self {
        Self(Decompress::new_with_window_bits(false, 15))
    }

    /// Inflates one whole message (payload + trailer).
    pub(crate) fn message(&mut self, payload: &[u8]) -> Vec<u8> {
        let input = [payload, &TRAILER[..]].concat();
        let start = self.0.total_in();
        let mut out = Vec::with_capacity(input.len() * 4 + 64);
        loop {
            let consumed = usize::try_from(self.0.total_in() - start).unwrap();
            let status = self
                .0
                .decompress_vec(&input[consumed..], &mut out, FlushDecompress::Sync)
                .unwrap();
            let done = usize::try_from(self.0.total_in() - start).unwrap() == input.len();
            if (done && out.len() < out.capacity()) || status == Status::StreamEnd {
                return out;
            }
            out.reserve(out.capacity());
        }
    }
}
