//! Entry points for the fuzz targets in `fuzz/` (compiled only under
//! `cfg(fuzzing)`, which cargo-fuzz sets). Each function is an oracle: it
//! panics when an invariant breaks, so the fuzzer reports it as a crash.
//!
//! * [`receive`] — the whole receive state machine over fuzzer-chosen chunks,
//!   limits, role and permessage-deflate settings. Invariants: no panic; the
//!   same outcome as one unsplit write; every failure maps to exactly one close
//!   code from RFC 6455 §7.4; nothing is delivered after a failure; retained
//!   input stays within the limits plus one frame header.
//! * [`utf8_differential`] — the streaming validator against `std` at
//!   fuzzer-chosen split points, including fail-fast.
//! * [`mask_differential`] — the selected kernel against the byte loop.
//! * [`inflate_capped`] — inflation never exceeds its output cap.

use bytes::BytesMut;

use crate::deflate::{Inflater, Negotiated};
use crate::limits::Limits;
use crate::protocol::{Config, Connection, DeflateSettings, Event, EventQueue};
use crate::role::{Client, Role, Server};
use crate::utf8::Utf8Stream;

/// One receive scenario, decoded by the fuzz target from its input.
#[derive(Clone, Debug)]
pub struct ReceiveCase {
    /// Server role (masked input expected) or client role.
    pub server: bool,
    /// The wire bytes, split into chunks as they arrive.
    pub chunks: Vec<Vec<u8>>,
    /// `max_payload`, `max_fragments`, `max_buffered_chunks` (0 disables).
    pub limits: (u32, u32, u32),
    /// permessage-deflate: (server bits, server no-context-takeover,
    /// client bits, client no-context-takeover), bits clamped to 8..=15.
    pub deflate: Option<(u8, bool, u8, bool)>,
    /// `skipUTF8Validation`.
    pub skip_utf8: bool,
}

fn config(case: &ReceiveCase) -> Config {
    let (payload, fragments, chunks) = case.limits;
    Config {
        limits: Limits {
            max_payload: payload as usize,
            max_fragments: fragments,
            max_buffered_chunks: chunks,
            max_pending_pongs: 0,
        },
        skip_utf8_validation: case.skip_utf8,
        deflate: case.deflate.map(|(sb, sn, cb, cn)| DeflateSettings {
            negotiated: Negotiated {
                server_no_context_takeover: sn,
                client_no_context_takeover: cn,
                server_max_window_bits: sb.clamp(8, 15),
                client_max_window_bits: cb.clamp(8, 15),
            },
            threshold: 0,
            level: 1,
            mem_level: 8,
        }),
        ..Config::default()
    }
}

fn run<R: Role>(case: &ReceiveCase, chunks: &[Vec<u8>]) -> (Vec<Event>, usize) {
    let mut conn = Connection::<R>::new(config(case));
    let mut queue = EventQueue::new();
    let mut max_retained = 0;
    for chunk in chunks {
        let mut copy = chunk.clone();
        conn.receive(&mut copy, 0, &mut queue);
        max_retained = max_retained.max(conn.buffered_input());
    }
    (queue.drain().collect(), max_retained)
}

/// Runs `case` split as given and unsplit, and checks the invariants.
pub fn receive(case: &ReceiveCase) {
    let whole = vec![case.chunks.concat()];
    let ((split, retained), (unsplit, _)) = if case.server {
        (
            run::<Server>(case, &case.chunks),
            run::<Server>(case, &whole),
        )
    } else {
        (
            run::<Client>(case, &case.chunks),
            run::<Client>(case, &whole),
        )
    };
    let chunk_limited = case.limits.2 != 0;
    if !chunk_limited {
        assert_eq!(split, unsplit, "the split changed the outcome");
    }
    let errors: Vec<_> = split
        .iter()
        .enumerate()
        .filter_map(|(i, e)| matches!(e, Event::Error(_)).then_some(i))
        .collect();
    assert!(errors.len() <= 1, "more than one failure reported");
    if let Some(&at) = errors.first() {
        assert_eq!(at, split.len() - 1, "an event followed the failure");
        if let Event::Error(err) = &split[at] {
            assert!(matches!(err.close_code(), 1002 | 1007 | 1008 | 1009 | 1011));
        }
    }
    let max_payload = case.limits.0 as usize;
    if max_payload > 0 {
        let bound = max_payload + 14 + case.chunks.iter().map(Vec::len).max().unwrap_or(0);
        assert!(retained <= bound, "retained {retained} > {bound}");
    }
}

/// Feeds `data` to a [`Utf8Stream`] split at `cuts` and compares with `std`,
/// including that the stream fails no later than the first impossible prefix.
pub fn utf8_differential(data: &[u8], cuts: &[usize]) {
    let mut stream = Utf8Stream::new();
    let mut last = 0;
    let mut failed_at = None;
    let mut points: Vec<usize> = cuts.iter().map(|c| c % (data.len() + 1)).collect();
    points.sort_unstable();
    points.push(data.len());
    for cut in points {
        if cut < last {
            continue;
        }
        if failed_at.is_none() && stream.feed(&data[last..cut]).is_err() {
            failed_at = Some(cut);
        }
        if failed_at.is_none() {
            if let Err(e) = std::str::from_utf8(&data[..cut]) {
                assert!(
                    e.error_len().is_none(),
                    "stream missed an invalid prefix at {cut}"
                );
            }
        }
        last = cut;
    }
    let finished = failed_at.is_none() && stream.finish().is_ok();
    assert_eq!(finished, std::str::from_utf8(data).is_ok());
}

/// The selected masking kernel equals the byte loop.
pub fn mask_differential(data: &[u8], key: [u8; 4], phase: usize) {
    let mut fast = data.to_vec();
    let mut slow = data.to_vec();
    crate::mask::apply(&mut fast, key, phase);
    crate::mask::reference_apply(&mut slow, key, phase);
    assert_eq!(fast, slow);
}

/// Inflating arbitrary bytes never panics and never exceeds `limit`.
pub fn inflate_capped(window_bits: u8, data: &[u8], limit: usize) {
    let mut inflater = Inflater::new(window_bits.clamp(8, 15), false);
    let mut out = BytesMut::new();
    let _ = inflater.inflate(data, true, &mut out, limit);
    if limit > 0 {
        assert!(out.len() <= limit, "inflated {} > limit {limit}", out.len());
    }
}
