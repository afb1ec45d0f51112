//! What request and response heads share: finding the end of a head
//! incrementally, turning httparse's fields into Node-style header lists, and
//! looking headers up.

use std::collections::HashMap;

/// Looks up a header by its lowercase name, returning the value the way Node's
/// `req.headers[name]` does (repeats already merged).
///
/// Implemented by [`RequestHead`](super::RequestHead),
/// [`ResponseHead`](super::ResponseHead) and lists of `(name, value)` pairs
/// (names compared ASCII-case-insensitively, first match wins); a Node addon
/// can implement it over headers Node already parsed.
pub trait HeaderLookup {
    /// The value of the header named `lowercase_name`, if present.
    fn get(&self, lowercase_name: &str) -> Option<&str>;
}

impl<N: AsRef<str>, V: AsRef<str>> HeaderLookup for [(N, V)] {
    fn get(&self, lowercase_name: &str) -> Option<&str> {
        find(self, lowercase_name)
    }
}

impl<N: AsRef<str>, V: AsRef<str>> HeaderLookup for Vec<(N, V)> {
    fn get(&self, lowercase_name: &str) -> Option<&str> {
        find(self, lowercase_name)
    }
}

/// The first value whose name matches `name` ignoring ASCII case. (A plain
/// method call `list.get(name)` on a slice would reach the slice's own `get`.)
pub(crate) fn find<'a, N: AsRef<str>, V: AsRef<str>>(
    list: &'a [(N, V)],
    name: &str,
) -> Option<&'a str> {
    list.iter()
        .find(|(field, _)| field.as_ref().eq_ignore_ascii_case(name))
        .map(|(_, value)| value.as_ref())
}

/// The outcome of scanning for the end of a head.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum Scan {
    /// No blank line yet; call again with more bytes.
    Partial,
    /// The head is `buf[start..end]`, with at most `lines` header lines.
    Complete {
        start: usize,
        end: usize,
        lines: usize,
    },
    /// No blank line within `max_bytes`.
    TooLarge,
    /// A bare CR or bare LF: Node's strict parser refuses both.
    Malformed,
}

/// Finds the blank line that ends an HTTP/1.x head, remembering how far it got
/// so that a head arriving one byte per read is scanned once in total, not once
/// per read (CVE-2023-43669). Leading blank lines are skipped, as Node does.
#[derive(Clone, Debug)]
pub(crate) struct HeadScanner {
    start: usize,
    pos: usize,
    leading: bool,
    line_empty: bool,
    prev_cr: bool,
    lines: usize,
    examined: usize,
}

impl HeadScanner {
    pub(crate) const fn new() -> Self {
        Self {
            start: 0,
            pos: 0,
            leading: true,
            line_empty: false,
            prev_cr: false,
            lines: 0,
            examined: 0,
        }
    }

    /// Total bytes examined since creation: the work counter behind the
    /// linear-time guarantee.
    pub(crate) const fn examined(&self) -> usize {
        self.examined
    }

    /// Scans the bytes of `buf` not seen before. `buf` must extend the buffer
    /// of the previous call; a shorter one restarts the scan.
    pub(crate) fn scan(&mut self, buf: &[u8], max_bytes: usize) -> Scan {
        if buf.len() < self.pos {
            self.start_over();
        }
        let limit = buf.len().min(max_bytes);
        while let Some(&b) = buf.get(self.pos).filter(|_| self.pos < limit) {
            self.pos += 1;
            self.examined += 1;
            if let Some(outcome) = self.feed(b) {
                return outcome;
            }
        }
        if self.pos >= max_bytes {
            Scan::TooLarge
        } else {
            Scan::Partial
        }
    }

    /// Starts looking for another head right where the last one ended (after
    /// an interim `1xx` response).
    pub(crate) fn next_head(&mut self) {
        self.start = self.pos;
        self.leading = true;
        self.line_empty = false;
        self.lines = 0;
    }

    /// Forgets everything but the work counter.
    pub(crate) fn start_over(&mut self) {
        *self = Self {
            examined: self.examined,
            ..Self::new()
        };
    }

    fn feed(&mut self, b: u8) -> Option<Scan> {
        if std::mem::take(&mut self.prev_cr) {
            if b != b'\n' {
                return Some(Scan::Malformed);
            }
            if self.leading {
                self.start = self.pos;
            } else if self.line_empty {
                let (start, end, lines) = (self.start, self.pos, self.lines);
                return Some(Scan::Complete { start, end, lines });
            } else {
                self.line_empty = true;
                self.lines += 1;
            }
            return None;
        }
        match b {
            b'\r' => self.prev_cr = true,
            b'\n' => return Some(Scan::Malformed),
            _ => {
                self.leading = false;
                self.line_empty = false;
            }
        }
        None
    }
}

/// A list of `(name, value)` header fields.
pub(crate) type Fields = Vec<(String, String)>;

/// Decodes bytes as Latin-1, as Node does for header values and URLs.
pub(crate) fn latin1(bytes: &[u8]) -> String {
    bytes.iter().map(|&b| char::from(b)).collect()
}

/// Node-style views of httparse's fields: `(merged, raw)`, where `raw` is
/// `rawHeaders` (original case, every line) and `merged` is `headers`.
/// Only the first `max` lines are kept (0 keeps all), like Node's
/// `maxHeadersCount`.
pub(crate) fn collect(fields: &[httparse::Header<'_>], max: usize) -> (Fields, Fields) {
    let kept = if max == 0 {
        fields.len()
    } else {
        fields.len().min(max)
    };
    let raw: Vec<(String, String)> = fields[..kept]
        .iter()
        .map(|h| (h.name.to_owned(), latin1(h.value)))
        .collect();
    (merge(&raw), raw)
}

/// Merges repeated headers as Node's `IncomingMessage` does: lowercase names;
/// repeats of single-valued headers dropped; `cookie` joined with `"; "`;
/// everything else (including `set-cookie`, which Node keeps as an array)
/// joined with `", "`.
pub(crate) fn merge(raw: &[(String, String)]) -> Vec<(String, String)> {
    let mut merged: Vec<(String, String)> = Vec::with_capacity(raw.len());
    let mut index: HashMap<String, usize> = HashMap::with_capacity(raw.len());
    for (name, value) in raw {
        let lower = name.to_ascii_lowercase();
        match index.get(&lower) {
            None => {
                index.insert(lower.clone(), merged.len());
                merged.push((lower, value.clone()));
            }
            Some(&at) => {
                if let Some(separator) = join_separator(&lower) {
                    merged[at].1.push_str(separator);
                    merged[at].1.push_str(value);
                }
            }
        }
    }
    merged
}

/// How Node combines a repeat of `name`; `None` drops the repeat.
fn join_separator(name: &str) -> Option<&'static str> {
    const SINGLE: [&str; 18] = [
        "age",
        "authorization",
        "content-length",
        "content-type",
        "etag",
        "expires",
        "from",
        "host",
        "if-modified-since",
        "if-unmodified-since",
        "last-modified",
        "location",
        "max-forwards",
        "proxy-authorization",
        "referer",
        "retry-after",
        "server",
        "user-agent",
    ];
    match name {
        "cookie" => Some("; "),
        _ if SINGLE.contains(&name) => None,
        _ => Some(", "),
    }
}

#[cfg(test)]
#[path = "head_tests.rs"]
mod tests;
