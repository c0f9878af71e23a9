//! Fuzz target: opening an arbitrary SSTable, looking up every series key and reading every
//! block must never panic; damage is reported as an error.

#![no_main]

use libfuzzer_sys::fuzz_target;
use strata_engine::decoders;
use strata_engine::io::StdFs;

fuzz_target!(|data: &[u8]| {
    let Ok(dir) = tempfile::tempdir() else { return };
    let path = dir.path().join("0000000000000001.sst");
    if std::fs::write(&path, data).is_err() {
        return;
    }
    let _ = decoders::sst_file(&StdFs, &path);
});
