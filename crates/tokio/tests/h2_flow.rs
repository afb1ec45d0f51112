//! Flow control, resets and isolation between WebSockets sharing one
//! HTTP/2 connection.

#[path = "support/h2.rs"]
mod support;

use std::time::Duration;

use bytes::Bytes;
use ferrows::h2::{H2WebSocket, Settings};
use ferrows::{AcceptOptions, Config, Message};
use futures_util::{SinkExt, StreamExt};
use http::{Method, Request, StatusCode};
use support::{client, close, echo, raw_client, serve};
use tokio::sync::mpsc;
use tokio::time::{sleep, timeout};

const LIMIT: Duration = Duration::from_secs(20);

/// A server whose WebSockets report how they ended (the close code of the
/// final error, or `None` for a clean end) on `ends`, after running `first`.
async fn reporting_server<F, Fut>(
    first: F,
) -> (std::net::SocketAddr, mpsc::UnboundedReceiver<Option<u16>>)
where
    F: Fn(H2WebSocket) -> Fut + Clone + Send + Sync + 'static,
    Fut: std::future::Future<Output = H2WebSocket> + Send + 'static,
{
    let (tx, ends) = mpsc::unbounded_channel();
    let handler = move |ws: H2WebSocket| {
        let (tx, first) = (tx.clone(), first.clone());
        async move {
            let mut ws = first(ws).await;
            let mut end = None;
            while let Some(item) = ws.next().await {
                if let Err(err) = item {
                    end = err.close_code();
                }
            }
            let _ = tx.send(end);
        }
    };
    let addr = serve(
        Config::default(),
        AcceptOptions::new,
        Settings::default(),
        handler,
    )
    .await;
    (addr, ends)
}

#[tokio::test]
async fn peer_reset_mid_message_is_an_abnormal_closure() {
    let (addr, mut ends) = reporting_server(|ws| async { ws }).await;
    let mut send = raw_client(addr).await;
    let mut request = Request::builder()
        .method(Method::CONNECT)
        .uri(format!("http://{addr}/"))
        .header("sec-websocket-version", "13")
        .body(())
        .unwrap();
    request
        .extensions_mut()
        .insert(::h2::ext::Protocol::from_static("websocket"));
    let (response, mut stream) = send.send_request(request, false).unwrap();
    assert_eq!(response.await.unwrap().status(), StatusCode::OK);
    // A masked binary frame announcing 100 bytes, of which 10 are sent.
    let mut partial = vec![0x82, 0x80 | 100, 1, 2, 3, 4];
    partial.extend_from_slice(&[0u8; 10]);
    stream.send_data(Bytes::from(partial), false).unwrap();
    sleep(Duration::from_millis(50)).await;
    stream.send_reset(::h2::Reason::CANCEL);
    let end = timeout(LIMIT, ends.recv())
        .await
        .expect("the server's WebSocket ends");
    assert_eq!(end, Some(Some(1006)));
}

#[tokio::test]
async fn server_cancel_is_an_abnormal_closure_for_the_client() {
    let (addr, _ends) = reporting_server(|mut ws| async move {
        let message = ws.next().await.unwrap().unwrap();
        assert_eq!(message, Message::text("cancel me"));
        ws.get_mut().cancel();
        ws
    })
    .await;
    let conn = client(addr, &Settings::default()).await;
    let mut ws = conn
        .connect(format!("ws://{addr}/"), Config::default())
        .await
        .unwrap();
    ws.send(Message::text("cancel me")).await.unwrap();
    let err = timeout(LIMIT, ws.next())
        .await
        .unwrap()
        .unwrap()
        .unwrap_err();
    assert_eq!(err.close_code(), Some(1006), "{err}");
    assert!(err.is_io());
    // The connection survives the reset.
    let ws = conn
        .connect(format!("ws://{addr}/"), Config::default())
        .await
        .unwrap();
    drop(ws);
}

#[tokio::test]
async fn dropping_an_open_websocket_resets_its_stream() {
    let (addr, mut ends) = reporting_server(|ws| async { ws }).await;
    let conn = client(addr, &Settings::default()).await;
    let mut ws = conn
        .connect(format!("ws://{addr}/"), Config::default())
        .await
        .unwrap();
    ws.send(Message::text("bye")).await.unwrap();
    drop(ws);
    let end = timeout(LIMIT, ends.recv()).await.unwrap();
    assert_eq!(end, Some(Some(1006)), "RST_STREAM(CANCEL), not END_STREAM");
}

#[tokio::test]
async fn clean_close_ends_without_error_on_both_sides() {
    let (addr, mut ends) = reporting_server(|ws| async { ws }).await;
    let conn = client(addr, &Settings::default()).await;
    let ws = conn
        .connect(format!("ws://{addr}/"), Config::default())
        .await
        .unwrap();
    close(ws).await;
    assert_eq!(timeout(LIMIT, ends.recv()).await.unwrap(), Some(None));
}

#[tokio::test]
async fn paused_reader_under_a_flood_of_tiny_messages_keeps_the_connection() {
    // 10 streams x 7,000 one-byte messages: 70,000 DATA frames of 7 bytes,
    // each costing h2's small-frame budget 249: about 17 MB, over the 16 MiB
    // default budget if they sat unread, yet within every window.
    const FLOOD: usize = 7000;
    const PAUSED: usize = 10;
    let (addr, mut ends) = reporting_server(|mut ws| async move {
        let first = ws.next().await.unwrap().unwrap();
        if first == Message::text("pause") {
            sleep(Duration::from_millis(2500)).await;
            for i in 0..FLOOD {
                assert_eq!(
                    ws.next().await.unwrap().unwrap(),
                    Message::binary(vec![(i % 256) as u8])
                );
            }
        } else {
            ws.send(first).await.unwrap();
            echo(ws).await;
            return futures_never().await;
        }
        ws
    })
    .await;
    let conn = client(addr, &Settings::default()).await;
    let mut paused = Vec::new();
    for _ in 0..PAUSED {
        let url = format!("ws://{addr}/");
        paused.push(conn.connect(url, Config::default()).await.unwrap());
    }
    let mut other = conn
        .connect(format!("ws://{addr}/"), Config::default())
        .await
        .unwrap();
    other.send(Message::text("echo")).await.unwrap();
    for ws in &mut paused {
        ws.send(Message::text("pause")).await.unwrap();
    }
    for i in 0..FLOOD {
        for ws in &mut paused {
            ws.send(Message::binary(vec![(i % 256) as u8]))
                .await
                .unwrap();
        }
    }
    // Thousands of one-frame DATA frames sit unread by the paused WebSocket;
    // the other stream on the connection must still work.
    other.send(Message::text("alive")).await.unwrap();
    assert_eq!(
        timeout(LIMIT, other.next())
            .await
            .unwrap()
            .unwrap()
            .unwrap(),
        Message::text("echo")
    );
    assert_eq!(
        timeout(LIMIT, other.next())
            .await
            .unwrap()
            .unwrap()
            .unwrap(),
        Message::text("alive")
    );
    for ws in paused {
        close(ws).await;
        assert_eq!(timeout(LIMIT, ends.recv()).await.unwrap(), Some(None));
    }
}

#[tokio::test]
async fn stalled_websocket_does_not_block_other_streams() {
    let (addr, _ends) = reporting_server(|mut ws| async move {
        let first = ws.next().await.unwrap().unwrap();
        if first == Message::text("stall") {
            return futures_never().await;
        }
        ws.send(first).await.unwrap();
        echo(ws).await;
        futures_never().await
    })
    .await;
    let conn = client(addr, &Settings::default()).await;
    let mut stalled = conn
        .connect(format!("ws://{addr}/"), Config::default())
        .await
        .unwrap();
    stalled.send(Message::text("stall")).await.unwrap();
    let writer = tokio::spawn(async move {
        // Far more than the stream window: the send blocks on flow control.
        let _ = stalled
            .send(Message::binary(vec![1u8; 4 * 1024 * 1024]))
            .await;
        stalled
    });
    sleep(Duration::from_millis(200)).await;
    assert!(
        !writer.is_finished(),
        "the stalled stream's window is exhausted"
    );
    let mut other = conn
        .connect(format!("ws://{addr}/"), Config::default())
        .await
        .unwrap();
    other.send(Message::text("go")).await.unwrap();
    other
        .send(Message::binary(vec![9u8; 256 * 1024]))
        .await
        .unwrap();
    assert_eq!(
        timeout(LIMIT, other.next())
            .await
            .unwrap()
            .unwrap()
            .unwrap(),
        Message::text("go")
    );
    let big = timeout(LIMIT, other.next())
        .await
        .unwrap()
        .unwrap()
        .unwrap();
    assert!(
        big == Message::binary(vec![9u8; 256 * 1024]),
        "the 256 KiB echo"
    );
    writer.abort();
}

/// Parks the WebSocket's task forever (a stalled reader).
async fn futures_never() -> H2WebSocket {
    std::future::pending().await
}
