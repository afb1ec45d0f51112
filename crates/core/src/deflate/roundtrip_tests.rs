//! Compressor → decompressor round trips, and a differential check of the
//! compressor against flate2's inflater.

use bytes::BytesMut;
use proptest::prelude::*;

use super::distance_probe::max_distance;
use super::test_util::{noise, text, Oracle};
use super::{Deflater, Inflater, Negotiated, TRAILER};

const SIZES: [usize; 11] = [
    0, 1, 2, 100, 1023, 1024, 4096, 65_535, 65_536, 65_537, 200_000,
];

/// A sender and a receiver sharing one negotiated direction.
struct Pipe {
    window_bits: u8,
    deflater: Deflater,
    inflater: Inflater,
    oracle: Oracle,
    /// Everything sent, trailers restored, for the window check.
    stream: Vec<u8>,
}

impl Pipe {
    fn new(window_bits: u8, no_context_takeover: bool) -> Self {
        Self {
            window_bits,
            stream: Vec::new(),
            deflater: Deflater::new(window_bits, no_context_takeover, 6, 8),
            inflater: Inflater::new(window_bits, no_context_takeover),
            oracle: Oracle::new(),
        }
    }

    /// Sends `data` as fragments cut at `cuts`, feeding each compressed
    /// fragment to the inflater in `pieces` parts; returns both decodings.
    fn send(&mut self, data: &[u8], cuts: &[usize], pieces: usize) -> (Vec<u8>, Vec<u8>) {
        let fragments = split(data, cuts);
        let mut out = BytesMut::new();
        let mut wire = Vec::new();
        for (i, fragment) in fragments.iter().enumerate() {
            let fin = i + 1 == fragments.len();
            let mut payload = Vec::new();
            self.deflater.compress(fragment, fin, &mut payload);
            let step = payload.len().div_ceil(pieces).max(1);
            let parts: Vec<&[u8]> = payload.chunks(step).collect();
            for (j, part) in parts.iter().enumerate() {
                let last = fin && j + 1 == parts.len();
                self.inflater.inflate(part, last, &mut out, 0).unwrap();
            }
            wire.extend_from_slice(&payload);
        }
        self.stream.extend_from_slice(&wire);
        self.stream.extend_from_slice(&TRAILER);
        (out.to_vec(), self.oracle.message(&wire))
    }

    /// Whether every back-reference sent so far fits the window (none at
    /// all for 8 bits, which is coded Huffman-only).
    fn window_respected(&self) -> bool {
        let max = max_distance(&self.stream).expect("well-formed deflate stream");
        if self.window_bits < 9 {
            max == 0
        } else {
            max <= 1 << self.window_bits
        }
    }
}

/// Cuts `data` at the given offsets (taken modulo its length, sorted).
fn split<'a>(data: &'a [u8], cuts: &[usize]) -> Vec<&'a [u8]> {
    let mut offsets: Vec<usize> = cuts.iter().map(|c| c % (data.len() + 1)).collect();
    offsets.sort_unstable();
    let mut fragments = Vec::new();
    let mut start = 0;
    for offset in offsets {
        fragments.push(&data[start..offset]);
        start = offset;
    }
    fragments.push(&data[start..]);
    fragments
}

#[test]
fn round_trip_many_sizes_windows_and_takeover_modes() {
    for window_bits in [8, 9, 12, 15] {
        for no_context_takeover in [false, true] {
            let mut pipe = Pipe::new(window_bits, no_context_takeover);
            for (i, &size) in SIZES.iter().enumerate() {
                let data = if i % 2 == 0 {
                    text(i as u64, size)
                } else {
                    noise(i as u64, size)
                };
                let (ours, oracle) = pipe.send(&data, &[], 1);
                assert!(
                    ours == data,
                    "w{window_bits} nct {no_context_takeover} size {size}"
                );
                assert!(oracle == data);
            }
            assert!(pipe.window_respected(), "w{window_bits}");
        }
    }
}

#[test]
fn round_trip_one_mebibyte_messages() {
    for data in [text(11, 1 << 20), noise(11, 1 << 20)] {
        let (ours, oracle) = Pipe::new(15, false).send(&data, &[], 1);
        assert!(ours == data && oracle == data);
    }
}

#[test]
fn fragmented_messages_inflate_in_pieces() {
    let mut pipe = Pipe::new(15, false);
    let data = text(9, 300_000);
    for (cuts, pieces) in [
        (vec![1, 2, 3], 1),
        (vec![70_000, 140_000], 7),
        (vec![0, 0, 299_999], 3),
    ] {
        let (ours, oracle) = pipe.send(&data, &cuts, pieces);
        assert!(ours == data);
        assert!(oracle == data);
    }
}

#[test]
fn a_thousand_small_messages_share_context() {
    // Autobahn 12.*: many echoed messages over one compression context.
    let mut pipe = Pipe::new(15, false);
    for i in 0..1000_u64 {
        let data = text(i % 17, 16 + (i as usize * 37) % 2000);
        let (ours, oracle) = pipe.send(&data, &[], 1);
        assert!(ours == data);
        assert!(oracle == data);
    }
}

#[test]
fn codec_state_can_move_between_threads() {
    fn assert_send_sync<T: Send + Sync>() {}
    assert_send_sync::<Deflater>();
    assert_send_sync::<Inflater>();
    assert_send_sync::<Negotiated>();
}

#[test]
fn negotiated_params_drive_a_working_pipe() {
    let negotiated = Negotiated {
        server_no_context_takeover: true,
        server_max_window_bits: 9,
        ..Negotiated::default()
    };
    let (bits, nct) = negotiated.compressor_params(true);
    let (peer_bits, peer_nct) = negotiated.decompressor_params(false);
    assert_eq!((bits, nct), (peer_bits, peer_nct));
    let mut pipe = Pipe::new(bits, nct);
    let data = text(10, 5000);
    assert!(pipe.send(&data, &[], 1).0 == data);
}

fn message_strategy() -> impl Strategy<Value = (Vec<u8>, Vec<usize>, usize)> {
    (
        prop_oneof![
            proptest::collection::vec(any::<u8>(), 0..4096),
            (0..8192_usize, any::<u64>()).prop_map(|(len, seed)| text(seed, len)),
        ],
        proptest::collection::vec(any::<usize>(), 0..4),
        1..6_usize,
    )
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(64))]

    #[test]
    fn random_messages_round_trip(
        window_bits in 8..=15_u8,
        no_context_takeover in any::<bool>(),
        messages in proptest::collection::vec(message_strategy(), 1..5),
    ) {
        let mut pipe = Pipe::new(window_bits, no_context_takeover);
        for (data, cuts, pieces) in &messages {
            let (ours, oracle) = pipe.send(data, cuts, *pieces);
            prop_assert!(ours == *data, "inflater mismatch");
            prop_assert!(oracle == *data, "oracle mismatch");
        }
        prop_assert!(pipe.window_respected());
    }
}
