//! Fuzz target: the boolean column decoder must never panic, hang or over-allocate.

#![no_main]

use libfuzzer_sys::fuzz_target;
use strata_codec::boolean;
use strata_codec::varint::Cursor;

fuzz_target!(|data: &[u8]| {
    let mut out = Vec::new();
    let _ = boolean::decode(&mut Cursor::new(data), &mut out);
});
