use super::*;
use crate::deflate::test_util::{bomb, flate2_message, noise, text};

/// RFC 7692 §7.2.3.1: "Hello" in one compressed block.
const HELLO: [u8; 7] = [0xf2, 0x48, 0xcd, 0xc9, 0xc9, 0x07, 0x00];
/// §7.2.3.2: the second "Hello", sharing the window of the first.
const HELLO_AGAIN: [u8; 5] = [0xf2, 0x00, 0x11, 0x00, 0x00];
/// §7.2.3.4: "Hello" in a block with BFINAL set, then an empty header byte.
const HELLO_FINAL: [u8; 8] = [0xf3, 0x48, 0xcd, 0xc9, 0xc9, 0x07, 0x00, 0x00];

const MIB: usize = 1024 * 1024;

fn inflate_all(
    inflater: &mut Inflater,
    payload: &[u8],
    limit: usize,
) -> Result<Vec<u8>, InflateError> {
    let mut out = BytesMut::new();
    inflater.inflate(payload, true, &mut out, limit)?;
    Ok(out.to_vec())
}

fn takeover() -> Inflater {
    Inflater::new(15, false)
}

#[test]
fn inflates_rfc_7692_examples() {
    let stored = [
        0x00, 0x05, 0x00, 0xfa, 0xff, b'H', b'e', b'l', b'l', b'o', 0x00,
    ];
    let two_blocks = [
        0xf2, 0x48, 0x05, 0x00, 0x00, 0x00, 0xff, 0xff, 0xca, 0xc9, 0xc9, 0x07, 0x00,
    ];
    for payload in [&HELLO[..], &stored, &two_blocks] {
        assert_eq!(inflate_all(&mut takeover(), payload, 0).unwrap(), b"Hello");
    }
    assert_eq!(inflate_all(&mut takeover(), &[0x00], 0).unwrap(), b"");
}

#[test]
fn context_takeover_shares_the_window_across_messages() {
    let mut inflater = takeover();
    assert_eq!(inflate_all(&mut inflater, &HELLO, 0).unwrap(), b"Hello");
    assert_eq!(
        inflate_all(&mut inflater, &HELLO_AGAIN, 0).unwrap(),
        b"Hello"
    );
}

#[test]
fn no_context_takeover_resets_after_each_message() {
    let mut inflater = Inflater::new(15, true);
    assert_eq!(inflate_all(&mut inflater, &HELLO, 0).unwrap(), b"Hello");
    assert_eq!(inflate_all(&mut inflater, &HELLO, 0).unwrap(), b"Hello");
    // A back-reference into the previous message is now out of bounds.
    assert_eq!(
        inflate_all(&mut inflater, &HELLO_AGAIN, 0),
        Err(InflateError::Corrupt)
    );
}

#[test]
fn fragmented_payload_inflates_at_every_split() {
    for split in 0..=HELLO.len() {
        let mut inflater = takeover();
        let mut out = BytesMut::new();
        inflater
            .inflate(&HELLO[..split], false, &mut out, 0)
            .unwrap();
        inflater
            .inflate(&HELLO[split..], true, &mut out, 0)
            .unwrap();
        assert_eq!(&out[..], b"Hello", "split at {split}");
    }
}

#[test]
fn final_block_message_is_accepted_and_next_message_starts_fresh() {
    let mut inflater = takeover();
    assert_eq!(
        inflate_all(&mut inflater, &HELLO_FINAL, 0).unwrap(),
        b"Hello"
    );
    assert_eq!(inflate_all(&mut inflater, &HELLO, 0).unwrap(), b"Hello");
}

#[test]
fn bytes_after_final_block_are_ignored_like_ws() {
    let mut inflater = takeover();
    let mut out = BytesMut::new();
    inflater
        .inflate(&HELLO_FINAL[..7], false, &mut out, 0)
        .unwrap();
    inflater
        .inflate(&[0xde, 0xad, 0xbe, 0xef], false, &mut out, 0)
        .unwrap();
    inflater.inflate(&[0x07], true, &mut out, 0).unwrap();
    assert_eq!(&out[..], b"Hello");
    assert_eq!(inflate_all(&mut inflater, &HELLO, 0).unwrap(), b"Hello");
}

#[test]
fn empty_message_does_not_desynchronise_the_stream() {
    let mut inflater = takeover();
    assert_eq!(inflate_all(&mut inflater, &[], 0).unwrap(), b"");
    assert!(!inflater.is_allocated());
    assert_eq!(inflate_all(&mut inflater, &HELLO, 0).unwrap(), b"Hello");
    let mut out = BytesMut::new();
    inflater.inflate(&[], false, &mut out, 0).unwrap();
    inflater.inflate(&[], true, &mut out, 0).unwrap();
    assert_eq!(
        inflate_all(&mut inflater, &HELLO_AGAIN, 0).unwrap(),
        b"Hello"
    );
}

#[test]
fn state_is_lazy_and_released() {
    let mut inflater = Inflater::new(9, true);
    assert!(!inflater.is_allocated());
    assert_eq!(inflater.window_bits(), 9);
    inflate_all(&mut inflater, &HELLO, 0).unwrap();
    assert!(inflater.is_allocated());
    inflater.release();
    assert!(!inflater.is_allocated());
    assert_eq!(inflate_all(&mut inflater, &HELLO, 0).unwrap(), b"Hello");
}

#[test]
fn release_with_context_takeover_breaks_back_references() {
    let mut inflater = takeover();
    inflate_all(&mut inflater, &HELLO, 0).unwrap();
    inflater.release();
    assert_eq!(
        inflate_all(&mut inflater, &HELLO_AGAIN, 0),
        Err(InflateError::Corrupt)
    );
}

#[test]
fn peer_window_8_is_decoded() {
    let data = text(1, 10_000);
    let payload = flate2_message(&data, 9);
    assert!(inflate_all(&mut Inflater::new(8, false), &payload, 0).unwrap() == data);
}

#[test]
fn message_at_limit_passes_and_one_over_fails() {
    let data = text(2, 100_000);
    let payload = flate2_message(&data, 15);
    assert!(inflate_all(&mut takeover(), &payload, data.len()).unwrap() == data);
    let over = inflate_all(&mut takeover(), &payload, data.len() - 1);
    assert_eq!(over, Err(InflateError::TooBig));
}

/// E5: 10 MB of zeros (≈10 KB compressed) against a 1 MiB limit.
#[test]
fn bomb_in_one_frame_fails_with_bounded_memory() {
    let payload = bomb();
    assert!(payload.len() < 20_000);
    let mut inflater = takeover();
    let mut out = BytesMut::new();
    let result = inflater.inflate(payload, true, &mut out, MIB);
    assert_eq!(result, Err(InflateError::TooBig));
    assert_eq!(out.len(), MIB, "filled up to the limit, not past it");
    assert!(out.capacity() <= MIB, "capacity {}", out.capacity());
}

#[test]
fn bomb_across_fragments_after_a_normal_message_fails() {
    for no_context_takeover in [false, true] {
        let mut inflater = Inflater::new(15, no_context_takeover);
        assert_eq!(inflate_all(&mut inflater, &HELLO, MIB).unwrap(), b"Hello");
        let mut out = BytesMut::new();
        let mut result = Ok(());
        let frames: Vec<&[u8]> = bomb().chunks(1000).collect();
        for (i, frame) in frames.iter().enumerate() {
            result = inflater.inflate(frame, i + 1 == frames.len(), &mut out, MIB);
            if result.is_err() {
                assert!(i + 1 < frames.len(), "stopped before the last frame");
                break;
            }
        }
        assert_eq!(result, Err(InflateError::TooBig));
        assert!(out.capacity() <= MIB, "capacity {}", out.capacity());
    }
}

#[test]
fn small_messages_get_small_buffers() {
    let mut out = BytesMut::new();
    takeover().inflate(&HELLO, true, &mut out, 0).unwrap();
    assert!(out.capacity() <= 1024, "capacity {}", out.capacity());
}

#[test]
fn exact_limit_growth_never_passes_the_limit() {
    let data = text(12, 300_000);
    let payload = flate2_message(&data, 15);
    for limit in [300_000, 300_001, 262_144 + 7] {
        let mut out = BytesMut::new();
        let result = takeover().inflate(&payload, true, &mut out, limit);
        assert_eq!(result.is_ok(), limit >= data.len(), "limit {limit}");
        assert!(
            out.capacity() <= limit,
            "limit {limit}: capacity {}",
            out.capacity()
        );
    }
}

#[test]
fn unlimited_inflates_the_whole_bomb() {
    assert_eq!(
        inflate_all(&mut takeover(), bomb(), 0).unwrap().len(),
        10_000_000
    );
}

#[test]
fn corrupt_inputs_fail_without_panic() {
    let reserved_block_type = [0x07];
    let bad_stored_lengths = [0x00, 0x05, 0x00, 0x00, 0x00, b'x'];
    // A back-reference on a fresh stream points before its start.
    for payload in [&reserved_block_type[..], &bad_stored_lengths, &HELLO_AGAIN] {
        assert_eq!(
            inflate_all(&mut takeover(), payload, 0),
            Err(InflateError::Corrupt)
        );
    }
}

#[test]
fn random_inputs_never_panic() {
    for seed in 0..500 {
        let payload = noise(seed, usize::try_from(seed % 97).unwrap() * 13 + 1);
        let result = inflate_all(&mut takeover(), &payload, 64 * 1024);
        assert!(matches!(
            result,
            Ok(_) | Err(InflateError::Corrupt | InflateError::TooBig)
        ));
    }
}

#[test]
fn failed_inflater_stays_failed_and_frees_state() {
    let mut inflater = takeover();
    assert_eq!(
        inflate_all(&mut inflater, &[0x07], 0),
        Err(InflateError::Corrupt)
    );
    assert!(!inflater.is_allocated());
    assert_eq!(
        inflate_all(&mut inflater, &HELLO, 0),
        Err(InflateError::Corrupt)
    );
    let mut too_big = takeover();
    assert_eq!(
        inflate_all(&mut too_big, &HELLO, 3),
        Err(InflateError::TooBig)
    );
    assert_eq!(
        inflate_all(&mut too_big, &HELLO, 0),
        Err(InflateError::TooBig)
    );
}

#[test]
fn errors_map_to_ws_close_codes() {
    assert_eq!(InflateError::TooBig.close_code(), 1009);
    assert_eq!(InflateError::Corrupt.close_code(), 1007);
    assert_eq!(
        InflateError::TooBig.to_string(),
        "Max payload size exceeded"
    );
    assert!(format!("{:?}", takeover()).contains("allocated: false"));
}

#[test]
fn output_is_appended_after_existing_bytes() {
    let mut out = BytesMut::from(&b"prefix:"[..]);
    takeover().inflate(&HELLO, true, &mut out, 0).unwrap();
    assert_eq!(&out[..], b"prefix:Hello");
}
