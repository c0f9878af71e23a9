//! Queries of the cold tier against a real S3 server (`s3s-fs`, see cold_tier.rs): with
//! `--local-retention`, exported partitions lose their local copy and are read back from the
//! store through the local cache. Every front end (JSON, PromQL, InfluxQL) answers exactly
//! as it did while the data was local, across a restart, a late write, a delete and a cache
//! too small for any file; a truncated object is reported, never read; the store stopped
//! makes cold queries a 503 in each protocol while local queries still answer.

mod common;

use std::path::{Path, PathBuf};

use common::Server;
use common::s3::{BUCKET, S3};
use serde_json::{Value, json};

/// 2024-01-01T00:00:00Z (ns).
const DAY0: i64 = 1_704_067_200_000_000_000;
const DAY: i64 = 86_400_000_000_000;
const STEP: i64 = 60_000_000_000;

fn enc(s: &str) -> String {
    form_urlencoded::byte_serialize(s.as_bytes()).collect()
}

/// `count` points per host every minute from `start`, hosts h0..h3, with a float, an
/// integer, an unsigned, a boolean and a string field (nulls where `i % 5 == 0` lacks some).
fn lines(start: i64, count: i64) -> String {
    let mut lp = String::new();
    for h in 0..4 {
        for i in 0..count {
            let ts = start + i * STEP;
            let usage = (h * 100 + i % 97) as f64 / 4.0;
            lp.push_str(&format!(
                "cpu,host=h{h},dc=d{} usage={usage},cores={}i",
                h % 2,
                i % 8
            ));
            if i % 5 != 0 {
                lp.push_str(&format!(
                    ",ticks={}u,up={},state=\"s{}\"",
                    i * 3,
                    i % 2 == 0,
                    i % 3
                ));
            }
            lp.push_str(&format!(" {ts}\n"));
        }
    }
    lp
}

/// What each front end answers over the three days.
fn answers(s: &Server) -> Value {
    let end = DAY0 + 3 * DAY;
    let raw = s.post_json(
        "/query?precision=ns",
        &json!({"measurement": "cpu", "filters": {"host": "h1"}, "start": DAY0, "end": end}),
    );
    assert_eq!(raw.status, 200, "{}", raw.body);
    let agg = s.post_json(
        "/query?precision=ns",
        &json!({"measurement": "cpu", "fields": ["usage", "cores"], "group_by": ["dc"],
                "aggregate": {"function": "mean", "every": 3_600_000_000_000i64},
                "start": DAY0, "end": end}),
    );
    assert_eq!(agg.status, 200, "{}", agg.body);
    let promql = s.get(&format!(
        "/api/v1/query_range?query={}&start={}&end={}&step=900",
        enc("sum by (dc) (rate(cpu_ticks[10m]))"),
        DAY0 / 1_000_000_000,
        end / 1_000_000_000
    ));
    assert_eq!(promql.status, 200, "{}", promql.body);
    let influxql = s.get(&format!(
        "/query?db=default&epoch=ns&q={}",
        enc(&format!(
            "SELECT max(usage), count(state) FROM cpu WHERE time >= {DAY0} AND time < {end} GROUP BY time(6h), host"
        ))
    ));
    assert_eq!(influxql.status, 200, "{}", influxql.body);
    json!({"raw": raw.json(), "aggregate": agg.json(), "promql": promql.json(),
           "influxql": influxql.json()})
}

fn post_ok(s: &Server, path: &str) -> Value {
    let r = s.post(path, "application/json", b"");
    assert_eq!(r.status, 200, "{path}: {}\n{}", r.body, s.log_text());
    r.json()
}

/// Files of the local cold cache.
fn cache_files(data: &Path) -> Vec<PathBuf> {
    std::fs::read_dir(data.join("cold-cache"))
        .map(|d| d.map(|e| e.unwrap().path()).collect())
        .unwrap_or_default()
}

#[test]
fn queries_span_local_and_cold_partitions() {
    let dir = tempfile::tempdir().unwrap();
    let Some(mut s3) = S3::start_or_skip(&dir.path().join("s3")) else {
        return;
    };
    let env = s3.env();
    let env = S3::env_pairs(&env);
    let url = format!("s3://{BUCKET}/tier");
    let data = dir.path().join("data");
    let flags = |cache: &'static str| {
        vec![
            "--object-store".to_string(),
            url.clone(),
            "--cold-after".into(),
            "1h".into(),
            "--local-retention".into(),
            "2h".into(),
            "--cold-grace".into(),
            "0s".into(),
            "--cold-cache-bytes".into(),
            cache.into(),
        ]
    };
    let start = |cache: &'static str| {
        let f = flags(cache);
        let f: Vec<&str> = f.iter().map(String::as_str).collect();
        Server::start_on_with_env(&data, &f, dir.path(), &env)
    };
    let mut s = start("64MiB");
    for day in 0..3 {
        s.write_ok("/write", "text/plain", &lines(DAY0 + day * DAY, 1440));
    }
    post_ok(&s, "/api/v1/admin/compact");
    let local = answers(&s);
    assert_eq!(
        local["raw"]["data_points"].as_array().unwrap().len(),
        3 * 1440
    );

    // Exported, then the local copies go (the partitions ended long before 2 h ago).
    let r = post_ok(&s, "/api/v1/admin/export");
    assert_eq!(r["databases"][0]["generation"], 1, "{r}");
    assert_eq!(r["databases"][0]["offloaded"], 3, "{r}");
    let status = s.get("/api/v1/status").json();
    let levels = status["databases"][0]["levels"].to_string();
    assert_eq!(status["cold"]["offloaded"], 3, "{status}");
    let compacted = post_ok(&s, "/api/v1/admin/compact");
    assert_eq!(compacted["files_per_level"][1], 0, "{compacted} {levels}");
    assert_eq!(answers(&s), local, "answers from the cold tier differ");
    let cache = s.get("/api/v1/status").json()["cold"]["cache"].clone();
    assert_eq!(cache["fetched"], 3, "{cache}");
    assert_eq!(cache_files(&data).len(), 3);
    // Nothing more to export or drop.
    let r = post_ok(&s, "/api/v1/admin/export");
    assert_eq!(r["databases"][0]["generation"], Value::Null, "{r}");

    // A restart: the series are still known (the cold listings), the cache is reused.
    s.restart();
    assert_eq!(answers(&s), local, "after a restart");
    let cache = s.get("/api/v1/status").json()["cold"]["cache"].clone();
    assert_eq!(
        (cache["fetched"].as_u64(), cache["disk_hits"].as_u64()),
        (Some(0), Some(3)),
        "{cache}"
    );
    let series = s.get("/api/v1/series?match[]=cpu_usage").json();
    assert_eq!(series["data"].as_array().unwrap().len(), 4, "{series}");

    // A late write to an offloaded day merges over the cold rows at once, and is exported
    // again (generation 2) with the cold rows, then offloaded again.
    let late = DAY0 + DAY + 31 * STEP;
    s.write_ok(
        "/write",
        "text/plain",
        &format!("cpu,host=h1,dc=d1 usage=-1,cores=99i {late}\ncpu,host=h9,dc=d1 usage=5 {late}"),
    );
    let with_late = answers(&s);
    let points = with_late["raw"]["data_points"].as_array().unwrap().clone();
    assert_eq!(points.len(), 3 * 1440, "an overwrite, not a new point");
    let p = points
        .iter()
        .find(|p| p["timestamp"].as_i64() == Some(late))
        .unwrap();
    assert_eq!(p["fields"]["usage"], -1.0, "{p}");
    assert_eq!(p["fields"]["cores"], 99, "{p}");
    assert_eq!(p["fields"]["ticks"], 93, "the other fields stay: {p}");
    post_ok(&s, "/api/v1/admin/compact");
    let r = post_ok(&s, "/api/v1/admin/export");
    assert_eq!(r["databases"][0]["generation"], 2, "{r}");
    assert_eq!(r["databases"][0]["offloaded"], 1, "{r}");
    assert_eq!(r["databases"][0]["files"][0]["rows"], 4 * 1440 + 1, "{r}");
    assert_eq!(answers(&s), with_late, "after the re-export");

    // A delete hides cold rows too.
    let d = s.post_json(
        "/api/v1/delete?precision=ns",
        &json!({"measurement": "cpu", "filters": {"host": "h1"}, "start": DAY0, "end": DAY0 + 60 * STEP}),
    );
    assert_eq!(d.status, 200, "{}", d.body);
    let after_delete = answers(&s);
    assert_eq!(
        after_delete["raw"]["data_points"].as_array().unwrap().len(),
        3 * 1440 - 60
    );

    // A cache too small for any file: every answer still right, nothing kept on disk.
    s.stop();
    std::fs::remove_dir_all(data.join("cold-cache")).unwrap();
    let mut s = start("1KiB");
    assert_eq!(answers(&s), after_delete, "with a full cache");
    assert!(cache_files(&data).is_empty());

    // A truncated object is reported, never read as data.
    s.stop();
    let object = dir.path().join("s3").join(BUCKET).join(format!(
        "tier/default/cpu/date=2024-01-03/part-{}-1.parquet",
        DAY0 + 2 * DAY
    ));
    let whole = std::fs::read(&object).unwrap();
    std::fs::write(&object, &whole[..whole.len() / 2]).unwrap();
    s = start("64MiB");
    let r = s.post_json(
        "/query?precision=ns",
        &json!({"measurement": "cpu", "start": DAY0 + 2 * DAY, "end": DAY0 + 3 * DAY}),
    );
    let (code, message) = r.error(500);
    assert_eq!(code, "corrupt_data");
    assert!(
        message.contains("part-") && message.contains("truncated"),
        "{message}"
    );
    // The days whose files are whole still answer.
    let r = s.post_json(
        "/query?precision=ns",
        &json!({"measurement": "cpu", "start": DAY0, "end": DAY0 + DAY}),
    );
    assert_eq!(r.status, 200, "{}", r.body);
    std::fs::write(&object, &whole).unwrap();

    // The store stopped: cold queries are a 503 in every protocol (the cache is empty after
    // a restart without it), local ones answer.
    s.stop();
    std::fs::remove_dir_all(data.join("cold-cache")).unwrap();
    s3.stop();
    s = start("64MiB");
    let now_ns = common::now_ms() * 1_000_000;
    s.write_ok(
        "/write",
        "text/plain",
        &format!("mem,host=h1 used=1 {now_ns}"),
    );
    let r = s.post_json(
        "/query?precision=ns",
        &json!({"measurement": "mem", "start": now_ns - DAY, "end": now_ns + 1}),
    );
    assert_eq!(r.status, 200, "{}", r.body);
    let r = s.post_json(
        "/query?precision=ns",
        &json!({"measurement": "cpu", "start": DAY0, "end": DAY0 + 3 * DAY}),
    );
    let (code, message) = r.error(503);
    assert_eq!(code, "object_store_unavailable");
    assert!(message.contains(&url), "{message}");
    assert!(r.header("retry-after").is_some());
    let r = s.get(&format!(
        "/api/v1/query?query=cpu_usage&time={}",
        (DAY0 + DAY) / 1_000_000_000
    ));
    assert_eq!(r.status, 503, "{}", r.body);
    let v = r.json();
    assert_eq!(
        (v["status"].as_str(), v["errorType"].as_str()),
        (Some("error"), Some("unavailable")),
        "{v}"
    );
    let r = s.get(&format!(
        "/query?db=default&q={}",
        enc("SELECT count(usage) FROM cpu")
    ));
    assert_eq!(r.status, 503, "{}", r.body);
    assert!(
        r.json()["error"].as_str().unwrap().contains(&url),
        "{}",
        r.body
    );

    // Back: the same answers as before.
    s3.restart();
    assert_eq!(answers(&s), after_delete, "once the store is back");
}

#[test]
fn local_retention_without_an_object_store_stops_startup() {
    let err = common::serve_fails(&["--local-retention", "30d"]);
    assert!(
        err.contains("local_retention") && err.contains("object_store"),
        "{err}"
    );
}
