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

/// The names of the files of `dir`.
fn files(dir: &std::path::Path) -> Vec<String> {
    let mut names: Vec<String> = std::fs::read_dir(dir)
        .unwrap()
        .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
        .collect();
    names.sort();
    names
}

#[test]
fn a_failed_flush_or_compaction_leaves_no_temporary_file() {
    let dir = tempfile::tempdir().unwrap();
    let faulty = FaultyFs::over_std();
    let engine =
        Engine::open_with_fs(EngineOptions::manual(dir.path()), Arc::new(faulty.clone())).unwrap();
    let sst = dir.path().join("sst");
    for i in 0..3 {
        engine.write(&batch(i * 100, 100)).unwrap();
        engine.flush().unwrap();
    }
    // The disk fills in the middle of the compaction's output, again and again.
    for limit in [0, 40, 100] {
        faulty.enospc_after_bytes(limit);
        assert!(engine.compact().is_err(), "limit {limit}");
        faulty.disarm();
        let tmp: Vec<String> = files(&sst)
            .into_iter()
            .filter(|f| f.ends_with(".tmp"))
            .collect();
        assert!(tmp.is_empty(), "a failed compaction left {tmp:?}");
    }
    engine.write(&batch(300, 100)).unwrap();
    faulty.enospc_for_paths_ending(".sst.tmp");
    assert!(engine.flush().is_err());
    faulty.disarm();
    assert!(
        files(&sst).iter().all(|f| f.ends_with(".sst")),
        "{:?}",
        files(&sst)
    );
    // Space is back: both succeed, nothing is lost.
    engine.flush().unwrap();
    engine.compact().unwrap();
    assert_eq!(count(&engine).unwrap(), 400);
    assert_eq!(files(&sst).len(), 1);
}

#[test]
fn an_engine_on_a_full_disk_opens_and_serves_reads() {
    let dir = tempfile::tempdir().unwrap();
    {
        let engine = Engine::open(EngineOptions::manual(dir.path())).unwrap();
        engine.write(&batch(0, 100)).unwrap();
        engine.flush().unwrap();
        engine.write(&batch(100, 50)).unwrap(); // left in the WAL
        engine.close().unwrap();
    }
    let faulty = FaultyFs::over_std();
    faulty.enospc_after_writes(0);
    let opts = EngineOptions {
        flush_on_close: false,
        ..EngineOptions::manual(dir.path())
    };
    let engine = Engine::open_with_fs(opts, Arc::new(faulty.clone())).unwrap();
    assert_eq!(count(&engine).unwrap(), 150, "reads work on a full disk");
    let e = engine.write(&batch(150, 10)).unwrap_err();
    assert_eq!(e.raw_os_error(), Some(libc_enospc()), "{e}");
    assert!(
        engine.read_only_reason().is_none(),
        "a full disk is not a failed fsync"
    );
    faulty.disarm();
    engine.write(&batch(150, 10)).unwrap();
    assert_eq!(count(&engine).unwrap(), 160);
}

fn libc_enospc() -> i32 {
    28
}

#[test]
fn background_failures_are_typed_cleared_on_success_and_leave_writes_alone() {
    let dir = tempfile::tempdir().unwrap();
    let faulty = FaultyFs::over_std();
    let opts = EngineOptions {
        flush_idle: None,
        compact_idle: None,
        ..EngineOptions::new(dir.path())
    };
    let engine = Engine::open_with_fs(opts, Arc::new(faulty.clone())).unwrap();
    faulty.enospc_for_paths_ending(".sst.tmp");
    engine.write(&batch(0, 100)).unwrap();
    engine.rotate().unwrap();
    let wait = |done: &dyn Fn() -> bool| {
        let deadline = std::time::Instant::now() + std::time::Duration::from_secs(20);
        while !done() {
            assert!(std::time::Instant::now() < deadline, "timed out");
            std::thread::sleep(std::time::Duration::from_millis(20));
        }
    };
    wait(&|| !engine.background_failures().is_empty());
    let failing = engine.background_failures();
    assert_eq!(
        failing[0].job,
        strata_engine::BackgroundJob::Flush,
        "{failing:?}"
    );
    assert!(failing[0].error.contains("No space left"), "{failing:?}");
    // Writes still succeed: the engine is not read-only.
    engine.write(&batch(100, 10)).unwrap();
    assert!(engine.read_only_reason().is_none());
    faulty.disarm();
    wait(&|| engine.background_failures().is_empty() && engine.stats().flushes > 0);
    assert!(
        engine
            .background_counts(strata_engine::BackgroundJob::Flush)
            .failures
            >= 1
    );
    assert_eq!(count(&engine).unwrap(), 110);
    engine.close().unwrap();
}

#[test]
fn a_panicking_background_job_is_reported_at_close() {
    let dir = tempfile::tempdir().unwrap();
    let faulty = FaultyFs::over_std();
    let engine =
        Engine::open_with_fs(EngineOptions::new(dir.path()), Arc::new(faulty.clone())).unwrap();
    faulty.panic_on_create_ending(".sst.tmp");
    engine.write(&batch(0, 100)).unwrap();
    engine.rotate().unwrap();
    let deadline = std::time::Instant::now() + std::time::Duration::from_secs(20);
    while engine
        .background_counts(strata_engine::BackgroundJob::Flush)
        .panics
        == 0
    {
        assert!(std::time::Instant::now() < deadline, "no panic recorded");
        std::thread::sleep(std::time::Duration::from_millis(20));
    }
    assert!(
        engine.background_failures()[0]
            .error
            .contains("injected panic")
    );
    faulty.disarm();
    let e = engine.close().unwrap_err().to_string();
    assert!(e.contains("panicked"), "{e}");
    drop(engine);
    // Nothing was lost: the flush that panicked left its MemTable and WAL in place.
    let engine = Engine::open(EngineOptions::manual(dir.path())).unwrap();
    assert_eq!(count(&engine).unwrap(), 100);
}
