//! Fuzz target: remote-write decoding and conversion must never panic, with
//! the input taken both as a snappy body and as raw protobuf.

#![no_main]

use libfuzzer_sys::fuzz_target;
use strata_protocol::remote_write;

/// Decompression limit, as a server would set it.
const MAX_DECOMPRESSED: usize = 16 << 20;

fuzz_target!(|data: &[u8]| {
    if let Ok(request) = remote_write::decode(data, MAX_DECOMPRESSED) {
        let _ = remote_write::to_points(&request);
    }
    // Wrap the input in valid snappy to reach the protobuf decoder directly.
    let Ok(wrapped) = remote_write::compress(data) else {
        return;
    };
    if let Ok(request) = remote_write::decode(&wrapped, MAX_DECOMPRESSED) {
        let _ = remote_write::to_points(&request);
    }
});
