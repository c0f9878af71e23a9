//! Property test: no decoder panics, whatever the bytes.

use proptest::prelude::*;
use strata_protocol::{Precision, json, line, remote_write};

const PRECISIONS: [Precision; 4] = [
    Precision::Nanoseconds,
    Precision::Microseconds,
    Precision::Milliseconds,
    Precision::Seconds,
];

/// Bytes drawn mostly from the characters that matter to line protocol, so
/// the parser gets past the first token.
fn line_like() -> impl Strategy<Value = Vec<u8>> {
    let alphabet: Vec<u8> = b"ab01 ,=\\\"\n\r#.-+eEituTFfx\t\xc3\xa9\xff".to_vec();
    prop::collection::vec(prop::sample::select(alphabet), 0..200)
}

/// Bytes drawn mostly from JSON punctuation and point keys.
fn json_like() -> impl Strategy<Value = Vec<u8>> {
    let tokens: Vec<&'static [u8]> = vec![
        b"{",
        b"}",
        b"[",
        b"]",
        b":",
        b",",
        b"\"measurement\"",
        b"\"tags\"",
        b"\"fields\"",
        b"\"timestamp\"",
        b"\"m\"",
        b"\"\"",
        b"1",
        b"-1.5e3",
        b"true",
        b"null",
        b"\"\\u00e9\"",
        b"99999999999999999999",
        b" ",
        b"\"x",
    ];
    prop::collection::vec(prop::sample::select(tokens), 0..60).prop_map(|t| t.concat())
}

fn all_parsers(bytes: &[u8]) {
    for p in PRECISIONS {
        let _ = line::parse(bytes, p);
        let _ = json::parse(bytes, p);
    }
    if let Ok(request) = remote_write::decode(bytes, 1 << 20) {
        let _ = remote_write::to_points(&request);
    }
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(2048))]

    #[test]
    fn arbitrary_bytes(bytes in prop::collection::vec(any::<u8>(), 0..512)) {
        all_parsers(&bytes);
    }

    #[test]
    fn line_protocol_like_bytes(bytes in line_like()) {
        all_parsers(&bytes);
        // Whatever parses also writes and re-parses without panicking.
        if let Ok(batch) = line::parse(&bytes, Precision::Nanoseconds) {
            let mut out = String::new();
            line::write_batch(&batch, &mut out);
            let _ = line::parse(out.as_bytes(), Precision::Nanoseconds);
        }
    }

    #[test]
    fn json_like_bytes(bytes in json_like()) {
        all_parsers(&bytes);
    }

    #[test]
    fn snappy_wrapped_protobuf_noise(bytes in prop::collection::vec(any::<u8>(), 0..512)) {
        // Valid snappy around random bytes reaches the protobuf decoder.
        let body = snap::raw::Encoder::new().compress_vec(&bytes).unwrap();
        if let Ok(request) = remote_write::decode(&body, 1 << 20) {
            let _ = remote_write::to_points(&request);
        }
    }
}
