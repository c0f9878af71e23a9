//! The cold tier against a real S3 server: `s3s-fs` (crates.io, installed by
//! dev/setup-test-clients.sh) on a free loopback port, with credentials and endpoint given to
//! Strata only through the standard `AWS_*` environment. Sealed partitions are exported as
//! Parquet under a manifest; pyarrow, DuckDB and DataFusion read the files straight from the
//! server and answer a time-and-tag query exactly as Strata does; a late write is exported
//! again as a new generation; with the store stopped an export is a 503 naming it, nothing
//! local changes, and once it is back the export completes.

mod common;

use std::path::Path;
use std::process::Command;
use std::time::Duration;

use common::s3::{AK, BUCKET, S3, SK};
use common::{Server, skip};
use serde_json::{Value, json};

/// 2024-01-01T00:00:00Z (ns).
const DAY0: i64 = 1_704_067_200_000_000_000;
const DAY: i64 = 86_400_000_000_000;
const STEP: i64 = 60_000_000_000;

/// `count` points per host every minute from `start`, for hosts h0..h3.
fn lines(start: i64, count: i64) -> String {
    let mut lp = String::new();
    for h in 0..4 {
        for i in 0..count {
            let ts = start + i * STEP;
            let usage = (h * 100 + i % 97) as f64 / 4.0;
            lp.push_str(&format!(
                "cpu,host=h{h},dc=d{} usage={usage},cores={}i {ts}\n",
                h % 2,
                i % 8
            ));
        }
    }
    lp
}

fn strata_rows(s: &Server, host: &str, start: i64, end: i64) -> Vec<(i64, f64)> {
    let r = s.post_json(
        "/query?precision=ns",
        &json!({"measurement": "cpu", "filters": {"host": host}, "fields": ["usage"],
                "start": start, "end": end}),
    );
    assert_eq!(r.status, 200, "{}", r.body);
    r.json()["data_points"]
        .as_array()
        .unwrap()
        .iter()
        .map(|p| {
            (
                p["timestamp"].as_i64().unwrap(),
                p["fields"]["usage"].as_f64().unwrap(),
            )
        })
        .collect()
}

fn export(s: &Server) -> Value {
    let r = s.post("/api/v1/admin/export", "application/json", b"");
    assert_eq!(r.status, 200, "{}\n{}", r.body, s.log_text());
    r.json()
}

#[test]
fn cold_tier_on_a_real_s3_server() {
    let dir = tempfile::tempdir().unwrap();
    let Some(mut s3) = S3::start_or_skip(&dir.path().join("s3")) else {
        return;
    };
    let env = s3.env();
    let env = S3::env_pairs(&env);
    let url = format!("s3://{BUCKET}/tier");
    let s = Server::start_with_env(
        &[
            "--object-store",
            &url,
            "--cold-after",
            "1h",
            "--cold-grace",
            "0s",
        ],
        &env,
    );
    // Two days of the default database, one point of another.
    s.write_ok("/write", "text/plain", &lines(DAY0, 1440));
    s.write_ok("/write", "text/plain", &lines(DAY0 + DAY, 600));
    s.write_ok(
        "/write?db=telegraf",
        "text/plain",
        &format!("disk,path=/ free=1i {DAY0}"),
    );
    let before = strata_rows(&s, "h1", DAY0, DAY0 + 2 * DAY);
    assert_eq!(before.len(), 2040);

    // Nothing is compacted yet: nothing to export.
    let r = export(&s);
    assert_eq!(r["databases"][0]["generation"], Value::Null, "{r}");
    assert_eq!(
        s.post("/api/v1/admin/compact", "application/json", b"")
            .status,
        200
    );
    let r = export(&s);
    let default = &r["databases"][0];
    assert_eq!(default["database"], "default");
    assert_eq!(default["generation"], 1, "{r}");
    assert_eq!(default["partitions"], 2);
    let files = default["files"].as_array().unwrap();
    assert_eq!(files.len(), 2, "{r}");
    assert_eq!(
        files[0]["path"],
        format!("tier/default/cpu/date=2024-01-01/part-{DAY0}-1.parquet")
    );
    assert_eq!(files[0]["rows"], 4 * 1440);
    assert_eq!(files[0]["tags"]["host"], json!({"min": "h0", "max": "h3"}));
    assert_eq!(r["databases"][1]["database"], "telegraf");
    assert_eq!(r["databases"][1]["files"][0]["rows"], 1);
    // The objects are in the server's bucket.
    let on_disk = dir.path().join("s3").join(BUCKET).join("tier/default");
    assert!(
        on_disk
            .join(format!("cpu/date=2024-01-02/part-{}-1.parquet", DAY0 + DAY))
            .is_file()
    );
    assert!(
        on_disk
            .join("_strata/manifest-00000000000000000001.json")
            .is_file()
    );

    // Outside readers, straight from the S3 server, answer as Strata does.
    let (start, end) = (DAY0 + 600 * STEP, DAY0 + DAY + 300 * STEP);
    let want = strata_rows(&s, "h1", start, end);
    assert_eq!(want.len(), 840 + 300);
    let script = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/clients/cold_readers.py");
    let pyarrow = Command::new("python3")
        .args(["-c", "import pyarrow"])
        .status()
        .is_ok_and(|st| st.success());
    if !pyarrow {
        skip(
            "python3 pyarrow (pip install pyarrow duckdb==1.5.5 duckdb-extension-httpfs==1.5.5 datafusion)",
        );
    } else {
        let out = Command::new("python3")
            .arg(&script)
            .args([&s3.endpoint(), BUCKET, "tier/default/cpu", AK, SK, "h1"])
            .args([start.to_string(), end.to_string()])
            .output()
            .unwrap();
        assert!(
            out.status.success(),
            "readers failed:\n{}\n{}",
            String::from_utf8_lossy(&out.stdout),
            String::from_utf8_lossy(&out.stderr)
        );
        let v: Value = serde_json::from_slice(&out.stdout).unwrap();
        for (reader, rows) in v["readers"].as_object().unwrap() {
            let rows: Vec<(i64, f64)> = rows
                .as_array()
                .unwrap()
                .iter()
                .map(|r| (r[0].as_i64().unwrap(), r[1].as_f64().unwrap()))
                .collect();
            assert_eq!(rows, want, "{reader} disagrees with Strata");
        }
        let skipped = v["skipped"].as_array().unwrap();
        if std::env::var_os("CI").is_some() {
            assert!(
                skipped.is_empty(),
                "readers not installed under CI: {skipped:?}"
            );
        }
        eprintln!(
            "readers that agreed: {:?}",
            v["readers"].as_object().unwrap().keys().collect::<Vec<_>>()
        );
    }

    // A late write to the first day: exported again as generation 2; the old file is
    // superseded and (grace 0 s) deleted by the next export.
    s.write_ok(
        "/write",
        "text/plain",
        &format!(
            "cpu,host=h1,dc=d1 usage=0.5,cores=1i {}",
            DAY0 + 30_000_000_000
        ),
    );
    assert_eq!(
        s.post("/api/v1/admin/compact", "application/json", b"")
            .status,
        200
    );
    let r = export(&s);
    assert_eq!(r["databases"][0]["generation"], 2, "{r}");
    assert_eq!(r["databases"][0]["files"][0]["rows"], 4 * 1440 + 1);
    let old = on_disk.join(format!("cpu/date=2024-01-01/part-{DAY0}-1.parquet"));
    assert!(
        old.is_file(),
        "deleted before the grace period's next export"
    );

    // The store stopped: the export is a 503 naming it, nothing local changes.
    s3.stop();
    s.write_ok(
        "/write",
        "text/plain",
        &format!(
            "cpu,host=h2,dc=d0 usage=7,cores=2i {}",
            DAY0 + 90_000_000_000
        ),
    );
    assert_eq!(
        s.post("/api/v1/admin/compact", "application/json", b"")
            .status,
        200
    );
    let r = s.post("/api/v1/admin/export", "application/json", b"");
    let (code, message) = r.error(503);
    assert_eq!(code, "object_store_unavailable");
    assert!(message.contains(&url), "{message}");
    assert!(r.header("retry-after").is_some());
    assert_eq!(strata_rows(&s, "h1", DAY0, DAY0 + 2 * DAY).len(), 2041);
    let status = s.get("/api/v1/status").json();
    assert_eq!(status["cold"]["consecutive_failures"], 1, "{status}");
    assert!(
        status["cold"]["last_error"]
            .as_str()
            .unwrap()
            .contains(&url)
    );

    // Back: the export completes (generation 3) and deletes the superseded file.
    s3.restart();
    let r = export(&s);
    assert_eq!(r["databases"][0]["generation"], 3, "{r}");
    assert!(
        r["databases"][0]["deleted"]
            .as_array()
            .unwrap()
            .iter()
            .any(|d| d
                .as_str()
                .unwrap()
                .ends_with(&format!("part-{DAY0}-1.parquet"))),
        "{r}"
    );
    assert!(!old.exists());
    let status = s.get("/api/v1/status").json();
    assert_eq!(status["cold"]["consecutive_failures"], 0, "{status}");
    assert_eq!(status["cold"]["generations"]["default"], 3, "{status}");
}

#[test]
fn export_without_an_object_store_is_a_clear_error() {
    let s = Server::start(&[]);
    let (code, message) = s
        .post("/api/v1/admin/export", "application/json", b"")
        .error(400);
    assert_eq!(code, "object_store_not_configured");
    assert!(message.contains("--object-store"), "{message}");
    assert_eq!(s.get("/api/v1/status").json()["cold"], Value::Null);
}

#[test]
fn a_bad_object_store_url_stops_startup() {
    let err = common::serve_fails(&["--object-store", "ftp://nowhere/x"]);
    assert!(err.contains("unsupported scheme"), "{err}");
}

#[test]
fn a_kill_mid_export_leaves_local_data_authoritative_and_the_export_is_redone() {
    let dir = tempfile::tempdir().unwrap();
    let Some(s3) = S3::start_or_skip(&dir.path().join("s3")) else {
        return;
    };
    let env = s3.env();
    let env = S3::env_pairs(&env);
    let url = format!("s3://{BUCKET}/tier");
    let data = dir.path().join("data");
    let flags = [
        "--object-store",
        url.as_str(),
        "--cold-after",
        "1h",
        "--test-slow-export-ms",
        "1500",
    ];
    let mut s = Server::start_on_with_env(&data, &flags, dir.path(), &env);
    for day in 0..3 {
        s.write_ok("/write", "text/plain", &lines(DAY0 + day * DAY, 300));
    }
    assert_eq!(
        s.post("/api/v1/admin/compact", "application/json", b"")
            .status,
        200
    );
    let before = strata_rows(&s, "h1", DAY0, DAY0 + 3 * DAY);
    assert_eq!(before.len(), 900);

    // Export in the background; kill -9 once its first file is in the bucket.
    let export_url = s.url("/api/v1/admin/export");
    let exporting = std::thread::spawn(move || {
        let _ = common::agent().post(&export_url).send_empty();
    });
    let tier = dir.path().join("s3").join(BUCKET).join("tier/default");
    let first = tier.join(format!("cpu/date=2024-01-01/part-{DAY0}-1.parquet"));
    common::wait_for(Duration::from_secs(30), || first.is_file().then_some(()))
        .expect("the export never wrote its first file");
    let mut child = s.child.take().unwrap();
    child.kill().unwrap();
    child.wait().unwrap();
    let _ = exporting.join();
    // No manifest was committed: the files are not the cold tier's yet.
    assert!(
        !tier.join("_strata").exists()
            || std::fs::read_dir(tier.join("_strata"))
                .unwrap()
                .next()
                .is_none()
    );

    // Restarted: local data is all there, and the export is redone from scratch.
    s.restart();
    assert_eq!(strata_rows(&s, "h1", DAY0, DAY0 + 3 * DAY), before);
    let r = export(&s);
    assert_eq!(r["databases"][0]["generation"], 1, "{r}");
    assert_eq!(
        r["databases"][0]["files"].as_array().unwrap().len(),
        3,
        "{r}"
    );
    assert!(
        tier.join("_strata/manifest-00000000000000000001.json")
            .is_file()
    );
    for f in r["databases"][0]["files"].as_array().unwrap() {
        let p = dir
            .path()
            .join("s3")
            .join(BUCKET)
            .join(f["path"].as_str().unwrap());
        assert_eq!(
            std::fs::metadata(&p).unwrap().len(),
            f["bytes"].as_u64().unwrap()
        );
    }
}
