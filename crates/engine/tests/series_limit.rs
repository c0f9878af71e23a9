//! `max_series_per_measurement`: a write that would create more series than allowed in a
//! measurement is refused whole, naming the measurement and the first point of a new
//! series; existing series keep accepting points at the limit.

use strata_engine::{Engine, EngineOptions, Error, FieldValue, Point, SeriesKey};

fn point(m: &str, host: &str) -> Point {
    Point {
        series: SeriesKey::new(m, vec![("host".into(), host.into())]),
        fields: vec![("v".into(), FieldValue::Float(1.0))],
        timestamp: 0,
    }
}

#[test]
fn new_series_over_the_limit_are_refused_whole() {
    let dir = tempfile::tempdir().unwrap();
    let engine = Engine::open(EngineOptions {
        max_series_per_measurement: Some(2),
        ..EngineOptions::manual(dir.path())
    })
    .unwrap();
    engine.write(&[point("cpu", "a")]).unwrap();
    engine
        .write(&[point("cpu", "a"), point("cpu", "b"), point("cpu", "b")])
        .unwrap();
    let e = engine
        .write(&[point("mem", "x"), point("cpu", "a"), point("cpu", "c")])
        .unwrap_err();
    match &e {
        Error::SeriesLimit {
            measurement,
            existing,
            added,
            limit,
            point,
        } => assert_eq!(
            (measurement.as_str(), *existing, *added, *limit, *point),
            ("cpu", 2, 1, 2, 2),
            "{e}"
        ),
        other => panic!("{other:?}"),
    }
    assert!(
        e.to_string().contains("max_series_per_measurement (2)"),
        "{e}"
    );
    assert!(
        engine
            .catalog()
            .lookup(&point("mem", "x").series.canonical())
            .is_none(),
        "the refused write stored nothing"
    );
    // Existing series keep accepting points at the limit; other measurements have their own.
    engine
        .write(&[point("cpu", "b"), point("mem", "x")])
        .unwrap();
    assert_eq!(engine.stats().series, 3);
}
