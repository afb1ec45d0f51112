//! bad-inputs.md §C: UTF-8 (strict, fail-fast).

use super::wire::{close_payload, concat, to_server};
use super::*;

#[test]
fn server_receives_invalid_utf8_in_single_frame_fails_1007() {
    let mut h = server();
    h.feed(&to_server(
        0x81,
        &[
            0xce, 0xba, 0xe1, 0xbd, 0xb9, 0xcf, 0x83, 0xce, 0xbc, 0xce, 0xb5, 0xed, 0xa0, 0x80,
            0x65, 0x64, 0x69, 0x74, 0x65, 0x64,
        ],
    ));
    assert_failed(&mut h, "WS_ERR_INVALID_UTF8", 1007);
}

#[test]
fn server_accepts_code_point_split_across_fragments_and_chunks() {
    let text = "𝄞".as_bytes();
    for cut in 1..text.len() {
        let wire = concat(&[to_server(0x01, &text[..cut]), to_server(0x80, &text[cut..])]);
        let mut h = server();
        h.feed_bytewise(&wire);
        assert_eq!(h.messages(), vec![(DataKind::Text, text.to_vec())]);
    }
}

#[test]
fn server_fails_on_first_bad_fragment_before_the_next_arrives() {
    // Autobahn 6.4.1: invalid sequence in the first of three fragments.
    let mut h = server();
    h.feed(&to_server(0x01, &[0xce, 0xba, 0xf4, 0x90, 0x80, 0x80]));
    assert_failed(&mut h, "WS_ERR_INVALID_UTF8", 1007);
}

#[test]
fn server_fails_inside_a_frame_still_arriving() {
    // Autobahn 6.4.3: the bad byte arrives; the rest of the frame never does.
    let mut payload = "κόσμε".as_bytes().to_vec();
    payload.extend_from_slice(&[0xf4, 0x90, 0x80, 0x80]);
    payload.extend_from_slice(b"edited and much more text follows");
    let wire = to_server(0x81, &payload);
    let bad_at = 6 + "κόσμε".len() + 2; // header + valid prefix + F4 90
    let mut h = server();
    h.feed(&wire[..bad_at]);
    assert_failed(&mut h, "WS_ERR_INVALID_UTF8", 1007);
    assert_eq!(h.conn.buffered_input(), 0);
}

#[test]
fn server_fails_on_truncated_sequence_at_fin() {
    for tail in [&[0xce][..], &[0xe2, 0x82], &[0xf0, 0x9d, 0x84]] {
        let mut payload = b"ok".to_vec();
        payload.extend_from_slice(tail);
        let mut h = server();
        h.feed(&to_server(0x81, &payload));
        assert_failed(&mut h, "WS_ERR_INVALID_UTF8", 1007);
    }
}

#[test]
fn kuhn_invalid_sequences_fail_and_noncharacters_pass() {
    let invalid: [&[u8]; 7] = [
        &[0xc0, 0x80],
        &[0xe0, 0x80, 0x80],
        &[0xf0, 0x80, 0x80, 0x80],
        &[0xed, 0xa0, 0x80],
        &[0xf4, 0x90, 0x80, 0x80],
        &[0xf5],
        &[0xff],
    ];
    for bytes in invalid {
        let mut h = server();
        h.feed_bytewise(&to_server(0x81, bytes));
        assert_failed(&mut h, "WS_ERR_INVALID_UTF8", 1007);
    }
    let mut h = server();
    h.feed(&to_server(0x81, &[0xef, 0xbf, 0xbe, 0xef, 0xbf, 0xbf]));
    assert_eq!(h.messages().len(), 1);
}

#[test]
fn empty_text_frames_and_fragments_are_accepted() {
    let mut h = server();
    h.feed(&concat(&[
        to_server(0x81, b""),
        to_server(0x01, b""),
        to_server(0x00, b""),
        to_server(0x80, b""),
    ]));
    assert_eq!(
        h.messages(),
        vec![(DataKind::Text, vec![]), (DataKind::Text, vec![])]
    );
}

#[test]
fn invalid_close_reason_fails_1007() {
    let mut h = server();
    h.feed(&to_server(0x88, &close_payload(1000, &[0xff, 0xfe])));
    assert_failed(&mut h, "WS_ERR_INVALID_UTF8", 1007);
}

#[test]
fn skip_utf8_validation_delivers_invalid_text() {
    let mut h: Harness<Server> = Harness::new(Config {
        skip_utf8_validation: true,
        ..Config::default()
    });
    h.feed(&to_server(0x81, &[0xff, 0xfe]));
    h.feed(&to_server(0x88, &close_payload(1000, &[0xff])));
    assert_eq!(h.messages(), vec![(DataKind::Text, vec![0xff, 0xfe])]);
    assert!(h.errors().is_empty());
}

#[test]
fn binary_messages_are_never_validated() {
    let mut h = server();
    h.feed(&to_server(0x82, &[0xff, 0xc0]));
    assert_eq!(h.messages(), vec![(DataKind::Binary, vec![0xff, 0xc0])]);
}
