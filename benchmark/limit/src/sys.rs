//! The syscall layer of the limit server: listen, accept, epoll, read, write.

use std::io;
use std::os::fd::RawFd;

/// An owned file descriptor, closed on drop.
#[derive(Debug)]
pub struct Fd(RawFd);

impl Fd {
    /// The raw descriptor.
    pub fn raw(&self) -> RawFd {
        self.0
    }
}

impl Drop for Fd {
    fn drop(&mut self) {
        // SAFETY: `self.0` is owned by this value and closed exactly once.
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

fn set_int_opt(
    fd: RawFd,
    level: libc::c_int,
    name: libc::c_int,
    value: libc::c_int,
) -> io::Result<()> {
    let len = size_of::<libc::c_int>() as libc::socklen_t;
    // SAFETY: `value` outlives the call and `len` is its size.
    cvt(unsafe { libc::setsockopt(fd, level, name, (&raw const value).cast(), len) }).map(drop)
}

/// A non-blocking listening socket on 127.0.0.1:`port` (0 = any free port); returns the port.
pub fn listen(port: u16) -> io::Result<(Fd, u16)> {
    let kind = libc::SOCK_STREAM | libc::SOCK_NONBLOCK | libc::SOCK_CLOEXEC;
    // SAFETY: plain socket(2) call.
    let fd = Fd(cvt(unsafe { libc::socket(libc::AF_INET, kind, 0) })?);
    set_int_opt(fd.0, libc::SOL_SOCKET, libc::SO_REUSEADDR, 1)?;
    let mut addr = libc::sockaddr_in {
        sin_family: libc::AF_INET as libc::sa_family_t,
        sin_port: port.to_be(),
        sin_addr: libc::in_addr {
            s_addr: u32::from(std::net::Ipv4Addr::LOCALHOST).to_be(),
        },
        sin_zero: [0; 8],
    };
    let mut len = size_of::<libc::sockaddr_in>() as libc::socklen_t;
    // SAFETY: `addr` is a valid sockaddr_in of `len` bytes.
    cvt(unsafe { libc::bind(fd.0, (&raw const addr).cast(), len) })?;
    // SAFETY: plain listen(2) call on our socket.
    cvt(unsafe { libc::listen(fd.0, 4096) })?;
    // SAFETY: `addr` and `len` are valid for writes; `len` holds the size of `addr`.
    cvt(unsafe { libc::getsockname(fd.0, (&raw mut addr).cast(), &raw mut len) })?;
    Ok((fd, u16::from_be(addr.sin_port)))
}

/// Accepts one pending connection (non-blocking, `TCP_NODELAY`); `Ok(None)` when none is left.
pub fn accept(listener: &Fd) -> io::Result<Option<Fd>> {
    let flags = libc::SOCK_NONBLOCK | libc::SOCK_CLOEXEC;
    // SAFETY: null address pointers are allowed by accept4(2).
    let ret = unsafe {
        libc::accept4(
            listener.0,
            std::ptr::null_mut(),
            std::ptr::null_mut(),
            flags,
        )
    };
    match cvt(ret) {
        Ok(raw) => {
            let fd = Fd(raw);
            set_int_opt(fd.0, libc::IPPROTO_TCP, libc::TCP_NODELAY, 1)?;
            Ok(Some(fd))
        }
        Err(e) if e.kind() == io::ErrorKind::WouldBlock => Ok(None),
        Err(e) if e.raw_os_error() == Some(libc::ECONNABORTED) => Ok(None),
        Err(e) => Err(e),
    }
}

/// `read(2)`.
pub fn read(fd: &Fd, buf: &mut [u8]) -> io::Result<usize> {
    // SAFETY: `buf` is valid for writes of `buf.len()` bytes.
    let ret = unsafe { libc::read(fd.0, buf.as_mut_ptr().cast(), buf.len()) };
    usize::try_from(ret).map_err(|_| io::Error::last_os_error())
}

/// `write(2)`.
pub fn write(fd: &Fd, buf: &[u8]) -> io::Result<usize> {
    // SAFETY: `buf` is valid for reads of `buf.len()` bytes.
    let ret = unsafe { libc::write(fd.0, buf.as_ptr().cast(), buf.len()) };
    usize::try_from(ret).map_err(|_| io::Error::last_os_error())
}

/// An epoll instance.
#[derive(Debug)]
pub struct Epoll(Fd);

impl Epoll {
    /// Creates it.
    pub fn new() -> io::Result<Self> {
        // SAFETY: plain epoll_create1(2) call.
        Ok(Self(Fd(cvt(unsafe {
            libc::epoll_create1(libc::EPOLL_CLOEXEC)
        })?)))
    }

    /// `EPOLL_CTL_ADD` (`add`) or `EPOLL_CTL_MOD` of `fd` with its raw number as token.
    pub fn set(&self, fd: &Fd, events: u32, add: bool) -> io::Result<()> {
        let op = if add {
            libc::EPOLL_CTL_ADD
        } else {
            libc::EPOLL_CTL_MOD
        };
        let mut ev = libc::epoll_event {
            events,
            u64: u64::try_from(fd.0).unwrap_or(u64::MAX),
        };
        // SAFETY: `ev` is valid for the duration of the call.
        cvt(unsafe { libc::epoll_ctl(self.0 .0, op, fd.0, &raw mut ev) }).map(drop)
    }

    /// Waits (forever) for events.
    pub fn wait(&self, events: &mut [libc::epoll_event]) -> io::Result<usize> {
        let max = libc::c_int::try_from(events.len()).unwrap_or(libc::c_int::MAX);
        // SAFETY: `events` is valid for writes of `max` entries.
        let ret = unsafe { libc::epoll_wait(self.0 .0, events.as_mut_ptr(), max, -1) };
        match cvt(ret) {
            Ok(n) => Ok(usize::try_from(n).unwrap_or(0)),
            Err(e) if e.kind() == io::ErrorKind::Interrupted => Ok(0),
            Err(e) => Err(e),
        }
    }
}
