//! [`Request`]: what a client asks for — the URL's parts plus subprotocols,
//! an origin and extra headers.

use crate::error::Error;

/// A client's upgrade request, built from a `ws://` or `wss://` URL
/// (`http://` and `https://` are accepted too, as `ws` accepts them).
///
/// ```
/// use ferrows::Request;
/// let request = Request::new("wss://[::1]:9443/chat?room=1")?
///     .protocol("chat.v2")
///     .header("Authorization", "Bearer abc");
/// assert!(request.is_secure());
/// assert_eq!((request.host(), request.port()), ("::1", 9443));
/// assert_eq!(request.path(), "/chat?room=1");
/// # Ok::<(), ferrows::Error>(())
/// ```
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Request {
    secure: bool,
    host: String,
    port: u16,
    path: String,
    pub(crate) protocols: Vec<String>,
    pub(crate) headers: Vec<(String, String)>,
    pub(crate) origin: Option<String>,
}

impl Request {
    /// Parses `url`. Credentials (`user@host`) and fragments are refused.
    pub fn new(url: &str) -> Result<Self, Error> {
        let (secure, rest) = split_scheme(url)?;
        if rest.contains('#') {
            return Err(Error::url("the URL contains a fragment identifier"));
        }
        let split = rest.find(['/', '?']).unwrap_or(rest.len());
        let (authority, path) = rest.split_at(split);
        if authority.contains('@') {
            return Err(Error::url("credentials in the URL are not supported"));
        }
        let (host, port) = split_authority(authority)?;
        let path = match path {
            "" => "/".to_owned(),
            query if query.starts_with('?') => format!("/{query}"),
            path => path.to_owned(),
        };
        Ok(Self {
            secure,
            host: host.to_owned(),
            port: port.unwrap_or(if secure { 443 } else { 80 }),
            path,
            protocols: Vec::new(),
            headers: Vec::new(),
            origin: None,
        })
    }

    /// Offers a subprotocol (in preference order, one call each).
    #[must_use]
    pub fn protocol(mut self, protocol: impl Into<String>) -> Self {
        self.protocols.push(protocol.into());
        self
    }

    /// Adds a request header. A header the handshake sets itself (`Host`,
    /// `Sec-WebSocket-*`, `Upgrade`, `Connection`) is replaced by its value,
    /// except `Host`, which the application may override.
    #[must_use]
    pub fn header(mut self, name: impl Into<String>, value: impl Into<String>) -> Self {
        self.headers.push((name.into(), value.into()));
        self
    }

    /// Sends an `Origin` header.
    #[must_use]
    pub fn origin(mut self, origin: impl Into<String>) -> Self {
        self.origin = Some(origin.into());
        self
    }

    /// Whether the URL asked for TLS (`wss://`, `https://`).
    pub fn is_secure(&self) -> bool {
        self.secure
    }

    /// The host name or address (an IPv6 address without brackets).
    pub fn host(&self) -> &str {
        &self.host
    }

    /// The port, explicit or the scheme's default (80, 443).
    pub fn port(&self) -> u16 {
        self.port
    }

    /// The request target: path and query.
    pub fn path(&self) -> &str {
        &self.path
    }

    /// The subprotocols offered, in order.
    pub fn protocols(&self) -> &[String] {
        &self.protocols
    }

    /// The `Host` header: brackets around IPv6, the port omitted when it is
    /// the scheme's default (as Node writes it).
    pub(crate) fn host_header(&self) -> String {
        let host = if self.host.contains(':') {
            format!("[{}]", self.host)
        } else {
            self.host.clone()
        };
        let default_port = if self.secure { 443 } else { 80 };
        if self.port == default_port {
            host
        } else {
            format!("{host}:{}", self.port)
        }
    }
}

/// `(secure, rest after "://")`, for the four accepted schemes in any case.
fn split_scheme(url: &str) -> Result<(bool, &str), Error> {
    let (scheme, rest) = url
        .split_once("://")
        .ok_or(Error::url("the URL has no scheme"))?;
    match scheme.to_ascii_lowercase().as_str() {
        "ws" | "http" => Ok((false, rest)),
        "wss" | "https" => Ok((true, rest)),
        _ => Err(Error::url(
            "the URL's protocol must be one of ws:, wss:, http:, https:",
        )),
    }
}

/// `(host, port)` from `host`, `host:port`, `[v6]` or `[v6]:port`.
fn split_authority(authority: &str) -> Result<(&str, Option<u16>), Error> {
    let (host, port) = if let Some(v6) = authority.strip_prefix('[') {
        let (host, after) = v6
            .split_once(']')
            .ok_or(Error::url("unclosed IPv6 bracket"))?;
        match after {
            "" => (host, None),
            _ => (host, Some(after.strip_prefix(':').unwrap_or(after))),
        }
    } else {
        match authority.rsplit_once(':') {
            Some((host, port)) => (host, Some(port)),
            None => (authority, None),
        }
    };
    if host.is_empty() {
        return Err(Error::url("the URL has no host"));
    }
    let port = match port {
        None => None,
        Some(port) => Some(port.parse().map_err(|_| Error::url("invalid port"))?),
    };
    Ok((host, port))
}

/// Anything [`connect`](crate::connect) accepts as its request: a URL
/// (`&str`, `String`) or a [`Request`].
pub trait IntoRequest {
    /// Builds the request, parsing a URL if need be.
    fn into_request(self) -> Result<Request, Error>;
}

impl IntoRequest for Request {
    fn into_request(self) -> Result<Request, Error> {
        Ok(self)
    }
}

impl IntoRequest for &str {
    fn into_request(self) -> Result<Request, Error> {
        Request::new(self)
    }
}

impl IntoRequest for String {
    fn into_request(self) -> Result<Request, Error> {
        Request::new(&self)
    }
}

impl IntoRequest for &String {
    fn into_request(self) -> Result<Request, Error> {
        Request::new(self)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn plain_url_gets_default_port_and_root_path() {
        let request = Request::new("ws://example.com").unwrap();
        assert_eq!(
            (request.host(), request.port(), request.path()),
            ("example.com", 80, "/")
        );
        assert_eq!(request.host_header(), "example.com");
    }

    #[test]
    fn explicit_port_and_query_are_kept() {
        let request = Request::new("WS://localhost:8080?x=1").unwrap();
        assert_eq!(request.port(), 8080);
        assert_eq!(request.path(), "/?x=1");
        assert_eq!(request.host_header(), "localhost:8080");
    }

    #[test]
    fn ipv6_host_is_bracketed_in_host_header() {
        let request = Request::new("wss://[::1]/").unwrap();
        assert_eq!((request.host(), request.port()), ("::1", 443));
        assert_eq!(request.host_header(), "[::1]");
    }

    #[test]
    fn bad_urls_are_url_errors() {
        for url in [
            "ftp://a/",
            "no-scheme",
            "ws://",
            "ws://a:99999/",
            "ws://a/#frag",
            "ws://u:p@a/",
            "ws://[::1/",
        ] {
            assert!(Request::new(url).unwrap_err().is_url(), "{url}");
        }
    }

    #[test]
    fn builder_collects_protocols_headers_and_origin() {
        let request = Request::new("ws://a/")
            .unwrap()
            .protocol("a")
            .protocol("b")
            .header("X-A", "1")
            .origin("http://a");
        assert_eq!(request.protocols(), ["a", "b"]);
        assert_eq!(request.headers, [("X-A".to_owned(), "1".to_owned())]);
        assert_eq!(request.origin.as_deref(), Some("http://a"));
    }
}
