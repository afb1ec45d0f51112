//! Where a piece of input ends in a code point that is cut short.

/// How many bytes the sequence that `lead` starts must have, for a lead byte
/// (`>= C0`).
///
/// Invalid lead bytes get a length too (`C0`/`C1` → 2, `F5`–`FF` → 4). This
/// is only so that they are split off as a tail, where `compat::from_utf8`
/// rejects them on their own.
pub(super) const fn sequence_len(lead: u8) -> usize {
    match lead {
        0xC0..=0xDF => 2,
        0xE0..=0xEF => 3,
        _ => 4,
    }
}

/// True for a continuation byte (`10xxxxxx`).
const fn is_continuation(byte: u8) -> bool {
    byte & 0xC0 == 0x80
}

/// The index where the incomplete code point at the end of `bytes` starts,
/// or `bytes.len()` when `bytes` does not end inside one.
///
/// Only the last 3 bytes are looked at. The last byte among them that is not
/// a continuation byte starts the tail if it is a lead byte and its sequence
/// runs past the end. If all 3 are continuation bytes, any sequence that
/// holds them started 4 or more bytes back, so it is complete or invalid. In
/// both cases the body validator decides.
pub(super) fn incomplete_start(bytes: &[u8]) -> usize {
    let len = bytes.len();
    for back in 1..=len.min(3) {
        let byte = bytes[len - back];
        if !is_continuation(byte) {
            let cut_short = byte >= 0xC0 && sequence_len(byte) > back;
            return if cut_short { len - back } else { len };
        }
    }
    len
}

#[cfg(test)]
mod tests {
    use super::{incomplete_start, sequence_len};

    #[test]
    fn sequence_len_covers_every_lead_byte() {
        assert_eq!(sequence_len(0xC2), 2);
        assert_eq!(sequence_len(0xC0), 2);
        assert_eq!(sequence_len(0xDF), 2);
        assert_eq!(sequence_len(0xE0), 3);
        assert_eq!(sequence_len(0xEF), 3);
        assert_eq!(sequence_len(0xF0), 4);
        assert_eq!(sequence_len(0xF4), 4);
        assert_eq!(sequence_len(0xFF), 4);
    }

    #[test]
    fn incomplete_start_of_empty_or_ascii_is_the_end() {
        assert_eq!(incomplete_start(b""), 0);
        assert_eq!(incomplete_start(b"a"), 1);
        assert_eq!(incomplete_start(b"abc\x7F"), 4);
    }

    #[test]
    fn incomplete_start_of_complete_code_point_is_the_end() {
        assert_eq!(incomplete_start("aé".as_bytes()), 3);
        assert_eq!(incomplete_start("a€".as_bytes()), 4);
        assert_eq!(incomplete_start("a😀".as_bytes()), 5);
    }

    #[test]
    fn incomplete_start_finds_lead_byte_cut_short() {
        assert_eq!(incomplete_start(b"a\xC3"), 1);
        assert_eq!(incomplete_start(b"a\xE2"), 1);
        assert_eq!(incomplete_start(b"a\xE2\x82"), 1);
        assert_eq!(incomplete_start(b"a\xF0\x9F\x98"), 1);
        assert_eq!(incomplete_start(b"\xF0\x9F"), 0);
    }

    #[test]
    fn incomplete_start_splits_off_invalid_lead_bytes() {
        assert_eq!(incomplete_start(b"a\xC0"), 1);
        assert_eq!(incomplete_start(b"a\xF5\x80"), 1);
        assert_eq!(incomplete_start(b"a\xFF"), 1);
    }

    #[test]
    fn incomplete_start_leaves_stray_continuations_to_the_body() {
        assert_eq!(incomplete_start(b"a\x80"), 2);
        assert_eq!(incomplete_start(b"\x80\x80\x80"), 3);
        assert_eq!(incomplete_start(b"\xE2\x80\x80\x80"), 4);
    }
}
