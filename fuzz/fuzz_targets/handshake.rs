//! The handshake parsers: request and response heads fed in fuzzer-chosen
//! pieces, and the header-value tokenizers; none may panic.
#![no_main]

use ferrows_core::handshake::{
    parse_extensions, parse_subprotocols, HeadLimits, RequestParser, ResponseParser,
};
use libfuzzer_sys::fuzz_target;

fuzz_target!(|input: (Vec<u8>, u8)| {
    let (data, step) = input;
    let step = usize::from(step).max(1);
    let mut request = RequestParser::new(HeadLimits::default());
    let mut response = ResponseParser::new(HeadLimits::default());
    let mut end = 0;
    while end < data.len() {
        end = (end + step).min(data.len());
        if !matches!(request.parse(&data[..end]), Ok(None)) {
            break;
        }
    }
    let _ = response.parse(&data);
    let text = String::from_utf8_lossy(&data);
    let _ = parse_subprotocols(&text);
    let _ = parse_extensions(&text);
});
