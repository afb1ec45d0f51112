//! x86-64 kernels: SSE2 (16-byte vectors) and AVX2 (32-byte) here, AVX-512BW
//! (64-byte) in `x86/avx512.rs`.
//!
//! Every kernel has the same shape, shown for a vector of `V` bytes:
//!
//! 1. rotate the key by `phase` once ([`rotate`]);
//! 2. up to `2 * V` bytes take the short path `*_any`: two possibly
//!    overlapping unaligned vectors, or below `V` bytes the next narrower
//!    tier (`zmm_any` → `ymm_any` → `xmm_any` → [`scalar::xor_any`]);
//! 3. longer buffers are split by address: the **head** (the fewer than `V`
//!    bytes before the first `V`-aligned address) is covered by one unaligned
//!    vector over the first `V` bytes; the **body** is whole aligned vectors
//!    from there (aligned loads and stores, key rotated by the head length);
//!    the **tail** (fewer than `V` bytes after the body) is covered by one
//!    unaligned vector over the last `V` bytes.
//!
//! The head and tail vectors are loaded *before* the body is touched and
//! stored after it, so where they overlap the body they rewrite the same
//! `original ^ key` bytes. That is one load and store each instead of a
//! byte/word cascade, and it also beat AVX-512BW byte-masked loads and stores
//! on the AMD Zen 4 this was tuned on.
//!
//! The aligned loads and stores are the only `unsafe` with a precondition
//! the type system cannot see; `xor_aligned*` debug-assert it, so the
//! differential tests (all 64 start alignments) catch a wrong head length
//! in debug builds too, not only as a fault in release.
//!
//! All functions here are safe `#[target_feature]` functions: calling one
//! without the feature is only possible through `Kernel::new`, whose callers
//! in [`detect`] have probed the CPU first.

use core::arch::x86_64::{
    __m128i, __m256i, _mm256_load_si256, _mm256_loadu_si256, _mm256_set1_epi32, _mm256_store_si256,
    _mm256_storeu_si256, _mm256_xor_si256, _mm_load_si128, _mm_loadu_si128, _mm_set1_epi32,
    _mm_store_si128, _mm_storeu_si128, _mm_xor_si128,
};
use core::ptr;

use super::scalar::{self, rotate};
use super::Kernel;

mod avx512;

/// Appends the x86-64 kernels this CPU supports, widest first.
pub(super) fn detect(out: &mut Vec<Kernel>) {
    if is_x86_feature_detected!("avx512f") && is_x86_feature_detected!("avx512bw") {
        // SAFETY: `avx512bw` needs exactly AVX-512F and AVX-512BW (and the
        // features they imply), both detected on this CPU just above.
        out.push(unsafe { Kernel::new("avx512bw", avx512::avx512bw) });
    }
    if is_x86_feature_detected!("avx2") {
        // SAFETY: `avx2` needs AVX2 (and what it implies), detected above.
        out.push(unsafe { Kernel::new("avx2", avx2) });
    }
    if is_x86_feature_detected!("sse2") {
        // SAFETY: `sse2` needs SSE2, detected above (and baseline on x86-64).
        out.push(unsafe { Kernel::new("sse2", sse2) });
    }
}

/// The AVX2 kernel: 32-byte vectors.
#[target_feature(enable = "avx2")]
fn avx2(buf: &mut [u8], key: [u8; 4], phase: usize) {
    let k = rotate(key, phase);
    let n = buf.len();
    // Up to two vectors take the short path.
    let (Some(first), Some(last), true) = (buf.first_chunk::<32>(), buf.last_chunk::<32>(), n > 64)
    else {
        return ymm_any(buf, k);
    };
    // Head and tail vectors from the original bytes, stored last.
    let first = _mm256_xor_si256(load32(first), key32(k));
    let last = _mm256_xor_si256(load32(last), key32(rotate(k, n)));
    // The head is shorter than one vector, so `first` covers it.
    let head = buf.as_ptr().addr().wrapping_neg() % 32;
    let kv = key32(rotate(k, head));
    for c in buf[head..].as_chunks_mut::<32>().0 {
        // SAFETY: `buf[head]` is 32-byte aligned by the choice of `head`,
        // and every chunk starts a multiple of 32 bytes after it.
        unsafe { xor_aligned32(c, kv) };
    }
    // The body ends less than one vector before the end: `last` covers it.
    if let Some(c) = buf.first_chunk_mut() {
        store32(c, first);
    }
    if let Some(c) = buf.last_chunk_mut() {
        store32(c, last);
    }
}

/// Any length with unaligned 32-byte vectors: one over the first 32 bytes,
/// one over the last 32, whole vectors in between; under 32 bytes,
/// [`xmm_any`].
///
/// The first and last vectors are loaded before anything is stored, so
/// where they overlap each other or the middle they rewrite the same
/// `original ^ key` bytes. The middle takes the whole vectors that end
/// before the last byte, so exactly two vectors' worth needs only the two.
#[inline]
#[target_feature(enable = "avx2")]
fn ymm_any(buf: &mut [u8], k: [u8; 4]) {
    let n = buf.len();
    let (Some(a), Some(b)) = (buf.first_chunk::<32>(), buf.last_chunk::<32>()) else {
        return xmm_any(buf, k);
    };
    let kv = key32(k);
    let a = _mm256_xor_si256(load32(a), kv);
    let b = _mm256_xor_si256(load32(b), key32(rotate(k, n)));
    let middle = ((n - 1) / 32).saturating_sub(1);
    for c in buf[32..].as_chunks_mut::<32>().0.iter_mut().take(middle) {
        store32(c, _mm256_xor_si256(load32(c), kv));
    }
    if let Some(c) = buf.first_chunk_mut() {
        store32(c, a);
    }
    if let Some(c) = buf.last_chunk_mut() {
        store32(c, b);
    }
}

/// The SSE2 kernel: 16-byte vectors.
#[target_feature(enable = "sse2")]
fn sse2(buf: &mut [u8], key: [u8; 4], phase: usize) {
    let k = rotate(key, phase);
    let n = buf.len();
    // Up to two vectors take the short path.
    let (Some(first), Some(last), true) = (buf.first_chunk::<16>(), buf.last_chunk::<16>(), n > 32)
    else {
        return xmm_any(buf, k);
    };
    // Head and tail vectors from the original bytes, stored last.
    let first = _mm_xor_si128(load16(first), key16(k));
    let last = _mm_xor_si128(load16(last), key16(rotate(k, n)));
    // The head is shorter than one vector, so `first` covers it.
    let head = buf.as_ptr().addr().wrapping_neg() % 16;
    let kv = key16(rotate(k, head));
    for c in buf[head..].as_chunks_mut::<16>().0 {
        // SAFETY: `buf[head]` is 16-byte aligned by the choice of `head`,
        // and every chunk starts a multiple of 16 bytes after it.
        unsafe { xor_aligned16(c, kv) };
    }
    // The body ends less than one vector before the end: `last` covers it.
    if let Some(c) = buf.first_chunk_mut() {
        store16(c, first);
    }
    if let Some(c) = buf.last_chunk_mut() {
        store16(c, last);
    }
}

/// Any length with unaligned 16-byte vectors, as [`ymm_any`]; under 16
/// bytes, [`scalar::xor_any`].
#[inline]
#[target_feature(enable = "sse2")]
fn xmm_any(buf: &mut [u8], k: [u8; 4]) {
    let n = buf.len();
    let (Some(a), Some(b)) = (buf.first_chunk::<16>(), buf.last_chunk::<16>()) else {
        return scalar::xor_any(buf, k);
    };
    let kv = key16(k);
    let a = _mm_xor_si128(load16(a), kv);
    let b = _mm_xor_si128(load16(b), key16(rotate(k, n)));
    let middle = ((n - 1) / 16).saturating_sub(1);
    for c in buf[16..].as_chunks_mut::<16>().0.iter_mut().take(middle) {
        store16(c, _mm_xor_si128(load16(c), kv));
    }
    if let Some(c) = buf.first_chunk_mut() {
        store16(c, a);
    }
    if let Some(c) = buf.last_chunk_mut() {
        store16(c, b);
    }
}

/// The key repeated over a 32-byte vector. x86 is little-endian, so the
/// lane bytes are `k[0], k[1], k[2], k[3], k[0], …` in memory order.
#[inline]
#[target_feature(enable = "avx")]
fn key32(k: [u8; 4]) -> __m256i {
    _mm256_set1_epi32(i32::from_le_bytes(k))
}

/// The key repeated over a 16-byte vector (see [`key32`]).
#[inline]
#[target_feature(enable = "sse2")]
fn key16(k: [u8; 4]) -> __m128i {
    _mm_set1_epi32(i32::from_le_bytes(k))
}

/// XORs one 32-byte-aligned chunk in place with aligned load and store.
///
/// # Safety
///
/// `chunk` must be 32-byte aligned.
#[inline]
#[target_feature(enable = "avx2")]
unsafe fn xor_aligned32(chunk: &mut [u8; 32], kv: __m256i) {
    let p = ptr::from_mut(chunk).cast::<__m256i>();
    debug_assert!(p.is_aligned(), "misaligned body chunk");
    // SAFETY: `p` points to 32 valid bytes, 32-byte aligned (caller's
    // contract); AVX is enabled here.
    let v = unsafe { _mm256_load_si256(p) };
    let v = _mm256_xor_si256(v, kv);
    // SAFETY: as for the load; `chunk` is an exclusive reference.
    unsafe { _mm256_store_si256(p, v) };
}

#[inline]
#[target_feature(enable = "avx")]
fn load32(src: &[u8; 32]) -> __m256i {
    // SAFETY: `src` is a valid reference to 32 bytes and the load is
    // unaligned; AVX is enabled here.
    unsafe { _mm256_loadu_si256(ptr::from_ref(src).cast()) }
}

#[inline]
#[target_feature(enable = "avx")]
fn store32(dst: &mut [u8; 32], v: __m256i) {
    // SAFETY: `dst` is a valid, exclusive reference to 32 bytes and the
    // store is unaligned; AVX is enabled here.
    unsafe { _mm256_storeu_si256(ptr::from_mut(dst).cast(), v) }
}

/// XORs one 16-byte-aligned chunk in place with aligned load and store.
///
/// # Safety
///
/// `chunk` must be 16-byte aligned.
#[inline]
#[target_feature(enable = "sse2")]
unsafe fn xor_aligned16(chunk: &mut [u8; 16], kv: __m128i) {
    let p = ptr::from_mut(chunk).cast::<__m128i>();
    debug_assert!(p.is_aligned(), "misaligned body chunk");
    // SAFETY: `p` points to 16 valid bytes, 16-byte aligned (caller's
    // contract); SSE2 is enabled here.
    let v = unsafe { _mm_load_si128(p) };
    let v = _mm_xor_si128(v, kv);
    // SAFETY: as for the load; `chunk` is an exclusive reference.
    unsafe { _mm_store_si128(p, v) };
}

#[inline]
#[target_feature(enable = "sse2")]
fn load16(src: &[u8; 16]) -> __m128i {
    // SAFETY: `src` is a valid reference to 16 bytes and the load is
    // unaligned; SSE2 is enabled here.
    unsafe { _mm_loadu_si128(ptr::from_ref(src).cast()) }
}

#[inline]
#[target_feature(enable = "sse2")]
fn store16(dst: &mut [u8; 16], v: __m128i) {
    // SAFETY: `dst` is a valid, exclusive reference to 16 bytes and the
    // store is unaligned; SSE2 is enabled here.
    unsafe { _mm_storeu_si128(ptr::from_mut(dst).cast(), v) }
}

#[cfg(test)]
mod tests {
    use super::super::scalar::apply_bytes;
    use super::*;

    /// The short paths accept any length, not only the up-to-two-vector
    /// buffers the kernels hand them; check that beyond those sizes too.
    fn check_any(name: &str, any: &dyn Fn(&mut [u8], [u8; 4])) {
        let data: Vec<u8> = (0..400u32).map(|i| (i * 151 + 7) as u8).collect();
        let key = [0x9a, 0x0b, 0xfe, 0x31];
        let max_len = if cfg!(miri) { 80 } else { 300 };
        for off in [0, 1, 3, 17] {
            for len in 0..=max_len {
                for phase in 0..4 {
                    let mut expected = data.clone();
                    apply_bytes(&mut expected[off..off + len], key, phase);
                    let mut got = data.clone();
                    any(&mut got[off..off + len], rotate(key, phase));
                    assert!(
                        got == expected,
                        "{name} len {len} offset {off} phase {phase}"
                    );
                }
            }
        }
    }

    #[test]
    fn xmm_any_equals_reference_for_long_buffers() {
        assert!(is_x86_feature_detected!("sse2"));
        // SAFETY: SSE2 was detected just above.
        check_any("xmm_any", &|b, k| unsafe { xmm_any(b, k) });
    }

    #[test]
    fn ymm_any_equals_reference_for_long_buffers() {
        if is_x86_feature_detected!("avx2") {
            // SAFETY: AVX2 was detected just above.
            check_any("ymm_any", &|b, k| unsafe { ymm_any(b, k) });
        }
    }

    #[test]
    fn zmm_any_equals_reference_for_long_buffers() {
        if is_x86_feature_detected!("avx512f") && is_x86_feature_detected!("avx512bw") {
            // SAFETY: AVX-512F and AVX-512BW were detected just above.
            check_any("zmm_any", &|b, k| unsafe { avx512::zmm_any(b, k) });
        }
    }
}
