//! `wss://` over tokio-rustls (ring) with a self-signed certificate.

use std::sync::Arc;

use ferrows::tls::tokio_rustls::rustls::pki_types::{PrivateKeyDer, PrivatePkcs8KeyDer};
use ferrows::tls::tokio_rustls::rustls::{ClientConfig, RootCertStore, ServerConfig};
use ferrows::tls::tokio_rustls::TlsAcceptor;
use ferrows::tls::{client_config, connect_tls, server_config};
use ferrows::{accept, CloseFrame, Config, Message};
use futures_util::{SinkExt, StreamExt};
use tokio::net::TcpListener;

/// A server config for `localhost` and a client config trusting it.
fn configs() -> (Arc<ServerConfig>, Arc<ClientConfig>) {
    let certified = rcgen::generate_simple_self_signed(vec!["localhost".to_owned()]).unwrap();
    let cert = certified.cert.der().clone();
    let key = PrivateKeyDer::Pkcs8(PrivatePkcs8KeyDer::from(
        certified.signing_key.serialize_der(),
    ));
    let mut roots = RootCertStore::empty();
    roots.add(cert.clone()).unwrap();
    (
        server_config(vec![cert], key).unwrap(),
        client_config(roots).unwrap(),
    )
}

/// Accepts one TLS connection and echoes it until it closes.
async fn echo_server(
    listener: TcpListener,
    tls: Arc<ServerConfig>,
) -> Result<usize, ferrows::Error> {
    let (tcp, _) = listener.accept().await?;
    let stream = TlsAcceptor::from(tls).accept(tcp).await?;
    let mut ws = accept(stream, Config::default()).await?;
    let mut echoed = 0;
    while let Some(message) = ws.next().await {
        let message = message?;
        if message.is_text() || message.is_binary() {
            ws.send(message).await?;
            echoed += 1;
        }
    }
    Ok(echoed)
}

#[tokio::test]
async fn wss_client_and_server_echo_and_close_cleanly() {
    let (server_tls, client_tls) = configs();
    let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
    let url = format!(
        "wss://localhost:{}/secure",
        listener.local_addr().unwrap().port()
    );
    let server = tokio::spawn(echo_server(listener, server_tls));
    let mut ws = connect_tls(url.as_str(), client_tls, Config::default())
        .await
        .unwrap();
    ws.send(Message::text("over tls")).await.unwrap();
    assert_eq!(ws.next().await.unwrap().unwrap(), Message::text("over tls"));
    let big = Message::binary(vec![42u8; 300_000]);
    ws.send(big.clone()).await.unwrap();
    assert_eq!(ws.next().await.unwrap().unwrap(), big);
    ws.send(Message::Close(Some(CloseFrame::new(1000, "done"))))
        .await
        .unwrap();
    let reply = ws.next().await.unwrap().unwrap();
    assert_eq!(reply, Message::Close(Some(CloseFrame::new(1000, "done"))));
    assert!(ws.next().await.is_none());
    assert_eq!(server.await.unwrap().unwrap(), 2);
}

#[tokio::test]
async fn connect_tls_refuses_plain_ws_urls() {
    let (_, client_tls) = configs();
    let err = connect_tls("ws://localhost:1/", client_tls, Config::default())
        .await
        .unwrap_err();
    assert!(err.is_url());
}

#[tokio::test]
async fn untrusted_certificate_fails_as_io_error() {
    let (server_tls, _) = configs();
    let (_, other_client) = configs();
    let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
    let url = format!("wss://localhost:{}/", listener.local_addr().unwrap().port());
    let server = tokio::spawn(echo_server(listener, server_tls));
    let err = connect_tls(url, other_client, Config::default())
        .await
        .unwrap_err();
    assert!(err.is_io(), "{err}");
    assert!(server.await.unwrap().is_err());
}
