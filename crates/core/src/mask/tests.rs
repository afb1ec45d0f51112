//! Differential tests: every kernel in `available()` against the byte-loop
//! reference, plus the dispatch and phase-continuity properties of `apply`.

use proptest::prelude::*;

use super::scalar::apply_bytes;
use super::{apply, available, chosen, selected, Kernel, ACTIVE};
use core::sync::atomic::Ordering;

/// Longest payload in the exhaustive sweep (covers every head/body/tail
/// combination of every vector width many times over).
const MAX_LEN: usize = if cfg!(miri) { 140 } else { 4200 };
/// Start offsets 0..64 hit every alignment up to the widest vector.
const OFFSETS: usize = if cfg!(miri) { 8 } else { 64 };
/// Bytes after the payload that must stay untouched.
const GUARD: usize = 64;
/// (key, phase) pairs per offset; each length uses one of them.
const VARIANTS: usize = 3;

/// splitmix64: a tiny deterministic generator for test data.
struct Rng(u64);

impl Rng {
    fn next(&mut self) -> u64 {
        self.0 = self.0.wrapping_add(0x9e37_79b9_7f4a_7c15);
        let mut z = self.0;
        z = (z ^ (z >> 30)).wrapping_mul(0xbf58_476d_1ce4_e5b9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94d0_49bb_1331_11eb);
        z ^ (z >> 31)
    }
}

/// A byte buffer whose index 0 is 64-byte aligned, so offset `o` into it has
/// alignment exactly `o % 64`.
struct Aligned {
    storage: Vec<u8>,
    start: usize,
}

impl Aligned {
    fn zeroed(len: usize) -> Self {
        let storage = vec![0u8; len + 64];
        let start = storage.as_ptr().align_offset(64);
        assert!(start < 64, "cannot align test buffer");
        Aligned { storage, start }
    }

    fn bytes(&mut self) -> &mut [u8] {
        &mut self.storage[self.start..]
    }
}

fn names(kernels: &[Kernel]) -> Vec<&'static str> {
    kernels.iter().map(Kernel::name).collect()
}

/// Runs `kernel` on `work[off..off + len]` (after restoring `work` from
/// `data`) and checks the payload against `expected` and the bytes around it
/// against `data`.
fn check(
    kernel: Kernel,
    data: &[u8],
    work: &mut [u8],
    off: usize,
    expected: &[u8],
    case: (u64, usize),
) {
    let len = expected.len();
    let end = off + len + GUARD;
    work[..end].copy_from_slice(&data[..end]);
    let (key, phase) = case;
    kernel.apply(&mut work[off..off + len], (key as u32).to_ne_bytes(), phase);
    let ctx = || {
        format!(
            "{} len {len} offset {off} key {key:#x} phase {phase}",
            kernel.name()
        )
    };
    assert!(
        work[off..off + len] == *expected,
        "payload differs: {}",
        ctx()
    );
    assert!(
        work[..off] == data[..off],
        "wrote before the slice: {}",
        ctx()
    );
    assert!(
        work[off + len..end] == data[off + len..end],
        "wrote after the slice: {}",
        ctx()
    );
}

#[test]
fn every_kernel_equals_reference_for_all_lengths_and_offsets() {
    let kernels = available();
    let mut rng = Rng(0x5eed);
    let size = OFFSETS + MAX_LEN + GUARD;
    let mut data = Aligned::zeroed(size);
    data.bytes().iter_mut().for_each(|b| *b = rng.next() as u8);
    let data = &data.bytes()[..size];
    let mut work = Aligned::zeroed(size);
    for off in 0..OFFSETS {
        // Masking is position-wise, so the reference for every length is a
        // prefix of the reference for `MAX_LEN`.
        let cases: Vec<(u64, usize)> = (0..VARIANTS)
            .map(|_| (rng.next() & 0xffff_ffff, rng.next() as usize))
            .collect();
        let refs: Vec<Vec<u8>> = cases
            .iter()
            .map(|&(key, phase)| {
                let mut r = data[off..off + MAX_LEN].to_vec();
                apply_bytes(&mut r, (key as u32).to_ne_bytes(), phase);
                r
            })
            .collect();
        for len in 0..=MAX_LEN {
            let v = len % VARIANTS;
            for &kernel in &kernels {
                check(kernel, data, work.bytes(), off, &refs[v][..len], cases[v]);
            }
        }
    }
}

proptest! {
    #[test]
    fn every_kernel_equals_reference_for_random_inputs(
        payload in proptest::collection::vec(any::<u8>(), 0..=4200),
        off in 0usize..64,
        key in any::<[u8; 4]>(),
        phase in any::<usize>(),
    ) {
        let mut expected = payload.clone();
        apply_bytes(&mut expected, key, phase);
        let mut work = Aligned::zeroed(off + payload.len());
        for kernel in available() {
            let buf = &mut work.bytes()[off..off + payload.len()];
            buf.copy_from_slice(&payload);
            kernel.apply(buf, key, phase);
            prop_assert_eq!(&*buf, &expected[..], "kernel {}", kernel.name());
        }
    }

    #[test]
    fn apply_in_random_pieces_equals_whole(
        payload in proptest::collection::vec(any::<u8>(), 0..=2000),
        cuts in proptest::collection::vec(any::<usize>(), 0..8),
        key in any::<[u8; 4]>(),
        phase in any::<usize>(),
    ) {
        let mut whole = payload.clone();
        apply(&mut whole, key, phase);
        let mut cuts: Vec<usize> = cuts.iter().map(|c| c % (payload.len() + 1)).collect();
        cuts.push(0);
        cuts.push(payload.len());
        cuts.sort_unstable();
        let mut pieces = payload;
        for w in cuts.windows(2) {
            apply(&mut pieces[w[0]..w[1]], key, phase.wrapping_add(w[0]));
        }
        prop_assert_eq!(pieces, whole);
    }
}

#[test]
fn every_kernel_split_at_every_point_equals_whole() {
    let key = [0xde, 0xad, 0xbe, 0xef];
    let payload: Vec<u8> = (0..300u32).map(|i| (i * 7 + 3) as u8).collect();
    for kernel in available() {
        let mut whole = payload.clone();
        kernel.apply(&mut whole, key, 1);
        for n in 0..=payload.len() {
            let mut split = payload.clone();
            let (a, b) = split.split_at_mut(n);
            kernel.apply(a, key, 1);
            kernel.apply(b, key, 1 + n);
            assert!(split == whole, "{} split at {n}", kernel.name());
        }
    }
}

#[test]
fn every_kernel_applied_twice_restores_input() {
    let payload: Vec<u8> = (0..1500u32).map(|i| (i ^ (i >> 3)) as u8).collect();
    for kernel in available() {
        let mut buf = payload.clone();
        kernel.apply(&mut buf, [1, 2, 3, 4], 7);
        assert!(buf != payload, "{} did nothing", kernel.name());
        kernel.apply(&mut buf, [1, 2, 3, 4], 7);
        assert!(buf == payload, "{} is not an involution", kernel.name());
    }
}

#[test]
fn selected_is_the_first_available_kernel() {
    let kernels = available();
    assert_eq!(selected(), kernels[0].name());
    assert!(names(&kernels).contains(&selected()));
}

#[test]
fn available_names_are_known_unique_and_end_with_scalar() {
    let names = names(&available());
    let known = ["avx512bw", "avx2", "sse2", "neon", "scalar"];
    assert!(names.iter().all(|n| known.contains(n)), "{names:?}");
    let mut unique = names.clone();
    unique.dedup();
    assert_eq!(unique, names);
    assert_eq!(names.last(), Some(&"scalar"));
}

#[test]
#[cfg(all(feature = "std-detect", target_arch = "x86_64", not(miri)))]
fn x86_64_offers_every_kernel_the_cpu_reports() {
    let names = names(&available());
    assert!(
        names.contains(&"sse2"),
        "SSE2 is baseline on x86-64: {names:?}"
    );
    let detected = [
        ("avx2", is_x86_feature_detected!("avx2")),
        ("avx512bw", is_x86_feature_detected!("avx512bw")),
    ];
    for (name, present) in detected {
        assert_eq!(names.contains(&name), present, "{name}: {names:?}");
    }
}

#[test]
#[cfg(all(feature = "std-detect", target_arch = "aarch64", not(miri)))]
fn aarch64_selects_neon() {
    // NEON is mandatory on AArch64, so the probe must pick it; this is the
    // test that proves a cross run (qemu-aarch64) exercised the NEON kernel
    // rather than falling back to scalar.
    assert!(std::arch::is_aarch64_feature_detected!("neon"));
    assert_eq!(names(&available()), ["neon", "scalar"]);
    assert_eq!(selected(), "neon");
}

#[test]
fn apply_caches_the_selected_kernel_after_first_call() {
    let mut buf = [0u8; 5];
    apply(&mut buf, [1, 2, 3, 4], 0);
    assert_eq!(buf, [1, 2, 3, 4, 1]);
    assert_eq!(ACTIVE.load(Ordering::Relaxed), chosen().func as *mut ());
}

#[test]
fn apply_matches_reference_for_phase_near_usize_max() {
    let payload: Vec<u8> = (0..100u8).collect();
    for phase in [usize::MAX - 2, usize::MAX - 1, usize::MAX] {
        let mut expected = payload.clone();
        apply_bytes(&mut expected, [9, 8, 7, 6], phase);
        let mut got = payload.clone();
        apply(&mut got, [9, 8, 7, 6], phase);
        assert_eq!(got, expected, "phase {phase}");
    }
}
