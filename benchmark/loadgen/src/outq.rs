//! A connection's write queue: inline bytes (headers, small frames) interleaved with ranges of
//! the connection's pre-masked payload template, so a large payload is written straight from the
//! template with `writev` instead of being copied per message. One `flush` is one syscall.

use std::collections::VecDeque;
use std::io::{self, IoSlice};

use crate::sys::{self, Fd};

/// Slices gathered per `writev`.
const MAX_IOV: usize = 64;

#[derive(Debug, Clone, Copy)]
enum Chunk {
    /// `buf[start..end]`.
    Inline { start: usize, end: usize },
    /// `template[start..end]`.
    Template { start: usize, end: usize },
}

/// The queue.
#[derive(Debug, Default)]
pub struct OutQ {
    buf: Vec<u8>,
    chunks: VecDeque<Chunk>,
}

impl OutQ {
    /// Whether nothing is waiting to be written.
    #[cfg(test)]
    pub fn is_empty(&self) -> bool {
        self.chunks.is_empty()
    }

    /// Appends bytes; the closure writes them to the end of the inline buffer.
    pub fn push_inline(&mut self, fill: impl FnOnce(&mut Vec<u8>)) {
        let start = self.buf.len();
        fill(&mut self.buf);
        let end = self.buf.len();
        if end == start {
            return;
        }
        match self.chunks.back_mut() {
            Some(Chunk::Inline { end: last, .. }) if *last == start => *last = end,
            _ => self.chunks.push_back(Chunk::Inline { start, end }),
        }
    }

    /// Appends `template[start..end]` (the template is passed to `flush`).
    pub fn push_template(&mut self, start: usize, end: usize) {
        if end > start {
            self.chunks.push_back(Chunk::Template { start, end });
        }
    }

    /// Writes as much as one `writev` takes. Returns `Ok(true)` when the queue is empty after it
    /// and `Ok(false)` when bytes remain (the socket is full: wait for writability).
    pub fn flush(&mut self, fd: &Fd, template: &[u8]) -> io::Result<bool> {
        if self.chunks.is_empty() {
            return Ok(true);
        }
        let written = {
            let mut slices = [IoSlice::new(&[]); MAX_IOV];
            let mut count = 0;
            for (slot, c) in slices.iter_mut().zip(&self.chunks) {
                *slot = match *c {
                    Chunk::Inline { start, end } => IoSlice::new(&self.buf[start..end]),
                    Chunk::Template { start, end } => IoSlice::new(&template[start..end]),
                };
                count += 1;
            }
            match sys::writev(fd, &slices[..count]) {
                Ok(n) => n,
                Err(err) if err.kind() == io::ErrorKind::WouldBlock => return Ok(false),
                Err(err) => return Err(err),
            }
        };
        self.advance(written);
        Ok(self.chunks.is_empty())
    }

    fn advance(&mut self, mut n: usize) {
        while n > 0 {
            let Some(front) = self.chunks.front_mut() else {
                break;
            };
            let (start, end) = match front {
                Chunk::Inline { start, end } | Chunk::Template { start, end } => (start, *end),
            };
            let take = n.min(end - *start);
            *start += take;
            n -= take;
            if *start == end {
                self.chunks.pop_front();
            }
        }
        if self.chunks.is_empty() {
            self.buf.clear();
        } else {
            self.compact();
        }
    }

    /// Drops written inline bytes once they dominate the buffer.
    fn compact(&mut self) {
        let Some(Chunk::Inline { start: first, .. }) = self
            .chunks
            .iter()
            .find(|c| matches!(c, Chunk::Inline { .. }))
            .copied()
        else {
            self.buf.clear();
            return;
        };
        if first < 64 * 1024 || first < self.buf.len() / 2 {
            return;
        }
        self.buf.drain(..first);
        for c in &mut self.chunks {
            if let Chunk::Inline { start, end } = c {
                *start -= first;
                *end -= first;
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn socketpair() -> (Fd, Fd) {
        let mut fds = [0; 2];
        let kind = libc::SOCK_STREAM | libc::SOCK_NONBLOCK;
        // SAFETY: `fds` is valid for writes of two descriptors.
        let ret = unsafe { libc::socketpair(libc::AF_UNIX, kind, 0, fds.as_mut_ptr()) };
        assert_eq!(ret, 0);
        (sys::tests_fd(fds[0]), sys::tests_fd(fds[1]))
    }

    fn drain(fd: &Fd) -> Vec<u8> {
        let mut out = Vec::new();
        let mut buf = [0u8; 65536];
        while let Ok(n) = sys::read(fd, &mut buf) {
            if n == 0 {
                break;
            }
            out.extend_from_slice(&buf[..n]);
        }
        out
    }

    #[test]
    fn flush_interleaves_inline_and_template_in_order() {
        let (a, b) = socketpair();
        let template = b"0123456789";
        let mut q = OutQ::default();
        q.push_inline(|v| v.extend_from_slice(b"<h1>"));
        q.push_template(2, 5);
        q.push_inline(|v| v.extend_from_slice(b"<h2>"));
        q.push_inline(|v| v.extend_from_slice(b"!"));
        q.push_template(0, 1);
        assert!(q.flush(&a, template).unwrap());
        assert!(q.is_empty());
        assert_eq!(drain(&b), b"<h1>234<h2>!0");
    }

    #[test]
    fn flush_on_full_socket_keeps_the_rest() {
        let (a, b) = socketpair();
        let template = vec![7u8; 1 << 20];
        let mut q = OutQ::default();
        q.push_inline(|v| v.extend_from_slice(b"head"));
        q.push_template(0, template.len());
        assert!(!q.flush(&a, &template).unwrap());
        let mut got = drain(&b);
        while !q.flush(&a, &template).unwrap() {
            got.extend(drain(&b));
        }
        got.extend(drain(&b));
        assert_eq!(got.len(), 4 + template.len());
        assert_eq!(&got[..4], b"head");
    }
}
