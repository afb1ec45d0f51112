use std::io::{IoSlice, Read};

use bytes::{Buf, Bytes};
use proptest::prelude::*;

use super::{Cork, CorkConfig};

/// Small sizes so a handful of bytes crosses every boundary.
fn tiny() -> CorkConfig {
    CorkConfig {
        bypass_threshold: 4,
        high_water_mark: 10,
        segment_size: 8,
        keep_spare: true,
    }
}

/// All pending bytes, read through `io_slices` with a generous array.
fn pending(cork: &Cork) -> Vec<u8> {
    let mut iov = [IoSlice::new(&[]); 256];
    let n = cork.io_slices(&mut iov);
    iov[..n].iter().flat_map(|s| s.iter().copied()).collect()
}

fn slice_lens(cork: &Cork) -> Vec<usize> {
    let mut iov = [IoSlice::new(&[]); 256];
    let n = cork.io_slices(&mut iov);
    iov[..n].iter().map(|s| s.len()).collect()
}

/// A queue mixing every kind of piece: copies spilling across segments, an
/// owned buffer, a reservation, and a copy larger than a segment.
fn mixed() -> (Cork, Vec<u8>) {
    let mut cork = Cork::new(tiny());
    cork.push_copy(b"abcde");
    cork.push_frame_owned(b"HH", Bytes::from_static(b"OWNED"));
    cork.reserve(3).copy_from_slice(b"xyz");
    cork.commit(3);
    cork.push_frame(b"h", b"0123456789abcdef");
    cork.push_owned(Bytes::from_static(b"tail"));
    (cork, b"abcdeHHOWNEDxyzh0123456789abcdeftail".to_vec())
}

#[test]
fn new_cork_allocates_nothing() {
    let cork = Cork::new(CorkConfig::default());
    assert_eq!(cork.segments_allocated(), 0);
    assert_eq!(cork.piece_capacity(), 0);
    assert!(cork.is_empty() && cork.chunk().is_empty());
    assert_eq!(cork.io_slices(&mut [IoSlice::new(&[]); 4]), 0);
}

#[test]
fn default_config_is_documented_sizes() {
    let config = CorkConfig::default();
    assert_eq!(config.bypass_threshold, 16 * 1024);
    assert_eq!(config.high_water_mark, 64 * 1024);
    assert_eq!(config.segment_size, 16 * 1024);
    assert_eq!(Cork::new(config).config(), &config);
}

#[test]
fn small_copies_coalesce_into_one_slice() {
    let mut cork = Cork::new(CorkConfig::default());
    for _ in 0..100 {
        cork.push_frame(&[0x81, 0x03], b"abc");
    }
    assert_eq!(slice_lens(&cork), [500]);
    assert_eq!(cork.segments_allocated(), 1);
}

#[test]
fn copy_spills_into_next_segment_in_order() {
    let mut cork = Cork::new(tiny());
    cork.push_copy(b"abcde");
    cork.push_copy(b"fghij");
    assert_eq!(slice_lens(&cork), [8, 2]);
    assert_eq!(pending(&cork), b"abcdefghij");
}

#[test]
fn mixed_pieces_keep_order_and_owned_are_own_slices() {
    let (cork, model) = mixed();
    assert_eq!(pending(&cork), model);
    assert_eq!(slice_lens(&cork), [7, 5, 8, 12, 4]);
    assert_eq!(cork.len(), model.len());
}

#[test]
fn push_frame_owned_large_payload_is_not_copied() {
    let mut cork = Cork::new(tiny());
    let payload = Bytes::from_static(b"large payload");
    cork.push_frame_owned(b"hd", payload.clone());
    let mut iov = [IoSlice::new(&[]); 4];
    assert_eq!(cork.io_slices(&mut iov), 2);
    assert_eq!(iov[1].as_ptr(), payload.as_ptr());
}

#[test]
fn push_frame_owned_payload_at_threshold_is_not_copied() {
    let mut cork = Cork::new(tiny());
    cork.push_frame_owned(b"hd", Bytes::from_static(b"four"));
    assert_eq!(slice_lens(&cork), [2, 4]);
}

#[test]
fn push_frame_owned_small_payload_is_copied() {
    let mut cork = Cork::new(tiny());
    let payload = Bytes::from_static(b"abc");
    cork.push_frame_owned(b"hd", payload.clone());
    let mut iov = [IoSlice::new(&[]); 4];
    assert_eq!(cork.io_slices(&mut iov), 1);
    assert_ne!(iov[0].as_ptr(), payload.as_ptr());
    assert_eq!(&*iov[0], b"hdabc");
}

#[test]
fn empty_pushes_queue_nothing() {
    let mut cork = Cork::new(tiny());
    cork.push_copy(b"");
    cork.push_owned(Bytes::new());
    cork.commit(0);
    assert!(cork.reserve(0).is_empty());
    assert_eq!((cork.len(), cork.queued_total()), (0, 0));
    assert_eq!(cork.segments_allocated(), 0);
}

#[test]
fn io_slices_fills_at_most_out_len() {
    let (cork, model) = mixed();
    assert_eq!(cork.io_slices(&mut []), 0);
    let mut one = [IoSlice::new(&[]); 1];
    assert_eq!(cork.io_slices(&mut one), 1);
    assert_eq!(&*one[0], cork.chunk());
    assert_eq!(&*one[0], b"abcdeHH");
    let mut two = [IoSlice::new(&[]); 2];
    assert_eq!(cork.io_slices(&mut two), 2);
    assert_eq!([&*two[0], &*two[1]].concat(), &model[..12]);
    let mut many = [IoSlice::new(&[]); 64];
    assert_eq!(cork.io_slices(&mut many), 5);
}

#[test]
fn io_slices_skips_uncommitted_reservation() {
    let mut cork = Cork::new(tiny());
    cork.push_owned(Bytes::from_static(b"ab"));
    cork.reserve(4);
    let mut iov = [IoSlice::new(&[]); 4];
    assert_eq!(cork.io_slices(&mut iov), 1);
    cork.advance(2);
    assert_eq!(cork.io_slices(&mut [IoSlice::new(&[]); 4]), 0);
}

#[test]
fn advance_at_every_position_leaves_the_suffix() {
    let (_, model) = mixed();
    for split in 0..=model.len() {
        let (mut cork, _) = mixed();
        cork.advance(split);
        assert_eq!(pending(&cork), &model[split..], "after advance({split})");
        assert_eq!(cork.chunk().is_empty(), split == model.len());
        cork.advance(model.len() - split);
        assert!(cork.is_empty() && pending(&cork).is_empty());
    }
}

#[test]
fn advance_byte_by_byte_matches_model() {
    let (mut cork, model) = mixed();
    for written in 1..=model.len() {
        cork.advance(1);
        assert_eq!(pending(&cork), &model[written..]);
        assert_eq!(cork.written_total(), written as u64);
    }
}

#[test]
#[should_panic(expected = "exceeds the 3 pending bytes")]
fn advance_past_len_panics() {
    let mut cork = Cork::new(tiny());
    cork.push_copy(b"abc");
    cork.advance(4);
}

#[test]
fn positions_track_queued_and_written() {
    let mut cork = Cork::new(tiny());
    cork.push_copy(b"abc");
    let first_end = cork.queued_total();
    cork.push_owned(Bytes::from_static(b"defgh"));
    let second_end = cork.queued_total();
    assert_eq!((first_end, second_end), (3, 8));
    cork.advance(4);
    assert!(cork.written_total() >= first_end);
    assert!(cork.written_total() < second_end);
    cork.advance(4);
    assert_eq!(cork.written_total(), second_end);
}

#[test]
fn reserve_commit_queues_encoded_bytes_after_copies() {
    let mut cork = Cork::new(tiny());
    cork.push_copy(b"ab");
    let spare = cork.reserve(4);
    assert_eq!(spare.len(), 4);
    spare.copy_from_slice(b"WXYZ");
    assert_eq!(cork.len(), 2, "reserved bytes are not queued yet");
    cork.commit(2);
    assert_eq!(pending(&cork), b"abWX");
    cork.commit(2);
    assert_eq!(pending(&cork), b"abWXYZ");
    assert_eq!(slice_lens(&cork), [6]);
}

#[test]
fn reserve_larger_than_segment_gets_own_segment() {
    let mut cork = Cork::new(tiny());
    cork.push_copy(b"ab");
    cork.reserve(20).fill(b'r');
    cork.commit(20);
    assert_eq!(slice_lens(&cork), [2, 20]);
    cork.advance(22);
    assert_eq!(
        cork.segments_allocated(),
        1,
        "only the standard segment is kept"
    );
}

#[test]
fn reserve_without_room_starts_new_segment() {
    let mut cork = Cork::new(tiny());
    cork.push_copy(b"abcdef");
    cork.reserve(4).copy_from_slice(b"1234");
    cork.commit(4);
    assert_eq!(slice_lens(&cork), [6, 4]);
    assert_eq!(pending(&cork), b"abcdef1234");
}

#[test]
fn cancelled_reservation_leaves_no_empty_piece() {
    let mut cork = Cork::new(tiny());
    cork.push_owned(Bytes::from_static(b"own"));
    cork.reserve(4);
    cork.push_owned(Bytes::from_static(b"ed"));
    assert_eq!(cork.piece_count(), 2);
    assert_eq!(pending(&cork), b"owned");
    cork.advance(3);
    assert_eq!(cork.chunk(), b"ed");
}

#[test]
#[should_panic(expected = "exceeds the 0 reserved bytes")]
fn commit_after_push_panics() {
    let mut cork = Cork::new(tiny());
    cork.reserve(4);
    cork.push_copy(b"x");
    cork.commit(1);
}

#[test]
#[should_panic(expected = "Cork::commit(3) exceeds the 2 reserved bytes")]
fn commit_beyond_rest_of_reservation_panics() {
    let mut cork = Cork::new(tiny());
    cork.reserve(4).fill(0);
    cork.commit(2);
    cork.commit(3);
}

#[test]
#[should_panic(expected = "exceeds the 2 reserved bytes")]
fn commit_more_than_reserved_panics() {
    let mut cork = Cork::new(tiny());
    cork.reserve(2);
    cork.commit(3);
}

#[test]
fn high_water_flag_is_strictly_above_mark() {
    let mut cork = Cork::new(tiny());
    cork.push_copy(&[0; 10]);
    assert!(!cork.is_above_high_water());
    cork.push_owned(Bytes::from_static(b"!"));
    assert!(cork.is_above_high_water());
    cork.advance(1);
    assert!(!cork.is_above_high_water());
}

#[test]
fn drained_cork_keeps_one_segment_and_reports_peak() {
    let mut cork = Cork::new(tiny());
    for _ in 0..50 {
        cork.push_copy(b"abc");
        cork.push_owned(Bytes::from_static(b"owned"));
    }
    cork.push_copy(&[1; 100]);
    assert!(cork.segments_allocated() > 10);
    cork.advance(cork.len());
    assert_eq!(cork.segments_allocated(), 1);
    assert!(cork.piece_capacity() <= 2 * super::buffer::KEPT_PIECE_SLOTS);
    assert_eq!(cork.peak(), 500);
    cork.push_copy(b"again");
    assert_eq!(cork.segments_allocated(), 1, "the spare is reused");
}

#[test]
fn clear_discards_without_counting_written() {
    let (mut cork, model) = mixed();
    cork.advance(5);
    assert_eq!(cork.clear(), model.len() - 5);
    assert!(cork.is_empty() && cork.chunk().is_empty());
    assert_eq!(cork.written_total(), 5);
    assert_eq!(cork.discarded_total(), (model.len() - 5) as u64);
    assert_eq!(cork.segments_allocated(), 1);
    cork.push_copy(b"after");
    cork.advance(5);
    let settled = cork.written_total() + cork.discarded_total();
    assert_eq!(settled, cork.queued_total());
}

#[test]
fn buf_reader_drains_everything_in_order() {
    let (mut cork, model) = mixed();
    let mut out = Vec::new();
    (&mut cork)
        .reader()
        .read_to_end(&mut out)
        .expect("in-memory read");
    assert_eq!(out, model);
    assert_eq!(cork.remaining(), 0);
    let mut iov = [IoSlice::new(&[]); 2];
    assert_eq!(cork.chunks_vectored(&mut iov), 0);
}

/// One step of a random operation sequence.
#[derive(Clone, Debug)]
enum Op {
    Copy(Vec<u8>),
    Owned(Vec<u8>),
    FrameOwned(Vec<u8>, Vec<u8>),
    /// Reserve `.0` bytes filled with `.2`, commit `.1` of them (clamped).
    Reserve(usize, usize, u8),
    /// A writev over at most `.0` slices that takes `.1` percent of them.
    Flush(usize, u8),
    Clear,
}

fn op() -> impl Strategy<Value = Op> {
    let data = || proptest::collection::vec(any::<u8>(), 0..20);
    prop_oneof![
        3 => data().prop_map(Op::Copy),
        2 => data().prop_map(Op::Owned),
        2 => (data(), data()).prop_map(|(h, p)| Op::FrameOwned(h, p)),
        2 => (0usize..20, 0usize..20, any::<u8>()).prop_map(|(n, k, b)| Op::Reserve(n, k, b)),
        3 => (0usize..5, 0u8..=100).prop_map(|(s, p)| Op::Flush(s, p)),
        1 => Just(Op::Clear),
    ]
}

/// Applies `op` to both the cork and the reference model.
fn apply(cork: &mut Cork, model: &mut Vec<u8>, op: Op) {
    match op {
        Op::Copy(bytes) => {
            cork.push_copy(&bytes);
            model.extend_from_slice(&bytes);
        }
        Op::Owned(bytes) => {
            model.extend_from_slice(&bytes);
            cork.push_owned(Bytes::from(bytes));
        }
        Op::FrameOwned(header, payload) => {
            model.extend_from_slice(&header);
            model.extend_from_slice(&payload);
            cork.push_frame_owned(&header, Bytes::from(payload));
        }
        Op::Reserve(n, k, fill) => {
            cork.reserve(n).fill(fill);
            cork.commit(k.min(n));
            model.extend(std::iter::repeat_n(fill, k.min(n)));
        }
        Op::Flush(max_slices, percent) => {
            let mut iov = vec![IoSlice::new(&[]); max_slices];
            let filled = cork.io_slices(&mut iov);
            let offered: usize = iov[..filled].iter().map(|s| s.len()).sum();
            let taken = offered * usize::from(percent) / 100;
            cork.advance(taken);
            model.drain(..taken);
        }
        Op::Clear => {
            assert_eq!(cork.clear(), model.len());
            model.clear();
        }
    }
}

fn check(cork: &Cork, model: &[u8]) {
    assert_eq!(pending(cork), model);
    assert_eq!(cork.len(), model.len());
    assert!(model.starts_with(cork.chunk()));
    assert_eq!(cork.chunk().is_empty(), model.is_empty());
    let settled = cork.written_total() + cork.discarded_total();
    assert_eq!(cork.queued_total(), settled + model.len() as u64);
    assert!(cork.peak() >= cork.len());
    assert_eq!(cork.is_above_high_water(), model.len() > 10);
}

proptest! {
    #[test]
    fn random_operations_match_vec_model(ops in proptest::collection::vec(op(), 0..60)) {
        let mut cork = Cork::new(tiny());
        let mut model = Vec::new();
        let mut peak = 0;
        for op in ops {
            apply(&mut cork, &mut model, op);
            peak = peak.max(model.len());
            check(&cork, &model);
        }
        prop_assert_eq!(cork.peak(), peak);
        cork.advance(cork.len());
        // A reservation still outstanding keeps its segment; clearing cancels it.
        cork.clear();
        prop_assert!(cork.segments_allocated() <= 1);
        prop_assert!(pending(&cork).is_empty());
    }
}

#[test]
fn without_keep_spare_a_drained_cork_owns_no_segment() {
    let mut cork = Cork::new(CorkConfig {
        keep_spare: false,
        ..CorkConfig::default()
    });
    cork.push_copy(b"hello");
    assert_eq!(cork.segments_allocated(), 1);
    cork.advance(5);
    assert_eq!(cork.segments_allocated(), 0);
    cork.push_copy(b"again");
    assert_eq!(cork.chunk(), b"again");
}
