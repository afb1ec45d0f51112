//! Idle mode: open N connections (at most `ramp` handshakes at a time), announce
//! `{"event":"ready"}` on stderr so the harness can read the server's memory, hold them for the
//! given time, then prove every one is still alive with one verified echo each, and close them.

use crate::config::Config;
use crate::driver::Driver;
use ferrows_loadgen::stats::secs;

use crate::echo::EchoSink;
use crate::json::Obj;

/// Runs idle mode.
pub fn run(cfg: &Config, mut d: Driver) -> Result<Obj, String> {
    let mut sink = EchoSink::new()?;
    d.ramp(cfg.conns, cfg.ramp, &mut sink)?;
    let ramp_s = d.clock.now() as f64 / 1e9;
    eprintln!("{{\"event\":\"ready\",\"connections\":{}}}", cfg.conns);
    let held = d.clock.now();
    d.run_until(held + secs(cfg.hold), &mut sink, &|_| false)?;
    if d.live != cfg.conns {
        return Err(format!(
            "{} of {} idle connections survived",
            d.live, cfg.conns
        ));
    }
    sink.measure(true);
    let now = d.clock.now();
    d.for_each_open(|c, sh| c.send_message(sh, now))?;
    let drained = d.run_until(now + secs(30.0), &mut sink, &|d| d.inflight() == 0)?;
    if !drained || sink.count != cfg.conns as u64 {
        return Err(format!(
            "only {} of {} idle connections echoed",
            sink.count, cfg.conns
        ));
    }
    let pings = d.pings();
    let unclean = d.close_all(secs(10.0), &mut sink)?;
    Ok(Obj::new()
        .str("mode", "idle")
        .int("connections", cfg.conns as u64)
        .num("ramp_s", ramp_s)
        .num("handshakes_per_s", cfg.conns as f64 / ramp_s)
        .num("hold_s", cfg.hold)
        .int("alive", sink.count)
        .int("pings", pings)
        .int("unclean_closes", unclean as u64 + sink.unclean))
}
