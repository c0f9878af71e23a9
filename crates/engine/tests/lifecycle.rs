//! File lifecycle guarantees: a snapshot keeps the SSTables it reads alive through a
//! compaction (they are unlinked when the last snapshot using them is dropped); SSTables and
//! temporary files the manifest does not list (left by a crash between writing a table and
//! recording it) are removed on open while listed ones are kept; a flush whose fsync fails
//! installs nothing and loses nothing; a second engine on the same data directory is refused.
#![allow(clippy::disallowed_methods)]

use std::path::{Path, PathBuf};
use std::sync::Arc;

use strata_engine::io::FaultyFs;
use strata_engine::{Engine, EngineOptions, FieldValue, Point, SeriesKey};

fn key() -> SeriesKey {
    SeriesKey::new("m", vec![("host".into(), "a".into())])
}

fn batch(start: i64, n: i64) -> Vec<Point> {
    (start..start + n)
        .map(|i| Point {
            series: key(),
            fields: vec![("v".into(), FieldValue::Integer(i))],
            timestamp: i * 1_000_000,
        })
        .collect()
}

fn read(snap: &strata_engine::Snapshot, engine: &Engine) -> Vec<i64> {
    let id = engine.catalog().lookup(&key().canonical()).unwrap();
    snap.read(id, "v", i64::MIN, i64::MAX)
        .unwrap()
        .map(|c| c.ts.iter().map(|t| t / 1_000_000).collect())
        .unwrap_or_default()
}

fn sst_files(dir: &Path) -> Vec<PathBuf> {
    let mut v: Vec<PathBuf> = std::fs::read_dir(dir.join("sst"))
        .unwrap()
        .map(|e| e.unwrap().path())
        .collect();
    v.sort();
    v
}

#[test]
fn a_snapshot_keeps_compacted_tables_alive_until_dropped() {
    let dir = tempfile::tempdir().unwrap();
    let engine = Engine::open(EngineOptions::manual(dir.path())).unwrap();
    engine.write(&batch(0, 100)).unwrap();
    engine.flush().unwrap();
    engine.write(&batch(100, 100)).unwrap();
    engine.flush().unwrap();
    let before = sst_files(dir.path());
    assert_eq!(before.len(), 2);

    let snap = engine.snapshot();
    engine.compact().unwrap();
    let after = sst_files(dir.path());
    assert!(
        before.iter().all(|f| after.contains(f)),
        "an input of the compaction was unlinked while a snapshot uses it"
    );
    assert_eq!(after.len(), 3, "inputs kept, output added: {after:?}");
    // The old snapshot reads its (now obsolete) files, including blocks not read before.
    engine.clear_block_cache();
    assert_eq!(read(&snap, &engine), (0..200).collect::<Vec<_>>());
    drop(snap);
    let last = sst_files(dir.path());
    assert_eq!(last.len(), 1, "obsolete inputs not removed: {last:?}");
    assert_eq!(
        read(&engine.snapshot(), &engine),
        (0..200).collect::<Vec<_>>()
    );
}

#[test]
fn tables_missing_from_the_manifest_are_removed_on_open_and_listed_ones_kept() {
    let dir = tempfile::tempdir().unwrap();
    {
        let engine = Engine::open(EngineOptions::manual(dir.path())).unwrap();
        engine.write(&batch(0, 50)).unwrap();
        engine.flush().unwrap();
        engine.close().unwrap();
    }
    let live = sst_files(dir.path());
    assert_eq!(live.len(), 1);
    // What a crash between writing a table and the manifest edit leaves: a complete table
    // under an id the manifest does not list, and a temporary file.
    let orphan = dir.path().join("sst").join("999.sst");
    std::fs::copy(&live[0], &orphan).unwrap();
    let tmp = dir.path().join("sst").join("1000.sst.tmp");
    std::fs::write(&tmp, b"half a table").unwrap();
    let unrelated = dir.path().join("sst").join("README");
    std::fs::write(&unrelated, b"not ours").unwrap();

    let engine = Engine::open(EngineOptions::manual(dir.path())).unwrap();
    assert!(!orphan.exists(), "orphan SSTable kept");
    assert!(!tmp.exists(), "temporary file kept");
    assert!(live[0].exists(), "a listed SSTable was removed");
    assert!(
        unrelated.exists(),
        "a file that is not an SSTable was removed"
    );
    // The orphan's points (the same as the live table's) are not counted twice, and the
    // live data is all there.
    assert_eq!(
        read(&engine.snapshot(), &engine),
        (0..50).collect::<Vec<_>>()
    );
}

#[test]
fn failed_fsync_during_a_flush_installs_nothing_and_loses_nothing() {
    let dir = tempfile::tempdir().unwrap();
    let faulty = FaultyFs::over_std();
    {
        let engine =
            Engine::open_with_fs(EngineOptions::manual(dir.path()), Arc::new(faulty.clone()))
                .unwrap();
        engine.write(&batch(0, 300)).unwrap();
        // Freeze the MemTable first (this fsyncs the WAL), so the failing fsync is the
        // SSTable's.
        engine.rotate().unwrap();
        faulty.eio_on_next_syncs(1);
        assert!(
            engine.flush().is_err(),
            "a flush whose fsync failed succeeded"
        );
        faulty.disarm();
        assert!(
            sst_files(dir.path())
                .iter()
                .all(|p| p.extension().is_some_and(|e| e == "tmp")),
            "a table whose fsync failed was renamed into place: {:?}",
            sst_files(dir.path())
        );
        assert!(engine.tables().is_empty());
        assert_eq!(read(&engine.snapshot(), &engine).len(), 300);
        // The write path is unaffected (the WAL's fsyncs did not fail).
        engine.write(&batch(300, 10)).unwrap();
        engine.close().unwrap();
    }
    // (Depending on the engine's flush-on-close, the data is in new tables or in the WAL.)
    let engine = Engine::open(EngineOptions::manual(dir.path())).unwrap();
    assert_eq!(read(&engine.snapshot(), &engine).len(), 310);
    let listed: Vec<u64> = engine.tables().iter().map(|t| t.id).collect();
    for f in sst_files(dir.path()) {
        let name = f.file_name().unwrap().to_string_lossy().to_string();
        let id = name
            .strip_suffix(".sst")
            .and_then(|n| n.parse::<u64>().ok());
        assert!(
            id.is_some_and(|id| listed.contains(&id)),
            "{name} is left over from the failed flush (listed tables: {listed:?})"
        );
    }
    engine.flush().unwrap();
    assert_eq!(read(&engine.snapshot(), &engine).len(), 310);
}

#[test]
fn a_second_engine_on_the_same_directory_is_refused() {
    let dir = tempfile::tempdir().unwrap();
    let first = Engine::open(EngineOptions::manual(dir.path())).unwrap();
    first.write(&batch(0, 10)).unwrap();
    let err = Engine::open(EngineOptions::manual(dir.path()))
        .unwrap_err()
        .to_string();
    assert!(err.contains("in use"), "{err}");
    first.close().unwrap();
    drop(first);
    let again = Engine::open(EngineOptions::manual(dir.path())).unwrap();
    assert_eq!(read(&again.snapshot(), &again).len(), 10);
}

/// The newest manifest segment: a rotation starts a new one (and removes the old ones).
fn newest_manifest_segment(dir: &Path) -> PathBuf {
    std::fs::read_dir(dir.join("manifest"))
        .unwrap()
        .map(|e| e.unwrap().path())
        .filter(|p| p.extension().is_some_and(|x| x == "wal"))
        .max()
        .unwrap()
}

#[test]
fn a_large_manifest_is_not_rewritten_on_every_edit() {
    // More than 512 tombstones: the manifest's state is larger than its rotation threshold.
    // Each further edit must append, not rotate the log and rewrite the whole state.
    let dir = tempfile::tempdir().unwrap();
    let engine = Engine::open(EngineOptions::manual(dir.path())).unwrap();
    engine.write(&batch(0, 10)).unwrap();
    let id = engine.catalog().lookup(&key().canonical()).unwrap();
    let far = 1_000_000_000_000_000;
    for i in 0..700 {
        engine.delete(&[id], far + i, far + i + 1).unwrap();
    }
    let segment = newest_manifest_segment(dir.path());
    for i in 700..750 {
        engine.delete(&[id], far + i, far + i + 1).unwrap();
    }
    assert_eq!(
        newest_manifest_segment(dir.path()),
        segment,
        "the manifest was rewritten by single edits"
    );
    // Edits that do not grow the state still trigger a rotation eventually, and the
    // rotated log replays to the same state.
    let mut rounds = 0;
    while newest_manifest_segment(dir.path()) == segment {
        engine.write(&batch(10 + rounds, 1)).unwrap();
        engine.flush().unwrap();
        engine.compact().unwrap();
        rounds += 1;
        assert!(rounds < 1000, "the manifest never rotated");
    }
    let expected: Vec<i64> = (0..10 + rounds).collect();
    assert_eq!(read(&engine.snapshot(), &engine), expected);
    engine.close().unwrap();
    drop(engine);
    let engine = Engine::open(EngineOptions::manual(dir.path())).unwrap();
    assert_eq!(read(&engine.snapshot(), &engine), expected);
}
