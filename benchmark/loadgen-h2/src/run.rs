//! State shared by every task of a run (one thread: `Rc`, `Cell`), the HTTP/2 connection and
//! stream setup, and the per-stream echo loop and close.

use std::cell::{Cell, RefCell};
use std::net::{Ipv4Addr, SocketAddr};
use std::os::fd::AsRawFd as _;
use std::rc::Rc;
use std::time::{Duration, Instant};

use bytes::Bytes;
use h2::client::SendRequest;
use h2::ext::Protocol;
use h2::{RecvStream, SendStream};
use hdrhistogram::Histogram;
use http::{Method, Request, StatusCode};
use tokio::net::TcpSocket;
use tokio::task::JoinHandle;

use ferrows_loadgen::os;
use ferrows_loadgen::payload::Pattern;
use ferrows_loadgen::stats;

use crate::config::Config;
use crate::session::Session;

/// The most streams either side may open on one connection (our `SETTINGS_MAX_CONCURRENT_STREAMS`).
const MAX_STREAMS: u32 = 100_000;

/// Everything the tasks of a run share.
#[derive(Debug)]
pub struct Run {
    /// Options.
    pub cfg: Config,
    /// The payload of every message.
    pub pattern: Pattern,
    uri: String,
    clock: Instant,
    /// Each echo sends the next message.
    pub sending: Cell<bool>,
    /// Echoes and cycles are counted.
    pub measuring: Cell<bool>,
    /// Connections are being closed on purpose: their end is not an error.
    pub closing: Cell<bool>,
    /// Connect mode: start no new cycle.
    pub stop: Cell<bool>,
    /// Echoes (connect mode: cycles) counted in the window.
    pub count: Cell<u64>,
    /// Verified echoes, all phases.
    pub echoes: Cell<u64>,
    /// Messages sent and not yet echoed, all streams.
    pub inflight: Cell<u64>,
    /// Streams opened (200 received).
    pub opened: Cell<usize>,
    /// Pings the server sent.
    pub pings: Cell<u64>,
    /// Streams or connections that did not close cleanly.
    pub unclean: Cell<u64>,
    /// Round-trip times (connect mode: setup times) in the window, ns.
    pub hist: RefCell<Histogram<u64>>,
    error: RefCell<Option<String>>,
    next_source: Cell<usize>,
}

impl Run {
    /// A run of `cfg`.
    pub fn new(cfg: Config) -> Result<Self, String> {
        Ok(Self {
            pattern: Pattern::new(cfg.kind, cfg.size),
            uri: format!("http://{}:{}/", cfg.host, cfg.port),
            cfg,
            clock: Instant::now(),
            sending: Cell::new(false),
            measuring: Cell::new(false),
            closing: Cell::new(false),
            stop: Cell::new(false),
            count: Cell::new(0),
            echoes: Cell::new(0),
            inflight: Cell::new(0),
            opened: Cell::new(0),
            pings: Cell::new(0),
            unclean: Cell::new(0),
            hist: RefCell::new(stats::histogram()?),
            error: RefCell::new(None),
            next_source: Cell::new(0),
        })
    }

    /// Nanoseconds since the run started.
    pub fn now(&self) -> u64 {
        u64::try_from(self.clock.elapsed().as_nanos()).unwrap_or(u64::MAX)
    }

    /// Records the first error of the run.
    pub fn fail(&self, err: String) {
        self.error.borrow_mut().get_or_insert(err);
    }

    /// The first error, if any.
    pub fn error(&self) -> Option<String> {
        self.error.borrow().clone()
    }

    /// Sleeps until `cond()` holds (`Ok(true)`), run-clock `deadline` passes (`Ok(false)`) or
    /// a task fails (`Err`).
    pub async fn wait_until(&self, deadline: u64, cond: impl Fn() -> bool) -> Result<bool, String> {
        loop {
            if let Some(err) = self.error() {
                return Err(err);
            }
            if cond() {
                return Ok(true);
            }
            let now = self.now();
            if now >= deadline {
                return Ok(false);
            }
            let nap = Duration::from_nanos((deadline - now).min(5_000_000));
            tokio::time::sleep(nap).await;
        }
    }

    fn sent(&self, n: u64) {
        self.inflight.set(self.inflight.get() + n);
    }

    fn echoed(&self, sent: u64, now: u64) {
        self.inflight.set(self.inflight.get() - 1);
        self.echoes.set(self.echoes.get() + 1);
        if self.measuring.get() {
            self.count.set(self.count.get() + 1);
            self.hist
                .borrow_mut()
                .saturating_record(now.saturating_sub(sent).max(1));
        }
    }
}

fn h2e(what: &'static str) -> impl Fn(h2::Error) -> String {
    move |e| format!("{what}: {e}")
}

/// Opens an h2c connection (prior knowledge) and waits for the server's SETTINGS, which must
/// enable extended CONNECT. Returns the request handle and the task driving the connection,
/// which ends with whether the connection closed cleanly (an error before `closing` fails the
/// run; after it, the caller counts an unclean close).
pub async fn connect(run: &Rc<Run>) -> Result<(SendRequest<Bytes>, JoinHandle<bool>), String> {
    let cfg = &run.cfg;
    let i = run.next_source.get();
    run.next_source.set(i.wrapping_add(1));
    let src = cfg.sources[i % cfg.sources.len()];
    let sock = TcpSocket::new_v4().map_err(|e| format!("socket: {e}"))?;
    if src != Ipv4Addr::LOCALHOST || cfg.sources.len() > 1 {
        os::bind_address_no_port(sock.as_raw_fd()).map_err(|e| format!("setsockopt: {e}"))?;
        sock.bind(SocketAddr::from((src, 0)))
            .map_err(|e| format!("bind {src}: {e}"))?;
    }
    let tcp = sock
        .connect(SocketAddr::from((cfg.host, cfg.port)))
        .await
        .map_err(|e| format!("connect failed: {e}"))?;
    tcp.set_nodelay(true).map_err(|e| format!("nodelay: {e}"))?;
    let (client, mut conn) = h2::client::Builder::new()
        .initial_window_size(cfg.stream_window)
        .initial_connection_window_size(cfg.conn_window)
        .max_concurrent_streams(MAX_STREAMS)
        .initial_max_send_streams(cfg.streams.max(100))
        .data_frame_budget(cfg.conn_window as usize)
        .enable_push(false)
        .handshake::<_, Bytes>(tcp)
        .await
        .map_err(h2e("HTTP/2 handshake"))?;
    let mut pings = conn.ping_pong().ok_or("no ping handle")?;
    let r = Rc::clone(run);
    let task = tokio::task::spawn_local(async move {
        let Err(e) = conn.await else { return true };
        if !r.closing.get() {
            r.fail(format!("HTTP/2 connection failed: {e}"));
        }
        false
    });
    // The server's SETTINGS is the first frame it sends, so once our PING is answered its
    // SETTINGS has been processed.
    pings
        .ping(h2::Ping::opaque())
        .await
        .map_err(h2e("waiting for the server's SETTINGS"))?;
    if !client.is_extended_connect_protocol_enabled() {
        return Err("the server did not enable SETTINGS_ENABLE_CONNECT_PROTOCOL".into());
    }
    Ok((client, task))
}

/// Opens one WebSocket stream: an extended CONNECT (`:protocol websocket`, `:scheme http`,
/// `:path /`, `sec-websocket-version: 13`) that must be answered 200.
pub async fn open_stream(
    run: &Run,
    client: &SendRequest<Bytes>,
) -> Result<(SendStream<Bytes>, RecvStream), String> {
    let mut req = Request::builder()
        .method(Method::CONNECT)
        .uri(&run.uri)
        .header("sec-websocket-version", "13")
        .body(())
        .map_err(|e| format!("request: {e}"))?;
    req.extensions_mut()
        .insert(Protocol::from_static("websocket"));
    let mut client = client
        .clone()
        .ready()
        .await
        .map_err(h2e("waiting to open a stream"))?;
    let (resp, send) = client
        .send_request(req, false)
        .map_err(h2e("extended CONNECT"))?;
    let resp = resp.await.map_err(h2e("extended CONNECT response"))?;
    if resp.status() != StatusCode::OK {
        return Err(format!("extended CONNECT answered {}", resp.status()));
    }
    run.opened.set(run.opened.get() + 1);
    Ok((send, resp.into_body()))
}

/// One stream of a run: its echo state and both halves.
#[derive(Debug)]
pub struct Stream {
    session: Session,
    send: SendStream<Bytes>,
    recv: RecvStream,
    echoed: Vec<u64>,
}

impl Stream {
    /// A stream over the halves `open_stream` returned.
    pub fn new(run: &Run, (send, recv): (SendStream<Bytes>, RecvStream)) -> Self {
        Self {
            session: Session::new(&run.pattern, run.cfg.raw),
            send,
            recv,
            echoed: Vec::new(),
        }
    }

    fn flush(&mut self) -> Result<(), String> {
        match self.session.take_output() {
            Some(out) => self
                .send
                .send_data(Bytes::from(out), false)
                .map_err(h2e("send")),
            None => Ok(()),
        }
    }

    /// The next DATA payload, its flow-control capacity released at once; `None` at END_STREAM.
    async fn next_chunk(&mut self) -> Result<Option<Bytes>, String> {
        match self.recv.data().await {
            None => Ok(None),
            Some(Err(e)) => Err(format!("stream failed: {e}")),
            Some(Ok(chunk)) => {
                self.recv
                    .flow_control()
                    .release_capacity(chunk.len())
                    .map_err(h2e("release_capacity"))?;
                Ok(Some(chunk))
            }
        }
    }

    /// Reads one chunk and checks it; verified echoes are recorded, and each sends the next
    /// message while the run is sending. Pongs go out with them.
    async fn read(&mut self, run: &Run, what: &str) -> Result<(), String> {
        let chunk = self
            .next_chunk()
            .await?
            .ok_or_else(|| format!("the server ended the stream {what}"))?;
        let now = run.now();
        self.session.feed(&run.pattern, &chunk, &mut self.echoed)?;
        for sent in self.echoed.drain(..) {
            run.echoed(sent, now);
            if run.sending.get() {
                self.session.queue_message(&run.pattern, now);
                run.sent(1);
            }
        }
        self.flush()
    }

    /// Sends `k` messages, then keeps `k` in flight while the run is sending; returns once
    /// sending stopped and the last echo came back.
    pub async fn pump(&mut self, run: &Run, k: usize) -> Result<(), String> {
        let now = run.now();
        for _ in 0..k {
            self.session.queue_message(&run.pattern, now);
        }
        run.sent(k as u64);
        self.flush()?;
        while run.sending.get() || self.session.inflight() > 0 {
            self.read(run, "with echoes missing").await?;
        }
        Ok(())
    }

    /// Closes the stream: the WebSocket close handshake (ours, then the server's close frame),
    /// then END_STREAM both ways. Raw mode only exchanges END_STREAM.
    pub async fn close(mut self, run: &Run) -> Result<(), String> {
        self.session.queue_close();
        self.flush()?;
        if !run.cfg.raw {
            while !self.session.got_close {
                self.read(run, "before its close frame").await?;
            }
        }
        self.send
            .send_data(Bytes::new(), true)
            .map_err(h2e("END_STREAM"))?;
        while let Some(chunk) = self.next_chunk().await? {
            self.session.feed(&run.pattern, &chunk, &mut self.echoed)?;
        }
        run.pings.set(run.pings.get() + self.session.pings);
        Ok(())
    }
}
