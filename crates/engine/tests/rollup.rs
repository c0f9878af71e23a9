//! Rollups and retention: old partitions get L2 summaries, retention then drops their raw
//! files but keeps the rollups, which survive a reopen and read back the exact per-window
//! statistics.

use std::time::Duration;

use strata_engine::{Column, Engine, EngineOptions, FieldValue, Point, SeriesKey};

const DAY: i64 = 86_400 * 1_000_000_000;
const MIN: i64 = 60_000_000_000;

fn opts(dir: &std::path::Path) -> EngineOptions {
    EngineOptions {
        retention: Some(Duration::from_secs(30 * 86_400)),
        rollup_after: Some(Duration::from_secs(86_400)),
        ..EngineOptions::manual(dir)
    }
}

#[test]
fn rollups_outlive_raw_retention() {
    let dir = tempfile::tempdir().unwrap();
    let key = SeriesKey::new("temp", vec![("room".into(), "a".into())]);
    // Two days in 2020 at 10 s, value = minute index (so per-minute stats are known).
    let start = 18_262 * DAY; // 2020-01-01
    let points: Vec<Point> = (0..2 * 8640)
        .map(|i| Point {
            series: key.clone(),
            fields: vec![
                ("v".into(), FieldValue::Integer(i / 6)),
                ("f".into(), FieldValue::Float(i as f64 / 4.0)),
            ],
            timestamp: start + i * 10_000_000_000,
        })
        .collect();
    let engine = Engine::open(opts(dir.path())).unwrap();
    for chunk in points.chunks(5000) {
        engine.write(chunk).unwrap();
    }
    engine.flush().unwrap();
    assert_eq!(
        engine.apply_rollups().unwrap(),
        2,
        "one L2 table per partition"
    );
    assert_eq!(
        engine.apply_rollups().unwrap(),
        0,
        "rollups are written once"
    );
    assert!(
        engine.apply_retention().unwrap() >= 2,
        "raw files of both partitions dropped"
    );
    engine.close().unwrap();
    drop(engine);

    let engine = Engine::open(opts(dir.path())).unwrap();
    let id = engine.catalog().lookup(&key.canonical()).unwrap();
    let snap = engine.snapshot();
    assert!(
        snap.read(id, "v", i64::MIN, i64::MAX).unwrap().is_none(),
        "raw data is gone"
    );
    assert_eq!(snap.rollup_only_ranges(), vec![(start, start + 2 * DAY)]);
    let r = snap
        .read_rollup(id, "v", MIN, start, start + 2 * DAY)
        .unwrap()
        .unwrap();
    assert_eq!(r.ts.len(), 2 * 1440);
    assert!(r.count.iter().all(|&c| c == 6));
    for (w, &t) in r.ts.iter().enumerate() {
        assert_eq!(t, start + w as i64 * MIN);
        assert_eq!(r.sum[w], 6.0 * w as f64);
    }
    assert_eq!(r.min.values, Column::Integer((0..2 * 1440).collect()));
    assert_eq!(r.last.values, Column::Integer((0..2 * 1440).collect()));
    let hourly = snap
        .read_rollup(id, "f", 60 * MIN, start, start + DAY)
        .unwrap()
        .unwrap();
    assert_eq!(hourly.ts.len(), 24);
    assert!(hourly.count.iter().all(|&c| c == 360));
    // Rollup columns never show up as fields of the measurement.
    let fields = engine
        .catalog()
        .with_measurement("temp", |m| m.fields().keys().cloned().collect::<Vec<_>>())
        .unwrap();
    assert_eq!(fields, vec!["f".to_string(), "v".to_string()]);
}
