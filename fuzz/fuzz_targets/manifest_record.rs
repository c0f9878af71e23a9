//! Fuzz target: the manifest record decoder (one atomic edit of the live-file set) must never
//! panic.

#![no_main]

use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    let _ = strata_engine::decoders::manifest_record(data);
});
