//! Command-line options.

use std::net::Ipv4Addr;

use ferrows_loadgen::args::{kind, num, sources};
use ferrows_loadgen::payload::Kind;

/// Usage text.
pub const USAGE: &str = "\
usage: ferrows-loadgen --port P [options]
  --mode echo|idle|connect   what to measure (default echo)
  --host IP                  server address (default 127.0.0.1)
  --conns N                  connections (echo, idle; default 100)
  --inflight K               messages in flight per connection (echo; default 1)
  --size B                   message payload bytes (default 64)
  --type text|binary         message type (default text)
  --deflate                  offer permessage-deflate and send compressed messages
  --warmup S                 seconds before the window (default 1)
  --duration S               seconds of the measured window (default 5)
  --hold S                   seconds to hold idle connections (idle; default 3)
  --concurrency C            simultaneous attempts (connect; default 32)
  --ramp C                   simultaneous handshakes while opening (default 256)
  --sources A,B,..           source addresses, round-robin (default 127.0.0.1)";

/// The mode.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Mode {
    /// Pipelined or closed-loop echo throughput and latency.
    Echo,
    /// Idle connections held open (memory per connection).
    Idle,
    /// Connection open/handshake/close rate.
    Connect,
}

/// All options.
#[derive(Debug, Clone)]
pub struct Config {
    /// Mode.
    pub mode: Mode,
    /// Server address.
    pub host: Ipv4Addr,
    /// Server port.
    pub port: u16,
    /// Connections.
    pub conns: usize,
    /// Messages in flight per connection.
    pub inflight: usize,
    /// Payload bytes.
    pub size: usize,
    /// Message type.
    pub kind: Kind,
    /// permessage-deflate.
    pub deflate: bool,
    /// Warm-up seconds.
    pub warmup: f64,
    /// Window seconds.
    pub duration: f64,
    /// Idle hold seconds.
    pub hold: f64,
    /// Connect-mode concurrency.
    pub concurrency: usize,
    /// Handshakes in flight while ramping up.
    pub ramp: usize,
    /// Source addresses.
    pub sources: Vec<Ipv4Addr>,
}

impl Config {
    /// `"text"` or `"binary"`.
    pub fn kind_name(&self) -> &'static str {
        match self.kind {
            Kind::Text => "text",
            Kind::Binary => "binary",
        }
    }
}

/// Parses the arguments (without the program name).
pub fn parse(args: impl IntoIterator<Item = String>) -> Result<Config, String> {
    let mut cfg = Config {
        mode: Mode::Echo,
        host: Ipv4Addr::LOCALHOST,
        port: 0,
        conns: 100,
        inflight: 1,
        size: 64,
        kind: Kind::Text,
        deflate: false,
        warmup: 1.0,
        duration: 5.0,
        hold: 3.0,
        concurrency: 32,
        ramp: 256,
        sources: vec![Ipv4Addr::LOCALHOST],
    };
    let mut it = args.into_iter();
    while let Some(arg) = it.next() {
        let v = it.by_ref();
        match arg.as_str() {
            "--mode" => cfg.mode = mode(&num::<String>("--mode", v.next())?)?,
            "--host" => cfg.host = num("--host", v.next())?,
            "--port" => cfg.port = num("--port", v.next())?,
            "--conns" => cfg.conns = num("--conns", v.next())?,
            "--inflight" => cfg.inflight = num("--inflight", v.next())?,
            "--size" => cfg.size = num("--size", v.next())?,
            "--type" => cfg.kind = kind(&num::<String>("--type", v.next())?)?,
            "--deflate" => cfg.deflate = true,
            "--warmup" => cfg.warmup = num("--warmup", v.next())?,
            "--duration" => cfg.duration = num("--duration", v.next())?,
            "--hold" => cfg.hold = num("--hold", v.next())?,
            "--concurrency" => cfg.concurrency = num("--concurrency", v.next())?,
            "--ramp" => cfg.ramp = num("--ramp", v.next())?,
            "--sources" => cfg.sources = sources(&num::<String>("--sources", v.next())?)?,
            "--help" | "-h" => return Err(String::new()),
            other => return Err(format!("unknown option {other:?}")),
        }
    }
    check(&cfg)?;
    Ok(cfg)
}

fn check(cfg: &Config) -> Result<(), String> {
    if cfg.port == 0 {
        return Err("--port is required".into());
    }
    if cfg.conns == 0 || cfg.inflight == 0 || cfg.concurrency == 0 || cfg.ramp == 0 {
        return Err("counts must be positive".into());
    }
    if !(cfg.duration > 0.0 && cfg.warmup >= 0.0 && cfg.hold >= 0.0) {
        return Err("times must be positive".into());
    }
    Ok(())
}

fn mode(s: &str) -> Result<Mode, String> {
    match s {
        "echo" => Ok(Mode::Echo),
        "idle" => Ok(Mode::Idle),
        "connect" => Ok(Mode::Connect),
        _ => Err(format!("unknown mode {s:?}")),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn args(s: &str) -> Vec<String> {
        s.split_whitespace().map(String::from).collect()
    }

    #[test]
    fn parse_reads_every_option() {
        let cfg = parse(args(
            "--port 9 --mode idle --conns 7 --inflight 3 --size 5 --type binary --deflate \
             --warmup 0 --duration 2 --hold 4 --concurrency 8 --ramp 9 --sources 127.0.0.2,127.0.0.3",
        ))
        .unwrap();
        assert_eq!(
            (cfg.port, cfg.mode, cfg.conns, cfg.inflight, cfg.size),
            (9, Mode::Idle, 7, 3, 5)
        );
        assert_eq!(
            (cfg.kind, cfg.deflate, cfg.concurrency, cfg.ramp),
            (Kind::Binary, true, 8, 9)
        );
        assert_eq!(cfg.sources.len(), 2);
    }

    #[test]
    fn parse_without_port_fails() {
        assert!(parse(args("--conns 1")).is_err());
    }

    #[test]
    fn parse_unknown_option_fails() {
        assert!(parse(args("--port 1 --bogus")).is_err());
        assert!(parse(args("--port 1 --type xml")).is_err());
    }
}
