//! Test fixtures: an engine in a temporary directory and helpers to write points and run
//! queries against it.

use strata_engine::{Engine, EngineOptions, FieldValue, Point, SeriesKey};

use crate::{QueryOptions, QueryRequest, QueryResult, execute};

pub(crate) struct Db {
    pub engine: Engine,
    _dir: tempfile::TempDir,
}

impl Db {
    pub fn new() -> Db {
        let dir = tempfile::tempdir().unwrap();
        let engine = Engine::open(EngineOptions {
            partition_width: 1_000,
            block_points: 4,
            ..EngineOptions::manual(dir.path())
        })
        .unwrap();
        Db { engine, _dir: dir }
    }

    /// Writes one point of `measurement` with `tags` ("k=v,k=v") at `ts` (ns).
    pub fn put(&self, measurement: &str, tags: &str, ts: i64, fields: &[(&str, FieldValue)]) {
        let tags = tags
            .split(',')
            .filter(|t| !t.is_empty())
            .map(|t| {
                let (k, v) = t.split_once('=').unwrap();
                (k.to_string(), v.to_string())
            })
            .collect();
        let point = Point {
            series: SeriesKey::new(measurement, tags),
            fields: fields
                .iter()
                .map(|(k, v)| (k.to_string(), v.clone()))
                .collect(),
            timestamp: ts,
        };
        self.engine.write(&[point]).unwrap();
    }

    pub fn query(&self, json: &str, precision_ns: i64) -> Result<QueryResult, crate::QueryError> {
        let req = QueryRequest::from_json(json.as_bytes())?;
        execute(
            &self.engine.snapshot(),
            &req,
            &QueryOptions {
                precision_ns,
                max_points: 1_000,
            },
        )
    }
}

pub(crate) fn fl(v: f64) -> FieldValue {
    FieldValue::Float(v)
}

pub(crate) fn int(v: i64) -> FieldValue {
    FieldValue::Integer(v)
}
