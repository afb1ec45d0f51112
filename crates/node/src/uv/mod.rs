//! libuv, as embedded in the `node` executable.
//!
//! [`sys`] resolves the functions at run time; [`handle`] owns handle memory.

mod handle;
mod sys;

pub use handle::{fresh_now, now, Handle};
pub use sys::{handle_type, poll_event, uv, Unavailable, UvHandle, UvLoop};
