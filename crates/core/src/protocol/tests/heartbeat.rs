//! The built-in heartbeat as a driver sees it: pings on the connection's own
//! deadline, pongs keeping it alive, an unanswered ping aborting it.

use super::wire::{to_client, to_server};
use super::*;

const BEAT: HeartbeatConfig = HeartbeatConfig {
    interval_ms: 10_000,
    timeout_ms: 2_000,
};

fn beating_server() -> Harness<Server> {
    let mut h = Harness::<Server>::new(Config::default());
    h.conn.enable_heartbeat(BEAT, 1_000);
    h
}

fn fire(h: &mut Harness<impl Role>, now: u64) -> Vec<Event> {
    let mut q = EventQueue::new();
    h.conn.handle_timeout(now, &mut q);
    q.drain().collect()
}

#[test]
fn pings_on_the_deadline_and_stays_open_while_pongs_come_back() {
    let mut h = beating_server();
    assert_eq!(h.conn.poll_timeout(), Some(11_000));
    assert!(fire(&mut h, 10_999).is_empty());
    assert!(h.take_frames().is_empty(), "no ping before the interval");
    for round in 0..3u64 {
        let at = 11_000 + round * 10_000;
        assert!(fire(&mut h, at).is_empty());
        let frames = h.take_frames();
        assert_eq!(frames.len(), 1);
        assert_eq!((frames[0].opcode, frames[0].masked), (0x9, false));
        assert!(frames[0].payload.is_empty());
        assert_eq!(h.conn.poll_timeout(), Some(at + 2_000), "pong deadline");
        h.feed(&to_server(0x8a, b""));
        assert_eq!(h.conn.poll_timeout(), Some(at + 10_000), "next ping");
    }
    assert!(h.conn.is_open());
}

#[test]
fn an_unanswered_ping_aborts_at_its_timeout() {
    let mut h = beating_server();
    fire(&mut h, 11_000);
    h.take_frames();
    h.feed(&to_server(0x82, b"data is not a pong"));
    assert!(fire(&mut h, 12_999).is_empty());
    assert_eq!(
        fire(&mut h, 13_000),
        vec![Event::Abort(Abort::HeartbeatTimeout)]
    );
    assert!(
        h.take_frames().is_empty(),
        "no close frame: the peer is gone"
    );
    assert_eq!(h.conn.poll_timeout(), None);
}

#[test]
fn stops_once_closing_and_the_close_timer_takes_over() {
    let mut h = beating_server();
    h.conn.close(Some(1000), b"", 5_000).unwrap();
    h.take_frames();
    assert_eq!(h.conn.poll_timeout(), Some(35_000));
    assert!(fire(&mut h, 11_000).is_empty());
    assert!(h.take_frames().is_empty(), "no ping after our close");
}

#[test]
fn a_client_heartbeat_masks_its_pings() {
    let mut h = Harness::<Client>::new(Config::default());
    h.conn.enable_heartbeat(BEAT, 0);
    fire(&mut h, 10_000);
    let frames = h.take_frames();
    assert_eq!((frames[0].opcode, frames[0].masked), (0x9, true));
    h.feed(&to_client(0x8a, b""));
    assert_eq!(h.conn.poll_timeout(), Some(20_000));
}
