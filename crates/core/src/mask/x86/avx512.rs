//! The AVX-512BW kernel: 64-byte vectors, same shape as the SSE2 and AVX2
//! kernels (see `x86.rs`); below 64 bytes the short path continues with the
//! AVX2 tier.
//!
//! Detection asks for AVX-512BW as well as AVX-512F (the kernel is offered
//! as `avx512bw`), although the code only needs AVX-512F: the head and tail
//! use overlapping unaligned vectors rather than `vmovdqu8` byte-masked loads
//! and stores, which measured 1.5–2× slower at 7–1000 bytes on AMD Zen 4.

use core::arch::x86_64::{
    __m512i, _mm512_load_si512, _mm512_loadu_si512, _mm512_set1_epi32, _mm512_store_si512,
    _mm512_storeu_si512, _mm512_xor_si512,
};
use core::ptr;

use super::super::scalar::rotate;
use super::ymm_any;

/// The AVX-512BW kernel: 64-byte vectors.
#[target_feature(enable = "avx512f,avx512bw")]
pub(super) fn avx512bw(buf: &mut [u8], key: [u8; 4], phase: usize) {
    let k = rotate(key, phase);
    let n = buf.len();
    // Up to two vectors take the short path.
    let (Some(first), Some(last), true) =
        (buf.first_chunk::<64>(), buf.last_chunk::<64>(), n > 128)
    else {
        return zmm_any(buf, k);
    };
    // Head and tail vectors from the original bytes, stored last.
    let first = _mm512_xor_si512(load64(first), key64(k));
    let last = _mm512_xor_si512(load64(last), key64(rotate(k, n)));
    // The head is shorter than one vector, so `first` covers it.
    let head = buf.as_ptr().addr().wrapping_neg() % 64;
    let kv = key64(rotate(k, head));
    for c in buf[head..].as_chunks_mut::<64>().0 {
        // SAFETY: `buf[head]` is 64-byte aligned by the choice of `head`,
        // and every chunk starts a multiple of 64 bytes after it.
        unsafe { xor_aligned64(c, kv) };
    }
    // The body ends less than one vector before the end: `last` covers it.
    if let Some(c) = buf.first_chunk_mut() {
        store64(c, first);
    }
    if let Some(c) = buf.last_chunk_mut() {
        store64(c, last);
    }
}

/// Any length with unaligned 64-byte vectors, as [`ymm_any`]; up to 64
/// bytes, [`ymm_any`] itself.
#[inline]
#[target_feature(enable = "avx512f,avx512bw")]
pub(super) fn zmm_any(buf: &mut [u8], k: [u8; 4]) {
    let n = buf.len();
    // Up to 64 bytes, two AVX2 vectors beat one unaligned 64-byte vector.
    let (true, Some(a), Some(b)) = (n > 64, buf.first_chunk::<64>(), buf.last_chunk::<64>()) else {
        return ymm_any(buf, k);
    };
    let kv = key64(k);
    let a = _mm512_xor_si512(load64(a), kv);
    let b = _mm512_xor_si512(load64(b), key64(rotate(k, n)));
    let middle = ((n - 1) / 64).saturating_sub(1);
    for c in buf[64..].as_chunks_mut::<64>().0.iter_mut().take(middle) {
        store64(c, _mm512_xor_si512(load64(c), kv));
    }
    if let Some(c) = buf.first_chunk_mut() {
        store64(c, a);
    }
    if let Some(c) = buf.last_chunk_mut() {
        store64(c, b);
    }
}

/// The key repeated over a 64-byte vector (little-endian lanes, as in
/// `key32`).
#[inline]
#[target_feature(enable = "avx512f")]
fn key64(k: [u8; 4]) -> __m512i {
    _mm512_set1_epi32(i32::from_le_bytes(k))
}

/// XORs one 64-byte-aligned chunk in place with aligned load and store.
///
/// # Safety
///
/// `chunk` must be 64-byte aligned.
#[inline]
#[target_feature(enable = "avx512f")]
unsafe fn xor_aligned64(chunk: &mut [u8; 64], kv: __m512i) {
    let p = ptr::from_mut(chunk).cast::<__m512i>();
    debug_assert!(p.is_aligned(), "misaligned body chunk");
    // SAFETY: `p` points to 64 valid bytes, 64-byte aligned (caller's
    // contract); AVX-512F is enabled here.
    let v = unsafe { _mm512_load_si512(p) };
    let v = _mm512_xor_si512(v, kv);
    // SAFETY: as for the load; `chunk` is an exclusive reference.
    unsafe { _mm512_store_si512(p, v) };
}

#[inline]
#[target_feature(enable = "avx512f")]
fn load64(src: &[u8; 64]) -> __m512i {
    // SAFETY: `src` is a valid reference to 64 bytes and the load is
    // unaligned; AVX-512F is enabled here.
    unsafe { _mm512_loadu_si512(ptr::from_ref(src).cast()) }
}

#[inline]
#[target_feature(enable = "avx512f")]
fn store64(dst: &mut [u8; 64], v: __m512i) {
    // SAFETY: `dst` is a valid, exclusive reference to 64 bytes and the
    // store is unaligned; AVX-512F is enabled here.
    unsafe { _mm512_storeu_si512(ptr::from_mut(dst).cast(), v) }
}
