//! Engine states that the real binary cannot be pushed into on demand, served in-process
//! through [`strata_server::router`]: backpressure (503 + `Retry-After`), and a failed WAL
//! fsync that turns the engine read-only (`/ready` 503 with the reason, writes 503, reads
//! still served).

use std::sync::Arc;

use strata_engine::io::FaultyFs;
use strata_engine::{Engine, EngineOptions};
use strata_server::databases::Databases;
use strata_server::{AppState, ServerConfig, router};

struct Served {
    addr: String,
    _rt: tokio::runtime::Runtime,
    agent: ureq::Agent,
}

impl Served {
    fn new(engine: Arc<Engine>) -> Served {
        let rt = tokio::runtime::Builder::new_multi_thread()
            .worker_threads(1)
            .enable_all()
            .build()
            .unwrap();
        let template =
            EngineOptions::manual(std::env::temp_dir().join("strata-engine-states-unused"));
        let databases = Arc::new(Databases::over(engine, template));
        let state = AppState::new(databases, &ServerConfig::default()).unwrap();
        let listener = rt
            .block_on(tokio::net::TcpListener::bind("127.0.0.1:0"))
            .unwrap();
        let addr = listener.local_addr().unwrap().to_string();
        rt.spawn(async move { axum::serve(listener, router(state)).await });
        let agent = ureq::Agent::config_builder()
            .http_status_as_error(false)
            .build()
            .into();
        Served {
            addr,
            _rt: rt,
            agent,
        }
    }

    fn write(&self, line: &str) -> (u16, String, Option<String>) {
        let mut r = self
            .agent
            .post(format!("http://{}/write", self.addr))
            .header("Content-Type", "text/plain")
            .send(line.as_bytes())
            .unwrap();
        let retry = r
            .headers()
            .get("retry-after")
            .map(|v| v.to_str().unwrap().to_string());
        (
            r.status().as_u16(),
            r.body_mut().read_to_string().unwrap(),
            retry,
        )
    }

    fn get(&self, path: &str) -> (u16, String) {
        let mut r = self
            .agent
            .get(format!("http://{}{path}", self.addr))
            .call()
            .unwrap();
        (r.status().as_u16(), r.body_mut().read_to_string().unwrap())
    }

    fn count(&self, measurement: &str) -> usize {
        let body = format!(r#"{{"measurement":"{measurement}","start":0,"end":1000000}}"#);
        let mut r = self
            .agent
            .post(format!("http://{}/query", self.addr))
            .header("Content-Type", "application/json")
            .send(body.as_bytes())
            .unwrap();
        assert_eq!(r.status().as_u16(), 200);
        let v: serde_json::Value =
            serde_json::from_str(&r.body_mut().read_to_string().unwrap()).unwrap();
        v["data_points"].as_array().unwrap().len()
    }
}

#[test]
fn backpressure_is_503_with_retry_after() {
    let dir = tempfile::tempdir().unwrap();
    let mut opts = EngineOptions::new(dir.path());
    opts.background = false;
    opts.memtable_hard_cap = 1;
    let engine = Arc::new(Engine::open(opts).unwrap());
    let s = Served::new(engine.clone());
    assert_eq!(s.write("m v=1 1000").0, 204);
    let (status, body, retry) = s.write("m v=2 2000");
    assert_eq!(status, 503, "{body}");
    assert_eq!(retry.as_deref(), Some("1"));
    assert!(body.contains("\"backpressure\""), "{body}");
    assert_eq!(s.count("m"), 1, "the refused write stored nothing");
    assert!(s.get("/metrics").1.contains("strata_backpressure_total 1"));
    engine.flush().unwrap();
    assert_eq!(s.write("m v=3 3000").0, 204);
    assert_eq!(s.count("m"), 2);
}

#[test]
fn failed_fsync_makes_the_server_read_only() {
    let dir = tempfile::tempdir().unwrap();
    let fs = FaultyFs::over_std();
    let engine = Arc::new(
        Engine::open_with_fs(EngineOptions::new(dir.path()), Arc::new(fs.clone())).unwrap(),
    );
    let s = Served::new(engine);
    assert_eq!(s.get("/ready").0, 200);
    assert_eq!(s.write("m v=1 1000").0, 204);
    fs.eio_on_next_syncs(1);
    let (status, body, _) = s.write("m v=2 2000");
    assert_eq!(status, 503, "{body}");
    let (status, body) = s.get("/ready");
    assert_eq!(status, 503, "{body}");
    assert!(body.contains("\"read_only\""), "{body}");
    let (status, body, _) = s.write("m v=3 3000");
    assert_eq!(status, 503, "{body}");
    assert!(body.contains("\"read_only\""), "{body}");
    assert!(s.get("/metrics").1.contains("strata_read_only 1"));
    assert_eq!(s.get("/health").0, 200);
    assert!(s.count("m") >= 1, "reads still work");
}

/// Waits (at most 20 s) until `f` holds.
fn eventually(what: &str, f: impl Fn() -> bool) {
    let deadline = std::time::Instant::now() + std::time::Duration::from_secs(20);
    while !f() {
        assert!(
            std::time::Instant::now() < deadline,
            "timed out waiting: {what}"
        );
        std::thread::sleep(std::time::Duration::from_millis(25));
    }
}

#[test]
fn a_failing_background_job_is_degraded_not_read_only_and_recovers() {
    let dir = tempfile::tempdir().unwrap();
    let fs = FaultyFs::over_std();
    let opts = EngineOptions {
        flush_idle: None,
        compact_idle: None,
        ..EngineOptions::new(dir.path())
    };
    let engine = Arc::new(Engine::open_with_fs(opts, Arc::new(fs.clone())).unwrap());
    let s = Served::new(engine.clone());
    // Table files cannot be written; the WAL can.
    fs.enospc_for_paths_ending(".sst.tmp");
    assert_eq!(s.write("m v=1 1000").0, 204);
    engine.rotate().unwrap();
    eventually("the flush failure shows", || {
        s.get("/ready").1.contains("degraded")
    });
    let (status, body) = s.get("/ready");
    assert_eq!(status, 200, "writes are still accepted: {body}");
    let v: serde_json::Value = serde_json::from_str(&body).unwrap();
    assert_eq!(v["background_failures"][0]["job"], "flush", "{body}");
    assert!(
        v["background_failures"][0]["error"]
            .as_str()
            .unwrap()
            .contains("No space left"),
        "{body}"
    );
    assert_eq!(s.write("m v=2 2000").0, 204);
    let metrics = s.get("/metrics").1;
    assert!(metrics.contains("strata_read_only 0"), "{metrics}");
    assert!(
        metrics.contains("strata_background_job_failing{job=\"flush\"} 1"),
        "{metrics}"
    );
    fs.disarm();
    eventually("the flush recovers", || {
        s.get("/ready").1 == r#"{"status":"ready"}"#
    });
    let metrics = s.get("/metrics").1;
    assert!(
        metrics.contains("strata_background_job_failing{job=\"flush\"} 0"),
        "{metrics}"
    );
    assert!(!metrics.contains("strata_background_job_failures_total{job=\"flush\"} 0"));
    assert_eq!(s.count("m"), 2);
}
