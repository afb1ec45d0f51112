//! Test helper: CPU time of a closure, and how it grows with the input.
//!
//! Used to assert linear time (A7 and A8 of the bad-input battery). With 4×
//! the input a linear parser takes about 4× the time and a quadratic one
//! 16×, so tests assert a ratio under 10. The clock is the thread's CPU time
//! where available (Linux), not wall time: on a shared, loaded machine a long
//! run is preempted more often than a short one, which would inflate the
//! ratio. Small and large runs alternate and the best of each counts.

use std::time::Duration;

/// Below this, timings are noise; shorter runs are rounded up to it.
const FLOOR: Duration = Duration::from_micros(500);

/// `best(large) / best(small)` over seven alternating runs each.
pub(crate) fn growth<A, B>(mut small: impl FnMut() -> A, mut large: impl FnMut() -> B) -> f64 {
    let mut best_small = Duration::MAX;
    let mut best_large = Duration::MAX;
    for _ in 0..7 {
        best_small = best_small.min(cpu_time(&mut small));
        best_large = best_large.min(cpu_time(&mut large));
    }
    best_large.max(FLOOR).as_secs_f64() / best_small.max(FLOOR).as_secs_f64()
}

/// `base` scaled by `FERROWS_TEST_TIME_SCALE` (a positive number, default 1):
/// the absolute time budgets assume native code, so a run under emulation
/// (`scripts/cross/qemu-arm64.sh` runs the aarch64 tests in qemu-user, about
/// ten times slower) sets a factor instead of skipping the test. The growth
/// ratios need no scaling.
pub(crate) fn budget(base: Duration) -> Duration {
    let scale = std::env::var("FERROWS_TEST_TIME_SCALE")
        .ok()
        .and_then(|v| v.parse::<f64>().ok())
        .filter(|s| s.is_finite() && *s > 0.0)
        .unwrap_or(1.0);
    base.mul_f64(scale)
}

/// The best CPU time of three runs.
pub(crate) fn best_cpu_time<T>(mut run: impl FnMut() -> T) -> Duration {
    (0..3)
        .map(|_| cpu_time(&mut run))
        .min()
        .unwrap_or(Duration::MAX)
}

fn cpu_time<T>(run: &mut impl FnMut() -> T) -> Duration {
    let started = clock::now();
    std::hint::black_box(run());
    clock::now().saturating_sub(started)
}

#[cfg(all(target_os = "linux", target_pointer_width = "64"))]
mod clock {
    use std::time::Duration;

    /// `struct timespec` on 64-bit Linux.
    #[repr(C)]
    struct Timespec {
        tv_sec: i64,
        tv_nsec: i64,
    }

    extern "C" {
        fn clock_gettime(clock: i32, tp: *mut Timespec) -> i32;
    }

    const CLOCK_THREAD_CPUTIME_ID: i32 = 3;

    /// CPU time consumed by the calling thread.
    pub(super) fn now() -> Duration {
        let mut ts = Timespec {
            tv_sec: 0,
            tv_nsec: 0,
        };
        // SAFETY: `ts` is a live, writable `struct timespec` for the whole
        // call, and the clock id is a valid Linux clock.
        let rc = unsafe { clock_gettime(CLOCK_THREAD_CPUTIME_ID, &mut ts) };
        assert_eq!(rc, 0, "clock_gettime(CLOCK_THREAD_CPUTIME_ID) failed");
        let secs = u64::try_from(ts.tv_sec).unwrap_or_default();
        let nanos = u32::try_from(ts.tv_nsec).unwrap_or_default();
        Duration::new(secs, nanos)
    }
}

#[cfg(not(all(target_os = "linux", target_pointer_width = "64")))]
mod clock {
    use std::sync::OnceLock;
    use std::time::{Duration, Instant};

    /// Wall time since the first call (no portable thread clock in std).
    pub(super) fn now() -> Duration {
        static START: OnceLock<Instant> = OnceLock::new();
        START.get_or_init(Instant::now).elapsed()
    }
}
