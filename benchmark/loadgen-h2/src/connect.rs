//! Connect mode: keep `concurrency` cycles going. A cycle opens a TCP connection, does the
//! HTTP/2 handshake and waits for the server's SETTINGS, opens one extended-CONNECT stream
//! (200), sends one message and verifies its echo, closes the stream (close handshake,
//! END_STREAM both ways) and then the connection. Cycles completed in the timed window give
//! the rate; the setup time (connect start to the 200) goes to a histogram.

use std::rc::Rc;

use tokio::task::spawn_local;
use tokio::time::{timeout, Duration};

use ferrows_loadgen::json::Obj;
use ferrows_loadgen::os;
use ferrows_loadgen::stats::{latency_json, secs, SECOND};

use crate::run::{self, Run, Stream};

async fn cycle(run: &Rc<Run>) -> Result<(), String> {
    let t0 = run.now();
    let (client, conn) = run::connect(run).await?;
    let halves = run::open_stream(run, &client).await?;
    let t_open = run.now();
    drop(client);
    let mut stream = Stream::new(run, halves);
    stream.pump(run, 1).await?;
    stream.close(run).await?;
    let clean = timeout(Duration::from_secs(10), conn)
        .await
        .map_err(|_| "the HTTP/2 connection did not close in 10 s")?
        .map_err(|e| format!("connection task: {e}"))?;
    if run.measuring.get() {
        run.count.set(run.count.get() + 1);
        run.unclean.set(run.unclean.get() + u64::from(!clean));
        run.hist
            .borrow_mut()
            .saturating_record(t_open.saturating_sub(t0).max(1));
    }
    Ok(())
}

/// Runs connect mode. A connection that ends with an error after its stream closed counts as
/// an unclean close; any error before that fails the run.
pub async fn run(run: Rc<Run>) -> Result<Obj, String> {
    let cfg = run.cfg.clone();
    // A cycle closes its own connection: its end is expected.
    run.closing.set(true);
    let workers: Vec<_> = (0..cfg.concurrency)
        .map(|_| {
            let r = Rc::clone(&run);
            spawn_local(async move {
                while !r.stop.get() {
                    if let Err(e) = cycle(&r).await {
                        r.fail(e);
                        break;
                    }
                }
            })
        })
        .collect();
    let start = run.now();
    run.wait_until(start + secs(cfg.warmup), || false).await?;
    eprintln!("{{\"event\":\"measure-start\"}}");
    let (t0, cpu0) = (run.now(), os::cpu_time());
    run.measuring.set(true);
    run.wait_until(t0 + secs(cfg.duration), || false).await?;
    run.measuring.set(false);
    let (t1, cpu1) = (run.now(), os::cpu_time());
    eprintln!("{{\"event\":\"measure-end\"}}");
    run.stop.set(true);
    let finished = run.now() + 10 * SECOND;
    for w in workers {
        let left = Duration::from_nanos(finished.saturating_sub(run.now()));
        if timeout(left, w).await.is_err() {
            return Err("cycles did not finish 10 s after the window".into());
        }
    }
    if let Some(err) = run.error() {
        return Err(err);
    }
    let window = (t1 - t0) as f64 / 1e9;
    Ok(Obj::new()
        .str("mode", "connect")
        .str("protocol", "h2")
        .bool("raw", cfg.raw)
        .int("concurrency", cfg.concurrency as u64)
        .num("window_s", window)
        .int("connections", run.count.get())
        .num("conn_per_s", run.count.get() as f64 / window)
        .obj("handshake_us", latency_json(&run.hist.borrow()))
        .num("client_cpu", (cpu1 - cpu0).as_secs_f64() / window)
        .int("unclean_closes", run.unclean.get()))
}
