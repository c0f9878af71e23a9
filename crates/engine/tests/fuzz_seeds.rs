//! Seed corpora of the engine's fuzz targets (`fuzz/corpus/{wal_record,wal_reader,sst_reader,
//! manifest_record}`): a real write-batch record, a real WAL segment, a real SSTable and a
//! real manifest record, all written by the engine. The test requires every seed to be there
//! and to decode to what was written; with `STRATA_WRITE_FUZZ_SEEDS=1` it (re)writes them
//! first.
#![allow(clippy::disallowed_methods)]

use std::path::{Path, PathBuf};
use std::sync::Arc;

use strata_engine::io::StdFs;
use strata_engine::wal::{Wal, WalOptions, segment_file_name};
use strata_engine::{Engine, EngineOptions, FieldValue, Point, SeriesKey, WriteBatch, decoders};

fn seed(target: &str, name: &str) -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
        .join("../../fuzz/corpus")
        .join(target)
        .join(name)
}

fn points() -> Vec<Point> {
    (0..50)
        .map(|i| Point {
            series: SeriesKey::new("cpu", vec![("host".into(), format!("h{}", i % 3))]),
            fields: vec![
                ("usage".into(), FieldValue::Float(i as f64 / 4.0)),
                ("count".into(), FieldValue::Integer(i)),
                ("up".into(), FieldValue::Boolean(i % 2 == 0)),
                ("note".into(), FieldValue::String(format!("n{}", i % 4))),
            ],
            timestamp: 1_700_000_000_000_000_000 + i * 10_000_000_000,
        })
        .collect()
}

/// The newest file of `dir`.
fn newest(dir: &Path) -> PathBuf {
    std::fs::read_dir(dir)
        .unwrap()
        .map(|e| e.unwrap().path())
        .max()
        .unwrap()
}

/// The first record's payload of a WAL segment (20-byte header, then `len u32 | crc u32 |
/// payload`).
fn first_payload(segment: &[u8]) -> Vec<u8> {
    let len = u32::from_le_bytes(segment[20..24].try_into().unwrap()) as usize;
    segment[28..28 + len].to_vec()
}

fn write_seeds() {
    let dir = tempfile::tempdir().unwrap();
    let engine = Engine::open(EngineOptions::manual(dir.path())).unwrap();
    engine.write(&points()).unwrap();
    let save = |target: &str, name: &str, bytes: &[u8]| {
        let path = seed(target, name);
        std::fs::create_dir_all(path.parent().unwrap()).unwrap();
        std::fs::write(path, bytes).unwrap();
    };
    let segment = std::fs::read(newest(&dir.path().join("wal"))).unwrap();
    save("wal_reader", "segment", &segment);
    save("wal_record", "batch", &first_payload(&segment));
    engine.flush().unwrap();
    let manifest = std::fs::read(newest(&dir.path().join("manifest"))).unwrap();
    save("manifest_record", "add_file", &first_payload(&manifest));
    let sst = std::fs::read(newest(&dir.path().join("sst"))).unwrap();
    save("sst_reader", "table", &sst);
    engine.close().unwrap();
}

#[test]
fn seeds_decode_to_what_was_written() {
    if std::env::var("STRATA_WRITE_FUZZ_SEEDS").is_ok() {
        write_seeds();
    }
    let read = |target: &str, name: &str| {
        let path = seed(target, name);
        std::fs::read(&path).unwrap_or_else(|e| {
            panic!(
                "seed {} is missing ({e}); write it with STRATA_WRITE_FUZZ_SEEDS=1",
                path.display()
            )
        })
    };
    let (seq, batch) = decoders::wal_record(&read("wal_record", "batch")).unwrap();
    assert_eq!((seq, batch), (1, WriteBatch::from_points(&points())));
    assert!(decoders::manifest_record(&read("manifest_record", "add_file")).unwrap() >= 1);

    let dir = tempfile::tempdir().unwrap();
    std::fs::write(
        dir.path().join(segment_file_name(1)),
        read("wal_reader", "segment"),
    )
    .unwrap();
    let mut replayed = Vec::new();
    let (wal, _) = Wal::open(
        Arc::new(StdFs),
        dir.path(),
        WalOptions::default(),
        |_, p| {
            replayed.push(decoders::wal_record(p).map_err(strata_engine::Error::InvalidArgument)?);
            Ok(())
        },
    )
    .unwrap();
    wal.close().unwrap();
    assert_eq!(replayed, vec![(1, WriteBatch::from_points(&points()))]);

    let path = dir.path().join("1.sst");
    std::fs::write(&path, read("sst_reader", "table")).unwrap();
    // 50 points x 4 fields, 3 series: 12 columns of one block each.
    assert_eq!(decoders::sst_file(&StdFs, &path).unwrap(), 12);
}
