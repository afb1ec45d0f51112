//! The endpoint role as a type.
//!
//! RFC 6455 §5.1: a client masks every frame it sends and rejects masked
//! frames; a server rejects unmasked frames and never masks. Making the role a
//! type parameter lets the compiler build separate, branch-free receive and
//! send paths for each side (as `uWebSockets`' `WebSocketProtocol<isServer>`
//! and hyper's `role::Client`/`role::Server` do).

mod sealed {
    pub trait Sealed {}
}

/// A WebSocket endpoint role. Implemented only by [`Server`] and [`Client`].
pub trait Role: sealed::Sealed + Copy + Send + Sync + 'static + core::fmt::Debug {
    /// True for the server side.
    const IS_SERVER: bool;
    /// Whether frames this side *receives* must carry a mask.
    const EXPECT_MASKED: bool = Self::IS_SERVER;
    /// Whether frames this side *sends* carry a mask.
    const MASK_OUTGOING: bool = !Self::IS_SERVER;
}

/// The server role: receives masked frames, sends unmasked frames.
#[derive(Clone, Copy, Debug, Default)]
pub struct Server;

/// The client role: receives unmasked frames, sends masked frames.
#[derive(Clone, Copy, Debug, Default)]
pub struct Client;

impl sealed::Sealed for Server {}
impl sealed::Sealed for Client {}

impl Role for Server {
    const IS_SERVER: bool = true;
}

impl Role for Client {
    const IS_SERVER: bool = false;
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn roles_mask_in_opposite_directions() {
        const { assert!(Server::EXPECT_MASKED && !Server::MASK_OUTGOING) };
        const { assert!(!Client::EXPECT_MASKED && Client::MASK_OUTGOING) };
    }
}
