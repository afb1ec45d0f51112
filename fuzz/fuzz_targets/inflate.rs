//! Inflating arbitrary bytes never panics and never exceeds its output cap.
#![no_main]

use ferrows_core::fuzzing::inflate_capped;
use libfuzzer_sys::fuzz_target;

fuzz_target!(|input: (u8, u16, Vec<u8>)| {
    let (bits, limit, data) = input;
    inflate_capped(bits, &data, usize::from(limit));
});
