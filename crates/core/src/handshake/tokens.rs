//! RFC 7230 tokens and the `Sec-WebSocket-Protocol` list.
//!
//! The parser is a single left-to-right pass with no backtracking, like `ws`'s
//! `subprotocol.parse` (the fix for the ReDoS of CVE-2021-32640). Positions in
//! error messages are byte indices; they equal `ws`'s UTF-16 indices because
//! the first non-ASCII character is always where parsing stops.

use std::collections::HashSet;
use std::fmt;

/// Whether `b` is an RFC 7230 `tchar` (the `tokenChars` table of `ws`).
pub(crate) const fn is_tchar(b: u8) -> bool {
    matches!(
        b,
        b'!' | b'#'..=b'\''
            | b'*'
            | b'+'
            | b'-'
            | b'.'
            | b'0'..=b'9'
            | b'A'..=b'Z'
            | b'^'..=b'z'
            | b'|'
            | b'~'
    )
}

/// Optional white space: space or horizontal tab.
pub(crate) const fn is_ows(b: u8) -> bool {
    b == b' ' || b == b'\t'
}

/// Why a `Sec-WebSocket-Protocol` or `Sec-WebSocket-Extensions` value (or a
/// client's list of subprotocols) was refused. `Display` gives `ws`'s
/// `SyntaxError` message, e.g. `Unexpected character at index 3`.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct TokenError {
    kind: TokenErrorKind,
}

#[derive(Clone, Debug, PartialEq, Eq)]
enum TokenErrorKind {
    UnexpectedChar(usize),
    UnexpectedEnd,
    Duplicate(String),
    InvalidClientProtocols,
}

impl TokenError {
    pub(crate) const fn unexpected(index: usize) -> Self {
        Self {
            kind: TokenErrorKind::UnexpectedChar(index),
        }
    }

    pub(crate) const fn end() -> Self {
        Self {
            kind: TokenErrorKind::UnexpectedEnd,
        }
    }

    /// The index of the offending character, when there is one.
    pub const fn index(&self) -> Option<usize> {
        match self.kind {
            TokenErrorKind::UnexpectedChar(index) => Some(index),
            _ => None,
        }
    }

    /// True when a subprotocol was listed twice.
    pub const fn is_duplicate(&self) -> bool {
        matches!(self.kind, TokenErrorKind::Duplicate(_))
    }
}

impl fmt::Display for TokenError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match &self.kind {
            TokenErrorKind::UnexpectedChar(i) => write!(f, "Unexpected character at index {i}"),
            TokenErrorKind::UnexpectedEnd => f.write_str("Unexpected end of input"),
            TokenErrorKind::Duplicate(name) => {
                write!(f, "The \"{name}\" subprotocol is duplicated")
            }
            TokenErrorKind::InvalidClientProtocols => {
                f.write_str("An invalid or duplicated subprotocol was specified")
            }
        }
    }
}

impl std::error::Error for TokenError {}

/// Parses a `Sec-WebSocket-Protocol` value into its subprotocols, in order,
/// as `ws`'s `subprotocol.parse` does: elements are RFC 7230 tokens separated
/// by commas with optional spaces or tabs around them (but not at index 0);
/// empty elements and duplicates are errors. Linear time.
///
/// ```
/// use ferrows_core::handshake::parse_subprotocols;
/// assert_eq!(parse_subprotocols("chat, superchat").unwrap(), ["chat", "superchat"]);
/// assert_eq!(parse_subprotocols("chat,,x").unwrap_err().to_string(), "Unexpected character at index 5");
/// ```
pub fn parse_subprotocols(value: &str) -> Result<Vec<String>, TokenError> {
    let mut list = Vec::new();
    let mut seen = HashSet::new();
    let mut start = None;
    let mut end = None;
    for (i, &b) in value.as_bytes().iter().enumerate() {
        if end.is_none() && is_tchar(b) {
            start.get_or_insert(i);
        } else if i != 0 && is_ows(b) {
            if start.is_some() {
                end.get_or_insert(i);
            }
        } else if b == b',' {
            let first = start.ok_or(TokenError::unexpected(i))?;
            add_unique(&mut list, &mut seen, &value[first..end.unwrap_or(i)])?;
            start = None;
            end = None;
        } else {
            return Err(TokenError::unexpected(i));
        }
    }
    match (start, end) {
        (Some(first), None) => add_unique(&mut list, &mut seen, &value[first..])?,
        _ => return Err(TokenError::end()),
    }
    Ok(list)
}

fn add_unique<'a>(
    list: &mut Vec<String>,
    seen: &mut HashSet<&'a str>,
    name: &'a str,
) -> Result<(), TokenError> {
    if !seen.insert(name) {
        let kind = TokenErrorKind::Duplicate(name.to_owned());
        return Err(TokenError { kind });
    }
    list.push(name.to_owned());
    Ok(())
}

/// Checks the subprotocols a client is about to offer, as `new WebSocket`
/// does: each must be a non-empty RFC 7230 token and none may repeat.
/// The error reads `An invalid or duplicated subprotocol was specified`.
///
/// ```
/// use ferrows_core::handshake::check_client_protocols;
/// assert!(check_client_protocols(&["a".into(), "b".into()]).is_ok());
/// assert!(check_client_protocols(&["a".into(), "a".into()]).is_err());
/// ```
pub fn check_client_protocols(protocols: &[String]) -> Result<(), TokenError> {
    let mut seen = HashSet::new();
    let valid = protocols
        .iter()
        .all(|p| !p.is_empty() && p.bytes().all(is_tchar) && seen.insert(p.as_str()));
    if valid {
        Ok(())
    } else {
        Err(TokenError {
            kind: TokenErrorKind::InvalidClientProtocols,
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn err(value: &str) -> String {
        parse_subprotocols(value).unwrap_err().to_string()
    }

    #[test]
    fn tchar_matches_ws_table() {
        let ws_tokens: Vec<u8> = (0_u8..=255).filter(|&b| is_tchar(b)).collect();
        let expected: Vec<u8> =
            b"!#$%&'*+-.0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZ^_`abcdefghijklmnopqrstuvwxyz|~"
                .to_vec();
        assert_eq!(ws_tokens, expected);
    }

    #[test]
    fn subprotocols_parse_single_and_many() {
        assert_eq!(parse_subprotocols("foo").unwrap(), ["foo"]);
        assert_eq!(
            parse_subprotocols("foo,bar,baz").unwrap(),
            ["foo", "bar", "baz"]
        );
    }

    #[test]
    fn subprotocols_ignore_optional_white_space() {
        let header = "foo , bar\t, \tbaz\t ,  qux\t\t,norf";
        assert_eq!(
            parse_subprotocols(header).unwrap(),
            ["foo", "bar", "baz", "qux", "norf"]
        );
    }

    #[test]
    fn subprotocols_empty_element_fails() {
        assert_eq!(err(","), "Unexpected character at index 0");
        assert_eq!(err("foo,,"), "Unexpected character at index 4");
        assert_eq!(err("foo,  ,"), "Unexpected character at index 6");
    }

    #[test]
    fn subprotocols_duplicate_fails() {
        for header in ["foo,foo,bar", "foo,bar,foo", "foo , foo"] {
            let error = parse_subprotocols(header).unwrap_err();
            assert!(error.is_duplicate());
            assert_eq!(error.to_string(), "The \"foo\" subprotocol is duplicated");
        }
    }

    #[test]
    fn subprotocols_misplaced_white_space_fails() {
        assert_eq!(err("f oo"), "Unexpected character at index 2");
        assert_eq!(err(" foo"), "Unexpected character at index 0");
        assert_eq!(err("\tfoo"), "Unexpected character at index 0");
    }

    #[test]
    fn subprotocols_invalid_char_fails() {
        assert_eq!(err("f@o"), "Unexpected character at index 1");
        assert_eq!(err("f\\oo"), "Unexpected character at index 1");
        assert_eq!(err("foo,b@r"), "Unexpected character at index 5");
        assert_eq!(err("fo\u{e9}"), "Unexpected character at index 2");
        assert_eq!(parse_subprotocols("a;b").unwrap_err().index(), Some(1));
    }

    #[test]
    fn subprotocols_premature_end_fails() {
        for header in ["", "foo ", "foo, ", "foo,bar ", "foo,bar,"] {
            assert_eq!(err(header), "Unexpected end of input", "{header:?}");
            assert_eq!(parse_subprotocols(header).unwrap_err().index(), None);
        }
    }

    #[test]
    fn subprotocols_prototype_names_are_plain_tokens() {
        assert_eq!(
            parse_subprotocols("__proto__, constructor, hasOwnProperty").unwrap(),
            ["__proto__", "constructor", "hasOwnProperty"]
        );
        assert!(parse_subprotocols("__proto__,__proto__")
            .unwrap_err()
            .is_duplicate());
    }

    #[test]
    fn client_protocols_invalid_or_duplicate_fail() {
        let list = |items: &[&str]| items.iter().map(|s| (*s).to_owned()).collect::<Vec<_>>();
        assert!(check_client_protocols(&[]).is_ok());
        assert!(check_client_protocols(&list(&["chat", "v2.json"])).is_ok());
        for bad in [
            &["chat", "chat"][..],
            &[""],
            &["a b"],
            &["a,b"],
            &["caf\u{e9}"],
        ] {
            let error = check_client_protocols(&list(bad)).unwrap_err();
            assert_eq!(
                error.to_string(),
                "An invalid or duplicated subprotocol was specified"
            );
        }
    }

    /// A7: the pathological `Sec-WebSocket-Protocol` shapes at about `len` bytes.
    fn pathological_subprotocols(len: usize) -> Vec<String> {
        let names = |f: fn(usize) -> String| (0..len / 8).map(f).collect::<Vec<_>>().join(", ");
        vec![
            " ".repeat(len),
            format!("a{},b", " ".repeat(len)),
            names(|i| format!("p{i}")),
            names(|i| {
                if i % 2 == 0 {
                    format!("__proto__{i}")
                } else {
                    format!("constructor{i}")
                }
            }),
            format!("{}a", "a,".repeat(len / 2)),
        ]
    }

    #[test]
    fn subprotocols_pathological_time_is_linear() {
        for (small, large) in pathological_subprotocols(1 << 18)
            .into_iter()
            .zip(pathological_subprotocols(1 << 20))
        {
            let ratio = super::super::timing::growth(
                || parse_subprotocols(&small),
                || parse_subprotocols(&large),
            );
            assert!(
                ratio < 10.0,
                "{:?}… grew {ratio}x for 4x input",
                &small[..16]
            );
        }
    }
}
