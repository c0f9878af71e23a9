//! Fuzz target: opening an arbitrary SSTable and reading every block must never panic;
//! damage is reported as an error.

#![no_main]

use libfuzzer_sys::fuzz_target;
use strata_codec::BlockDecoder;
use strata_engine::ColumnData;
use strata_engine::sst::SstReader;

fuzz_target!(|data: &[u8]| {
    let Ok(dir) = tempfile::tempdir() else { return };
    let path = dir.path().join("0000000000000001.sst");
    if std::fs::write(&path, data).is_err() {
        return;
    }
    let Ok(reader) = SstReader::open(&path) else { return };
    let mut dec = BlockDecoder::default();
    for i in 0..reader.series_count() {
        let Ok(key) = reader.series_key(i) else { return };
        let _ = reader.find_series(key);
        for col in reader.columns_at(i) {
            let Ok(col) = col else { return };
            let mut out = ColumnData::new(col.value_type);
            for block in col.blocks.iter() {
                let _ = reader.read_block(&block, &mut dec, &mut out);
            }
        }
    }
});
