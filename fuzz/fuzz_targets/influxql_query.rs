//! Fuzz target: any text as an InfluxQL query, parsed and run over a small fixed data set
//! (the PromQL fixture's series, database `db`), must give an answer or an error, never a
//! panic. Statements that delete are parsed but not run, so the fixture stays the same.

#![no_main]

use std::sync::{Arc, OnceLock};
use std::time::Duration;

use libfuzzer_sys::fuzz_target;
use strata_engine::{Engine, EngineOptions};
use strata_influxql::{Limits, Request, Server, Statement, execute, parse_query, render, Epoch};

struct Fixture {
    _dir: tempfile::TempDir,
    engine: Arc<Engine>,
}

impl Server for Fixture {
    fn database_names(&self) -> Vec<String> {
        vec!["db".into()]
    }
    fn create_database(&self, _: &str) -> Result<(), String> {
        Ok(())
    }
    fn drop_database(&self, _: &str) -> Result<(), String> {
        Ok(())
    }
    fn engine(&self, name: &str) -> Option<Arc<Engine>> {
        (name == "db").then(|| self.engine.clone())
    }
    fn retention(&self) -> Option<Duration> {
        None
    }
}

fn fixture() -> &'static Fixture {
    static F: OnceLock<Fixture> = OnceLock::new();
    F.get_or_init(|| {
        let dir = tempfile::tempdir().expect("temporary directory");
        let engine = Engine::open(EngineOptions::manual(dir.path())).expect("engine");
        strata_promql::testdata::write(&engine).expect("data set");
        Fixture { _dir: dir, engine: Arc::new(engine) }
    })
}

fuzz_target!(|data: &[u8]| {
    let Ok(query) = std::str::from_utf8(data) else {
        return;
    };
    let Ok(statements) = parse_query(query) else {
        return;
    };
    let statements: Vec<Statement> = statements
        .into_iter()
        .filter(|s| !matches!(s, Statement::Delete { .. } | Statement::DropMeasurement { .. }))
        .collect();
    let req = Request {
        db: Some("db"),
        rp: None,
        now: strata_promql::testdata::START_NS + 3_600_000_000_000,
        limits: Limits { max_points: 1_000_000, max_buckets: 100_000 },
    };
    let results = execute(fixture(), &statements, &req);
    let _ = render(&results, Epoch::Rfc3339, false);
});
