//! `ferrows-loadgen`: the WebSocket load generator of the ferrows benchmark suite.
//!
//! One thread, raw non-blocking sockets on one epoll. Real handshakes (random key, verified
//! `Sec-WebSocket-Accept`), properly masked client frames, and only **verified** echoes counted:
//! every server frame is parsed and each echo must match the message it answers byte for byte.
//! Modes: `echo` (throughput and latency, k messages in flight per connection), `idle` (hold N
//! connections for a memory reading) and `connect` (open/handshake/close rate). The result is
//! one JSON line on stdout; phase events (`measure-start`, `measure-end`, `ready`) go to stderr.
//! Any protocol violation or mismatch prints `{"ok":false,"error":...}` and exits with 1.

mod config;
mod conn;
mod connect;
mod driver;
mod echo;
mod idle;
mod outq;
mod sys;

use ferrows_loadgen::{deflate, frame, handshake, json, payload, rx};

use std::process::ExitCode;

use config::Mode;
use conn::Shared;
use driver::Driver;
use payload::Pattern;

fn run(cfg: &config::Config) -> Result<json::Obj, String> {
    let shared = Shared {
        pattern: Pattern::new(cfg.kind, cfg.size),
        deflate: cfg.deflate,
        host: cfg.host.to_string(),
        port: cfg.port,
    };
    let driver = Driver::new(shared, cfg.host, cfg.sources.clone())?;
    match cfg.mode {
        Mode::Echo => echo::run(cfg, driver),
        Mode::Idle => idle::run(cfg, driver),
        Mode::Connect => connect::run(cfg, driver),
    }
}

fn main() -> ExitCode {
    let cfg = match config::parse(std::env::args().skip(1)) {
        Ok(cfg) => cfg,
        Err(err) => {
            eprintln!("{err}\n{}", config::USAGE);
            return ExitCode::from(2);
        }
    };
    json::report(run(&cfg))
}
