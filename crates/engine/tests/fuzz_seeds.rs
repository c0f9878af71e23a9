//! Seed corpora of the engine's fuzz targets (`fuzz/corpus/{wal_record,wal_reader,sst_reader}`):
//! a real write-batch record, a real WAL segment and a real SSTable. The test checks the
//! committed seeds still open; with `STRATA_WRITE_FUZZ_SEEDS=1` it (re)writes them first.

use std::path::PathBuf;

use strata_engine::sst::SstReader;
use strata_engine::{Engine, EngineOptions, FieldValue, Point, SeriesKey, wal_record};

fn corpus(target: &str) -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
        .join("../../fuzz/corpus")
        .join(target)
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

#[test]
fn seeds_open() {
    if std::env::var("STRATA_WRITE_FUZZ_SEEDS").is_ok() {
        let mut rec = Vec::new();
        let pts = points();
        wal_record::encode(7, &pts, &wal_record::BatchSeries::of(&pts), &mut rec);
        std::fs::create_dir_all(corpus("wal_record")).unwrap();
        std::fs::write(corpus("wal_record").join("batch"), &rec).unwrap();

        let dir = tempfile::tempdir().unwrap();
        let engine = Engine::open(EngineOptions {
            background: false,
            ..EngineOptions::new(dir.path())
        })
        .unwrap();
        engine.write(&points()).unwrap();
        let wal_dir = dir.path().join("wal");
        let segment = std::fs::read_dir(&wal_dir)
            .unwrap()
            .map(|e| e.unwrap().path())
            .max()
            .unwrap();
        std::fs::create_dir_all(corpus("wal_reader")).unwrap();
        std::fs::copy(&segment, corpus("wal_reader").join("segment")).unwrap();
        engine.flush().unwrap();
        let sst = std::fs::read_dir(dir.path().join("sst"))
            .unwrap()
            .map(|e| e.unwrap().path())
            .next()
            .unwrap();
        std::fs::create_dir_all(corpus("sst_reader")).unwrap();
        std::fs::copy(&sst, corpus("sst_reader").join("table")).unwrap();
        engine.close().unwrap();
    }
    if let Ok(rec) = std::fs::read(corpus("wal_record").join("batch")) {
        assert_eq!(wal_record::decode(&rec).unwrap().1.len(), 50);
    }
    if corpus("sst_reader").join("table").exists() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("1.sst");
        std::fs::copy(corpus("sst_reader").join("table"), &path).unwrap();
        assert_eq!(SstReader::open(&path).unwrap().points(), 200);
    }
}
