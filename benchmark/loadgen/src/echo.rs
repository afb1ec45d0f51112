//! Echo mode: N connections, each keeping k messages in flight (k = 1 is a closed loop). After
//! all handshakes, a warm-up, then a timed window in which verified echoes are counted and their
//! round-trip times recorded; then sending stops, every message still in flight must come back
//! (a lost echo fails the run) and every connection is closed with a close handshake.

use ferrows_loadgen::stats::{self, latency_json, secs, SECOND};
use hdrhistogram::Histogram;

use crate::config::Config;
use crate::conn::{Conn, Shared, Sink};
use crate::driver::Driver;
use crate::json::Obj;
use crate::sys;

/// Counts echoes and keeps the pipeline full.
#[derive(Debug)]
pub struct EchoSink {
    sending: bool,
    measuring: bool,
    /// Echoes counted in the window.
    pub count: u64,
    /// Compressed echoes (all phases).
    pub compressed: u64,
    /// Uncompressed echoes (all phases).
    pub plain: u64,
    /// Round-trip times in the window (ns).
    pub hist: Histogram<u64>,
    /// Connections that ended without a close handshake.
    pub unclean: u64,
}

impl EchoSink {
    /// A sink that records nothing until `measure(true)`.
    pub fn new() -> Result<Self, String> {
        Ok(Self {
            sending: false,
            measuring: false,
            count: 0,
            compressed: 0,
            plain: 0,
            hist: stats::histogram()?,
            unclean: 0,
        })
    }

    /// Sends one more message per echo while `on`.
    pub fn set_sending(&mut self, on: bool) {
        self.sending = on;
    }

    /// Counts and records echoes while `on`.
    pub fn measure(&mut self, on: bool) {
        self.measuring = on;
    }
}

impl Sink for EchoSink {
    fn opened(&mut self, _conn: &mut Conn, _shared: &Shared, _now: u64) -> Result<(), String> {
        Ok(())
    }

    fn echoed(
        &mut self,
        conn: &mut Conn,
        shared: &Shared,
        sent: u64,
        now: u64,
        compressed: bool,
    ) -> Result<(), String> {
        if compressed {
            self.compressed += 1;
        } else {
            self.plain += 1;
        }
        if self.measuring {
            self.count += 1;
            self.hist.saturating_record(now.saturating_sub(sent).max(1));
        }
        if self.sending {
            conn.send_message(shared, now)?;
        }
        Ok(())
    }

    fn closed(&mut self, clean: bool, _now: u64) {
        self.unclean += u64::from(!clean);
    }
}

/// Runs echo mode.
pub fn run(cfg: &Config, mut d: Driver) -> Result<Obj, String> {
    let mut sink = EchoSink::new()?;
    d.ramp(cfg.conns, cfg.ramp, &mut sink)?;
    let ramp_s = d.clock.now() as f64 / 1e9;
    sink.set_sending(true);
    let start = d.clock.now();
    d.for_each_open(|c, sh| (0..cfg.inflight).try_for_each(|_| c.send_message(sh, start)))?;
    let never = &|_: &Driver| false;
    d.run_until(start + secs(cfg.warmup), &mut sink, never)?;
    eprintln!("{{\"event\":\"measure-start\"}}");
    let (t0, cpu0) = (d.clock.now(), sys::cpu_time());
    sink.measure(true);
    d.run_until(t0 + secs(cfg.duration), &mut sink, never)?;
    sink.measure(false);
    let (t1, cpu1) = (d.clock.now(), sys::cpu_time());
    eprintln!("{{\"event\":\"measure-end\"}}");
    sink.set_sending(false);
    let drained = d.run_until(t1 + 10 * SECOND, &mut sink, &|d| d.inflight() == 0)?;
    if !drained {
        return Err(format!(
            "{} echoes still missing 10 s after sending stopped",
            d.inflight()
        ));
    }
    let pings = d.pings();
    let unclean = d.close_all(3 * SECOND, &mut sink)?;
    let window = (t1 - t0) as f64 / 1e9;
    let rate = sink.count as f64 / window;
    Ok(Obj::new()
        .str("mode", "echo")
        .int("connections", cfg.conns as u64)
        .int("inflight", cfg.inflight as u64)
        .int("size", cfg.size as u64)
        .str("type", cfg.kind_name())
        .bool("deflate", cfg.deflate)
        .num("ramp_s", ramp_s)
        .num("window_s", window)
        .int("messages", sink.count)
        .num("msg_per_s", rate)
        .num("mib_per_s", rate * cfg.size as f64 / (1 << 20) as f64)
        .obj("latency_us", latency_json(&sink.hist))
        .num("client_cpu", (cpu1 - cpu0).as_secs_f64() / window)
        .int("compressed_echoes", sink.compressed)
        .int("plain_echoes", sink.plain)
        .int("pings", pings)
        .int("unclean_closes", unclean as u64 + sink.unclean))
}
