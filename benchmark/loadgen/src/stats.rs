//! Round-trip histograms and their JSON summary.

use hdrhistogram::Histogram;

use crate::json::Obj;

/// Nanoseconds in a second.
pub const SECOND: u64 = 1_000_000_000;

/// A histogram of nanoseconds from 1 ns to one hour, 3 significant digits.
pub fn histogram() -> Result<Histogram<u64>, String> {
    Histogram::new_with_bounds(1, 3600 * SECOND, 3).map_err(|e| e.to_string())
}

/// Latency percentiles in microseconds.
pub fn latency_json(hist: &Histogram<u64>) -> Obj {
    let us = |ns: u64| ns as f64 / 1000.0;
    Obj::new()
        .num("p50", us(hist.value_at_quantile(0.50)))
        .num("p90", us(hist.value_at_quantile(0.90)))
        .num("p99", us(hist.value_at_quantile(0.99)))
        .num("p999", us(hist.value_at_quantile(0.999)))
        .num("max", us(hist.max()))
        .num("mean", hist.mean() / 1000.0)
}

/// Seconds to nanoseconds.
pub fn secs(s: f64) -> u64 {
    (s * 1e9) as u64
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn latency_json_reports_microseconds() {
        let mut h = histogram().unwrap();
        for ns in [1_000, 2_000, 3_000] {
            h.record(ns).unwrap();
        }
        let text = latency_json(&h).finish();
        assert!(text.starts_with(r#"{"p50":2,"#), "{text}");
        assert_eq!(secs(1.5), 1_500_000_000);
    }
}
