//! Fuzz target: the WAL record payload decoder (a write batch) must never panic.

#![no_main]

use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    let _ = strata_engine::decoders::wal_record(data);
});
