//! Fuzz target: the float column decoder must never panic, hang or over-allocate.

#![no_main]

use libfuzzer_sys::fuzz_target;
use strata_codec::{float, gorilla};
use strata_codec::varint::Cursor;

fuzz_target!(|data: &[u8]| {
    let mut out = Vec::new();
    let mut ints = Vec::new();
    let _ = float::decode(&mut Cursor::new(data), &mut out, &mut ints);
    let mut bits = Vec::new();
    let _ = gorilla::decode(&mut Cursor::new(data), &mut bits);
});
