//! Aggregates over ranges whose raw data retention dropped are answered from the engine's
//! rollups, with the same values the raw data gave before it was dropped.

use std::time::Duration;

use strata_engine::{Engine, EngineOptions, FieldValue, Point, SeriesKey};
use strata_query::{QueryOptions, QueryRequest, execute};

const DAY_MS: i64 = 86_400_000;

fn query(engine: &Engine, json: &str) -> String {
    let req = QueryRequest::from_json(json.as_bytes()).unwrap();
    execute(&engine.snapshot(), &req, &QueryOptions::default())
        .unwrap()
        .to_points_json()
}

#[test]
fn aggregates_come_from_rollups_after_raw_retention() {
    let dir = tempfile::tempdir().unwrap();
    let opts = EngineOptions {
        retention: Some(Duration::from_secs(30 * 86_400)),
        rollup_after: Some(Duration::from_secs(86_400)),
        ..EngineOptions::manual(dir.path())
    };
    let engine = Engine::open(opts).unwrap();
    let start_ms = 18_262 * DAY_MS; // 2020-01-01
    for host in ["a", "b"] {
        let key = SeriesKey::new(
            "cpu",
            vec![("host".into(), host.into()), ("dc".into(), "x".into())],
        );
        let points: Vec<Point> = (0..8640i64)
            .map(|i| Point {
                series: key.clone(),
                fields: vec![
                    (
                        "usage".into(),
                        FieldValue::Float(((i * 37) % 1000) as f64 / 10.0),
                    ),
                    (
                        "reqs".into(),
                        FieldValue::Integer(i * if host == "a" { 1 } else { 3 }),
                    ),
                ],
                timestamp: (start_ms + i * 10_000) * 1_000_000,
            })
            .collect();
        engine.write(&points).unwrap();
    }
    engine.flush().unwrap();
    let queries = [
        r#""aggregate":{"function":"mean","every":3600000}"#,
        r#""aggregate":{"function":"max","every":7200000},"group_by":["dc"]"#,
        r#""aggregate":{"function":"count","every":60000},"limit":5,"order":"desc""#,
        r#""aggregate":{"function":"sum"}"#,
        r#""aggregate":{"function":"first","every":3600000},"group_by":[]"#,
        r#""aggregate":{"function":"last","every":3600000},"fields":["reqs"]"#,
        r#""aggregate":{"function":"min","every":86400000}"#,
    ];
    let body = |q: &str| {
        format!(
            r#"{{"measurement":"cpu","start":{start_ms},"end":{},{q}}}"#,
            start_ms + DAY_MS
        )
    };
    let before: Vec<String> = queries.iter().map(|q| query(&engine, &body(q))).collect();
    assert_eq!(engine.apply_rollups().unwrap(), 1);
    assert!(engine.apply_retention().unwrap() >= 1);
    let raw = query(&engine, &body(r#""limit":3"#));
    assert_eq!(raw, r#"{"data_points":[]}"#, "raw data should be gone");
    for (q, want) in queries.iter().zip(&before) {
        assert_eq!(&query(&engine, &body(q)), want, "query {q}");
    }
    // Not answerable from rollups: no data rather than a wrong answer.
    let sd = query(
        &engine,
        &body(r#""aggregate":{"function":"stddev","every":3600000}"#),
    );
    assert_eq!(sd, r#"{"data_points":[]}"#);
    let odd = query(
        &engine,
        &body(r#""aggregate":{"function":"mean","every":90000}"#),
    );
    assert_eq!(odd, r#"{"data_points":[]}"#);
}
