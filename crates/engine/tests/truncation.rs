//! Truncated and length-damaged files: a truncated SSTable (every length from 0 to its size
//! minus one, sampled) is an error naming the file, never data; a flipped bit in a WAL record's
//! length field that makes it run past the end of the file is corruption naming the segment
//! and offset when valid records follow (not a torn tail that would silently drop them).
#![allow(clippy::disallowed_methods)]

use std::path::{Path, PathBuf};

use strata_engine::{Engine, EngineOptions, Error, FieldValue, Point};

mod common;
use common::{count_points, host_key, open_and_count};

fn opts(dir: &Path) -> EngineOptions {
    EngineOptions {
        block_points: 64,
        ..EngineOptions::manual(dir)
    }
}

fn batch(start: i64, n: i64) -> Vec<Point> {
    (start..start + n)
        .map(|i| Point {
            series: host_key(i % 3),
            fields: vec![
                ("v".into(), FieldValue::Float(i as f64 * 0.25)),
                ("n".into(), FieldValue::String(format!("s{}", i % 5))),
            ],
            timestamp: i * 1_000_000_000,
        })
        .collect()
}

fn count(engine: &Engine) -> Result<usize, Error> {
    count_points(engine, 3, &["v", "n"])
}

fn only_file(dir: &Path, ext: &str) -> PathBuf {
    let mut files: Vec<PathBuf> = std::fs::read_dir(dir)
        .unwrap()
        .map(|e| e.unwrap().path())
        .filter(|p| p.extension().is_some_and(|e| e == ext))
        .collect();
    files.sort();
    files.pop().unwrap()
}

#[test]
fn every_truncation_of_an_sstable_is_reported_naming_the_file() {
    let dir = tempfile::tempdir().unwrap();
    {
        let engine = Engine::open(opts(dir.path())).unwrap();
        engine.write(&batch(0, 400)).unwrap();
        engine.flush().unwrap();
        engine.close().unwrap();
    }
    let sst = only_file(&dir.path().join("sst"), "sst");
    let original = std::fs::read(&sst).unwrap();
    let name = sst.file_name().unwrap().to_string_lossy().to_string();
    let size = original.len();
    // Every length in the header and footer regions, a sample in between.
    let step = (size / 500).max(1);
    let lengths: Vec<usize> = (0..size)
        .filter(|&l| l < 128 || l + 128 >= size || l % step == 0)
        .collect();
    assert!(lengths.len() > 300, "{} lengths", lengths.len());
    for &len in &lengths {
        std::fs::write(&sst, &original[..len]).unwrap();
        let outcome = open_and_count(opts(dir.path()), count);
        match outcome {
            Err(e) => assert!(
                e.to_string().contains(&name),
                "truncated to {len} of {size} bytes: the error does not name the file: {e}"
            ),
            Ok(n) => panic!("truncated to {len} of {size} bytes: not detected, {n} points read"),
        }
        // The open must not have "repaired" the table away (e.g. deleted it as an orphan).
        assert!(sst.exists(), "truncated to {len}: the SSTable was removed");
    }
    std::fs::write(&sst, &original).unwrap();
    let engine = Engine::open(opts(dir.path())).unwrap();
    assert_eq!(count(&engine).unwrap(), 800);
}

#[test]
fn flipped_length_of_the_first_wal_record_is_corruption_not_a_torn_tail() {
    let src = tempfile::tempdir().unwrap();
    {
        // Keep the batches in the WAL at close.
        let engine = Engine::open(EngineOptions {
            flush_on_close: false,
            ..opts(src.path())
        })
        .unwrap();
        for b in 0..5 {
            engine.write(&batch(b * 10, 10)).unwrap();
        }
        engine.close().unwrap();
    }
    let seg = only_file(&src.path().join("wal"), "wal");
    let original = std::fs::read(&seg).unwrap();
    let first = 20; // the segment header is 20 bytes; the first record's length follows
    let len = u32::from_le_bytes(original[first..first + 4].try_into().unwrap());
    let name = seg.file_name().unwrap().to_string_lossy().to_string();
    // Bits 8..=25: the length grows past the end of the file but stays under the 64 MiB
    // record bound (a length over the bound was already searched past).
    for bit in 8..=25u32 {
        let dir = tempfile::tempdir().unwrap();
        for sub in ["wal", "sst", "manifest"] {
            std::fs::create_dir_all(dir.path().join(sub)).unwrap();
            for e in std::fs::read_dir(src.path().join(sub)).unwrap() {
                let e = e.unwrap();
                std::fs::copy(e.path(), dir.path().join(sub).join(e.file_name())).unwrap();
            }
        }
        let target = dir.path().join("wal").join(&name);
        let mut bytes = original.clone();
        let flipped = len ^ (1 << bit);
        bytes[first..first + 4].copy_from_slice(&flipped.to_le_bytes());
        std::fs::write(&target, &bytes).unwrap();
        match Engine::open(opts(dir.path())) {
            Err(Error::Corrupt { path, offset, .. }) => {
                assert_eq!(path, target, "bit {bit}");
                assert_eq!(offset, first as u64, "bit {bit}");
            }
            Err(e) => panic!("bit {bit}: unexpected error {e}"),
            Ok(e) => panic!(
                "bit {bit}: length {len} -> {flipped} went unnoticed; {} points recovered of 100",
                count(&e).unwrap()
            ),
        }
        assert_eq!(
            std::fs::read(&target).unwrap(),
            bytes,
            "bit {bit}: the segment was modified"
        );
    }
}
