//! Test-only fault injection: with the `fault-injection` feature (never part
//! of a release build: `npm run build:native` does not enable it), JavaScript
//! can arm a one-shot panic at a site of the engine or the driver, to show
//! that a panic fails only the connection it hit (`__test__/panics.spec.ts`,
//! built by `scripts/build-fault.mjs`). Without the feature, [`check`] is
//! empty and `injectFault` does not exist.

/// Where a panic can be injected.
#[derive(Clone, Copy, Debug)]
pub enum Site {
    /// The engine handing a received message to the batch (both transports).
    Receive = 1,
    /// The native driver writing a connection's output (check phase).
    Flush = 2,
    /// The native driver firing a connection's deadline (timer phase).
    Timer = 4,
}

#[cfg(feature = "fault-injection")]
static ARMED: std::sync::atomic::AtomicU32 = std::sync::atomic::AtomicU32::new(0);

/// Panics if a fault is armed at `site` (once).
#[inline(always)]
pub fn check(site: Site) {
    #[cfg(feature = "fault-injection")]
    {
        let bit = site as u32;
        if ARMED.fetch_and(!bit, std::sync::atomic::Ordering::Relaxed) & bit != 0 {
            panic!("ferrows fault injection: a panic at {site:?}");
        }
    }
    #[cfg(not(feature = "fault-injection"))]
    let _ = site;
}

/// Arms a one-shot panic at `site`: `"receive"`, `"flush"` or `"timer"`.
#[cfg(feature = "fault-injection")]
#[napi_derive::napi]
pub fn inject_fault(site: String) -> napi::Result<()> {
    let site = match site.as_str() {
        "receive" => Site::Receive,
        "flush" => Site::Flush,
        "timer" => Site::Timer,
        _ => {
            return Err(napi::Error::from_reason(format!(
                "unknown fault site {site}"
            )))
        }
    };
    ARMED.fetch_or(site as u32, std::sync::atomic::Ordering::Relaxed);
    Ok(())
}
