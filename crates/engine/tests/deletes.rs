//! Deletes end to end: tombstones hide points at once; compaction rewrites the files they
//! touch (even a partition's lone L1 file) and reclaims the points; once no table and no WAL
//! record needs a tombstone it is dropped; a series whose last point is gone is forgotten by
//! the catalog, and a measurement without series disappears with its field types.

use strata_engine::{Engine, EngineOptions, FieldValue, Point, SeriesKey};

const DAY: i64 = 86_400_000_000_000;

fn key(host: &str) -> SeriesKey {
    SeriesKey::new("m", vec![("host".into(), host.into())])
}

fn points(host: &str, days: i64, value: FieldValue) -> Vec<Point> {
    (0..days * 4)
        .map(|i| Point {
            series: key(host),
            fields: vec![("v".into(), value.clone())],
            timestamp: i * DAY / 4,
        })
        .collect()
}

fn delete_all(engine: &Engine, host: &str) {
    let id = engine.catalog().lookup(&key(host).canonical()).unwrap();
    engine.delete(&[id], i64::MIN, i64::MAX).unwrap();
}

#[test]
fn deleted_series_are_reclaimed_and_forgotten() {
    let dir = tempfile::tempdir().unwrap();
    let engine = Engine::open(EngineOptions::manual(dir.path())).unwrap();
    engine
        .write(&points("a", 2, FieldValue::Float(1.0)))
        .unwrap();
    engine
        .write(&points("b", 2, FieldValue::Float(2.0)))
        .unwrap();
    engine.flush().unwrap();
    engine.compact().unwrap();
    assert_eq!(engine.stats().levels[1].files, 2, "one L1 file per day");

    delete_all(&engine, "a");
    assert_eq!(engine.stats().tombstones, 1);
    assert_eq!(
        engine.stats().series,
        2,
        "forgotten only once the points are gone"
    );
    engine.compact().unwrap();
    let stats = engine.stats();
    assert_eq!(stats.series, 1, "a is forgotten");
    assert_eq!(stats.tombstones, 0, "the tombstone outlived every table");
    assert_eq!(stats.levels[1].points, 8, "a's points were reclaimed");
    assert!(engine.catalog().lookup(&key("a").canonical()).is_none());
    assert_eq!(engine.catalog().measurements(), vec!["m".to_string()]);

    delete_all(&engine, "b");
    engine.compact().unwrap();
    assert_eq!(engine.stats().series, 0);
    assert!(
        engine.catalog().measurements().is_empty(),
        "no series, no measurement"
    );
    assert_eq!(engine.stats().levels[1].files, 0);
    // The field type went with the measurement.
    engine
        .write(&points("b", 1, FieldValue::String("x".into())))
        .unwrap();

    // Deleted while still in the MemTable: the flush forgets the series.
    engine
        .write(&points("c", 1, FieldValue::String("y".into())))
        .unwrap();
    delete_all(&engine, "c");
    engine.flush().unwrap();
    assert!(engine.catalog().lookup(&key("c").canonical()).is_none());
    assert!(engine.catalog().lookup(&key("b").canonical()).is_some());
    engine.compact().unwrap();
    assert_eq!(engine.stats().tombstones, 0);
    engine.close().unwrap();
    drop(engine);

    let engine = Engine::open(EngineOptions::manual(dir.path())).unwrap();
    assert_eq!(engine.stats().series, 1);
    assert_eq!(engine.stats().tombstones, 0);
    assert!(engine.catalog().lookup(&key("c").canonical()).is_none());
}

#[test]
fn a_tombstone_stays_while_the_wal_holds_what_it_hides() {
    let dir = tempfile::tempdir().unwrap();
    let engine = Engine::open(EngineOptions {
        flush_on_close: false,
        ..EngineOptions::manual(dir.path())
    })
    .unwrap();
    engine
        .write(&points("a", 1, FieldValue::Float(1.0)))
        .unwrap();
    delete_all(&engine, "a");
    // Nothing flushed: the WAL still has the deleted points, so the tombstone must stay.
    engine.compact().unwrap();
    assert_eq!(engine.stats().tombstones, 1);
    engine.close().unwrap();
    drop(engine);
    let engine = Engine::open(EngineOptions::manual(dir.path())).unwrap();
    let id = engine.catalog().lookup(&key("a").canonical());
    let snap = engine.snapshot();
    let read = id.map(|id| snap.read(id, "v", i64::MIN, i64::MAX).unwrap());
    assert!(
        read.flatten().is_none_or(|c| c.is_empty()),
        "replay resurrected deleted points"
    );
}
