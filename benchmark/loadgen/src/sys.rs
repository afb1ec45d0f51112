//! The syscall layer: owned file descriptors, non-blocking TCP connect, epoll, read/write/writev.
//! Every `unsafe` block of the generator lives here, or in the shared library's `os` module
//! (process CPU time and OS randomness, re-exported here).

use std::io::{self, IoSlice};
use std::net::Ipv4Addr;
use std::os::fd::RawFd;

pub use ferrows_loadgen::os::{cpu_time, random_bytes};

/// `IP_BIND_ADDRESS_NO_PORT` (linux/in.h): defer the ephemeral port choice from `bind` to
/// `connect`, so the port is picked for the full 4-tuple.
const IP_BIND_ADDRESS_NO_PORT: libc::c_int = 24;

/// An owned file descriptor, closed on drop.
#[derive(Debug)]
pub struct Fd(RawFd);

impl Drop for Fd {
    fn drop(&mut self) {
        // SAFETY: `self.0` is a descriptor this value owns and closes exactly once.
        unsafe { libc::close(self.0) };
    }
}

fn cvt(ret: libc::c_int) -> io::Result<libc::c_int> {
    if ret < 0 {
        Err(io::Error::last_os_error())
    } else {
        Ok(ret)
    }
}

fn cvt_size(ret: libc::ssize_t) -> io::Result<usize> {
    usize::try_from(ret).map_err(|_| io::Error::last_os_error())
}

fn sockaddr(ip: Ipv4Addr, port: u16) -> libc::sockaddr_in {
    libc::sockaddr_in {
        sin_family: libc::AF_INET as libc::sa_family_t,
        sin_port: port.to_be(),
        sin_addr: libc::in_addr {
            s_addr: u32::from(ip).to_be(),
        },
        sin_zero: [0; 8],
    }
}

fn set_int_opt(
    fd: &Fd,
    level: libc::c_int,
    name: libc::c_int,
    value: libc::c_int,
) -> io::Result<()> {
    let len = size_of::<libc::c_int>() as libc::socklen_t;
    // SAFETY: `value` outlives the call and `len` is its exact size.
    let ret = unsafe { libc::setsockopt(fd.0, level, name, (&raw const value).cast(), len) };
    cvt(ret).map(drop)
}

/// Starts a non-blocking TCP connect from `src` (ephemeral port) to `dst:port`, with
/// `TCP_NODELAY`. Returns the socket and whether the connect already completed.
pub fn tcp_connect(src: Ipv4Addr, dst: Ipv4Addr, port: u16) -> io::Result<(Fd, bool)> {
    let kind = libc::SOCK_STREAM | libc::SOCK_NONBLOCK | libc::SOCK_CLOEXEC;
    // SAFETY: plain socket(2) call with constant arguments.
    let fd = Fd(cvt(unsafe { libc::socket(libc::AF_INET, kind, 0) })?);
    set_int_opt(&fd, libc::IPPROTO_TCP, libc::TCP_NODELAY, 1)?;
    set_int_opt(&fd, libc::IPPROTO_IP, IP_BIND_ADDRESS_NO_PORT, 1)?;
    let len = size_of::<libc::sockaddr_in>() as libc::socklen_t;
    let local = sockaddr(src, 0);
    // SAFETY: `local` is a valid sockaddr_in of length `len` for the duration of the call.
    cvt(unsafe { libc::bind(fd.0, (&raw const local).cast(), len) })?;
    let remote = sockaddr(dst, port);
    // SAFETY: `remote` is a valid sockaddr_in of length `len` for the duration of the call.
    let ret = unsafe { libc::connect(fd.0, (&raw const remote).cast(), len) };
    if ret == 0 {
        return Ok((fd, true));
    }
    let err = io::Error::last_os_error();
    if err.raw_os_error() == Some(libc::EINPROGRESS) {
        Ok((fd, false))
    } else {
        Err(err)
    }
}

/// The pending error of a socket (`SO_ERROR`), as a result.
pub fn take_error(fd: &Fd) -> io::Result<()> {
    let mut value: libc::c_int = 0;
    let mut len = size_of::<libc::c_int>() as libc::socklen_t;
    // SAFETY: `value` and `len` are valid for writes and `len` holds the size of `value`.
    let ret = unsafe {
        libc::getsockopt(
            fd.0,
            libc::SOL_SOCKET,
            libc::SO_ERROR,
            (&raw mut value).cast(),
            &raw mut len,
        )
    };
    cvt(ret)?;
    if value == 0 {
        Ok(())
    } else {
        Err(io::Error::from_raw_os_error(value))
    }
}

/// Wraps a raw descriptor made by a test (for example one end of a `socketpair`).
#[cfg(test)]
pub fn tests_fd(raw: RawFd) -> Fd {
    Fd(raw)
}

/// `read(2)` into `buf`.
pub fn read(fd: &Fd, buf: &mut [u8]) -> io::Result<usize> {
    // SAFETY: `buf` is valid for writes of `buf.len()` bytes.
    cvt_size(unsafe { libc::read(fd.0, buf.as_mut_ptr().cast(), buf.len()) })
}

/// `writev(2)` of `bufs` (at most `IOV_MAX` slices; the caller passes a handful).
pub fn writev(fd: &Fd, bufs: &[IoSlice<'_>]) -> io::Result<usize> {
    let count = libc::c_int::try_from(bufs.len()).unwrap_or(libc::c_int::MAX);
    // SAFETY: `IoSlice` is ABI-compatible with `iovec` on Unix and every slice is valid for
    // reads for the duration of the call.
    cvt_size(unsafe { libc::writev(fd.0, bufs.as_ptr().cast(), count) })
}

/// An epoll instance (level-triggered use).
#[derive(Debug)]
pub struct Epoll(Fd);

/// One ready event: the registration token and the event bits.
pub type Ready = libc::epoll_event;

impl Epoll {
    /// Creates the instance.
    pub fn new() -> io::Result<Self> {
        // SAFETY: plain epoll_create1(2) call.
        Ok(Self(Fd(cvt(unsafe {
            libc::epoll_create1(libc::EPOLL_CLOEXEC)
        })?)))
    }

    fn ctl(&self, op: libc::c_int, fd: RawFd, token: u64, events: u32) -> io::Result<()> {
        let mut event = libc::epoll_event { events, u64: token };
        // SAFETY: `event` is valid for the duration of the call.
        cvt(unsafe { libc::epoll_ctl(self.0 .0, op, fd, &raw mut event) }).map(drop)
    }

    /// Registers `fd` under `token` for `events`.
    pub fn add(&self, fd: &Fd, token: u64, events: u32) -> io::Result<()> {
        self.ctl(libc::EPOLL_CTL_ADD, fd.0, token, events)
    }

    /// Changes the events of a registered `fd`.
    pub fn modify(&self, fd: &Fd, token: u64, events: u32) -> io::Result<()> {
        self.ctl(libc::EPOLL_CTL_MOD, fd.0, token, events)
    }

    /// Waits up to `timeout_ms` and fills `events`; returns how many are ready.
    pub fn wait(&self, events: &mut [Ready], timeout_ms: i32) -> io::Result<usize> {
        let max = libc::c_int::try_from(events.len()).unwrap_or(libc::c_int::MAX);
        // SAFETY: `events` is valid for writes of `max` entries.
        let ret = unsafe { libc::epoll_wait(self.0 .0, events.as_mut_ptr(), max, timeout_ms) };
        match cvt(ret) {
            Ok(n) => Ok(usize::try_from(n).unwrap_or(0)),
            Err(err) if err.kind() == io::ErrorKind::Interrupted => Ok(0),
            Err(err) => Err(err),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn tcp_connect_to_closed_port_reports_refused() {
        let (fd, done) = tcp_connect(Ipv4Addr::LOCALHOST, Ipv4Addr::LOCALHOST, 1).unwrap();
        let epoll = Epoll::new().unwrap();
        epoll.add(&fd, 7, libc::EPOLLOUT as u32).unwrap();
        let mut events = [libc::epoll_event { events: 0, u64: 0 }; 4];
        let n = epoll.wait(&mut events, 1000).unwrap();
        assert!(done || n == 1);
        let err = take_error(&fd).unwrap_err();
        assert_eq!(err.raw_os_error(), Some(libc::ECONNREFUSED));
    }
}
