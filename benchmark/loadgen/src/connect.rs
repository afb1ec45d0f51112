//! Connect-rate mode: keep `concurrency` connection attempts going; each one connects, completes
//! and verifies the handshake, sends a close frame and waits for the server's close frame and
//! TCP close. Completed cycles in the timed window give connections per second; the handshake
//! time (connect start to verified 101) goes to a histogram.

use hdrhistogram::Histogram;

use crate::config::Config;
use crate::conn::{Conn, Shared, Sink};
use crate::driver::Driver;
use crate::json::Obj;
use crate::sys;
use ferrows_loadgen::stats::{self, latency_json, secs};

#[derive(Debug)]
struct CycleSink {
    measuring: bool,
    cycles: u64,
    unclean: u64,
    hist: Histogram<u64>,
}

impl Sink for CycleSink {
    fn opened(&mut self, conn: &mut Conn, _shared: &Shared, now: u64) -> Result<(), String> {
        if self.measuring {
            self.hist
                .saturating_record(now.saturating_sub(conn.started).max(1));
        }
        conn.start_close();
        Ok(())
    }

    fn echoed(&mut self, _: &mut Conn, _: &Shared, _: u64, _: u64, _: bool) -> Result<(), String> {
        Err("echo in connect mode".into())
    }

    fn closed(&mut self, clean: bool, _now: u64) {
        if self.measuring {
            self.cycles += 1;
            self.unclean += u64::from(!clean);
        }
    }
}

fn churn(
    d: &mut Driver,
    sink: &mut CycleSink,
    until: u64,
    concurrency: usize,
) -> Result<(), String> {
    while d.clock.now() < until {
        while d.live < concurrency {
            d.connect()?;
        }
        d.poll(10, sink)?;
    }
    Ok(())
}

/// Runs connect-rate mode.
pub fn run(cfg: &Config, mut d: Driver) -> Result<Obj, String> {
    let hist = stats::histogram()?;
    let mut sink = CycleSink {
        measuring: false,
        cycles: 0,
        unclean: 0,
        hist,
    };
    let start = d.clock.now();
    churn(&mut d, &mut sink, start + secs(cfg.warmup), cfg.concurrency)?;
    eprintln!("{{\"event\":\"measure-start\"}}");
    let (t0, cpu0) = (d.clock.now(), sys::cpu_time());
    sink.measuring = true;
    churn(&mut d, &mut sink, t0 + secs(cfg.duration), cfg.concurrency)?;
    sink.measuring = false;
    let (t1, cpu1) = (d.clock.now(), sys::cpu_time());
    eprintln!("{{\"event\":\"measure-end\"}}");
    let finished = d.run_until(t1 + secs(10.0), &mut sink, &|d| d.live == 0)?;
    if !finished {
        return Err(format!(
            "{} connections did not finish their cycle in 10 s",
            d.live
        ));
    }
    let window = (t1 - t0) as f64 / 1e9;
    Ok(Obj::new()
        .str("mode", "connect")
        .int("concurrency", cfg.concurrency as u64)
        .num("window_s", window)
        .int("connections", sink.cycles)
        .num("conn_per_s", sink.cycles as f64 / window)
        .obj("handshake_us", latency_json(&sink.hist))
        .num("client_cpu", (cpu1 - cpu0).as_secs_f64() / window)
        .int("unclean_closes", sink.unclean))
}
