//! bad-inputs.md §E: resource exhaustion, with ws 8.23's limits.

use super::wire::{concat, to_server};
use super::*;

fn limits(max_payload: i64, max_fragments: i64, max_chunks: i64, max_pongs: i64) -> Limits {
    Limits::from_ws(max_payload, max_fragments, max_chunks, max_pongs)
}

#[test]
fn frame_longer_than_max_payload_fails_1009_before_buffering() {
    let mut h = server_with(limits(1000, 0, 0, 0));
    let wire = to_server(0x82, &vec![0u8; 1001]);
    h.feed(&wire[..8]); // just the header and mask key
    assert_failed(&mut h, "WS_ERR_UNSUPPORTED_MESSAGE_LENGTH", 1009);
    assert_eq!(h.conn.buffered_input(), 0);
}

#[test]
fn frame_of_exactly_max_payload_is_accepted() {
    let mut h = server_with(limits(1000, 0, 0, 0));
    h.feed(&to_server(0x82, &vec![7u8; 1000]));
    assert_eq!(h.messages()[0].1.len(), 1000);
}

#[test]
fn sixty_four_bit_length_above_2_53_fails_1009() {
    let mut h = server();
    h.feed(&[0x82, 0xff, 0x80, 0, 0, 0, 0, 0, 0, 0, 1, 2, 3, 4]);
    assert_failed(&mut h, "WS_ERR_UNSUPPORTED_DATA_PAYLOAD_LENGTH", 1009);
}

#[test]
fn fragments_crossing_max_payload_fail_at_the_crossing_fragment() {
    let mut h = server_with(limits(10, 0, 0, 0));
    h.feed(&concat(&[
        to_server(0x02, &[1; 6]),
        to_server(0x00, &[2; 4]),
    ]));
    assert!(h.errors().is_empty());
    h.feed(&to_server(0x80, &[3; 1]));
    assert_failed(&mut h, "WS_ERR_UNSUPPORTED_MESSAGE_LENGTH", 1009);
}

#[test]
fn endless_empty_continuations_fail_1008_at_max_fragments() {
    let mut h = server_with(limits(0, 100, 0, 0));
    let mut wire = to_server(0x02, b"");
    for _ in 0..99 {
        wire.extend(to_server(0x00, b""));
    }
    h.feed(&wire);
    assert!(h.errors().is_empty());
    h.feed(&to_server(0x00, b""));
    assert_failed(&mut h, "WS_ERR_TOO_MANY_BUFFERED_PARTS", 1008);
}

#[test]
fn default_limits_stop_a_tiny_fragment_flood_with_bounded_memory() {
    let mut h = server();
    let mut wire = to_server(0x02, &[1]);
    let one = to_server(0x00, &[1]);
    for _ in 0..20_000 {
        wire.extend_from_slice(&one);
    }
    h.feed(&wire);
    assert_eq!(h.errors()[0].code(), "WS_ERR_TOO_MANY_BUFFERED_PARTS");
    assert_eq!(
        h.conn.buffered_input(),
        0,
        "everything is freed after the failure"
    );
}

#[test]
fn reassembly_memory_is_payload_bytes_only() {
    let mut h = server_with(limits(0, 0, 0, 0));
    let mut wire = to_server(0x02, &[1]);
    for _ in 0..10_000 {
        wire.extend(to_server(0x00, &[1]));
    }
    h.feed(&wire);
    assert!(h.conn.buffered_input() <= 10_001);
}

#[test]
fn large_frame_in_one_byte_chunks_hits_max_buffered_chunks() {
    let mut h = server_with(limits(0, 0, 50, 0));
    let wire = to_server(0x82, &[0u8; 200]);
    // 8 header bytes (consumed once decoded), then payload bytes one per chunk:
    // the 51st retained chunk is refused, as ws refuses it.
    for b in &wire[..8 + 50] {
        h.feed(std::slice::from_ref(b));
    }
    assert!(h.errors().is_empty());
    h.feed(&wire[58..59]);
    assert_eq!(h.errors().len(), 1);
    assert_eq!(h.errors()[0].code(), "WS_ERR_TOO_MANY_BUFFERED_PARTS");
    assert_eq!(h.errors()[0].close_code(), 1008);
}

#[test]
fn chunk_count_resets_when_frames_complete() {
    let mut h = server_with(limits(0, 0, 3, 0));
    let frame = to_server(0x82, b"ab");
    for _ in 0..100 {
        h.feed(&frame[..3]).feed(&frame[3..]);
    }
    assert_eq!(h.messages().len(), 100);
    assert!(h.errors().is_empty());
}

#[test]
fn ping_flood_from_a_peer_that_never_reads_terminates_after_max_pending_pongs() {
    let mut h = server_with(limits(0, 0, 0, 60));
    let ping = to_server(0x89, b"p");
    for _ in 0..60 {
        h.feed(&ping);
    }
    assert_eq!(h.conn.pending_pongs(), 60);
    assert!(!h.events.iter().any(|e| matches!(e, Event::Abort(_))));
    h.feed(&ping);
    assert!(h
        .events
        .iter()
        .any(|e| *e == Event::Abort(Abort::TooManyPendingPongs)));
    assert!(h.conn.is_input_halted());
}

#[test]
fn pending_pongs_drain_as_they_are_written() {
    let mut h = server_with(limits(0, 0, 0, 2));
    let ping = to_server(0x89, b"p");
    for _ in 0..100 {
        h.feed(&ping).feed(&ping);
        h.take_output();
        assert_eq!(h.conn.pending_pongs(), 0);
    }
    assert!(!h.events.iter().any(|e| matches!(e, Event::Abort(_))));
}

/// A masked frame header claiming `len` payload bytes, with a 64-bit length.
fn claim(len: u64) -> Vec<u8> {
    let mut head = vec![0x82, 0xff];
    head.extend_from_slice(&len.to_be_bytes());
    head.extend_from_slice(&super::wire::KEY);
    head
}

/// The receive buffer's allocation is within `bound` bytes.
fn assert_holds_at_most(h: &Harness<Server>, bound: usize) {
    let capacity = h.conn.recv.capacity();
    assert!(
        capacity <= bound,
        "{capacity} bytes allocated, more than {bound}"
    );
}

#[test]
fn a_huge_claimed_length_with_max_payload_off_allocates_only_what_arrives() {
    // Found by fuzzing (fuzz/seeds/receive): the claim was reserved up front,
    // and an allocation of 2^49 bytes aborts the process.
    let mut h = server_with(limits(0, 0, 0, 0));
    h.feed(&claim(1 << 49));
    h.feed(&[0u8; 100]);
    h.feed(&[0u8; 100_000]);
    assert!(h.events.is_empty());
    assert_eq!(h.conn.buffered_input(), 100_100, "the payload bytes held");
    assert_holds_at_most(&h, 512 * 1024);
}

#[test]
fn claiming_max_payload_costs_only_what_arrives() {
    let mut h = server();
    h.feed(&claim(100 * 1024 * 1024));
    h.feed(&[0u8; 1024]);
    assert_holds_at_most(&h, 256 * 1024);
}

#[test]
fn a_large_frame_in_many_chunks_still_arrives_whole() {
    let mut h = server_with(limits(0, 0, 0, 0));
    let payload: Vec<u8> = (0..3_000_000u32).map(|i| (i % 251) as u8).collect();
    let wire = to_server(0x82, &payload);
    for chunk in wire.chunks(65_536) {
        h.feed(chunk);
    }
    assert_eq!(h.messages(), vec![(DataKind::Binary, payload)]);
}
