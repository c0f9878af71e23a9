//! A small cardinality check (the full 1M-series run is `examples/cardinality.rs`): 20,000
//! TSBS-shaped series written through the engine keep the catalog under a memory bound per
//! series, and the filters the example times find the right series.

use std::collections::BTreeMap;

use strata_engine::{Engine, EngineOptions, FieldValue, Point, SyncPolicy};
use strata_query::{Filter, QueryOptions, QueryRequest, execute, match_series};

#[path = "../benches/tsbs/mod.rs"]
mod tsbs;

/// Bytes of catalog per series allowed. The catalog holds each canonical key once plus the
/// postings, about 480 bytes for these keys (it was about 1,150 by the same estimate, and
/// 1,800 resident, when it also kept every key as parsed strings).
const MAX_CATALOG_BYTES_PER_SERIES: usize = 640;

#[test]
fn catalog_memory_per_series_stays_bounded() {
    let n = 20_000;
    let dir = tempfile::tempdir().unwrap();
    let engine = Engine::open(EngineOptions {
        wal_sync: SyncPolicy::None,
        ..EngineOptions::manual(dir.path())
    })
    .unwrap();
    let points: Vec<Point> = (0..n)
        .map(|i| Point {
            series: tsbs::key(i),
            fields: vec![("usage_user".into(), FieldValue::Float(tsbs::value(i, 0, 0)))],
            timestamp: tsbs::START_NS,
        })
        .collect();
    for chunk in points.chunks(5_000) {
        engine.write(chunk).unwrap();
    }
    let catalog = engine.catalog();
    assert_eq!(catalog.len(), n);
    let per_series = catalog.memory_bytes() / n;
    eprintln!("catalog: {per_series} bytes per series");
    assert!(
        per_series < MAX_CATALOG_BYTES_PER_SERIES,
        "the catalog holds {per_series} bytes per series (bound {MAX_CATALOG_BYTES_PER_SERIES})"
    );

    // The example's filters: equality, a host-name regex, and a count.
    let count = |filters: BTreeMap<String, Filter>| {
        match_series(catalog, tsbs::MEASUREMENT, &filters)
            .unwrap()
            .len() as usize
    };
    assert_eq!(count(BTreeMap::new()), n);
    let want = (0..n).filter(|&i| tsbs::region_of(i) == 2).count();
    let region = BTreeMap::from([("region".to_string(), Filter::Eq("us-west-2".into()))]);
    assert_eq!(count(region), want);
    let regex = BTreeMap::from([(
        "hostname".to_string(),
        Filter::Regex("^host_[0-9]*000$".into()),
    )]);
    // host_1000, host_2000, ..., host_19000.
    assert_eq!(count(regex), n / 1000 - 1);

    let start_ms = tsbs::START_NS / 1_000_000;
    let req = QueryRequest::from_json(
        format!(
            r#"{{"measurement":"cpu","start":{start_ms},"end":{},"filters":{{"hostname":{{"regex":"^host_1[0-9]*000$"}}}},"limit":1,"order":"desc"}}"#,
            start_ms + 1
        )
        .as_bytes(),
    )
    .unwrap();
    let result = execute(&engine.snapshot(), &req, &QueryOptions::default()).unwrap();
    let hosts: Vec<&str> = result
        .series
        .iter()
        .map(|s| s.tags["hostname"].as_str())
        .collect();
    // In tag order: the tags compare first by arch, datacenter, then host name.
    let mut sorted = hosts.clone();
    sorted.sort_unstable();
    assert_eq!(
        sorted,
        [
            "host_1000",
            "host_10000",
            "host_11000",
            "host_12000",
            "host_13000",
            "host_14000",
            "host_15000",
            "host_16000",
            "host_17000",
            "host_18000",
            "host_19000"
        ]
    );
    assert_eq!(result.point_count(), hosts.len());
}
