//! Fault injection and corruption at the engine level: a failed fsync makes the engine
//! read-only without acknowledging the write, a full disk during a flush loses nothing, and a
//! flipped byte anywhere in an SSTable is reported as corruption naming the file, never
//! returned as data.
#![allow(clippy::disallowed_methods)]

use std::sync::Arc;

use strata_engine::io::{FaultyFs, FileSystem};
use strata_engine::{Engine, EngineOptions, Error, FieldValue, Point};

mod common;
use common::{count_points, host_key, open_and_count};

fn batch(start: i64, n: i64) -> Vec<Point> {
    (start..start + n)
        .map(|i| Point {
            series: host_key(i % 2),
            fields: vec![("v".into(), FieldValue::Float(i as f64 * 0.5))],
            timestamp: i * 1_000_000_000,
        })
        .collect()
}

fn count(engine: &Engine) -> Result<usize, Error> {
    count_points(engine, 2, &["v"])
}

#[test]
fn failed_fsync_is_not_acknowledged_and_makes_the_engine_read_only() {
    let dir = tempfile::tempdir().unwrap();
    let faulty = FaultyFs::over_std();
    let fs: Arc<dyn FileSystem> = Arc::new(faulty.clone());
    let engine = Engine::open_with_fs(EngineOptions::manual(dir.path()), fs.clone()).unwrap();
    engine.write(&batch(0, 10)).unwrap();
    faulty.eio_on_next_syncs(1);
    assert!(
        engine.write(&batch(10, 10)).is_err(),
        "a write whose fsync failed was acknowledged"
    );
    let reason = engine
        .read_only_reason()
        .expect("read-only after a failed fsync");
    assert!(
        reason.contains("fsync") || reason.contains("sync"),
        "{reason}"
    );
    // No blind retry: later writes fail too, even with the disk healthy again.
    faulty.disarm();
    assert!(matches!(
        engine.write(&batch(20, 1)),
        Err(Error::ReadOnly { .. })
    ));
    // What was acknowledged stays readable.
    assert!(count(&engine).unwrap() >= 10);
    engine.close().ok();
    drop(engine);
    let engine = Engine::open(EngineOptions::manual(dir.path())).unwrap();
    assert!(count(&engine).unwrap() >= 10);
}

#[test]
fn full_disk_during_flush_loses_nothing() {
    let dir = tempfile::tempdir().unwrap();
    let faulty = FaultyFs::over_std();
    let engine =
        Engine::open_with_fs(EngineOptions::manual(dir.path()), Arc::new(faulty.clone())).unwrap();
    engine.write(&batch(0, 500)).unwrap();
    faulty.enospc_after_writes(0);
    assert!(engine.flush().is_err());
    faulty.disarm();
    assert_eq!(count(&engine).unwrap(), 500);
    engine.flush().unwrap();
    assert_eq!(count(&engine).unwrap(), 500);
    engine.close().unwrap();
    drop(engine);
    let engine = Engine::open(EngineOptions::manual(dir.path())).unwrap();
    assert_eq!(count(&engine).unwrap(), 500);
}

#[test]
fn every_flipped_sstable_byte_is_detected() {
    let dir = tempfile::tempdir().unwrap();
    {
        let engine = Engine::open(EngineOptions::manual(dir.path())).unwrap();
        engine.write(&batch(0, 300)).unwrap();
        engine.flush().unwrap();
        engine.close().unwrap();
    }
    let sst = std::fs::read_dir(dir.path().join("sst"))
        .unwrap()
        .map(|e| e.unwrap().path())
        .next()
        .unwrap();
    let original = std::fs::read(&sst).unwrap();
    let name = sst.file_name().unwrap().to_string_lossy().to_string();
    for at in 0..original.len() {
        let mut bad = original.clone();
        bad[at] ^= 0x5a;
        std::fs::write(&sst, &bad).unwrap();
        let outcome = open_and_count(EngineOptions::manual(dir.path()), count);
        match outcome {
            Err(e) => assert!(
                e.to_string().contains(&name),
                "byte {at}: error does not name the file: {e}"
            ),
            Ok(n) => panic!("byte {at}: corruption not detected, {n} points returned"),
        }
    }
    std::fs::write(&sst, &original).unwrap();
    let engine = Engine::open(EngineOptions::manual(dir.path())).unwrap();
    assert_eq!(count(&engine).unwrap(), 300);
}
