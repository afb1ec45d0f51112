//! The streaming UTF-8 validator against `std` at fuzzer-chosen split points,
//! and the SIMD mask kernel against the byte loop.
#![no_main]

use ferrows_core::fuzzing::{mask_differential, utf8_differential};
use libfuzzer_sys::fuzz_target;

fuzz_target!(|input: (Vec<u8>, Vec<usize>, [u8; 4], usize)| {
    let (data, cuts, key, phase) = input;
    utf8_differential(&data, &cuts);
    mask_differential(&data, key, phase);
});
