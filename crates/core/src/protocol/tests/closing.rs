//! bad-inputs.md §D: closing.

use super::wire::{close_payload, concat, to_client, to_server};
use super::*;

fn closes(h: &Harness<impl Role>) -> Vec<(u16, Vec<u8>)> {
    h.events
        .iter()
        .filter_map(|e| match e {
            Event::Close(code, reason) => Some((*code, reason.to_vec())),
            _ => None,
        })
        .collect()
}

#[test]
fn empty_close_is_answered_empty_and_reported_1005() {
    let mut h = server();
    h.feed(&to_server(0x88, b""));
    assert_eq!(closes(&h), vec![(1005, vec![])]);
    assert_eq!(h.take_close(), (None, vec![]));
    assert!(h.conn.should_shutdown());
}

#[test]
fn one_byte_close_payload_fails_1002() {
    let mut h = server();
    h.feed(&to_server(0x88, &[0x03]));
    assert_failed(&mut h, "WS_ERR_INVALID_CONTROL_PAYLOAD_LENGTH", 1002);
}

#[test]
fn reason_of_123_bytes_is_accepted_and_124_fails() {
    let mut h = server();
    h.feed(&to_server(0x88, &close_payload(1000, &[b'r'; 123])));
    assert_eq!(closes(&h), vec![(1000, vec![b'r'; 123])]);
    let mut h = server();
    h.feed(&to_server(0x88, &close_payload(1000, &[b'r'; 124])));
    assert_failed(&mut h, "WS_ERR_INVALID_CONTROL_PAYLOAD_LENGTH", 1002);
}

#[test]
fn valid_codes_are_reported_as_sent_and_echoed() {
    for code in [
        1000u16, 1001, 1002, 1003, 1007, 1008, 1009, 1010, 1011, 1012, 1013, 1014, 3000, 3999,
        4000, 4999,
    ] {
        let mut h = server();
        h.feed(&to_server(0x88, &close_payload(code, b"bye")));
        assert_eq!(closes(&h), vec![(code, b"bye".to_vec())], "code {code}");
        assert_eq!(h.take_close(), (Some(code), b"bye".to_vec()));
    }
}

#[test]
fn invalid_codes_fail_1002() {
    for code in [
        0u16, 999, 1004, 1005, 1006, 1015, 1016, 1100, 2000, 2999, 5000, 65535,
    ] {
        let mut h = server();
        h.feed(&to_server(0x88, &close_payload(code, b"")));
        assert_failed(&mut h, "WS_ERR_INVALID_CLOSE_CODE", 1002);
    }
}

#[test]
fn close_inside_fragmented_message_is_echoed_not_a_protocol_error() {
    let mut h = server();
    h.feed(&concat(&[
        to_server(0x01, b"frag"),
        to_server(0x88, &close_payload(1000, b"")),
    ]));
    assert!(h.errors().is_empty());
    assert_eq!(closes(&h), vec![(1000, vec![])]);
    assert_eq!(h.take_close().0, Some(1000));
}

#[test]
fn frames_after_close_are_ignored_and_close_is_reported_once() {
    let mut h = server();
    let wire = concat(&[
        to_server(0x88, &close_payload(1000, b"")),
        to_server(0x81, b"late"),
        to_server(0x89, b"ping"),
        to_server(0x88, &close_payload(1001, b"")),
    ]);
    h.feed(&wire);
    h.feed(&to_server(0x81, b"later"));
    assert_eq!(closes(&h).len(), 1);
    assert!(h.messages().is_empty());
    let frames = h.take_frames();
    assert_eq!(frames.len(), 1, "one close reply, no pong: {frames:?}");
}

#[test]
fn local_close_then_peer_close_completes_once() {
    let mut h = server();
    h.conn.close(Some(1000), b"done", h.now).unwrap();
    assert!(!h.conn.should_shutdown());
    assert_eq!(
        h.conn.close(Some(1000), b"", h.now),
        Err(SendError::Closing)
    );
    h.feed(&to_server(0x88, &close_payload(1000, b"")));
    assert_eq!(h.take_close(), (Some(1000), b"done".to_vec()));
    assert!(h.conn.should_shutdown());
}

#[test]
fn messages_still_arrive_while_our_close_is_pending() {
    let mut h = server();
    h.conn.close(Some(1001), b"", h.now).unwrap();
    h.feed(&to_server(0x82, b"in flight"));
    assert_eq!(h.messages().len(), 1);
    // No automatic pong once closing (ws answers pings only while OPEN).
    h.feed(&to_server(0x89, b"p"));
    assert_eq!(h.take_frames().len(), 1);
}

#[test]
fn close_timeout_aborts_after_the_deadline() {
    let mut h = server();
    assert_eq!(h.conn.poll_timeout(), None);
    h.conn.close(None, b"", 5_000).unwrap();
    assert_eq!(h.conn.poll_timeout(), Some(35_000));
    let mut q = EventQueue::new();
    h.conn.handle_timeout(34_999, &mut q);
    assert!(q.is_empty());
    h.conn.handle_timeout(35_000, &mut q);
    assert_eq!(q.pop(), Some(Event::Abort(Abort::CloseTimeout)));
}

#[test]
fn application_close_arguments_are_validated() {
    let mut h = server();
    assert_eq!(
        h.conn.close(Some(1005), b"", 0),
        Err(SendError::InvalidCloseCode)
    );
    assert_eq!(
        h.conn.close(Some(999), b"", 0),
        Err(SendError::InvalidCloseCode)
    );
    assert_eq!(
        h.conn.close(None, b"why", 0),
        Err(SendError::InvalidCloseCode)
    );
    assert_eq!(
        h.conn.close(Some(1000), &[b'x'; 124], 0),
        Err(SendError::ReasonTooLong)
    );
    assert!(h.conn.is_open());
    h.conn.close(Some(4000), &[b'x'; 123], 0).unwrap();
    assert_eq!(h.take_close(), (Some(4000), vec![b'x'; 123]));
}

#[test]
fn client_close_reply_is_masked() {
    let mut h = client();
    h.feed(&to_client(0x88, &close_payload(1000, b"")));
    let frames = h.take_frames();
    assert!(frames[0].masked);
    assert_eq!(frames[0].payload, 1000u16.to_be_bytes());
}

#[test]
fn eof_reports_whether_the_handshake_completed() {
    let mut h = server();
    assert!(!h.conn.receive_eof());
    let mut h = server();
    h.feed(&to_server(0x88, b""));
    assert!(h.conn.receive_eof());
}

fn deferred_server() -> Harness<Server> {
    Harness::new(Config {
        defer_replies: true,
        ..Config::default()
    })
}

#[test]
fn deferred_replies_let_the_application_answer_earlier_messages_first() {
    let mut h = deferred_server();
    h.feed(&concat(&[
        to_server(0x81, b"first"),
        to_server(0x89, b"ping"),
        to_server(0xf1, b"bad"),
    ]));
    assert_eq!(
        h.conn.pending_bytes(),
        6,
        "only the pong is written before the commit"
    );
    // The application echoes the message it saw before the failure.
    h.conn
        .send(DataKind::Text, b"first", SendOptions::default())
        .unwrap();
    assert_eq!(
        h.conn.close(Some(1000), b"", h.now),
        Err(SendError::Closing)
    );
    h.conn.commit_replies(h.now);
    let frames: Vec<_> = h
        .take_frames()
        .into_iter()
        .map(|f| (f.opcode, f.payload))
        .collect();
    assert_eq!(
        frames,
        vec![
            (0xa, b"ping".to_vec()),
            (1, b"first".to_vec()),
            (8, 1002u16.to_be_bytes().to_vec())
        ]
    );
    assert!(h.conn.should_shutdown());
}

#[test]
fn deferred_close_reply_follows_the_application_echo() {
    let mut h = deferred_server();
    h.feed(&concat(&[
        to_server(0x81, b"last words"),
        to_server(0x88, &close_payload(1000, b"bye")),
    ]));
    assert!(!h.conn.is_open());
    assert!(
        !h.conn.should_shutdown(),
        "no shutdown before the close reply is out"
    );
    h.conn
        .send(DataKind::Text, b"last words", SendOptions::default())
        .unwrap();
    h.conn.commit_replies(h.now);
    let frames: Vec<_> = h.take_frames().into_iter().map(|f| f.opcode).collect();
    assert_eq!(frames, vec![1, 8]);
    assert!(h.conn.should_shutdown());
    assert_eq!(
        h.conn.poll_timeout(),
        Some(h.now + DEFAULT_CLOSE_TIMEOUT_MS)
    );
}
