//! The whole receive state machine: fuzzer-chosen role, limits, deflate
//! settings and chunking over fuzzer-chosen bytes (see `ferrows_core::fuzzing::receive`).
#![no_main]

use arbitrary::Arbitrary;
use ferrows_core::fuzzing::{receive, ReceiveCase};
use libfuzzer_sys::fuzz_target;

#[derive(Arbitrary, Debug)]
struct Input {
    server: bool,
    limits: (u16, u8, u8),
    deflate: Option<(u8, bool, u8, bool)>,
    skip_utf8: bool,
    /// Chunk lengths; the wire bytes are cut at these points.
    cuts: Vec<u8>,
    wire: Vec<u8>,
}

fuzz_target!(|input: Input| {
    let mut chunks = Vec::new();
    let mut rest: &[u8] = &input.wire;
    for &cut in &input.cuts {
        if rest.is_empty() {
            break;
        }
        let n = usize::from(cut).clamp(1, rest.len());
        chunks.push(rest[..n].to_vec());
        rest = &rest[n..];
    }
    if !rest.is_empty() {
        chunks.push(rest.to_vec());
    }
    receive(&ReceiveCase {
        server: input.server,
        chunks,
        limits: (u32::from(input.limits.0), u32::from(input.limits.1), u32::from(input.limits.2)),
        deflate: input.deflate,
        skip_utf8: input.skip_utf8,
    });
});
