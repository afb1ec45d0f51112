//! The `Sec-WebSocket-Extensions` grammar (RFC 6455 §9.1): parse and format.
//!
//! The parser is the linear one of `ws`'s `extension.parse`: one pass, no
//! backtracking, so 1 MB of spaces, unclosed quotes or backslash pairs costs
//! one pass (CVE-2020-7662/7663 were ReDoS here in other libraries). Offers and
//! parameters stay in header order in plain vectors, duplicates included:
//! names such as `__proto__` are ordinary strings (npm advisory 550), and the
//! extension layer decides what a repeated parameter means.

use super::tokens::{is_ows, is_tchar, TokenError};

/// One offer (or answer) in `Sec-WebSocket-Extensions`: an extension name and
/// its parameters in header order. A parameter without `=` has value `None`;
/// quoted-string values are unquoted and unescaped.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct ExtensionOffer {
    /// The extension token, e.g. `permessage-deflate`.
    pub name: String,
    /// `(name, value)` pairs in order, repeats kept.
    pub params: Vec<(String, Option<String>)>,
}

/// Parses a `Sec-WebSocket-Extensions` value as `ws`'s `extension.parse`
/// does, keeping header order. Errors read `Unexpected character at index N`
/// or `Unexpected end of input`.
///
/// ```
/// use ferrows_core::handshake::parse_extensions;
/// let offers = parse_extensions("permessage-deflate; client_max_window_bits, x-foo").unwrap();
/// assert_eq!(offers[0].name, "permessage-deflate");
/// assert_eq!(offers[0].params, [("client_max_window_bits".to_owned(), None)]);
/// assert_eq!(offers[1].name, "x-foo");
/// ```
pub fn parse_extensions(value: &str) -> Result<Vec<ExtensionOffer>, TokenError> {
    let mut parser = Parser::new(value);
    for (i, &b) in value.as_bytes().iter().enumerate() {
        parser.step(i, b)?;
    }
    parser.finish()
}

/// Formats offers as `ws`'s `extension.format`: parameters joined with `"; "`,
/// offers with `", "`, values written verbatim after `=`.
///
/// ```
/// use ferrows_core::handshake::{format_extensions, ExtensionOffer};
/// let offer = ExtensionOffer {
///     name: "permessage-deflate".into(),
///     params: vec![("client_max_window_bits".into(), Some("10".into()))],
/// };
/// assert_eq!(format_extensions(&[offer]), "permessage-deflate; client_max_window_bits=10");
/// ```
pub fn format_extensions(offers: &[ExtensionOffer]) -> String {
    let mut out = String::new();
    for (n, offer) in offers.iter().enumerate() {
        if n > 0 {
            out.push_str(", ");
        }
        out.push_str(&offer.name);
        for (key, value) in &offer.params {
            out.push_str("; ");
            out.push_str(key);
            if let Some(value) = value {
                out.push('=');
                out.push_str(value);
            }
        }
    }
    out
}

/// The state of one pass over the header value.
struct Parser<'a> {
    src: &'a str,
    offers: Vec<ExtensionOffer>,
    params: Vec<(String, Option<String>)>,
    /// Set once the extension name is complete (after the first `;`).
    extension: Option<String>,
    /// Set once a parameter name is complete (after `=`).
    param: Option<String>,
    /// Start and end of the token being read.
    start: Option<usize>,
    end: Option<usize>,
    in_quotes: bool,
    escaping: bool,
    /// The byte before the current one, and the current one.
    prev: Option<u8>,
    last: Option<u8>,
}

impl<'a> Parser<'a> {
    fn new(src: &'a str) -> Self {
        Self {
            src,
            offers: Vec::new(),
            params: Vec::new(),
            extension: None,
            param: None,
            start: None,
            end: None,
            in_quotes: false,
            escaping: false,
            prev: None,
            last: None,
        }
    }

    fn step(&mut self, i: usize, b: u8) -> Result<(), TokenError> {
        self.prev = self.last.replace(b);
        if self.extension.is_none() {
            self.extension_name(i, b)
        } else if self.param.is_none() {
            self.param_name(i, b)
        } else {
            self.param_value(i, b)
        }
    }

    fn extension_name(&mut self, i: usize, b: u8) -> Result<(), TokenError> {
        if self.end.is_none() && is_tchar(b) {
            self.start.get_or_insert(i);
        } else if i != 0 && is_ows(b) {
            self.mark_end(i);
        } else if b == b';' || b == b',' {
            let name = self.take_token(i)?;
            if b == b',' {
                self.push_offer(name);
            } else {
                self.extension = Some(name);
            }
        } else {
            return Err(TokenError::unexpected(i));
        }
        Ok(())
    }

    fn param_name(&mut self, i: usize, b: u8) -> Result<(), TokenError> {
        if self.end.is_none() && is_tchar(b) {
            self.start.get_or_insert(i);
        } else if is_ows(b) {
            self.mark_end(i);
        } else if b == b';' || b == b',' {
            let name = self.take_token(i)?;
            self.params.push((name, None));
            self.after_param(b);
        } else if b == b'=' && self.start.is_some() && self.end.is_none() {
            self.param = Some(self.take_token(i)?);
        } else {
            return Err(TokenError::unexpected(i));
        }
        Ok(())
    }

    fn param_value(&mut self, i: usize, b: u8) -> Result<(), TokenError> {
        if self.escaping || self.in_quotes {
            return self.quoted(i, b);
        }
        if b == b'"' && self.prev == Some(b'=') {
            self.in_quotes = true;
        } else if self.end.is_none() && is_tchar(b) {
            self.start.get_or_insert(i);
        } else if self.start.is_some() && is_ows(b) {
            self.mark_end(i);
        } else if b == b';' || b == b',' {
            let value = unescape(&self.take_token(i)?);
            let name = self.param.take().unwrap_or_default();
            self.params.push((name, Some(value)));
            self.after_param(b);
        } else {
            return Err(TokenError::unexpected(i));
        }
        Ok(())
    }

    /// Inside a quoted string only tokens and backslash-escaped token
    /// characters are valid (RFC 6455 §9.1).
    fn quoted(&mut self, i: usize, b: u8) -> Result<(), TokenError> {
        if self.escaping {
            if !is_tchar(b) {
                return Err(TokenError::unexpected(i));
            }
            self.start.get_or_insert(i);
            self.escaping = false;
        } else if is_tchar(b) {
            self.start.get_or_insert(i);
        } else if b == b'"' && self.start.is_some() {
            self.in_quotes = false;
            self.end = Some(i);
        } else if b == b'\\' {
            self.escaping = true;
        } else {
            return Err(TokenError::unexpected(i));
        }
        Ok(())
    }

    fn finish(mut self) -> Result<Vec<ExtensionOffer>, TokenError> {
        let ends_in_ows = self.last.is_some_and(is_ows);
        if self.start.is_none() || self.in_quotes || ends_in_ows {
            return Err(TokenError::end());
        }
        let token = self.take_token(self.src.len())?;
        match (self.extension.take(), self.param.take()) {
            (None, _) => self.push_offer(token),
            (Some(extension), param) => {
                let pair = match param {
                    None => (token, None),
                    Some(name) => (name, Some(unescape(&token))),
                };
                self.params.push(pair);
                self.push_offer(extension);
            }
        }
        Ok(self.offers)
    }

    fn mark_end(&mut self, i: usize) {
        if self.start.is_some() {
            self.end.get_or_insert(i);
        }
    }

    /// The token read so far (an error at `i` when it is empty); resets the
    /// token bounds.
    fn take_token(&mut self, i: usize) -> Result<String, TokenError> {
        let start = self.start.take().ok_or(TokenError::unexpected(i))?;
        let end = self.end.take().unwrap_or(i);
        Ok(self.src.get(start..end).unwrap_or_default().to_owned())
    }

    fn after_param(&mut self, separator: u8) {
        if separator == b',' {
            let name = self.extension.take().unwrap_or_default();
            self.push_offer(name);
        }
    }

    fn push_offer(&mut self, name: String) {
        let params = std::mem::take(&mut self.params);
        self.offers.push(ExtensionOffer { name, params });
    }
}

/// Drops the escaping backslashes of a quoted-string value. Backslashes can
/// only reach a value through escapes, so every one of them goes.
fn unescape(value: &str) -> String {
    value.replace('\\', "")
}

#[cfg(test)]
#[path = "extensions_tests.rs"]
mod tests;
