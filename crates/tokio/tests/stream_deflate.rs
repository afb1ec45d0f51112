//! permessage-deflate negotiated between our client and our server.

use std::io;
use std::pin::Pin;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::Arc;
use std::task::{Context, Poll};

use ferrows::deflate::DeflateConfig;
use ferrows::{accept, connect, Config, Message, WebSocketStream};
use futures_util::{SinkExt, StreamExt};
use tokio::io::{AsyncRead, AsyncWrite, DuplexStream, ReadBuf};

/// A transport that counts the bytes written through it.
struct Counting {
    io: DuplexStream,
    written: Arc<AtomicUsize>,
}

impl AsyncRead for Counting {
    fn poll_read(
        mut self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        buf: &mut ReadBuf<'_>,
    ) -> Poll<io::Result<()>> {
        Pin::new(&mut self.io).poll_read(cx, buf)
    }
}

impl AsyncWrite for Counting {
    fn poll_write(
        mut self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        buf: &[u8],
    ) -> Poll<io::Result<usize>> {
        let result = Pin::new(&mut self.io).poll_write(cx, buf);
        if let Poll::Ready(Ok(n)) = result {
            self.written.fetch_add(n, Ordering::SeqCst);
        }
        result
    }

    fn poll_flush(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        Pin::new(&mut self.io).poll_flush(cx)
    }

    fn poll_shutdown(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        Pin::new(&mut self.io).poll_shutdown(cx)
    }
}

type Pair = (
    WebSocketStream<Counting>,
    WebSocketStream<DuplexStream>,
    Arc<AtomicUsize>,
);

/// Our client (counting its writes) and server, each with `deflate` options.
async fn pair(client: Option<DeflateConfig>, server: Option<DeflateConfig>) -> Pair {
    let (client_io, server_io) = tokio::io::duplex(1 << 20);
    let written = Arc::new(AtomicUsize::new(0));
    let counting = Counting {
        io: client_io,
        written: Arc::clone(&written),
    };
    let with = |deflate: Option<DeflateConfig>| match deflate {
        Some(options) => Config::default().deflate(options),
        None => Config::default(),
    };
    let (client, server) = tokio::join!(
        connect("ws://localhost/", counting, with(client)),
        accept(server_io, with(server))
    );
    (client.unwrap(), server.unwrap(), written)
}

#[tokio::test]
async fn both_sides_enabled_negotiate_and_compress_on_the_wire() {
    let (mut client, mut server, written) = pair(
        Some(DeflateConfig::default()),
        Some(DeflateConfig::default()),
    )
    .await;
    assert!(client.is_compressed() && server.is_compressed());
    let before = written.load(Ordering::SeqCst);
    let text = "compressible text ".repeat(10_000);
    client.send(Message::text(text.clone())).await.unwrap();
    let sent = written.load(Ordering::SeqCst) - before;
    assert!(
        sent < text.len() / 20,
        "{sent} bytes on the wire for {}",
        text.len()
    );
    assert_eq!(
        server.next().await.unwrap().unwrap().as_text(),
        Some(text.as_str())
    );
}

#[tokio::test]
async fn compressed_messages_round_trip_both_ways_with_context_takeover() {
    let (mut client, mut server, _) = pair(
        Some(DeflateConfig::default()),
        Some(DeflateConfig::default()),
    )
    .await;
    for round in 0..5 {
        let binary = Message::binary(vec![round as u8; 5000]);
        server.send(binary.clone()).await.unwrap();
        assert_eq!(client.next().await.unwrap().unwrap(), binary);
        let text = Message::text(format!("round {round} ").repeat(100));
        client.send(text.clone()).await.unwrap();
        assert_eq!(server.next().await.unwrap().unwrap(), text);
    }
}

#[tokio::test]
async fn no_context_takeover_is_negotiated_and_still_round_trips() {
    let options = DeflateConfig {
        server_no_context_takeover: Some(true),
        client_no_context_takeover: Some(true),
        threshold: 0,
        ..DeflateConfig::default()
    };
    let (mut client, mut server, _) = pair(Some(options.clone()), Some(options)).await;
    assert!(client.is_compressed());
    for _ in 0..3 {
        client.send(Message::text("again and again")).await.unwrap();
        assert_eq!(
            server.next().await.unwrap().unwrap(),
            Message::text("again and again")
        );
    }
}

#[tokio::test]
async fn server_without_deflate_ignores_the_offer() {
    let (mut client, mut server, _) = pair(Some(DeflateConfig::default()), None).await;
    assert!(!client.is_compressed() && !server.is_compressed());
    client.send(Message::text("plain")).await.unwrap();
    assert_eq!(
        server.next().await.unwrap().unwrap(),
        Message::text("plain")
    );
}

#[tokio::test]
async fn client_without_deflate_gets_no_compression() {
    let (client, server, _) = pair(None, Some(DeflateConfig::default())).await;
    assert!(!client.is_compressed() && !server.is_compressed());
}
