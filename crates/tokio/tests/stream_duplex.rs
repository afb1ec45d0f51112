//! Client ↔ server over `tokio::io::duplex`: messages, control frames and
//! the closing handshake.

#[path = "support/pair.rs"]
mod pair;

use bytes::Bytes;
use ferrows::{CloseFrame, Config, Message};
use futures_util::{SinkExt, StreamExt};
use pair::duplex_pair;

const MIB: usize = 1024 * 1024;

async fn default_pair() -> (
    ferrows::WebSocketStream<tokio::io::DuplexStream>,
    ferrows::WebSocketStream<tokio::io::DuplexStream>,
) {
    duplex_pair(Config::default(), Config::default(), 64 * 1024).await
}

#[tokio::test]
async fn client_sends_text_and_binary_server_receives_them_in_order() {
    let (mut client, mut server) = default_pair().await;
    assert!(!client.is_server() && server.is_server());
    client.send(Message::text("héllo")).await.unwrap();
    client.send(Message::binary(vec![0u8, 1, 2])).await.unwrap();
    client.send(Message::text("")).await.unwrap();
    assert_eq!(
        server.next().await.unwrap().unwrap(),
        Message::text("héllo")
    );
    assert_eq!(
        server.next().await.unwrap().unwrap(),
        Message::binary(vec![0u8, 1, 2])
    );
    assert_eq!(server.next().await.unwrap().unwrap(), Message::text(""));
}

#[tokio::test]
async fn server_sends_text_client_receives_it() {
    let (mut client, mut server) = default_pair().await;
    server.send(Message::text("from server")).await.unwrap();
    let received = client.next().await.unwrap().unwrap();
    assert_eq!(received.as_text(), Some("from server"));
}

#[tokio::test]
async fn one_mib_messages_round_trip_both_ways() {
    let (client, mut server) = default_pair().await;
    let binary: Bytes = (0..MIB).map(|i| (i % 251) as u8).collect::<Vec<_>>().into();
    let text = "ab€".repeat(MIB / 5);
    let echo = tokio::spawn(async move {
        for _ in 0..2 {
            let message = server.next().await.unwrap().unwrap();
            server.send(message).await.unwrap();
        }
        server
    });
    let (mut tx, mut rx) = client.split();
    let (to_send, text_sent) = (binary.clone(), text.clone());
    let sender = tokio::spawn(async move {
        tx.send(Message::Binary(to_send)).await.unwrap();
        tx.send(Message::text(text_sent)).await.unwrap();
        tx
    });
    assert_eq!(rx.next().await.unwrap().unwrap(), Message::Binary(binary));
    assert_eq!(
        rx.next().await.unwrap().unwrap().as_text(),
        Some(text.as_str())
    );
    drop(sender.await.unwrap());
    drop(echo.await.unwrap());
}

#[tokio::test]
async fn client_ping_is_surfaced_to_server_and_auto_pong_to_client() {
    let (mut client, mut server) = default_pair().await;
    client
        .send(Message::Ping(Bytes::from_static(b"p1")))
        .await
        .unwrap();
    let ping = server.next().await.unwrap().unwrap();
    assert_eq!(ping, Message::Ping(Bytes::from_static(b"p1")));
    // The engine queued the pong; polling the server's stream flushed it.
    let pong = client.next().await.unwrap().unwrap();
    assert_eq!(pong, Message::Pong(Bytes::from_static(b"p1")));
}

#[tokio::test]
async fn unsolicited_pong_is_surfaced() {
    let (mut client, mut server) = default_pair().await;
    server
        .send(Message::Pong(Bytes::from_static(b"hb")))
        .await
        .unwrap();
    let pong = client.next().await.unwrap().unwrap();
    assert_eq!(pong, Message::Pong(Bytes::from_static(b"hb")));
}

#[tokio::test]
async fn client_close_with_code_both_sides_see_it_and_end_cleanly() {
    let (mut client, mut server) = default_pair().await;
    let frame = CloseFrame::new(4000, "bye");
    client
        .send(Message::Close(Some(frame.clone())))
        .await
        .unwrap();
    let seen = server.next().await.unwrap().unwrap();
    assert_eq!(seen, Message::Close(Some(frame.clone())));
    assert!(server.next().await.is_none(), "server ends after the reply");
    let echoed = client.next().await.unwrap().unwrap();
    assert_eq!(echoed, Message::Close(Some(frame)));
    assert!(client.next().await.is_none(), "client ends cleanly");
    assert!(client.next().await.is_none(), "the stream stays ended");
}

#[tokio::test]
async fn server_close_via_sink_close_sends_1000() {
    let (mut client, mut server) = default_pair().await;
    server.close().await.unwrap();
    let seen = client.next().await.unwrap().unwrap();
    assert_eq!(seen, Message::Close(Some(CloseFrame::normal())));
    assert!(client.next().await.is_none());
    let reply = server.next().await.unwrap().unwrap();
    assert_eq!(reply, Message::Close(Some(CloseFrame::normal())));
    assert!(server.next().await.is_none());
}

#[tokio::test]
async fn close_without_code_is_seen_as_none() {
    let (mut client, mut server) = default_pair().await;
    client.send(Message::Close(None)).await.unwrap();
    assert_eq!(server.next().await.unwrap().unwrap(), Message::Close(None));
    assert!(server.next().await.is_none());
    assert_eq!(client.next().await.unwrap().unwrap(), Message::Close(None));
}

#[tokio::test]
async fn send_after_close_fails_as_closed() {
    let (mut client, _server) = default_pair().await;
    client.send(Message::Close(None)).await.unwrap();
    let err = client.send(Message::text("late")).await.unwrap_err();
    assert!(err.is_closed());
    assert_eq!(err.close_code(), None);
}

#[tokio::test]
async fn invalid_close_code_is_refused_as_invalid_input() {
    let (mut client, _server) = default_pair().await;
    let err = client
        .send(Message::Close(Some(CloseFrame::new(1005, ""))))
        .await
        .unwrap_err();
    assert!(err.is_invalid_input());
    let long = Message::Ping(Bytes::from(vec![0u8; 126]));
    assert!(client.send(long).await.unwrap_err().is_invalid_input());
    client.send(Message::text("still open")).await.unwrap();
}

#[tokio::test]
async fn many_small_messages_are_pipelined_in_order() {
    let (mut client, mut server) = default_pair().await;
    let sender = tokio::spawn(async move {
        for i in 0..2000u32 {
            client
                .feed(Message::binary(i.to_be_bytes().to_vec()))
                .await
                .unwrap();
        }
        client.flush().await.unwrap();
        client
    });
    for i in 0..2000u32 {
        let message = server.next().await.unwrap().unwrap();
        assert_eq!(message.as_payload(), i.to_be_bytes());
    }
    drop(sender.await.unwrap());
}

#[tokio::test]
async fn dropping_the_peer_ends_the_stream_with_1006() {
    let (client, mut server) = default_pair().await;
    drop(client);
    let err = server.next().await.unwrap().unwrap_err();
    assert!(err.is_closed() && !err.is_protocol());
    assert_eq!(err.close_code(), Some(1006));
    assert!(server.next().await.is_none());
    assert!(server
        .send(Message::text("x"))
        .await
        .unwrap_err()
        .is_closed());
}
