//! `ferrows-loadgen-h2`: the WebSocket-over-HTTP/2 load generator of the ferrows benchmark suite.
//!
//! One thread (a tokio current-thread runtime) driving the `h2` crate over h2c (prior
//! knowledge). Each connection waits for the server's SETTINGS, which must enable extended
//! CONNECT (RFC 8441), then opens its WebSocket streams with `:protocol websocket`; each stream
//! must be answered 200. Messages are the HTTP/1.1 generator's masked frames and
//! sequence-numbered payloads, checked by the same receiver, so only **verified** echoes count.
//! `--raw` sends the plain payload bytes instead and expects them back unchanged, for a server
//! that just writes back what it reads. Modes: `echo` (throughput and latency) and `connect`
//! (connection + stream setup rate). The result is one JSON line on stdout, in the shape the
//! HTTP/1.1 generator prints; phase events (`measure-start`, `measure-end`) go to stderr. Any
//! protocol violation or mismatch prints `{"ok":false,"error":...}` and exits with 1.

mod config;
mod connect;
mod echo;
mod run;
mod session;

use std::process::ExitCode;
use std::rc::Rc;

use ferrows_loadgen::json;

use config::Mode;

fn start(cfg: config::Config) -> Result<json::Obj, String> {
    let rt = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .map_err(|e| format!("runtime: {e}"))?;
    let mode = cfg.mode;
    let run = Rc::new(run::Run::new(cfg)?);
    let local = tokio::task::LocalSet::new();
    let out = local.block_on(&rt, async move {
        match mode {
            Mode::Echo => echo::run(run).await,
            Mode::Connect => connect::run(run).await,
        }
    });
    // Tasks left over from a failed run are dropped with the runtime, not awaited.
    drop(local);
    out
}

fn main() -> ExitCode {
    let cfg = match config::parse(std::env::args().skip(1)) {
        Ok(cfg) => cfg,
        Err(err) => {
            eprintln!("{err}\n{}", config::USAGE);
            return ExitCode::from(2);
        }
    };
    json::report(start(cfg))
}
