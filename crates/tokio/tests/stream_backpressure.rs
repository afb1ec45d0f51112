//! `Sink::poll_ready` waits while the cork is above its high-water mark and
//! the peer is not reading, and resumes once the peer reads.

#[path = "support/pair.rs"]
mod pair;

use std::future::poll_fn;
use std::pin::Pin;
use std::task::{Context, Poll, Waker};

use ferrows::{Config, Message};
use futures_sink::Sink;
use futures_util::StreamExt;
use pair::duplex_pair;

#[tokio::test]
async fn poll_ready_pends_when_peer_stops_reading_and_resumes_after_it_reads() {
    let config = Config::default().high_water_mark(16 * 1024);
    let (mut client, mut server) = duplex_pair(config, Config::default(), 4096).await;
    let mut cx = Context::from_waker(Waker::noop());
    let chunk = Message::binary(vec![7u8; 8 * 1024]);
    let mut queued = 0;
    // The server does not read: the duplex fills, the cork grows past 16 KiB.
    while Pin::new(&mut client).poll_ready(&mut cx).is_ready() {
        Pin::new(&mut client).start_send(chunk.clone()).unwrap();
        queued += 1;
        assert!(queued < 64, "poll_ready never applied backpressure");
    }
    assert!(
        client.buffered_amount() > 16 * 1024,
        "{queued} {}",
        client.buffered_amount()
    );
    let reader = tokio::spawn(async move {
        for _ in 0..queued {
            assert_eq!(server.next().await.unwrap().unwrap().len(), 8 * 1024);
        }
        server
    });
    poll_fn(|cx| Pin::new(&mut client).poll_ready(cx))
        .await
        .unwrap();
    assert!(client.buffered_amount() <= 16 * 1024);
    poll_fn(|cx| Pin::new(&mut client).poll_flush(cx))
        .await
        .unwrap();
    assert_eq!(client.buffered_amount(), 0);
    drop(reader.await.unwrap());
}

#[tokio::test]
async fn poll_ready_is_ready_below_the_high_water_mark() {
    let (mut client, _server) = duplex_pair(Config::default(), Config::default(), 4096).await;
    let mut cx = Context::from_waker(Waker::noop());
    Pin::new(&mut client)
        .start_send(Message::binary(vec![0u8; 1000]))
        .unwrap();
    assert!(matches!(
        Pin::new(&mut client).poll_ready(&mut cx),
        Poll::Ready(Ok(()))
    ));
    assert_eq!(
        client.buffered_amount(),
        1008,
        "nothing written before a flush"
    );
}
