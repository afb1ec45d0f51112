//! The negative cases of RFC 8441 over real loopback connections: no
//! setting, wrong or missing `:protocol`, malformed requests, GOAWAY.

#[path = "support/h2.rs"]
mod support;

use std::net::SocketAddr;
use std::time::Duration;

use bytes::Bytes;
use ferrows::h2::{self, ClientConnection, Settings};
use ferrows::{Config, Message};
use futures_util::{SinkExt, StreamExt};
use http::{Method, Request, StatusCode};
use support::{client, close, echo, echo_server, raw_client};
use tokio::net::{TcpListener, TcpStream};
use tokio::time::timeout;

const LIMIT: Duration = Duration::from_secs(10);

/// A plain h2 server (not ferrows) that never enables extended CONNECT and
/// answers 200 to everything.
async fn plain_h2_server() -> SocketAddr {
    let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = listener.local_addr().unwrap();
    tokio::spawn(async move {
        let (tcp, _) = listener.accept().await.unwrap();
        let mut conn = ::h2::server::handshake(tcp).await.unwrap();
        while let Some(Ok((_, mut respond))) = conn.accept().await {
            let _ = respond.send_response(http::Response::new(()), true);
        }
    });
    addr
}

/// A request with `:protocol` (when given) from the raw client.
fn connect_request(uri: &str, protocol: Option<&'static str>) -> Request<()> {
    let mut request = Request::builder()
        .method(Method::CONNECT)
        .uri(uri)
        .header("sec-websocket-version", "13")
        .body(())
        .unwrap();
    if let Some(protocol) = protocol {
        request
            .extensions_mut()
            .insert(::h2::ext::Protocol::from_static(protocol));
    }
    request
}

/// Sends `request` on a raw connection to `addr`: the status, or the
/// stream's reset reason.
async fn raw_answer(addr: SocketAddr, request: Request<()>) -> Result<StatusCode, ::h2::Reason> {
    let mut send = raw_client(addr).await;
    let (response, _stream) = send.send_request(request, false).unwrap();
    match timeout(LIMIT, response).await.expect("an answer in time") {
        Ok(response) => Ok(response.status()),
        Err(err) => Err(err.reason().expect("a reset, not a connection error")),
    }
}

#[tokio::test]
async fn client_fails_clearly_when_the_server_lacks_the_setting() {
    let addr = plain_h2_server().await;
    let tcp = TcpStream::connect(addr).await.unwrap();
    let err = ClientConnection::handshake(tcp, &Settings::default())
        .await
        .unwrap_err();
    assert!(
        err.is_extended_connect_unsupported() && err.is_handshake(),
        "{err}"
    );
}

#[tokio::test]
async fn protocol_sent_to_a_server_without_the_setting_is_reset() {
    let addr = plain_h2_server().await;
    let request = connect_request(&format!("http://{addr}/"), Some("websocket"));
    assert_eq!(
        raw_answer(addr, request).await,
        Err(::h2::Reason::PROTOCOL_ERROR)
    );
}

#[tokio::test]
async fn unknown_protocol_is_answered_501() {
    let addr = echo_server(Config::default(), Settings::default()).await;
    let request = connect_request(&format!("http://{addr}/"), Some("webtransport"));
    assert_eq!(
        raw_answer(addr, request).await,
        Ok(StatusCode::NOT_IMPLEMENTED)
    );
}

#[tokio::test]
async fn plain_connect_is_answered_405() {
    let addr = echo_server(Config::default(), Settings::default()).await;
    let request = connect_request(&addr.to_string(), None);
    assert_eq!(
        raw_answer(addr, request).await,
        Ok(StatusCode::METHOD_NOT_ALLOWED)
    );
}

#[tokio::test]
async fn get_request_is_answered_405() {
    let addr = echo_server(Config::default(), Settings::default()).await;
    let mut request = connect_request(&format!("http://{addr}/"), None);
    *request.method_mut() = Method::GET;
    assert_eq!(
        raw_answer(addr, request).await,
        Ok(StatusCode::METHOD_NOT_ALLOWED)
    );
}

#[tokio::test]
async fn wrong_version_is_answered_400_with_version_13() {
    let addr = echo_server(Config::default(), Settings::default()).await;
    let mut request = connect_request(&format!("http://{addr}/"), Some("websocket"));
    request
        .headers_mut()
        .insert("sec-websocket-version", "8".parse().unwrap());
    let mut send = raw_client(addr).await;
    let (response, _stream) = send.send_request(request, false).unwrap();
    let response = timeout(LIMIT, response).await.unwrap().unwrap();
    assert_eq!(response.status(), StatusCode::BAD_REQUEST);
    assert_eq!(response.headers()["sec-websocket-version"], "13");
    let mut body = response.into_body();
    let text = body.data().await.unwrap().unwrap();
    assert_eq!(
        text,
        Bytes::from_static(b"Missing or invalid Sec-WebSocket-Version header")
    );
}

#[tokio::test]
async fn extended_connect_without_scheme_is_reset_protocol_error() {
    let addr = echo_server(Config::default(), Settings::default()).await;
    // An authority-form URI: h2 sends `:protocol` and `:path` but no `:scheme`.
    let request = connect_request(&addr.to_string(), Some("websocket"));
    assert_eq!(
        raw_answer(addr, request).await,
        Err(::h2::Reason::PROTOCOL_ERROR)
    );
}

#[tokio::test]
async fn application_cannot_override_the_version_header() {
    let addr = echo_server(Config::default(), Settings::default()).await;
    let conn = client(addr, &Settings::default()).await;
    let refused = conn
        .connect(
            ferrows::Request::new(&format!("ws://{addr}/"))
                .unwrap()
                .header("sec-websocket-version", "8"),
            Config::default(),
        )
        .await;
    // The application's version header is dropped: the request is valid.
    close(refused.unwrap()).await;
    let mut ws = conn
        .connect(format!("ws://{addr}/"), Config::default())
        .await
        .unwrap();
    ws.send(Message::text("still here")).await.unwrap();
    assert_eq!(
        ws.next().await.unwrap().unwrap(),
        Message::text("still here")
    );
    close(ws).await;
}

#[tokio::test]
async fn goaway_keeps_open_websockets_and_refuses_new_ones() {
    let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = listener.local_addr().unwrap();
    tokio::spawn(async move {
        let (tcp, _) = listener.accept().await.unwrap();
        let mut conn = h2::accept(tcp, Config::default()).await.unwrap();
        let ws = conn.accept().await.unwrap().unwrap();
        conn.shutdown();
        tokio::spawn(echo(ws));
        while conn.accept().await.is_some() {}
    });
    let conn = client(addr, &Settings::default()).await;
    let mut ws = conn
        .connect(format!("ws://{addr}/"), Config::default())
        .await
        .unwrap();
    tokio::time::sleep(Duration::from_millis(300)).await;
    let refused = timeout(
        LIMIT,
        conn.connect(format!("ws://{addr}/"), Config::default()),
    )
    .await;
    assert!(
        refused.expect("no hang").is_err(),
        "a new WebSocket after GOAWAY"
    );
    ws.send(Message::text("after goaway")).await.unwrap();
    assert_eq!(
        ws.next().await.unwrap().unwrap(),
        Message::text("after goaway")
    );
    close(ws).await;
}
