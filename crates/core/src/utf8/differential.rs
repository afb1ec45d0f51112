//! Differential tests against `std::str::from_utf8` under random splits, and
//! the linear-work bound.

use proptest::prelude::*;
use proptest::sample::Index;

use super::stream::EXAMINED;
use super::{validate, Utf8Stream};

/// Byte sequences near the edges of UTF-8: boundary code points,
/// noncharacters, overlongs, surrogates, values above U+10FFFF, stray and
/// impossible bytes, and cut-short sequences.
const EDGES: &[&[u8]] = &[
    b"\x7F",
    b"\xC2\x80",
    b"\xDF\xBF",
    b"\xE0\xA0\x80",
    b"\xED\x9F\xBF",
    b"\xEE\x80\x80",
    b"\xEF\xBF\xBF",
    b"\xEF\xBF\xBE",
    b"\xF0\x90\x80\x80",
    b"\xF4\x8F\xBF\xBF",
    b"\xC0\x80",
    b"\xC1\xBF",
    b"\xE0\x80\x80",
    b"\xE0\x9F\xBF",
    b"\xF0\x80\x80\x80",
    b"\xF0\x8F\xBF\xBF",
    b"\xED\xA0\x80",
    b"\xED\xBF\xBF",
    b"\xF4\x90\x80\x80",
    b"\xF5\x80\x80\x80",
    b"\xFE",
    b"\xFF",
    b"\x80",
    b"\xBF",
    b"\xC3",
    b"\xE2\x82",
    b"\xF0\x9F\x98",
    b"\xF4",
    b"\xED",
    b"\xE0",
    b"\xF0",
];

/// One piece of an adversarial input: a valid char, an edge sequence or any
/// byte.
fn token() -> impl Strategy<Value = Vec<u8>> {
    prop_oneof![
        4 => any::<char>().prop_map(|c| c.to_string().into_bytes()),
        3 => proptest::sample::select(EDGES).prop_map(<[u8]>::to_vec),
        1 => any::<u8>().prop_map(|b| vec![b]),
    ]
}

/// Adversarial inputs, mostly valid with a few edge sequences, and plain
/// random bytes.
fn input() -> impl Strategy<Value = Vec<u8>> {
    prop_oneof![
        prop::collection::vec(token(), 0..24).prop_map(|tokens| tokens.concat()),
        prop::collection::vec(any::<char>(), 0..24)
            .prop_map(|c| c.into_iter().collect::<String>().into_bytes()),
        prop::collection::vec(any::<u8>(), 0..48),
    ]
}

/// True when `std` says `prefix` cannot be extended to valid UTF-8.
fn dead(prefix: &[u8]) -> bool {
    matches!(std::str::from_utf8(prefix), Err(err) if err.error_len().is_some())
}

/// Feeds `bytes` cut at `cuts` (sorted), checking after every `feed` that it
/// failed exactly when the input so far became impossible to complete, then
/// that `finish` agrees with `std` on the whole, and that no more than the
/// new bytes plus 3 carried bytes per `feed` were handed to `simdutf8`.
fn check_pieces(bytes: &[u8], cuts: &[usize]) -> Result<(), TestCaseError> {
    let mut stream = Utf8Stream::new();
    EXAMINED.with(|count| count.set(0));
    let mut start = 0;
    for &end in cuts.iter().chain([&bytes.len()]) {
        let fed = stream.feed(&bytes[start..end]);
        prop_assert_eq!(fed.is_err(), dead(&bytes[..end]), "feed ending at {}", end);
        start = end;
    }
    prop_assert_eq!(stream.finish().is_ok(), std::str::from_utf8(bytes).is_ok());
    prop_assert!(stream.is_boundary());
    let examined = EXAMINED.with(std::cell::Cell::get);
    prop_assert!(
        examined <= bytes.len() + 3 * (cuts.len() + 1),
        "examined {}",
        examined
    );
    Ok(())
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(2048))]

    #[test]
    fn random_input_split_at_random_offsets_matches_std(
        bytes in input(),
        picks in prop::collection::vec(any::<Index>(), 0..8),
    ) {
        let mut cuts: Vec<usize> = picks.iter().map(|pick| pick.index(bytes.len() + 1)).collect();
        cuts.sort_unstable();
        check_pieces(&bytes, &cuts)?;
    }

    #[test]
    fn random_input_fed_byte_by_byte_matches_std(bytes in input()) {
        let cuts: Vec<usize> = (0..bytes.len()).collect();
        check_pieces(&bytes, &cuts)?;
    }

    #[test]
    fn random_input_in_one_piece_matches_std_and_validate(bytes in input()) {
        prop_assert_eq!(validate(&bytes), std::str::from_utf8(&bytes).is_ok());
        check_pieces(&bytes, &[])?;
    }
}

#[test]
fn dead_oracle_flags_only_impossible_prefixes() {
    // A stream that checked only at `finish` would accept a feed ending in
    // `F4 90`; the oracle must flag that prefix and no cut-short valid one.
    assert!(dead(b"a\xF4\x90"));
    assert!(!dead(b"a\xF4\x8F"));
    assert!(!dead(b"a\xE2\x82"));
}

#[test]
fn long_multibyte_text_in_one_byte_feeds_is_linear() {
    let unit = "κόσμε 😀 ü € \u{FFFF} ascii ";
    let text = unit.repeat(256 * 1024 / unit.len() + 1);
    let bytes = text.as_bytes();
    let mut stream = Utf8Stream::new();
    EXAMINED.with(|count| count.set(0));
    for byte in bytes.chunks(1) {
        stream.feed(byte).unwrap();
    }
    stream.finish().unwrap();
    let examined = EXAMINED.with(std::cell::Cell::get);
    assert!(bytes.len() >= 256 * 1024);
    assert!(
        examined <= 4 * bytes.len(),
        "examined {examined} of {}",
        bytes.len()
    );
}

#[test]
fn long_text_in_large_pieces_examines_each_byte_about_once() {
    let unit = "κόσμε 😀 ü € ascii ";
    let text = unit.repeat(64 * 1024 / unit.len() + 1);
    let bytes = text.as_bytes();
    let mut stream = Utf8Stream::new();
    EXAMINED.with(|count| count.set(0));
    let pieces = bytes.chunks(1021);
    let feeds = pieces.len();
    for piece in pieces {
        stream.feed(piece).unwrap();
    }
    stream.finish().unwrap();
    let examined = EXAMINED.with(std::cell::Cell::get);
    assert!(examined <= bytes.len() + 3 * feeds, "examined {examined}");
}
