//! Fuzz target: the integer column decoder must never panic, hang or over-allocate.

#![no_main]

use libfuzzer_sys::fuzz_target;
use strata_codec::integer;
use strata_codec::varint::Cursor;

fuzz_target!(|data: &[u8]| {
    let mut out = Vec::new();
    if integer::decode(&mut Cursor::new(data), &mut out).is_ok() {
        let mut again = Vec::new();
        integer::encode(&out, &mut again);
        let mut back = Vec::new();
        assert!(integer::decode(&mut Cursor::new(&again), &mut back).is_ok());
        assert_eq!(back, out);
    }
});
