//! The protocol engine for either role, as both transports use it: the
//! native driver (which also reads and writes its socket, see
//! `driver/conn.rs`) and `Engine` for JavaScript-owned sockets.

use std::io::IoSlice;

use ferrows_core::frame::DataKind;
use ferrows_core::protocol::{Config, EventHandler, HeartbeatConfig, SendError, SendOptions};
use ferrows_core::{Client, Connection, Server};

/// The engine for either role.
#[derive(Debug)]
pub enum Engine {
    /// Server side.
    Server(Connection<Server>),
    /// Client side.
    Client(Connection<Client>),
}

/// Runs `$body` with `$c` bound to the role-specific connection.
macro_rules! with_engine {
    ($engine:expr, $c:ident => $body:expr) => {
        match $engine {
            $crate::engine::Engine::Server($c) => $body,
            $crate::engine::Engine::Client($c) => $body,
        }
    };
}
/// For the driver's socket methods on [`Engine`] (`driver/conn.rs`).
#[cfg(unix)]
pub(crate) use with_engine;

impl Engine {
    /// A new engine for the given role.
    pub fn new(is_server: bool, config: Config) -> Self {
        if is_server {
            Engine::Server(Connection::new(config))
        } else {
            Engine::Client(Connection::new(config))
        }
    }

    /// Feeds received bytes.
    pub fn receive(&mut self, data: &mut [u8], now_ms: u64, handler: &mut impl EventHandler) {
        with_engine!(self, c => c.receive(data, now_ms, handler))
    }

    /// A partial frame is held from earlier input.
    pub fn has_partial_input(&self) -> bool {
        with_engine!(self, c => c.has_partial_input())
    }

    /// The read side ended.
    pub fn receive_eof(&mut self) -> bool {
        with_engine!(self, c => c.receive_eof())
    }

    /// Queues a data message or fragment.
    pub fn send(
        &mut self,
        kind: DataKind,
        data: &[u8],
        opts: SendOptions,
    ) -> Result<u64, SendError> {
        with_engine!(self, c => c.send(kind, data, opts))
    }

    /// Queues a ping (`pong == false`) or pong.
    pub fn control(
        &mut self,
        pong: bool,
        data: &[u8],
        opts: SendOptions,
    ) -> Result<u64, SendError> {
        with_engine!(self, c => if pong { c.pong_with(data, opts) } else { c.ping_with(data, opts) })
    }

    /// Starts the closing handshake.
    pub fn close(
        &mut self,
        code: Option<u16>,
        reason: &[u8],
        now_ms: u64,
        opts: SendOptions,
    ) -> Result<u64, SendError> {
        with_engine!(self, c => c.close_with(code, reason, now_ms, opts))
    }

    /// Writes held automatic replies (after the application saw the events).
    pub fn commit_replies(&mut self, now_ms: u64) {
        with_engine!(self, c => c.commit_replies(now_ms))
    }

    /// Whether automatic replies wait for [`Engine::commit_replies`].
    pub fn has_pending_replies(&self) -> bool {
        with_engine!(self, c => c.has_pending_replies())
    }

    /// Bytes waiting to be written.
    pub fn pending_bytes(&self) -> usize {
        with_engine!(self, c => c.pending_bytes())
    }

    /// Bytes written so far.
    pub fn written_total(&self) -> u64 {
        with_engine!(self, c => c.written_total())
    }

    /// Whether the transport should be half-closed once output is flushed.
    pub fn should_shutdown(&self) -> bool {
        with_engine!(self, c => c.should_shutdown())
    }

    /// Fails the connection with `err` (see the core's `Connection::fail`);
    /// returns false when input had already halted, so nothing was done.
    pub fn fail(
        &mut self,
        err: ferrows_core::Error,
        now_ms: u64,
        handler: &mut impl EventHandler,
    ) -> bool {
        with_engine!(self, c => {
            let open = !c.is_input_halted();
            c.fail(err, now_ms, handler);
            open
        })
    }

    /// Starts the heartbeat (see the core's `Connection::enable_heartbeat`).
    pub fn enable_heartbeat(&mut self, config: HeartbeatConfig, now_ms: u64) {
        with_engine!(self, c => c.enable_heartbeat(config, now_ms))
    }

    /// The next deadline, if any: the close timeout or the heartbeat's.
    pub fn poll_timeout(&self) -> Option<u64> {
        with_engine!(self, c => c.poll_timeout())
    }

    /// Fires what is due: the close timeout or the heartbeat.
    pub fn handle_timeout(&mut self, now_ms: u64, handler: &mut impl EventHandler) {
        with_engine!(self, c => c.handle_timeout(now_ms, handler))
    }

    /// Moves all pending output into `out`.
    pub fn drain_into(&mut self, out: &mut Vec<u8>) {
        with_engine!(self, c => drain_connection(c, out))
    }

    /// Drops pending output.
    pub fn discard_output(&mut self) {
        with_engine!(self, c => { c.discard_output(); })
    }
}

fn drain_connection<R: ferrows_core::Role>(conn: &mut Connection<R>, out: &mut Vec<u8>) {
    loop {
        let mut slices = [IoSlice::new(&[]); 64];
        let count = conn.io_slices(&mut slices);
        if count == 0 {
            return;
        }
        let before = out.len();
        for slice in &slices[..count] {
            out.extend_from_slice(slice);
        }
        conn.advance_written(out.len() - before);
    }
}
