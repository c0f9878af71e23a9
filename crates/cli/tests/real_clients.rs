//! Real third-party clients against the real binary: the InfluxDB 2.x Python client library
//! writing through `/api/v2/write`, and Prometheus 2.x sending remote write to
//! `/api/v1/write` (and scraping our `/metrics`, which proves the exposition format parses).
//! On a developer's machine a test whose client is not installed prints a loud `SKIPPED`
//! line and passes (`dev/setup-test-clients.sh` installs them: `pip install
//! influxdb-client`, `apt-get install prometheus`); under CI (`CI` set, as `.ci/run` does) a
//! missing client fails the test, so CI never passes without running it.

mod common;

use std::path::Path;
use std::process::{Command, Stdio};
use std::time::Duration;

use common::{Reaper, Server, free_port, skip, wait_for};
use serde_json::json;

#[test]
fn influxdb_python_client_writes() {
    let ok = Command::new("python3")
        .args(["-c", "import influxdb_client"])
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .status()
        .is_ok_and(|s| s.success());
    if !ok {
        skip("python3 with the influxdb-client package (pip install influxdb-client)");
        return;
    }
    let s = Server::start(&["--auth-token", "py-token"]);
    let script = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/clients/influx_write.py");
    let out = Command::new("python3")
        .arg(&script)
        .arg(s.url(""))
        .arg("py-token")
        .output()
        .unwrap();
    assert!(
        out.status.success(),
        "script failed:\n{}\n{}\nserver log:\n{}",
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr),
        s.log_text()
    );
    let v = s.query_in("strata-bucket", json!({"measurement": "py_cpu", "start": 1_700_000_000_000i64, "end": 1_700_000_010_000i64}));
    assert_eq!(
        v["data_points"][1],
        json!({"timestamp": 1_700_000_001_000i64, "tags": {"host": "h1", "region": "eu west"},
               "fields": {"usage": 11.5, "cores": 2, "ok": false, "note": "say \"hi\" 1"}}),
        "{v}"
    );
    assert_eq!(v["data_points"].as_array().unwrap().len(), 3);
    let v = s.query_in(
        "strata-bucket",
        json!({"measurement": "py_mem", "start": 0, "end": 1_800_000_000_000i64}),
    );
    let ts: Vec<_> = v["data_points"]
        .as_array()
        .unwrap()
        .iter()
        .map(|p| p["timestamp"].clone())
        .collect();
    assert_eq!(
        ts,
        vec![json!(1_700_000_000_000i64), json!(1_700_000_001_000i64)]
    );
}

#[test]
fn prometheus_remote_write_and_scrape() {
    let bin = Path::new("/usr/bin/prometheus");
    if !bin.exists() {
        skip("Prometheus (/usr/bin/prometheus; apt-get install prometheus)");
        return;
    }
    let s = Server::start(&[]);
    let dir = tempfile::tempdir().unwrap();
    let port = free_port();
    let config = dir.path().join("prometheus.yml");
    std::fs::write(
        &config,
        format!(
            "global:\n  scrape_interval: 1s\n  evaluation_interval: 1s\n\
             scrape_configs:\n\
             \x20 - job_name: prometheus\n    static_configs:\n      - targets: ['127.0.0.1:{port}']\n\
             \x20 - job_name: strata\n    static_configs:\n      - targets: ['{strata}']\n\
             remote_write:\n  - url: http://{strata}/api/v1/write\n    queue_config:\n\
             \x20     batch_send_deadline: 1s\n      min_backoff: 100ms\n      max_backoff: 1s\n",
            strata = s.addr
        ),
    )
    .unwrap();
    let log = std::fs::File::create(dir.path().join("prometheus.log")).unwrap();
    let child = Command::new(bin)
        .arg(format!("--config.file={}", config.display()))
        .arg(format!(
            "--storage.tsdb.path={}",
            dir.path().join("tsdb").display()
        ))
        .arg(format!("--web.listen-address=127.0.0.1:{port}"))
        .stdout(Stdio::null())
        .stderr(log)
        .spawn()
        .unwrap();
    let _reaper = Reaper(child);
    let prom_log =
        || std::fs::read_to_string(dir.path().join("prometheus.log")).unwrap_or_default();
    let all = |m: &str| s.query(json!({"measurement": m, "start": 0, "end": i64::MAX / 1_000_000}));
    // `up` for both jobs, sent by remote write.
    let got = wait_for(Duration::from_secs(120), || {
        let v = all("up");
        let jobs: Vec<String> = v["data_points"]
            .as_array()?
            .iter()
            .filter_map(|p| p["tags"]["job"].as_str().map(str::to_string))
            .collect();
        (jobs.iter().any(|j| j == "prometheus") && jobs.iter().any(|j| j == "strata")).then_some(v)
    });
    let v = got.unwrap_or_else(|| {
        panic!(
            "no `up` samples from Prometheus\nprometheus log:\n{}\nstrata log:\n{}",
            prom_log(),
            s.log_text()
        )
    });
    let up_strata = v["data_points"]
        .as_array()
        .unwrap()
        .iter()
        .find(|p| p["tags"]["job"] == "strata")
        .unwrap()
        .clone();
    assert_eq!(
        up_strata["fields"]["value"],
        json!(1.0),
        "Prometheus could not scrape /metrics: {up_strata}"
    );
    // Our own metrics made the round trip: scraped by Prometheus, written back to us.
    let got = wait_for(Duration::from_secs(60), || {
        let v = all("strata_points_written_total");
        (!v["data_points"].as_array()?.is_empty()).then_some(())
    });
    assert!(
        got.is_some(),
        "strata_points_written_total never came back\n{}",
        prom_log()
    );
    let v = s
        .post_json(
            "/api/v1/series",
            &json!({"measurement": "prometheus_build_info"}),
        )
        .json();
    assert!(v["count"].as_u64().unwrap_or(0) >= 1, "{v}");
}
