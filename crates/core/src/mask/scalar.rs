//! Portable kernels: the byte-loop reference and the word-at-a-time scalar
//! kernel, plus [`xor_any`], where the SIMD short paths end below 16 bytes.
//!
//! Everything here is safe code except one `align_to_mut`, so this path is
//! Miri-clean and runs on every target (including `wasm32-unknown-unknown`).

/// The key rotated so that `rotate(key, phase)[i % 4]` masks payload byte
/// `phase + i`.
///
/// Kernels rotate once on entry and from then on index the key from 0. Any
/// sub-slice starting `off` bytes later uses `rotate(k, off)`; offsets that
/// are multiples of 4 (every vector width) leave the key unchanged.
#[inline]
pub(super) fn rotate(key: [u8; 4], phase: usize) -> [u8; 4] {
    // Little-endian on purpose: byte `j` of the word is `key[j]` on every
    // target, so rotating the word right by 8 bits moves `key[1]` to index 0.
    let shift = 8 * (phase % 4) as u32;
    u32::from_le_bytes(key).rotate_right(shift).to_le_bytes()
}

/// The reference kernel: one byte at a time, straight from RFC 6455 §5.3
/// (`transformed[i] = original[i] ^ key[i % 4]`, with `i` counted from the
/// start of the payload, i.e. from `phase`).
///
/// Every other kernel is tested against this one.
#[cfg(any(test, fuzzing))]
pub(crate) fn apply_bytes(buf: &mut [u8], key: [u8; 4], phase: usize) {
    let start = phase % 4;
    for (i, byte) in buf.iter_mut().enumerate() {
        *byte ^= key[(start + i) % 4];
    }
}

/// The portable kernel: a head up to 8-byte alignment, an aligned `u64` body
/// and a tail, the head and tail (each under 8 bytes) taking [`xor_any`].
pub(super) fn apply_words(buf: &mut [u8], key: [u8; 4], phase: usize) {
    let k = rotate(key, phase);
    if buf.len() <= 16 {
        return xor_any(buf, k);
    }
    // SAFETY: `u8` and `u64` are plain integers, so every bit pattern of the
    // reinterpreted middle is a valid `u64` and vice versa; `align_to_mut`
    // itself guarantees the middle is in bounds and 8-byte aligned.
    let (head, body, tail) = unsafe { buf.align_to_mut::<u64>() };
    xor_any(head, k);
    let kb = rotate(k, head.len());
    let word = splat64(kb);
    for w in body {
        *w ^= word;
    }
    // The body is a whole number of 8-byte words, so the tail's key is `kb`.
    xor_any(tail, kb);
}

/// XORs `buf` (any length; meant for short ones) with the pre-rotated key
/// `k`, using unaligned words; the SIMD short paths end here.
///
/// Whole 8-byte words from the front, then one word over the last 8 bytes
/// for the remainder; 4..=7 bytes the same with `u32`s; under 4, bytes. The
/// last word is read before the loop and written after it, so where it
/// overlaps the final whole word it rewrites the same `original ^ key` bytes.
#[inline]
pub(super) fn xor_any(buf: &mut [u8], k: [u8; 4]) {
    let n = buf.len();
    if let Some(last) = buf.last_chunk::<8>() {
        let last = u64::from_ne_bytes(*last) ^ splat64(rotate(k, n));
        let word = splat64(k);
        for w in buf.as_chunks_mut::<8>().0 {
            *w = (u64::from_ne_bytes(*w) ^ word).to_ne_bytes();
        }
        put(buf.last_chunk_mut(), last.to_ne_bytes());
    } else if let Some(last) = buf.last_chunk::<4>() {
        let last = u32::from_ne_bytes(*last) ^ u32::from_ne_bytes(rotate(k, n));
        let word = u32::from_ne_bytes(k);
        for w in buf.as_chunks_mut::<4>().0 {
            *w = (u32::from_ne_bytes(*w) ^ word).to_ne_bytes();
        }
        put(buf.last_chunk_mut(), last.to_ne_bytes());
    } else {
        for (byte, key) in buf.iter_mut().zip(k) {
            *byte ^= key;
        }
    }
}

/// Stores `value` into a chunk the caller has already proved exists.
#[inline]
fn put<const N: usize>(dst: Option<&mut [u8; N]>, value: [u8; N]) {
    if let Some(dst) = dst {
        *dst = value;
    }
}

/// The key twice as a native-endian word (the bytes `k ++ k` on every
/// endianness), so XOR with a native-endian load is a byte-wise XOR.
#[inline]
fn splat64(k: [u8; 4]) -> u64 {
    u64::from(u32::from_ne_bytes(k)) * 0x1_0000_0001
}

#[cfg(test)]
mod tests {
    use super::*;

    const KEY: [u8; 4] = [0x12, 0x34, 0x56, 0x78];

    #[test]
    fn bytes_masks_rfc6455_example() {
        // RFC 6455 §5.7: "Hello" masked with 37 fa 21 3d.
        let mut buf = *b"Hello";
        apply_bytes(&mut buf, [0x37, 0xfa, 0x21, 0x3d], 0);
        assert_eq!(buf, [0x7f, 0x9f, 0x4d, 0x51, 0x58]);
    }

    #[test]
    fn bytes_phase_starts_mid_key() {
        let mut buf = [0u8; 6];
        apply_bytes(&mut buf, KEY, 4 * 1000 + 3);
        assert_eq!(buf, [0x78, 0x12, 0x34, 0x56, 0x78, 0x12]);
    }

    #[test]
    fn bytes_phase_usize_max_is_phase_3() {
        let mut a = [0xa5u8; 7];
        let mut b = a;
        apply_bytes(&mut a, KEY, usize::MAX);
        apply_bytes(&mut b, KEY, 3);
        assert_eq!(a, b);
    }

    #[test]
    fn splat64_is_the_key_twice_in_memory_order() {
        assert_eq!(
            splat64(KEY).to_ne_bytes(),
            [0x12, 0x34, 0x56, 0x78, 0x12, 0x34, 0x56, 0x78]
        );
    }

    #[test]
    fn rotate_matches_reference_for_every_phase() {
        for phase in 0..8 {
            let mut expected = [0u8; 4];
            apply_bytes(&mut expected, KEY, phase);
            assert_eq!(rotate(KEY, phase), expected, "phase {phase}");
        }
    }

    #[test]
    fn any_and_words_equal_reference_for_small_lengths_and_offsets() {
        let data: Vec<u8> = (0..200u32).map(|i| (i * 37 + 11) as u8).collect();
        let max_len = if cfg!(miri) { 40 } else { 150 };
        for off in 0..16 {
            for len in 0..=max_len {
                for phase in 0..4 {
                    let mut expected = data.clone();
                    apply_bytes(&mut expected[off..off + len], KEY, phase);
                    let mut words = data.clone();
                    apply_words(&mut words[off..off + len], KEY, phase);
                    assert_eq!(words, expected, "words off {off} len {len} phase {phase}");
                    let mut short = data.clone();
                    xor_any(&mut short[off..off + len], rotate(KEY, phase));
                    assert_eq!(short, expected, "short off {off} len {len} phase {phase}");
                }
            }
        }
    }
}
