//! bad-inputs.md §B: framing.

use super::wire::{concat, to_client, to_server};
use super::*;

#[test]
fn server_echo_path_receives_text_and_binary() {
    let mut h = server();
    h.feed(&concat(&[
        to_server(0x81, b"hello"),
        to_server(0x82, &[0, 1, 2]),
    ]));
    assert_eq!(
        h.messages(),
        vec![
            (DataKind::Text, b"hello".to_vec()),
            (DataKind::Binary, vec![0, 1, 2])
        ]
    );
    assert!(h.errors().is_empty());
}

#[test]
fn server_receives_rsv_bits_without_extension_fails_1002() {
    for (b0, code) in [
        (0xc1, "WS_ERR_UNEXPECTED_RSV_1"),
        (0xa1, "WS_ERR_UNEXPECTED_RSV_2_3"),
        (0x91, "WS_ERR_UNEXPECTED_RSV_2_3"),
        (0xc9, "WS_ERR_UNEXPECTED_RSV_1"),
        (0xa8, "WS_ERR_UNEXPECTED_RSV_2_3"),
    ] {
        let mut h = server();
        h.feed(&to_server(b0, b"x"));
        assert_failed(&mut h, code, 1002);
    }
}

#[test]
fn server_processes_nothing_after_a_bad_frame() {
    let mut h = server();
    h.feed(&concat(&[
        to_server(0x81, b"ok"),
        to_server(0xf1, b"bad"),
        to_server(0x81, b"late"),
    ]));
    assert_eq!(h.messages(), vec![(DataKind::Text, b"ok".to_vec())]);
    assert_eq!(h.errors().len(), 1);
}

#[test]
fn server_receives_reserved_opcode_fails_1002() {
    for op in [3u8, 4, 5, 6, 7, 0xb, 0xc, 0xd, 0xe, 0xf] {
        let mut h = server();
        h.feed(&to_server(0x80 | op, b""));
        assert_failed(&mut h, "WS_ERR_INVALID_OPCODE", 1002);
    }
}

#[test]
fn server_receives_unmasked_frame_fails_and_payload_never_reaches_app() {
    let mut h = server();
    h.feed(&to_client(0x81, b"secret"));
    assert_failed(&mut h, "WS_ERR_EXPECTED_MASK", 1002);
}

#[test]
fn client_receives_masked_frame_fails() {
    let mut h = client();
    h.feed(&to_server(0x82, b"secret"));
    assert_failed(&mut h, "WS_ERR_UNEXPECTED_MASK", 1002);
    // The client's close frame is masked.
}

#[test]
fn server_receives_long_or_fragmented_control_frames_fails() {
    for b0 in [0x89u8, 0x8a, 0x88] {
        let mut h = server();
        h.feed(&to_server(b0, &[b'a'; 126]));
        assert_failed(&mut h, "WS_ERR_INVALID_CONTROL_PAYLOAD_LENGTH", 1002);
    }
    for b0 in [0x09u8, 0x0a, 0x08] {
        let mut h = server();
        h.feed(&to_server(b0, b""));
        assert_failed(&mut h, "WS_ERR_EXPECTED_FIN", 1002);
    }
}

#[test]
fn server_receives_continuation_without_message_fails() {
    for b0 in [0x00u8, 0x80] {
        let mut h = server();
        h.feed(&to_server(b0, b"x"));
        assert_failed(&mut h, "WS_ERR_INVALID_OPCODE", 1002);
    }
}

#[test]
fn server_receives_new_message_inside_fragmented_message_fails() {
    for b0 in [0x81u8, 0x02] {
        let mut h = server();
        h.feed(&concat(&[to_server(0x01, b"frag"), to_server(b0, b"x")]));
        assert_failed(&mut h, "WS_ERR_INVALID_OPCODE", 1002);
    }
}

#[test]
fn server_answers_pings_between_fragments_and_reassembles() {
    let mut h = server();
    let wire = concat(&[
        to_server(0x01, b"frag"),
        to_server(0x89, b"p1"),
        to_server(0x00, b"ment"),
        to_server(0x89, b"p2"),
        to_server(0x80, b"ed"),
    ]);
    h.feed(&wire);
    assert_eq!(h.messages(), vec![(DataKind::Text, b"fragmented".to_vec())]);
    let pongs: Vec<_> = h
        .take_frames()
        .into_iter()
        .map(|f| (f.opcode, f.payload))
        .collect();
    assert_eq!(pongs, vec![(0xa, b"p1".to_vec()), (0xa, b"p2".to_vec())]);
}

#[test]
fn server_accepts_non_minimal_length_encodings() {
    let mut h = server();
    let mut frame = vec![0x82, 0xfe, 0x00, 0x03];
    frame.extend_from_slice(&super::wire::KEY);
    let mut payload = [1u8, 2, 3];
    crate::mask::apply(&mut payload, super::wire::KEY, 0);
    frame.extend_from_slice(&payload);
    h.feed(&frame);
    assert_eq!(h.messages(), vec![(DataKind::Binary, vec![1, 2, 3])]);
}

#[test]
fn server_echoes_each_ping_byte_for_byte_and_ignores_pongs() {
    let mut h = server();
    let payloads: Vec<Vec<u8>> = vec![
        vec![],
        b"text".to_vec(),
        vec![0xff, 0x00, 0x80],
        vec![b'z'; 125],
    ];
    let mut wire = to_server(0x8a, b"unsolicited");
    for p in &payloads {
        wire.extend(to_server(0x89, p));
    }
    for i in 0..10u8 {
        wire.extend(to_server(0x89, &[i]));
    }
    h.feed(&wire);
    let pongs: Vec<_> = h
        .take_frames()
        .into_iter()
        .map(|f| (f.opcode, f.masked, f.payload))
        .collect();
    let mut expect: Vec<_> = payloads.iter().map(|p| (0xa, false, p.clone())).collect();
    expect.extend((0..10u8).map(|i| (0xa, false, vec![i])));
    assert_eq!(pongs, expect);
    assert!(matches!(h.events[0], Event::Pong(ref p) if p.as_ref() == b"unsolicited"));
}

#[test]
fn client_masks_its_pongs_and_ping_events_follow_the_pong() {
    let mut h = client();
    h.feed(&to_client(0x89, b"hi"));
    let frames = h.take_frames();
    assert_eq!(frames.len(), 1);
    assert!(frames[0].masked);
    assert_eq!(frames[0].payload, b"hi");
    assert_eq!(h.events, vec![Event::Ping(Bytes::from_static(b"hi"))]);
}

#[test]
fn auto_pong_disabled_sends_nothing() {
    let mut h: Harness<Server> = Harness::new(Config {
        auto_pong: false,
        ..Config::default()
    });
    h.feed(&to_server(0x89, b"x"));
    assert!(h.take_output().is_empty());
    assert_eq!(h.events.len(), 1);
}

#[test]
fn server_reassembles_text_split_at_every_offset() {
    let text = "κόσμε — fragmented ✓ 𝄞".as_bytes();
    for cut in 0..=text.len() {
        let wire = concat(&[to_server(0x01, &text[..cut]), to_server(0x80, &text[cut..])]);
        for chunk in [1usize, 3, 7, wire.len()] {
            let mut h = server();
            for part in wire.chunks(chunk) {
                h.feed(part);
            }
            assert_eq!(
                h.messages(),
                vec![(DataKind::Text, text.to_vec())],
                "cut {cut} chunk {chunk}"
            );
        }
    }
}

#[test]
fn large_frames_cross_every_length_form() {
    for len in [0usize, 125, 126, 127, 128, 65_535, 65_536, 200_000] {
        let payload: Vec<u8> = (0..len).map(|i| (i % 251) as u8).collect();
        let wire = to_server(0x82, &payload);
        let mut h = server();
        h.feed_split(&wire, &[1, 2, 5, 9, 997, 4096]);
        assert_eq!(h.messages(), vec![(DataKind::Binary, payload)], "len {len}");
    }
}

/// Records frame boundaries as well as messages.
#[derive(Default)]
struct Boundaries {
    ends: Vec<Vec<u32>>,
    messages: usize,
}

impl EventHandler for Boundaries {
    fn message(&mut self, _kind: DataKind, _payload: Payload<'_>) {
        self.messages += 1;
    }
    fn fragment_ends(&mut self, ends: &[u32]) {
        self.ends.push(ends.to_vec());
    }
}

#[test]
fn fragmented_binary_messages_report_each_frame_boundary() {
    let mut conn = Connection::<Server>::new(Config::default());
    let mut sink = Boundaries::default();
    let mut wire = concat(&[
        to_server(0x02, b"abc"),
        to_server(0x00, b""),
        to_server(0x80, b"de"),
        to_server(0x82, b"single"),
        to_server(0x01, b"te"),
        to_server(0x80, b"xt"),
    ]);
    conn.receive(&mut wire, 0, &mut sink);
    assert_eq!(sink.messages, 3);
    assert_eq!(
        sink.ends,
        vec![vec![3, 5]],
        "non-empty frames of the fragmented binary message"
    );
}
