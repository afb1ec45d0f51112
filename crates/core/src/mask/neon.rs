//! The aarch64 NEON kernel: 16-byte vectors.
//!
//! Same shape as the x86-64 kernels (see `x86.rs`): rotate the key once; up
//! to 32 bytes take the short path (`q_any`, two overlapping unaligned
//! vectors, or [`scalar::xor_any`] below 16 bytes); longer buffers take an
//! unaligned head vector, a 16-byte-aligned body and an unaligned tail
//! vector, head and tail loaded before the body is touched and stored after
//! it. NEON loads and stores have no aligned form; the aligned body keeps
//! every body access inside one cache line.
//!
//! Key vectors are loaded from a byte array rather than built from a `u32`
//! lane, so lane order is memory order on either endianness.

use core::arch::aarch64::{uint8x16_t, veorq_u8, vld1q_u8, vst1q_u8};

use super::scalar::{self, rotate};
use super::Kernel;

/// Appends the NEON kernel if this CPU supports it.
pub(super) fn detect(out: &mut Vec<Kernel>) {
    if std::arch::is_aarch64_feature_detected!("neon") {
        // SAFETY: `neon` needs only NEON, detected on this CPU just above.
        out.push(unsafe { Kernel::new("neon", neon) });
    }
}

/// The NEON kernel.
#[target_feature(enable = "neon")]
fn neon(buf: &mut [u8], key: [u8; 4], phase: usize) {
    let k = rotate(key, phase);
    let n = buf.len();
    // Up to two vectors take the short path.
    let (Some(first), Some(last), true) = (buf.first_chunk::<16>(), buf.last_chunk::<16>(), n > 32)
    else {
        return q_any(buf, k);
    };
    // Head and tail vectors from the original bytes, stored last.
    let first = veorq_u8(load16(first), key16(k));
    let last = veorq_u8(load16(last), key16(rotate(k, n)));
    // The head is shorter than one vector, so `first` covers it; the body
    // chunks are 16-byte aligned.
    let head = buf.as_ptr().addr().wrapping_neg() % 16;
    let kv = key16(rotate(k, head));
    for c in buf[head..].as_chunks_mut::<16>().0 {
        store16(c, veorq_u8(load16(c), kv));
    }
    // The body ends less than one vector before the end: `last` covers it.
    if let Some(c) = buf.first_chunk_mut() {
        store16(c, first);
    }
    if let Some(c) = buf.last_chunk_mut() {
        store16(c, last);
    }
}

/// Any length with unaligned 16-byte vectors: one over the first 16 bytes,
/// one over the last 16, whole vectors in between; under 16 bytes,
/// [`scalar::xor_any`].
///
/// The first and last vectors are loaded before anything is stored, so
/// where they overlap each other or the middle they rewrite the same
/// `original ^ key` bytes. The middle takes the whole vectors that end
/// before the last byte, so exactly two vectors' worth needs only the two.
#[inline]
#[target_feature(enable = "neon")]
fn q_any(buf: &mut [u8], k: [u8; 4]) {
    let n = buf.len();
    let (Some(a), Some(b)) = (buf.first_chunk::<16>(), buf.last_chunk::<16>()) else {
        return scalar::xor_any(buf, k);
    };
    let kv = key16(k);
    let a = veorq_u8(load16(a), kv);
    let b = veorq_u8(load16(b), key16(rotate(k, n)));
    let middle = ((n - 1) / 16).saturating_sub(1);
    for c in buf[16..].as_chunks_mut::<16>().0.iter_mut().take(middle) {
        store16(c, veorq_u8(load16(c), kv));
    }
    if let Some(c) = buf.first_chunk_mut() {
        store16(c, a);
    }
    if let Some(c) = buf.last_chunk_mut() {
        store16(c, b);
    }
}

/// The key repeated over a 16-byte vector.
#[inline]
#[target_feature(enable = "neon")]
fn key16(k: [u8; 4]) -> uint8x16_t {
    let bytes: [u8; 16] = core::array::from_fn(|i| k[i % 4]);
    load16(&bytes)
}

#[inline]
#[target_feature(enable = "neon")]
fn load16(src: &[u8; 16]) -> uint8x16_t {
    // SAFETY: `src` is a valid reference to 16 bytes and `vld1q_u8` needs no
    // alignment beyond `u8`; NEON is enabled here.
    unsafe { vld1q_u8(src.as_ptr()) }
}

#[inline]
#[target_feature(enable = "neon")]
fn store16(dst: &mut [u8; 16], v: uint8x16_t) {
    // SAFETY: `dst` is a valid, exclusive reference to 16 bytes and
    // `vst1q_u8` needs no alignment beyond `u8`; NEON is enabled here.
    unsafe { vst1q_u8(dst.as_mut_ptr(), v) }
}
