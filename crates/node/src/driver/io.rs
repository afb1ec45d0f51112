//! Non-blocking socket system calls on file descriptors the driver owns.

use std::io::{self, IoSlice};
use std::mem::MaybeUninit;
use std::os::fd::RawFd;

/// POSIX guarantees at least 16; Linux and macOS allow 1024.
const IOV_MAX: usize = 1024;

/// The outcome of a read.
#[derive(Debug)]
pub enum ReadResult {
    /// This many bytes were read.
    Data(usize),
    /// The peer closed its write side.
    Eof,
    /// Nothing to read right now.
    WouldBlock,
    /// The socket failed (e.g. `ECONNRESET`).
    Failed(io::Error),
}

/// The two socket calls the connection-level I/O logic makes (reading into
/// the engine or the slab, flushing, writing through). The driver passes its
/// raw descriptor (`RawFd`, the functions below); tests and the `driver_io`
/// fuzz target pass a scripted [`MockSocket`](super::mock::MockSocket).
pub trait Socket {
    /// As [`read_uninit`]: on `Data(n)` the first `n` bytes of `buf` are initialised.
    fn read_uninit(&mut self, buf: &mut [MaybeUninit<u8>]) -> ReadResult;
    /// As [`writev`]: the bytes taken, `Ok(0)` when it would block.
    fn writev(&mut self, slices: &[IoSlice<'_>]) -> io::Result<usize>;
}

impl Socket for RawFd {
    fn read_uninit(&mut self, buf: &mut [MaybeUninit<u8>]) -> ReadResult {
        read_uninit(*self, buf)
    }

    fn writev(&mut self, slices: &[IoSlice<'_>]) -> io::Result<usize> {
        writev(*self, slices)
    }
}

impl<S: Socket + ?Sized> Socket for &mut S {
    fn read_uninit(&mut self, buf: &mut [MaybeUninit<u8>]) -> ReadResult {
        (**self).read_uninit(buf)
    }

    fn writev(&mut self, slices: &[IoSlice<'_>]) -> io::Result<usize> {
        (**self).writev(slices)
    }
}

/// Reads into possibly uninitialised memory without blocking; on
/// `Data(n)` the first `n` bytes of `buf` are initialised.
pub fn read_uninit(fd: RawFd, buf: &mut [MaybeUninit<u8>]) -> ReadResult {
    loop {
        // SAFETY: `buf` is valid for `buf.len()` writable bytes; `fd` is an
        // open descriptor owned by the driver.
        let n = unsafe { libc::read(fd, buf.as_mut_ptr().cast(), buf.len()) };
        match n {
            0 => return ReadResult::Eof,
            n if n > 0 => return ReadResult::Data(n as usize),
            _ => {
                let err = io::Error::last_os_error();
                match err.kind() {
                    io::ErrorKind::Interrupted => continue,
                    io::ErrorKind::WouldBlock => return ReadResult::WouldBlock,
                    _ => return ReadResult::Failed(err),
                }
            }
        }
    }
}

/// Writes as much of `slices` as the socket takes; `Ok(0)` means it would block.
pub fn writev(fd: RawFd, slices: &[IoSlice<'_>]) -> io::Result<usize> {
    let count = slices.len().min(IOV_MAX) as libc::c_int;
    loop {
        // SAFETY: `IoSlice` is ABI-compatible with `struct iovec` on Unix,
        // and `count` does not exceed `slices.len()`.
        let n = unsafe { libc::writev(fd, slices.as_ptr().cast(), count) };
        if n >= 0 {
            return Ok(n as usize);
        }
        let err = io::Error::last_os_error();
        match err.kind() {
            io::ErrorKind::Interrupted => continue,
            io::ErrorKind::WouldBlock => return Ok(0),
            _ => return Err(err),
        }
    }
}

/// The pending socket error (`SO_ERROR`), e.g. `ECONNRESET` after libuv
/// reported `POLLERR` (which it surfaces as `UV_EBADF`).
pub fn take_error(fd: RawFd) -> Option<i32> {
    let mut value: libc::c_int = 0;
    let mut len = std::mem::size_of::<libc::c_int>() as libc::socklen_t;
    // SAFETY: `value` and `len` are valid out-pointers of the declared size.
    let rc = unsafe {
        libc::getsockopt(
            fd,
            libc::SOL_SOCKET,
            libc::SO_ERROR,
            (&mut value as *mut libc::c_int).cast(),
            &mut len,
        )
    };
    (rc == 0 && value != 0).then_some(value)
}

/// Half-closes the write side (TCP FIN).
pub fn shutdown_write(fd: RawFd) -> io::Result<()> {
    // SAFETY: plain system call on an owned descriptor.
    let rc = unsafe { libc::shutdown(fd, libc::SHUT_WR) };
    if rc == 0 {
        Ok(())
    } else {
        Err(io::Error::last_os_error())
    }
}

/// Closes a descriptor the driver owns.
pub fn close(fd: RawFd) {
    // SAFETY: the driver closes each descriptor it owns exactly once.
    unsafe { libc::close(fd) };
}

/// Duplicates `fd` (close-on-exec) so the driver owns a descriptor of its own
/// while Node's handle for the original is destroyed. Makes the duplicate
/// non-blocking and disables Nagle, as Node does for its sockets.
pub fn adopt(fd: RawFd) -> io::Result<RawFd> {
    // SAFETY: `F_DUPFD_CLOEXEC` on a descriptor the caller vouches is open.
    let dup = unsafe { libc::fcntl(fd, libc::F_DUPFD_CLOEXEC, 0) };
    if dup < 0 {
        return Err(io::Error::last_os_error());
    }
    if let Err(err) = set_nonblocking(dup) {
        close(dup);
        return Err(err);
    }
    set_nodelay(dup, true);
    Ok(dup)
}

fn set_nonblocking(fd: RawFd) -> io::Result<()> {
    // SAFETY: `F_GETFL` only reads the descriptor's flags.
    let flags = unsafe { libc::fcntl(fd, libc::F_GETFL) };
    if flags < 0 {
        return Err(io::Error::last_os_error());
    }
    // SAFETY: `F_SETFL` with the same flags plus `O_NONBLOCK`.
    if unsafe { libc::fcntl(fd, libc::F_SETFL, flags | libc::O_NONBLOCK) } < 0 {
        return Err(io::Error::last_os_error());
    }
    Ok(())
}

/// Sets `TCP_NODELAY`. Unix-domain sockets reject TCP options, and that is
/// not an error for a WebSocket, so the result is ignored.
pub fn set_nodelay(fd: RawFd, on: bool) {
    let value: libc::c_int = on.into();
    // SAFETY: `value` outlives the call and its size is passed correctly.
    unsafe {
        libc::setsockopt(
            fd,
            libc::IPPROTO_TCP,
            libc::TCP_NODELAY,
            (&value as *const libc::c_int).cast(),
            std::mem::size_of::<libc::c_int>() as libc::socklen_t,
        )
    };
}

/// Sets `SO_KEEPALIVE` with an initial delay in seconds (0 disables).
pub fn set_keepalive(fd: RawFd, on: bool, delay_secs: u32) -> io::Result<()> {
    let enable: libc::c_int = on.into();
    // SAFETY: as in `set_nodelay`.
    let rc = unsafe {
        libc::setsockopt(
            fd,
            libc::SOL_SOCKET,
            libc::SO_KEEPALIVE,
            (&enable as *const libc::c_int).cast(),
            std::mem::size_of::<libc::c_int>() as libc::socklen_t,
        )
    };
    if rc != 0 {
        return Err(io::Error::last_os_error());
    }
    if let (true, Some(option)) = (on && delay_secs > 0, KEEPALIVE_IDLE) {
        let delay = delay_secs as libc::c_int;
        // SAFETY: as above.
        unsafe {
            libc::setsockopt(
                fd,
                libc::IPPROTO_TCP,
                option,
                (&delay as *const libc::c_int).cast(),
                std::mem::size_of::<libc::c_int>() as libc::socklen_t,
            )
        };
    }
    Ok(())
}

/// The TCP option for keepalive's idle time, as libuv's `uv_tcp_keepalive`
/// uses it: `TCP_KEEPIDLE` on Linux, `TCP_KEEPALIVE` on macOS; elsewhere the
/// delay is not set.
#[cfg(any(target_os = "linux", target_os = "android"))]
const KEEPALIVE_IDLE: Option<libc::c_int> = Some(libc::TCP_KEEPIDLE);
#[cfg(target_vendor = "apple")]
const KEEPALIVE_IDLE: Option<libc::c_int> = Some(libc::TCP_KEEPALIVE);
#[cfg(not(any(target_os = "linux", target_os = "android", target_vendor = "apple")))]
const KEEPALIVE_IDLE: Option<libc::c_int> = None;
