use super::*;
use crate::deflate::distance_probe;
use crate::deflate::test_util::{noise, text, Oracle};

fn message(deflater: &mut Deflater, data: &[u8]) -> Vec<u8> {
    let mut out = Vec::new();
    deflater.compress(data, true, &mut out);
    out
}

fn default_deflater(no_context_takeover: bool) -> Deflater {
    Deflater::new(15, no_context_takeover, 6, 8)
}

/// The longest back-reference in a sequence of messages (trailers restored).
fn max_distance(payloads: &[Vec<u8>]) -> usize {
    let stream: Vec<u8> = payloads
        .iter()
        .flat_map(|p| [&p[..], &TRAILER[..]].concat())
        .collect();
    distance_probe::max_distance(&stream).expect("well-formed deflate stream")
}

#[test]
fn hello_matches_rfc_7692_examples() {
    let mut deflater = default_deflater(false);
    assert_eq!(
        message(&mut deflater, b"Hello"),
        [0xf2, 0x48, 0xcd, 0xc9, 0xc9, 0x07, 0x00]
    );
    assert_eq!(
        message(&mut deflater, b"Hello"),
        [0xf2, 0x00, 0x11, 0x00, 0x00]
    );
}

#[test]
fn no_context_takeover_repeats_the_first_encoding() {
    let mut deflater = default_deflater(true);
    let first = message(&mut deflater, b"Hello");
    assert_eq!(message(&mut deflater, b"Hello"), first);
}

#[test]
fn empty_message_is_a_single_zero_byte() {
    assert_eq!(message(&mut default_deflater(false), b""), [0x00]);
    let mut deflater = default_deflater(false);
    let mut out = Vec::new();
    deflater.compress(b"Hello", false, &mut out);
    let mut last = Vec::new();
    deflater.compress(b"", true, &mut last);
    assert_eq!(last, [0x00]);
    let mut oracle = Oracle::new();
    assert_eq!(oracle.message(&[out, last].concat()), b"Hello");
}

#[test]
fn non_final_fragment_keeps_the_flush_trailer() {
    let mut deflater = default_deflater(false);
    let mut out = Vec::new();
    deflater.compress(b"Hello", false, &mut out);
    assert!(out.ends_with(&TRAILER));
}

#[test]
fn output_is_appended_after_existing_bytes() {
    let mut out = b"hdr".to_vec();
    default_deflater(false).compress(b"Hello", true, &mut out);
    assert_eq!(out, b"hdr\xf2\x48\xcd\xc9\xc9\x07\x00");
}

#[test]
fn every_level_round_trips_through_the_oracle() {
    let data = [text(3, 50_000), noise(3, 20_000)].concat();
    for level in 0..=9 {
        let mut deflater = Deflater::new(15, false, level, 8);
        let mut oracle = Oracle::new();
        for _ in 0..2 {
            let payload = message(&mut deflater, &data);
            assert!(oracle.message(&payload) == data, "level {level}");
        }
    }
}

#[test]
fn every_mem_level_and_window_round_trips() {
    let data = text(4, 30_000);
    for (window_bits, mem_level) in [(9, 1), (10, 9), (12, 4), (15, 1), (15, 9)] {
        let payload = message(&mut Deflater::new(window_bits, false, 6, mem_level), &data);
        assert!(Oracle::new().message(&payload) == data);
    }
}

#[test]
fn out_of_range_settings_are_clamped_not_panicking() {
    let data = text(5, 5_000);
    for deflater in [
        Deflater::new(0, false, 99, 0),
        Deflater::new(200, true, 9, 200),
    ] {
        let mut deflater = deflater;
        assert!(Oracle::new().message(&message(&mut deflater, &data)) == data);
    }
}

#[test]
fn every_window_bound_is_respected() {
    // A repeat just inside the usable window (2^w − 262), and one far away.
    let far = noise(6, 40_000);
    for window_bits in 9..=15_u8 {
        let near = noise(u64::from(window_bits), (1 << window_bits) - 300);
        let data = [&far[..], &near[..], &near[..near.len() / 2], &far[..]].concat();
        let mut deflater = Deflater::new(window_bits, false, 6, 9);
        let payloads = [message(&mut deflater, &data), message(&mut deflater, &data)];
        let max = max_distance(&payloads);
        assert!(max <= 1 << window_bits, "w{window_bits}: distance {max}");
        assert!(
            max >= near.len(),
            "w{window_bits}: the window is used ({max})"
        );
    }
}

#[test]
fn window_8_is_honoured_with_huffman_only_coding() {
    let data = noise(6, 1000).repeat(20);
    let text = text(7, 10_000);
    let mut deflater = Deflater::new(8, false, 9, 8);
    let payloads = [message(&mut deflater, &data), message(&mut deflater, &text)];
    assert_eq!(max_distance(&payloads), 0, "no back-reference at all");
    assert!(
        payloads[1].len() < text.len(),
        "entropy coding still compresses"
    );
    let mut oracle = Oracle::new();
    assert!(oracle.message(&payloads[0]) == data);
    assert!(oracle.message(&payloads[1]) == text);
}

#[test]
fn state_is_lazy_and_release_is_safe_between_messages() {
    let mut deflater = default_deflater(false);
    assert!(!deflater.is_allocated());
    let mut oracle = Oracle::new();
    assert_eq!(oracle.message(&message(&mut deflater, b"Hello")), b"Hello");
    assert!(deflater.is_allocated());
    deflater.release();
    assert!(!deflater.is_allocated());
    // The peer's decoder keeps its context; a fresh stream is still valid.
    assert_eq!(oracle.message(&message(&mut deflater, b"Hello")), b"Hello");
    assert!(format!("{deflater:?}").contains("allocated: true"));
}

#[test]
fn large_incompressible_input_grows_output_correctly() {
    let data = noise(8, 1024 * 1024 + 17);
    let payload = message(&mut default_deflater(false), &data);
    assert!(payload.len() > data.len());
    assert!(Oracle::new().message(&payload) == data);
}
