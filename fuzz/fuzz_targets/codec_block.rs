//! Fuzz target: decoding an arbitrary block must never panic; a block that decodes must
//! re-encode losslessly.

#![no_main]

use libfuzzer_sys::fuzz_target;
use strata_codec::{decode_block, encode_block};

fuzz_target!(|data: &[u8]| {
    if let Ok((ts, values)) = decode_block(data) {
        let again = encode_block(&ts, values.as_ref()).expect("re-encode");
        let (ts2, values2) = decode_block(&again).expect("decode re-encoded");
        assert_eq!(ts, ts2);
        assert_eq!(values.len(), values2.len());
    }
});
