//! Fuzz target: WAL recovery over an arbitrary segment file must never panic; it either
//! replays records or reports corruption.

#![no_main]

use std::sync::Arc;

use libfuzzer_sys::fuzz_target;
use strata_engine::io::StdFs;
use strata_engine::wal::{Wal, WalOptions, segment_file_name};

fuzz_target!(|data: &[u8]| {
    let Ok(dir) = tempfile::tempdir() else { return };
    if std::fs::write(dir.path().join(segment_file_name(1)), data).is_err() {
        return;
    }
    let opened = Wal::open(Arc::new(StdFs), dir.path(), WalOptions::default(), |_, payload| {
        assert!(!payload.is_empty());
        Ok(())
    });
    if let Ok((wal, _)) = opened {
        let _ = wal.close();
    }
});
