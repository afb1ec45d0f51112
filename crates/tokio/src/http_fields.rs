//! Header maps of the `http` crate (as hyper and h2 carry them) turned into
//! the core's header lists, so `check_connect`, `check_connect_response` and
//! `check_upgrade` read them like a parsed HTTP/1.1 head.

use http::HeaderMap;
#[cfg(feature = "http2")]
use http::{Method, Uri};

/// `(lowercase name, value)` pairs, pseudo-headers first when present.
pub(crate) type Fields = Vec<(String, String)>;

/// Headers as Node presents them: lowercase names, repeated fields joined
/// with `", "`, values decoded as Latin-1.
pub(crate) fn merged_headers(headers: &HeaderMap) -> Fields {
    headers
        .keys()
        .map(|name| {
            let values: Vec<String> = headers
                .get_all(name)
                .iter()
                .map(|value| value.as_bytes().iter().map(|&b| char::from(b)).collect())
                .collect();
            (name.as_str().to_owned(), values.join(", "))
        })
        .collect()
}

/// An HTTP/2 request as `check_connect` reads it: the pseudo-headers
/// `:method`, `:protocol`, `:scheme`, `:path` and `:authority` (those the
/// request carried), then the regular headers.
///
/// h2 and hyper rebuild `:scheme`, `:path` and `:authority` into the URI;
/// a plain CONNECT has only an authority, so its `:path` stays absent.
#[cfg(feature = "http2")]
pub(crate) fn request_fields(
    method: &Method,
    protocol: Option<&str>,
    uri: &Uri,
    headers: &HeaderMap,
) -> Fields {
    let pseudo = [
        (":method", Some(method.as_str())),
        (":protocol", protocol),
        (":scheme", uri.scheme_str()),
        (":path", uri.path_and_query().map(|p| p.as_str())),
        (":authority", uri.authority().map(|a| a.as_str())),
    ];
    let mut fields: Fields = pseudo
        .into_iter()
        .filter_map(|(name, value)| Some((name.to_owned(), value?.to_owned())))
        .collect();
    fields.extend(merged_headers(headers));
    fields
}

#[cfg(test)]
mod tests {
    use super::*;
    use ferrows_core::handshake::HeaderLookup;

    #[test]
    fn repeated_headers_are_joined_and_latin1_decoded() {
        let mut headers = HeaderMap::new();
        headers.append("x-a", "1".parse().unwrap());
        headers.append("x-a", "2".parse().unwrap());
        headers.append("x-b", http::HeaderValue::from_bytes(b"caf\xe9").unwrap());
        let fields = merged_headers(&headers);
        assert_eq!(fields.get("x-a"), Some("1, 2"));
        assert_eq!(fields.get("x-b"), Some("café"));
    }

    #[cfg(feature = "http2")]
    #[test]
    fn extended_connect_has_every_pseudo_header() {
        let uri: Uri = "https://example.com/chat?x=1".parse().unwrap();
        let fields = request_fields(&Method::CONNECT, Some("websocket"), &uri, &HeaderMap::new());
        assert_eq!(fields.get(":protocol"), Some("websocket"));
        assert_eq!(fields.get(":scheme"), Some("https"));
        assert_eq!(fields.get(":path"), Some("/chat?x=1"));
        assert_eq!(fields.get(":authority"), Some("example.com"));
    }

    #[cfg(feature = "http2")]
    #[test]
    fn plain_connect_has_no_path_or_scheme() {
        let uri: Uri = "example.com:443".parse().unwrap();
        let fields = request_fields(&Method::CONNECT, None, &uri, &HeaderMap::new());
        assert_eq!(fields.get(":path"), None);
        assert_eq!(fields.get(":scheme"), None);
        assert_eq!(fields.get(":authority"), Some("example.com:443"));
    }
}
