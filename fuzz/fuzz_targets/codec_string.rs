//! Fuzz target: the string column decoder must never panic, hang or over-allocate.

#![no_main]

use libfuzzer_sys::fuzz_target;
use strata_codec::string;
use strata_codec::varint::Cursor;

fuzz_target!(|data: &[u8]| {
    let mut out = Vec::new();
    let _ = string::decode(&mut Cursor::new(data), &mut out);
});
