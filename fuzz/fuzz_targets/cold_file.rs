//! Fuzz target: opening a cold-tier Parquet file (footer, key-value metadata, series index)
//! and decoding its row groups must never panic, whatever the bytes.

#![no_main]

use libfuzzer_sys::fuzz_target;
use strata_cold::read::cold_file::ColdFile;

fuzz_target!(|data: &[u8]| {
    if let Ok(file) = ColdFile::open("fuzz.parquet", bytes::Bytes::copy_from_slice(data)) {
        for g in 0..4 {
            let _ = file.decode_group(g);
        }
    }
});
