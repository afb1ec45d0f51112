//! Fixed cases: Autobahn 6.x payloads at every split, and Markus Kuhn's
//! UTF-8 decoder stress test fed byte by byte.

use super::{validate, Utf8Stream};

/// "κόσμε", the payload Autobahn 6.x builds its cases from.
const KOSME: &[u8] = b"\xCE\xBA\xE1\xBD\xB9\xCF\x83\xCE\xBC\xCE\xB5";

/// Valid payloads: Autobahn 6.2/6.5–6.22 style, boundary code points and
/// noncharacters.
const VALID: &[&[u8]] = &[
    KOSME,
    "Hello-µ@ßöäüàá-UTF-8!!".as_bytes(),
    b"\xF0\x9F\x98\x80",                     // U+1F600, a 4-byte emoji
    b"\xF4\x8F\xBF\xBF",                     // U+10FFFF, the last code point
    b"\xEF\xBF\xBF",                         // U+FFFF, a noncharacter
    b"\xEF\xBF\xBE",                         // U+FFFE, a noncharacter
    b"\xEF\xB7\x90",                         // U+FDD0, a noncharacter
    b"\x00",                                 // U+0000
    b"\x7F\xC2\x80\xDF\xBF",                 // 1-byte and 2-byte boundaries
    b"\xE0\xA0\x80\xED\x9F\xBF\xEE\x80\x80", // U+0800, U+D7FF, U+E000
    b"\xF0\x90\x80\x80\xEF\xBF\xBD",         // U+10000, U+FFFD
];

/// Invalid payloads and the index of the byte that makes the prefix
/// invalid: Kuhn sections 3–5 plus values above U+10FFFF.
const INVALID: &[(&[u8], usize)] = &[
    (b"\x80", 0), // 3.1 lone continuation bytes
    (b"\xBF", 0),
    (b"a\x80\xBF", 1),
    (b"\xC0 ", 0), // 3.2 lonely start bytes
    (b"\xDF ", 1),
    (b"\xE0 ", 1),
    (b"\xEF ", 1),
    (b"\xF0 ", 1),
    (b"\xF4 ", 1),
    (b"\xF8 ", 0),
    (b"\xFC ", 0),
    (b"\xDF\xEF\xBF", 1), // 3.3/3.4 last byte missing, concatenated
    (b"\xE2\x82\xF0", 2),
    (b"\xF0\x9F\x98 ", 3),
    (b"\xFE", 0), // 3.5 impossible bytes
    (b"\xFF", 0),
    (b"\xFE\xFE\xFF\xFF", 0),
    (b"\xC0\xAF", 0), // 4.1 overlong "/"
    (b"\xE0\x80\xAF", 1),
    (b"\xF0\x80\x80\xAF", 1),
    (b"\xF8\x80\x80\x80\xAF", 0),
    (b"\xC1\xBF", 0), // 4.2 maximum overlongs
    (b"\xE0\x9F\xBF", 1),
    (b"\xF0\x8F\xBF\xBF", 1),
    (b"\xC0\x80", 0), // 4.3 overlong NUL
    (b"\xE0\x80\x80", 1),
    (b"\xF0\x80\x80\x80", 1),
    (b"\xED\xA0\x80", 1), // 5.1 single surrogates
    (b"\xED\xAD\xBF", 1),
    (b"\xED\xAE\x80", 1),
    (b"\xED\xAF\xBF", 1),
    (b"\xED\xB0\x80", 1),
    (b"\xED\xBE\x80", 1),
    (b"\xED\xBF\xBF", 1),
    (b"\xED\xA0\x80\xED\xB0\x80", 1), // 5.2 paired surrogates
    (b"\xF4\x90\x80\x80", 1),         // above U+10FFFF
    (b"\xF5\x80\x80\x80", 0),
    (b"\xF7\xBF\xBF\xBF", 0),
];

/// Feeds `bytes` one byte at a time; returns the index of the byte whose
/// `feed` failed, or `None` if all were accepted.
fn failing_byte(bytes: &[u8]) -> Option<usize> {
    let mut stream = Utf8Stream::new();
    (0..bytes.len()).find(|&i| stream.feed(&bytes[i..=i]).is_err())
}

/// Feeds `pieces` in order and then finishes. Returns the index of the first
/// failing `feed`, `pieces.len()` if only `finish` failed, or `None`.
fn failing_piece(pieces: &[&[u8]]) -> Option<usize> {
    let mut stream = Utf8Stream::new();
    match pieces.iter().position(|piece| stream.feed(piece).is_err()) {
        Some(index) => Some(index),
        None => stream.finish().is_err().then_some(pieces.len()),
    }
}

#[test]
fn valid_payloads_split_at_every_pair_of_offsets_succeed() {
    for payload in VALID {
        assert!(validate(payload));
        for i in 0..=payload.len() {
            for j in i..=payload.len() {
                let pieces = [&payload[..i], &payload[i..j], &payload[j..]];
                assert_eq!(failing_piece(&pieces), None, "{payload:02X?} at {i}, {j}");
            }
        }
    }
}

#[test]
fn valid_payloads_fed_byte_by_byte_succeed() {
    for payload in VALID {
        assert_eq!(failing_byte(payload), None, "{payload:02X?}");
        let pieces: Vec<&[u8]> = payload.chunks(1).collect();
        assert_eq!(failing_piece(&pieces), None, "{payload:02X?}");
    }
}

#[test]
fn valid_payloads_truncated_inside_a_code_point_fail_at_finish() {
    for payload in VALID {
        let text = std::str::from_utf8(payload).unwrap();
        for cut in (1..payload.len()).filter(|&cut| !text.is_char_boundary(cut)) {
            assert_eq!(failing_piece(&[&payload[..cut]]), Some(1), "{payload:02X?}");
        }
    }
}

#[test]
fn kuhn_invalid_sequences_fed_byte_by_byte_fail_at_first_bad_byte() {
    for &(bytes, bad) in INVALID {
        assert!(!validate(bytes), "{bytes:02X?}");
        assert_eq!(failing_byte(bytes), Some(bad), "{bytes:02X?}");
    }
}

#[test]
fn kuhn_invalid_sequences_after_valid_text_fail_in_that_piece() {
    for &(bytes, bad) in INVALID {
        let whole = [KOSME, bytes].concat();
        assert_eq!(failing_piece(&[&whole]), Some(0), "{bytes:02X?}");
        let pieces = [KOSME, &bytes[..=bad], &bytes[bad + 1..]];
        assert_eq!(failing_piece(&pieces), Some(1), "{bytes:02X?}");
        let before_bad = [KOSME, &bytes[..bad]];
        assert_eq!(failing_piece(&before_bad[..]).unwrap_or(2), 2);
    }
}

#[test]
fn definitively_invalid_incomplete_tail_fails_without_more_input() {
    let tails: [&[u8]; 6] = [
        b"\xF4\x90",
        b"\xED\xA0",
        b"\xE0\x80",
        b"\xF0\x80",
        b"\xC0",
        b"\xF5",
    ];
    for tail in tails {
        let mut stream = Utf8Stream::new();
        stream.feed(KOSME).unwrap();
        assert!(stream.feed(tail).is_err(), "{tail:02X?}");
        let mut stream = Utf8Stream::new();
        assert!(stream.feed(&[KOSME, tail].concat()).is_err(), "{tail:02X?}");
    }
}

/// Autobahn 6.4.1–6.4.4: "κόσμε", then `F4 90 80 80` (above U+10FFFF), then
/// "edited". A strict peer fails on the piece that holds the `90`.
#[test]
fn autobahn_6_4_fail_fast_fails_at_the_piece_holding_0x90() {
    let kosme_f4 = [KOSME, b"\xF4"].concat();
    let tail = b"\x80\x80edited";
    let cases: [&[&[u8]]; 4] = [
        &[KOSME, b"\xF4\x90\x80\x80", b"edited"], // 6.4.1: three fragments
        &[&kosme_f4, b"\x90", tail],              // 6.4.2: three fragments
        &[KOSME, b"\xF4\x90\x80\x80", b"edited"], // 6.4.3: chops of one frame
        &[&kosme_f4, b"\x90", tail],              // 6.4.4: chops of one frame
    ];
    for (case, pieces) in cases.iter().enumerate() {
        assert_eq!(failing_piece(pieces), Some(1), "6.4.{}", case + 1);
    }
    let whole = [KOSME, b"\xF4\x90\x80\x80edited"].concat();
    assert_eq!(failing_byte(&whole), Some(KOSME.len() + 1));
}
