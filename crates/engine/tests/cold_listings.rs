//! Cold listings end to end, with a cold source that holds what a snapshot read of each
//! partition returned before its local copy was dropped (what the cold tier's exporter
//! writes): reads are identical after offloading and across a reopen (the catalog knows the
//! series from the listing), later writes and deletes apply over the cold points, compaction
//! and rollups leave listings alone, offloading refuses tables that changed since the export,
//! and without a source a read of a listed partition fails loudly instead of coming back empty.

use std::collections::HashMap;
use std::sync::Arc;

use parking_lot::Mutex;
use strata_engine::{
    ColdRead, ColdSource, ColumnData, Engine, EngineOptions, Error, FieldValue, Point, SeriesKey,
};

const DAY: i64 = 86_400_000_000_000;

fn key(host: &str) -> SeriesKey {
    SeriesKey::new("m", vec![("host".into(), host.into())])
}

fn point(host: &str, ts: i64, v: f64) -> Point {
    Point {
        series: key(host),
        fields: vec![
            ("v".into(), FieldValue::Float(v)),
            ("n".into(), FieldValue::Integer(ts / 1000)),
        ],
        timestamp: ts,
    }
}

/// (partition, series, field) -> the points exported.
#[derive(Debug, Default)]
struct Exported(Mutex<HashMap<(i64, String, String), ColumnData>>);

impl ColdSource for Exported {
    fn read(&self, r: &ColdRead<'_>) -> strata_engine::Result<Vec<Option<ColumnData>>> {
        let held = self.0.lock();
        Ok(r.fields
            .iter()
            .map(|f| {
                held.get(&(r.partition, r.series.to_string(), f.to_string()))
                    .map(|c| c.slice(r.start, r.end))
                    .filter(|c| !c.is_empty())
            })
            .collect())
    }
}

impl Exported {
    /// Records partition `p` as the engine reads it now (every series, both fields).
    fn export(&self, engine: &Engine, p: i64, hosts: &[&str]) {
        let snap = engine.snapshot();
        for h in hosts {
            let canonical = key(h).canonical();
            let Some(id) = snap.catalog().lookup(&canonical) else {
                continue;
            };
            for f in ["n", "v"] {
                if let Some(c) = snap.read(id, f, p, p + DAY).unwrap() {
                    self.0.lock().insert((p, canonical.clone(), f.into()), c);
                }
            }
        }
    }
}

fn read_all(engine: &Engine, host: &str, field: &str) -> Option<ColumnData> {
    let snap = engine.snapshot();
    let id = snap.catalog().lookup(&key(host).canonical())?;
    snap.read(id, field, i64::MIN, i64::MAX).unwrap()
}

/// Ids of partition `p`'s raw tables.
fn raw_tables(engine: &Engine, p: i64) -> Vec<u64> {
    engine
        .tables()
        .iter()
        .filter(|t| t.partition == p && t.level <= strata_engine::COMPACTED_LEVEL)
        .map(|t| t.id)
        .collect()
}

#[test]
fn offloaded_partitions_read_from_the_cold_source() {
    let dir = tempfile::tempdir().unwrap();
    let opts = EngineOptions::manual(dir.path());
    let engine = Engine::open(opts.clone()).unwrap();
    let source = Arc::new(Exported::default());
    engine.set_cold_source(source.clone());
    let pts: Vec<Point> = (0..2 * 96)
        .flat_map(|i| {
            let ts = i * DAY / 96;
            [point("a", ts, i as f64), point("b", ts, -(i as f64))]
        })
        .collect();
    engine.write(&pts).unwrap();
    engine.flush().unwrap();
    engine.compact().unwrap();
    let before: Vec<_> = ["a", "b"]
        .iter()
        .flat_map(|h| ["n", "v"].map(|f| read_all(&engine, h, f)))
        .collect();

    // A table set other than the exported one is refused.
    assert!(!engine.offload_partition(0, &[12345]).unwrap());
    source.export(&engine, 0, &["a", "b"]);
    assert!(
        engine
            .offload_partition(0, &raw_tables(&engine, 0))
            .unwrap()
    );
    assert!(raw_tables(&engine, 0).is_empty());
    assert_eq!(engine.stats().cold_partitions, 1);
    let now: Vec<_> = ["a", "b"]
        .iter()
        .flat_map(|h| ["n", "v"].map(|f| read_all(&engine, h, f)))
        .collect();
    assert_eq!(now, before);

    // Compaction and rollups leave the listing alone.
    engine.compact().unwrap();
    assert_eq!(engine.stats().cold_partitions, 1);

    // Reopened: the series are known from the listing.
    engine.close().unwrap();
    drop(engine);
    let engine = Engine::open(opts.clone()).unwrap();
    assert!(engine.catalog().lookup(&key("a").canonical()).is_some());
    // Without a source, a read of the listed partition is an error, not an empty answer.
    let snap = engine.snapshot();
    let id = snap.catalog().lookup(&key("a").canonical()).unwrap();
    let err = snap.read(id, "v", 0, DAY).unwrap_err();
    assert!(matches!(err, Error::ColdUnavailable(_)), "{err}");
    assert!(err.is_unavailable());
    // The partition of day 1, still local, reads without one.
    assert_eq!(snap.read(id, "v", DAY, 2 * DAY).unwrap().unwrap().len(), 96);
    drop(snap);
    engine.set_cold_source(source.clone());
    let again: Vec<_> = ["a", "b"]
        .iter()
        .flat_map(|h| ["n", "v"].map(|f| read_all(&engine, h, f)))
        .collect();
    assert_eq!(again, before);

    // A late write overrides the cold point; a delete hides cold points.
    engine.write(&[point("a", 10, 1000.0)]).unwrap();
    let v = read_all(&engine, "a", "v").unwrap();
    assert_eq!(v.ts.len(), 2 * 96 + 1);
    assert_eq!(v.value(1), Some(FieldValue::Float(1000.0)));
    let id = engine.catalog().lookup(&key("b").canonical()).unwrap();
    engine.delete(&[id], 0, DAY / 2).unwrap();
    assert_eq!(read_all(&engine, "b", "v").unwrap().len(), 2 * 96 - 48);
    engine.flush().unwrap();
    engine.compact().unwrap();
    assert_eq!(read_all(&engine, "b", "v").unwrap().len(), 2 * 96 - 48);
    // The late write's table is not offloaded before it is exported with the cold rows.
    let late = raw_tables(&engine, 0);
    assert_eq!(late.len(), 1);
    source.export(&engine, 0, &["a", "b"]);
    assert!(engine.offload_partition(0, &late).unwrap());
    assert_eq!(
        read_all(&engine, "a", "v").unwrap().value(1),
        Some(FieldValue::Float(1000.0))
    );
    assert_eq!(
        engine.stats().cold_partitions,
        1,
        "one listing replaces the old one"
    );
}
