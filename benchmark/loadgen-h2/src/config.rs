//! Command-line options.

use std::net::Ipv4Addr;

use ferrows_loadgen::args::{kind, num, sources};
use ferrows_loadgen::payload::Kind;

/// Usage text.
pub const USAGE: &str = "\
usage: ferrows-loadgen-h2 --port P [options]
  --mode echo|connect        what to measure (default echo)
  --host IP                  server address (default 127.0.0.1)
  --conns C                  HTTP/2 connections (echo; default 1)
  --streams S                WebSocket streams per connection (echo; default 100)
  --inflight K               messages in flight per stream (echo; default 1)
  --size B                   message payload bytes (default 64)
  --type text|binary         message type (default text)
  --raw                      no WebSocket framing: a message is `size` plain bytes and its echo the
                             same bytes (for a server that writes back what it reads)
  --warmup S                 seconds before the window (default 1)
  --duration S               seconds of the measured window (default 5)
  --concurrency N            simultaneous cycles (connect; default 32)
  --stream-window B          receive window per stream (default 1 MiB)
  --conn-window B            receive window per connection (default 16 MiB)
  --sources A,B,..           source addresses, round-robin (default 127.0.0.1)";

/// The mode.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Mode {
    /// Pipelined or closed-loop echo throughput and latency.
    Echo,
    /// Cycles of connection + stream setup, one echo, close.
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
    /// HTTP/2 connections.
    pub conns: usize,
    /// WebSocket streams per connection.
    pub streams: usize,
    /// Messages in flight per stream.
    pub inflight: usize,
    /// Payload bytes.
    pub size: usize,
    /// Message type.
    pub kind: Kind,
    /// Plain bytes instead of WebSocket frames.
    pub raw: bool,
    /// Warm-up seconds.
    pub warmup: f64,
    /// Window seconds.
    pub duration: f64,
    /// Connect-mode concurrency.
    pub concurrency: usize,
    /// Receive window per stream.
    pub stream_window: u32,
    /// Receive window per connection.
    pub conn_window: u32,
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
        conns: 1,
        streams: 100,
        inflight: 1,
        size: 64,
        kind: Kind::Text,
        raw: false,
        warmup: 1.0,
        duration: 5.0,
        concurrency: 32,
        stream_window: 1 << 20,
        conn_window: 16 << 20,
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
            "--streams" => cfg.streams = num("--streams", v.next())?,
            "--inflight" => cfg.inflight = num("--inflight", v.next())?,
            "--size" => cfg.size = num("--size", v.next())?,
            "--type" => cfg.kind = kind(&num::<String>("--type", v.next())?)?,
            "--raw" => cfg.raw = true,
            "--warmup" => cfg.warmup = num("--warmup", v.next())?,
            "--duration" => cfg.duration = num("--duration", v.next())?,
            "--concurrency" => cfg.concurrency = num("--concurrency", v.next())?,
            "--stream-window" => cfg.stream_window = num("--stream-window", v.next())?,
            "--conn-window" => cfg.conn_window = num("--conn-window", v.next())?,
            "--sources" => cfg.sources = sources(&num::<String>("--sources", v.next())?)?,
            "--help" | "-h" => return Err(String::new()),
            other => return Err(format!("unknown option {other:?}")),
        }
    }
    check(&cfg)?;
    Ok(cfg)
}

/// The largest HTTP/2 window (RFC 9113 §6.9.1).
const MAX_WINDOW: u32 = (1 << 31) - 1;

fn check(cfg: &Config) -> Result<(), String> {
    if cfg.port == 0 {
        return Err("--port is required".into());
    }
    if cfg.conns == 0 || cfg.streams == 0 || cfg.inflight == 0 || cfg.concurrency == 0 {
        return Err("counts must be positive".into());
    }
    if cfg.size == 0 {
        return Err("--size must be positive".into());
    }
    if !(cfg.duration > 0.0 && cfg.warmup >= 0.0) {
        return Err("times must be positive".into());
    }
    let windows = [cfg.stream_window, cfg.conn_window];
    if windows.iter().any(|&w| !(65_535..=MAX_WINDOW).contains(&w)) {
        return Err(format!("windows must be 65535..={MAX_WINDOW}"));
    }
    Ok(())
}

fn mode(s: &str) -> Result<Mode, String> {
    match s {
        "echo" => Ok(Mode::Echo),
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
            "--port 9 --mode connect --conns 7 --streams 5 --inflight 3 --size 4096 --type binary \
             --raw --warmup 0 --duration 2 --concurrency 8 --stream-window 70000 \
             --conn-window 1000000 --sources 127.0.0.2,127.0.0.3",
        ))
        .unwrap();
        assert_eq!(
            (cfg.port, cfg.mode, cfg.conns, cfg.streams, cfg.inflight),
            (9, Mode::Connect, 7, 5, 3)
        );
        assert_eq!(
            (cfg.size, cfg.kind, cfg.raw, cfg.concurrency),
            (4096, Kind::Binary, true, 8)
        );
        assert_eq!((cfg.stream_window, cfg.conn_window), (70_000, 1_000_000));
        assert_eq!(cfg.sources.len(), 2);
    }

    #[test]
    fn parse_defaults_to_one_connection_of_100_streams() {
        let cfg = parse(args("--port 1")).unwrap();
        assert_eq!((cfg.mode, cfg.conns, cfg.streams), (Mode::Echo, 1, 100));
        assert_eq!((cfg.stream_window, cfg.conn_window), (1 << 20, 16 << 20));
    }

    #[test]
    fn parse_rejects_bad_input() {
        assert!(parse(args("--conns 1")).is_err());
        assert!(parse(args("--port 1 --bogus")).is_err());
        assert!(parse(args("--port 1 --mode idle")).is_err());
        assert!(parse(args("--port 1 --streams 0")).is_err());
        assert!(parse(args("--port 1 --stream-window 100")).is_err());
        assert!(parse(args("--port 1 --conn-window 4294967295")).is_err());
    }
}
