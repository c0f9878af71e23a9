//! Fuzz target: decoding an arbitrary block must never panic; a block that decodes must
//! re-encode losslessly. The input's two halves are also decoded as a block whose timestamps
//! may be held by another block (version 3, `decode_sharing`): that must not panic either.

#![no_main]

use libfuzzer_sys::fuzz_target;
use strata_codec::{BlockDecoder, Column, decode_block, encode_block};

fuzz_target!(|data: &[u8]| {
    if let Ok((ts, values)) = decode_block(data) {
        let again = encode_block(&ts, values.as_ref()).expect("re-encode");
        let (ts2, values2) = decode_block(&again).expect("decode re-encoded");
        assert_eq!(ts, ts2);
        assert_eq!(values.len(), values2.len());
    }
    let (block, holder) = data.split_at(data.len() / 2);
    let (mut ts, mut values) = (Vec::new(), Column::Float(Vec::new()));
    if BlockDecoder::default()
        .decode_sharing(block, Some(holder), i64::MAX, &mut ts, &mut values)
        .is_ok()
    {
        assert_eq!(ts.len(), values.len());
    }
});
