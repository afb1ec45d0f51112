//! WebSocket payload masking (RFC 6455 §5.3) with per-CPU kernels chosen once
//! at run time.
//!
//! Masking and unmasking are the same operation: payload byte `i` is XOR-ed
//! with `key[i % 4]`, counting `i` from the start of the payload. [`apply`]
//! takes a `phase` (the payload position of `buf[0]`) so a payload that
//! arrives in several reads can be unmasked piece by piece:
//!
//! ```
//! use ferrows_core::mask;
//!
//! let key = [0x37, 0xfa, 0x21, 0x3d];
//! let mut payload = *b"Hello";
//! mask::apply(&mut payload[..2], key, 0);
//! mask::apply(&mut payload[2..], key, 2);
//! assert_eq!(payload, [0x7f, 0x9f, 0x4d, 0x51, 0x58]); // RFC 6455 §5.7
//! ```
//!
//! # The kernel contract
//!
//! A kernel is a function `(buf: &mut [u8], key: [u8; 4], phase: usize)`. It
//! must:
//!
//! - leave `buf` **byte for byte identical** to the scalar byte-loop
//!   reference for every length (including 0), every alignment of
//!   `buf.as_ptr()`, every key and every `phase` (taken mod 4, so
//!   `usize::MAX` is valid);
//! - read and write only inside `buf` — overlapping stores are allowed only
//!   when both were computed from the original bytes, so they write the same
//!   value;
//! - not allocate, block or panic: it runs on every received frame;
//! - if it needs CPU features, be a `#[target_feature]` function that is
//!   handed out only after those features were detected (see *Dispatch*).
//!
//! Every kernel has the same shape (detailed in `x86.rs`): rotate the key by
//! `phase` once; when `buf` fits in two vectors, take a cheap path of two
//! overlapping unaligned vectors (64-byte frames are the hot case), or the
//! next narrower tier; otherwise split by address into an unaligned head up
//! to vector alignment, an aligned body of whole vectors with the key rotated
//! by the head length, and a tail, where head and tail are one unaligned
//! vector each. The differential tests in this module check every kernel in
//! [`available`] against the reference for all lengths up to 4200 at all 64
//! start alignments.
//!
//! | kernel | target | vector | file |
//! |---|---|---|---|
//! | `avx512bw` | x86-64 with AVX-512F + AVX-512BW | 64 B | `x86/avx512.rs` |
//! | `avx2` | x86-64 with AVX2 | 32 B | `x86.rs` |
//! | `sse2` | x86-64 (baseline) | 16 B | `x86.rs` |
//! | `neon` | aarch64 with NEON | 16 B | `neon.rs` |
//! | `scalar` | everywhere | 8 B words | `scalar.rs` |
//!
//! `scalar.rs` also holds the byte-loop reference, which is not a selectable
//! kernel.
//!
//! # Dispatch
//!
//! The first call to [`apply`] (or [`selected`]) probes the CPU with
//! `is_x86_feature_detected!` / `is_aarch64_feature_detected!` and picks the
//! first entry of [`available`] (the widest kernel). The choice is cached in
//! a `OnceLock` and its function pointer in an `AtomicPtr`, so every later
//! call is one relaxed load and one indirect call. Nothing depends on
//! compile-time `target_feature` or `target-cpu=native`.
//!
//! Without the `std-detect` feature, and on other targets, only `scalar` is
//! available. Adding a kernel means: a `#[target_feature]` function in an
//! arch file, a `detect` entry that wraps it in a `Kernel` only after probing,
//! and a row in the table above.

use core::sync::atomic::{AtomicPtr, Ordering};
use std::sync::OnceLock;

mod scalar;

/// The byte-loop reference every kernel must equal (for fuzz targets).
#[cfg(fuzzing)]
pub(crate) use scalar::apply_bytes as reference_apply;

#[cfg(all(feature = "std-detect", target_arch = "aarch64"))]
mod neon;
#[cfg(all(feature = "std-detect", target_arch = "x86_64"))]
mod x86;

#[cfg(test)]
mod tests;

/// The common signature of every kernel, as a function pointer. It is
/// `unsafe` because SIMD kernels may only run on CPUs with their features.
type RawKernel = unsafe fn(&mut [u8], [u8; 4], usize);

/// XORs `buf` in place with the 4-byte masking `key`, where `phase` (any
/// `usize`, taken mod 4) is the position within the payload of `buf[0]`.
///
/// A payload can therefore be unmasked in several pieces:
/// `apply(&mut p[..n], key, 0); apply(&mut p[n..], key, n);`. Applying the
/// same key and phase twice restores the input.
///
/// ```
/// let mut frame = [1u8, 2, 3, 4, 5];
/// ferrows_core::mask::apply(&mut frame, [9, 9, 9, 9], 0);
/// assert_eq!(frame, [8, 11, 10, 13, 12]);
/// ```
#[inline]
pub fn apply(buf: &mut [u8], key: [u8; 4], phase: usize) {
    let raw = ACTIVE.load(Ordering::Relaxed);
    // SAFETY: `ACTIVE` only ever holds a `RawKernel` cast to `*mut ()`
    // (`probe` initially, then `chosen().func`), and data and function
    // pointers have the same size on every supported target.
    let kernel = unsafe { core::mem::transmute::<*mut (), RawKernel>(raw) };
    // SAFETY: `probe` is a safe function; the only other value ever stored
    // is the function of a `Kernel`, whose CPU features were detected before
    // it was built (the invariant of `Kernel::new`).
    unsafe { kernel(buf, key, phase) }
}

/// Name of the kernel the CPU probe selected: `"avx512bw"`, `"avx2"`,
/// `"sse2"`, `"neon"` or `"scalar"`.
///
/// ```
/// let name = ferrows_core::mask::selected();
/// assert!(ferrows_core::mask::available().iter().any(|k| k.name() == name));
/// ```
pub fn selected() -> &'static str {
    chosen().name
}

/// Every kernel usable on this CPU, widest first; `scalar` is always last.
///
/// Meant for tests and benchmarks; production code calls [`apply`].
///
/// ```
/// let kernels = ferrows_core::mask::available();
/// assert_eq!(kernels.last().map(|k| k.name()), Some("scalar"));
/// ```
pub fn available() -> Vec<Kernel> {
    let mut kernels = Vec::with_capacity(4);
    #[cfg(all(feature = "std-detect", target_arch = "x86_64"))]
    x86::detect(&mut kernels);
    #[cfg(all(feature = "std-detect", target_arch = "aarch64"))]
    neon::detect(&mut kernels);
    kernels.push(Kernel::SCALAR);
    kernels
}

/// One masking kernel that this CPU can run, as listed by [`available`].
#[derive(Clone, Copy, Debug)]
pub struct Kernel {
    name: &'static str,
    /// Invariant: the running CPU has every feature `func` is compiled with.
    func: RawKernel,
}

impl Kernel {
    /// The portable word-at-a-time kernel; needs no CPU feature.
    const SCALAR: Kernel = Kernel {
        name: "scalar",
        func: scalar::apply_words,
    };

    /// Wraps a kernel function.
    ///
    /// # Safety
    ///
    /// The running CPU must support every target feature `func` is compiled
    /// with (check with `is_*_feature_detected!` first), and `func` must
    /// meet the kernel contract in the module docs.
    #[cfg(all(
        feature = "std-detect",
        any(target_arch = "x86_64", target_arch = "aarch64")
    ))]
    unsafe fn new(name: &'static str, func: RawKernel) -> Self {
        Kernel { name, func }
    }

    /// The kernel's name, e.g. `"avx2"`.
    pub fn name(&self) -> &'static str {
        self.name
    }

    /// Runs this kernel; same contract as [`apply`].
    ///
    /// ```
    /// for kernel in ferrows_core::mask::available() {
    ///     let mut buf = [0u8; 3];
    ///     kernel.apply(&mut buf, [1, 2, 3, 4], 1);
    ///     assert_eq!(buf, [2, 3, 4], "{}", kernel.name());
    /// }
    /// ```
    pub fn apply(&self, buf: &mut [u8], key: [u8; 4], phase: usize) {
        // SAFETY: a `Kernel` is only built as `SCALAR` (no features needed)
        // or through `Kernel::new`, whose callers detected the features.
        unsafe { (self.func)(buf, key, phase) }
    }
}

/// The dispatch target: starts as `probe`, then holds the chosen kernel.
static ACTIVE: AtomicPtr<()> = AtomicPtr::new(probe as RawKernel as *mut ());

/// The kernel picked by the one-time CPU probe.
fn chosen() -> Kernel {
    static CHOSEN: OnceLock<Kernel> = OnceLock::new();
    *CHOSEN.get_or_init(|| available().first().copied().unwrap_or(Kernel::SCALAR))
}

/// First call through [`apply`]: probe, cache the winner, then run it.
fn probe(buf: &mut [u8], key: [u8; 4], phase: usize) {
    let kernel = chosen();
    ACTIVE.store(kernel.func as *mut (), Ordering::Relaxed);
    kernel.apply(buf, key, phase);
}
