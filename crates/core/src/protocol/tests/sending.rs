//! The send path: framing, fragmentation, masking, close rules.

use super::*;

#[test]
fn server_sends_unmasked_frames_with_minimal_lengths() {
    let mut h = server();
    for len in [0usize, 125, 126, 65_535, 65_536] {
        h.conn
            .send(DataKind::Binary, &vec![5u8; len], SendOptions::default())
            .unwrap();
        let frames = h.take_frames();
        assert_eq!(frames.len(), 1);
        let f = &frames[0];
        assert!(f.fin && !f.masked && !f.rsv1);
        assert_eq!((f.opcode, f.payload.len()), (2, len));
    }
}

#[test]
fn client_masks_every_frame_and_the_peer_unmasks_it() {
    let mut h = client();
    h.conn
        .send(DataKind::Text, b"hello", SendOptions::default())
        .unwrap();
    h.conn.ping(b"p", None).unwrap();
    let out = h.take_output();
    let frames = decode_output(&out);
    assert!(frames.iter().all(|f| f.masked));
    assert_eq!(frames[0].payload, b"hello");
    assert_ne!(&out[6..11], b"hello", "payload is masked on the wire");
}

#[test]
fn client_mask_keys_differ_and_can_be_chosen() {
    let mut h = client();
    let mut keys = std::collections::HashSet::new();
    for _ in 0..32 {
        h.conn
            .send(DataKind::Binary, b"x", SendOptions::default())
            .unwrap();
        let out = h.take_output();
        keys.insert(out[2..6].to_vec());
    }
    assert!(keys.len() > 30);
    let opts = SendOptions {
        mask_key: Some([0; 4]),
        ..SendOptions::default()
    };
    h.conn.send(DataKind::Binary, b"x", opts).unwrap();
    assert_eq!(h.take_output(), vec![0x82, 0x81, 0, 0, 0, 0, b'x']);
}

#[test]
fn mask_option_overrides_the_role() {
    let mut h = server();
    let opts = SendOptions {
        mask: Some(true),
        ..SendOptions::default()
    };
    h.conn.send(DataKind::Text, b"m", opts).unwrap();
    assert!(h.take_frames()[0].masked);
    let mut h = client();
    let opts = SendOptions {
        mask: Some(false),
        ..SendOptions::default()
    };
    h.conn.send(DataKind::Text, b"m", opts).unwrap();
    assert!(!h.take_frames()[0].masked);
}

#[test]
fn fin_false_builds_a_fragmented_message() {
    let mut h = server();
    let part = SendOptions {
        fin: false,
        ..SendOptions::default()
    };
    h.conn.send(DataKind::Text, b"a", part).unwrap();
    h.conn.send(DataKind::Text, b"b", part).unwrap();
    h.conn
        .send(DataKind::Text, b"c", SendOptions::default())
        .unwrap();
    h.conn
        .send(DataKind::Binary, b"d", SendOptions::default())
        .unwrap();
    let frames: Vec<_> = h
        .take_frames()
        .into_iter()
        .map(|f| (f.fin, f.opcode))
        .collect();
    assert_eq!(frames, vec![(false, 1), (false, 0), (true, 0), (true, 2)]);
}

#[test]
fn owned_large_payloads_are_sent_intact() {
    let mut h = server();
    let payload = Bytes::from(vec![9u8; 1 << 20]);
    h.conn
        .send_owned(DataKind::Binary, payload.clone(), SendOptions::default())
        .unwrap();
    let frames = h.take_frames();
    assert_eq!(frames[0].payload, payload.to_vec());
}

#[test]
fn positions_track_completion_of_each_send() {
    let mut h = server();
    let a = h
        .conn
        .send(DataKind::Text, b"first", SendOptions::default())
        .unwrap();
    let b = h
        .conn
        .send(DataKind::Text, b"second", SendOptions::default())
        .unwrap();
    assert!(a < b);
    assert_eq!(h.conn.pending_bytes() as u64, b);
    h.conn.advance_written(a as usize);
    assert!(h.conn.written_total() >= a && h.conn.written_total() < b);
    h.take_output();
    assert_eq!(h.conn.written_total(), b);
}

#[test]
fn nothing_may_follow_our_close_frame() {
    let mut h = server();
    h.conn.close(Some(1000), b"", 0).unwrap();
    assert_eq!(
        h.conn.send(DataKind::Text, b"x", SendOptions::default()),
        Err(SendError::Closing)
    );
    assert_eq!(h.conn.ping(b"", None), Err(SendError::Closing));
    assert_eq!(h.conn.pong(b"", None), Err(SendError::Closing));
    assert_eq!(h.take_frames().len(), 1);
}

#[test]
fn control_payloads_over_125_bytes_are_refused() {
    let mut h = server();
    assert_eq!(h.conn.ping(&[0; 126], None), Err(SendError::ControlTooLong));
    assert_eq!(h.conn.pong(&[0; 126], None), Err(SendError::ControlTooLong));
    h.conn.ping(&[0; 125], None).unwrap();
    assert_eq!(h.take_frames()[0].payload.len(), 125);
}

#[test]
fn discard_output_drops_pending_bytes() {
    let mut h = server();
    h.conn
        .send(DataKind::Text, b"gone", SendOptions::default())
        .unwrap();
    assert_eq!(h.conn.discard_output(), 6);
    assert_eq!(h.conn.pending_bytes(), 0);
}

#[test]
fn send_through_writes_directly_and_queues_only_the_rest() {
    let mut h = server();
    let payload = vec![7u8; 100_000];
    let mut direct = Vec::new();
    let end = h
        .conn
        .send_through(
            DataKind::Binary,
            &payload,
            SendOptions::default(),
            |slices| {
                direct.extend_from_slice(&slices[0]);
                direct.extend_from_slice(&slices[1][..50_000]);
                Ok(slices[0].len() + 50_000)
            },
        )
        .unwrap();
    assert_eq!(end, 10 + 100_000);
    assert_eq!(h.conn.pending_bytes(), 50_000);
    direct.extend(h.take_output());
    let frames = decode_output(&direct);
    assert_eq!(frames.len(), 1);
    assert_eq!(frames[0].payload, payload);
    assert_eq!(h.conn.written_total(), end);
}

#[test]
fn send_through_queues_when_output_is_pending_or_masked() {
    let mut h = server();
    h.conn
        .send(DataKind::Text, b"first", SendOptions::default())
        .unwrap();
    let mut called = false;
    h.conn
        .send_through(DataKind::Text, b"second", SendOptions::default(), |_| {
            called = true;
            Ok(0)
        })
        .unwrap();
    assert!(!called, "a direct write would overtake the queued message");
    let texts: Vec<_> = h.take_frames().into_iter().map(|f| f.payload).collect();
    assert_eq!(texts, vec![b"first".to_vec(), b"second".to_vec()]);
    let mut c = client();
    c.conn
        .send_through(DataKind::Text, b"masked", SendOptions::default(), |_| {
            called = true;
            Ok(0)
        })
        .unwrap();
    assert!(!called, "client frames are masked while copying");
    assert!(c.take_frames()[0].masked);
}

#[test]
fn send_through_header_split_keeps_the_stream_intact() {
    let mut h = server();
    let mut direct = Vec::new();
    h.conn
        .send_through(
            DataKind::Binary,
            &[1, 2, 3],
            SendOptions::default(),
            |slices| {
                direct.extend_from_slice(&slices[0][..1]);
                Ok(1)
            },
        )
        .unwrap();
    direct.extend(h.take_output());
    assert_eq!(direct, vec![0x82, 3, 1, 2, 3]);
}

#[test]
fn a_connection_stays_small_for_many_idle_sockets() {
    // Every idle connection holds one of these; permessage-deflate state and
    // held replies are boxed so the common case does not pay for them.
    assert!(std::mem::size_of::<Connection<Server>>() <= 640);
}
