//! Fuzz target: the timestamp column decoder must never panic, hang or over-allocate.

#![no_main]

use libfuzzer_sys::fuzz_target;
use strata_codec::timestamp;
use strata_codec::varint::Cursor;

fuzz_target!(|data: &[u8]| {
    let mut out = Vec::new();
    let mut cur = Cursor::new(data);
    if timestamp::decode(&mut cur, &mut out).is_ok() {
        // Whatever decoded must re-encode and decode to the same sequence.
        let mut again = Vec::new();
        timestamp::encode(&out, &mut again);
        let mut back = Vec::new();
        assert!(timestamp::decode(&mut Cursor::new(&again), &mut back).is_ok());
        assert_eq!(back, out);
    }
});
