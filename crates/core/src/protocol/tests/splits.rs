//! bad-inputs.md B12: every stream gives the same outcome under every split.

use proptest::prelude::*;

use super::wire::{close_payload, concat, to_server};
use super::*;

/// The event trace and output of feeding `wire` split at `cuts`.
fn run(wire: &[u8], cuts: &[usize]) -> (Vec<Event>, Vec<u8>) {
    run_with(wire, cuts, false)
}

/// Like [`run`]; with `spare`, reading into the engine's spare room while a
/// frame is partial, as the native driver does.
fn run_with(wire: &[u8], cuts: &[usize], spare: bool) -> (Vec<Event>, Vec<u8>) {
    let mut h = server_with(Limits::from_ws(1 << 20, 64, 0, 0));
    if spare {
        h.feed_split_spare(wire, cuts);
    } else {
        h.feed_split(wire, cuts);
    }
    let out = h.take_output();
    (std::mem::take(&mut h.events), out)
}

/// Arbitrary cut points turned into sorted offsets within `wire`.
fn cuts_within(wire: &[u8], raw_cuts: Vec<usize>) -> Vec<usize> {
    let mut cuts: Vec<usize> = raw_cuts.into_iter().map(|c| c % (wire.len() + 1)).collect();
    cuts.sort_unstable();
    cuts
}

/// A mix of valid and invalid streams covering the battery.
fn corpus() -> Vec<Vec<u8>> {
    vec![
        concat(&[
            to_server(0x81, "κόσμε".as_bytes()),
            to_server(0x82, &[0; 300]),
        ]),
        concat(&[
            to_server(0x01, b"frag"),
            to_server(0x89, b"ping"),
            to_server(0x80, b"ment"),
        ]),
        concat(&[
            to_server(0x82, &vec![1; 70_000]),
            to_server(0x88, &close_payload(1000, b"bye")),
        ]),
        concat(&[
            to_server(0x81, b"ok"),
            to_server(0x81, &[0xce, 0xba, 0xf4, 0x90, 0x80, 0x80, b'x', b'y']),
        ]),
        concat(&[to_server(0x01, &[0xe2, 0x82]), to_server(0x80, &[0xac])]),
        concat(&[to_server(0x81, b"a"), to_server(0xc1, b"rsv")]),
        concat(&[
            to_server(0x88, &close_payload(1000, b"")),
            to_server(0x81, b"after"),
        ]),
        concat(&[to_server(0x02, b"x"), to_server(0x82, b"y")]),
        [0x82u8, 0xff, 0x80, 0, 0, 0, 0, 0, 0, 0, 1, 2, 3, 4].to_vec(),
        to_server(0x88, &close_payload(1005, b"")),
    ]
}

#[test]
fn byte_by_byte_equals_one_write_for_the_corpus() {
    for wire in corpus() {
        let whole = run(&wire, &[]);
        let cuts: Vec<usize> = (1..wire.len()).collect();
        assert_eq!(
            run(&wire, &cuts),
            whole,
            "wire {:02x?}",
            &wire[..wire.len().min(16)]
        );
    }
}

#[test]
fn reading_into_the_engine_byte_by_byte_equals_one_write() {
    for wire in corpus() {
        let cuts: Vec<usize> = (1..wire.len()).collect();
        assert_eq!(run_with(&wire, &cuts, true), run(&wire, &[]));
    }
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(256))]
    #[test]
    fn random_splits_equal_one_write(which in 0usize..10, raw_cuts in proptest::collection::vec(any::<usize>(), 0..24)) {
        let wire = &corpus()[which];
        let cuts = cuts_within(wire, raw_cuts);
        prop_assert_eq!(run(wire, &cuts), run(wire, &[]));
    }

    #[test]
    fn reading_into_the_engine_equals_one_write(which in 0usize..10, raw_cuts in proptest::collection::vec(any::<usize>(), 0..24)) {
        let wire = &corpus()[which];
        let cuts = cuts_within(wire, raw_cuts);
        prop_assert_eq!(run_with(wire, &cuts, true), run(wire, &[]));
    }
}
