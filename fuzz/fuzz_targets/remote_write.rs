//! Fuzz target: remote-write decoding and conversion must never panic, with
//! the input taken both as a snappy body and as raw protobuf, through prost and through the
//! borrowing parser the server uses (which must agree).

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
    let mut batch = strata_protocol::PointBatch::new();
    let parsed = remote_write::parse_into(data, &mut batch);
    if let Ok(request) = remote_write::decode(&wrapped, MAX_DECOMPRESSED)
        && let (Ok(()), Ok(by_prost)) = (parsed, remote_write::to_points(&request))
    {
        // As text: NaN samples compare equal that way.
        assert_eq!(format!("{batch:?}"), format!("{by_prost:?}"), "the decoders disagree");
    }
});
