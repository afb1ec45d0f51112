//! Echo mode: C HTTP/2 connections × S WebSocket streams, each stream keeping k messages in
//! flight. All streams open first; then a warm-up, the timed window in which verified echoes are
//! counted and their round-trip times recorded, and then sending stops, every message still in
//! flight must come back within 10 s, and every stream is closed (close handshake and
//! END_STREAM both ways), then every connection. A stream or connection that does not close
//! cleanly is counted in `unclean_closes`.

use std::rc::Rc;

use tokio::sync::watch;
use tokio::task::{spawn_local, JoinHandle};
use tokio::time::{timeout, Duration};

use ferrows_loadgen::json::Obj;
use ferrows_loadgen::os;
use ferrows_loadgen::stats::{latency_json, secs, SECOND};

use crate::run::{self, Run, Stream};

fn joined<T>(r: Result<Result<T, String>, tokio::task::JoinError>) -> Result<T, String> {
    r.map_err(|e| format!("task failed: {e}"))?
}

async fn stream_task(
    run: Rc<Run>,
    client: h2::client::SendRequest<bytes::Bytes>,
    mut go: watch::Receiver<bool>,
) -> Result<(), String> {
    let halves = run::open_stream(&run, &client).await?;
    drop(client);
    let mut stream = Stream::new(&run, halves);
    go.wait_for(|&g| g)
        .await
        .map_err(|_| "the run ended before the start")?;
    stream.pump(&run, run.cfg.inflight).await?;
    stream.close(&run).await
}

/// Runs echo mode.
pub async fn run(run: Rc<Run>) -> Result<Obj, String> {
    let cfg = run.cfg.clone();
    let opens: Vec<_> = (0..cfg.conns)
        .map(|_| {
            let r = Rc::clone(&run);
            spawn_local(async move { run::connect(&r).await })
        })
        .collect();
    let mut conns = Vec::new();
    for open in opens {
        conns.push(joined(open.await)?);
    }
    let (go, go_rx) = watch::channel(false);
    let mut streams: Vec<JoinHandle<()>> = Vec::new();
    for (client, _) in &conns {
        for _ in 0..cfg.streams {
            let (r, c, g) = (Rc::clone(&run), client.clone(), go_rx.clone());
            streams.push(spawn_local(async move {
                if let Err(e) = stream_task(Rc::clone(&r), c, g).await {
                    r.fail(e);
                }
            }));
        }
    }
    let total = cfg.conns * cfg.streams;
    if !run
        .wait_until(30 * SECOND, || run.opened.get() == total)
        .await?
    {
        return Err(format!(
            "only {} of {total} streams opened in 30 s",
            run.opened.get()
        ));
    }
    let ramp_s = run.now() as f64 / 1e9;
    run.sending.set(true);
    go.send_replace(true);
    let start = run.now();
    run.wait_until(start + secs(cfg.warmup), || false).await?;
    eprintln!("{{\"event\":\"measure-start\"}}");
    let (t0, cpu0) = (run.now(), os::cpu_time());
    run.measuring.set(true);
    run.wait_until(t0 + secs(cfg.duration), || false).await?;
    run.measuring.set(false);
    let (t1, cpu1) = (run.now(), os::cpu_time());
    eprintln!("{{\"event\":\"measure-end\"}}");
    run.sending.set(false);
    if !run
        .wait_until(t1 + 10 * SECOND, || run.inflight.get() == 0)
        .await?
    {
        return Err(format!(
            "{} echoes still missing 10 s after sending stopped",
            run.inflight.get()
        ));
    }
    let mut unclean = 0u64;
    let closed = run.now() + 3 * SECOND;
    for s in streams {
        let left = Duration::from_nanos(closed.saturating_sub(run.now()));
        if timeout(left, s).await.is_err() {
            unclean += 1;
        }
    }
    if let Some(err) = run.error() {
        return Err(err);
    }
    run.closing.set(true);
    for (client, task) in conns {
        drop(client);
        match timeout(Duration::from_secs(3), task).await {
            Ok(Ok(true)) => {}
            Ok(_) => unclean += 1,
            Err(_) => return Err("an HTTP/2 connection did not close in 3 s".into()),
        }
    }
    let window = (t1 - t0) as f64 / 1e9;
    let rate = run.count.get() as f64 / window;
    Ok(Obj::new()
        .str("mode", "echo")
        .str("protocol", "h2")
        .bool("raw", cfg.raw)
        .int("connections", cfg.conns as u64)
        .int("streams", cfg.streams as u64)
        .int("inflight", cfg.inflight as u64)
        .int("size", cfg.size as u64)
        .str("type", cfg.kind_name())
        .bool("deflate", false)
        .num("ramp_s", ramp_s)
        .num("window_s", window)
        .int("messages", run.count.get())
        .num("msg_per_s", rate)
        .num("mib_per_s", rate * cfg.size as f64 / (1 << 20) as f64)
        .obj("latency_us", latency_json(&run.hist.borrow()))
        .num("client_cpu", (cpu1 - cpu0).as_secs_f64() / window)
        .int("compressed_echoes", 0)
        .int("plain_echoes", run.echoes.get())
        .int("pings", run.pings.get())
        .int("unclean_closes", unclean))
}
