//! The web console in a real browser: headless Chromium (Debian's `chromium` and
//! `chromium-driver`) driven over WebDriver by `clients/console_browser.py` (selenium), against
//! the real server. The page loads with no console errors, the measurements written before
//! appear, queries in all three languages draw the expected series and tables, rejected
//! queries show the API's message, a 10,000-point result is drawn (its draw time printed for
//! BENCHMARKS.md), and with a token configured nothing loads until it is given. Screenshots go
//! to a temporary directory, or to `docs/` with `STRATA_SCREENSHOTS=docs`.
//!
//! Also, over plain HTTP: the assets' headers (CSP, ETag revalidation) and that they are
//! served without the token while the API is not.

mod common;

use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};

use common::{Server, now_ms, skip};

/// The measurements the browser expects: `cpu` (4 hosts in 2 regions, 600 points each, every
/// 5 s; fields `usage` float and `cores` integer), `mem` (one series) and `big` (one series
/// of 10,000 points), all within the last hour; `cpu` and `mem` flushed and compacted, `big`
/// still in the MemTable; and a second database, `telegraf`, holding `disk`.
fn fill(s: &Server) {
    let now = now_ms();
    let mut lp = String::new();
    for h in 0..4 {
        let region = if h < 2 { "eu" } else { "us" };
        for i in 0..600i64 {
            let ts = now - 3_000_000 + i * 5_000;
            let usage = 20.0 + 15.0 * h as f64 + 10.0 * (i as f64 / 60.0 + h as f64).sin();
            lp.push_str(&format!(
                "cpu,host=h{h},region={region} usage={usage},cores={}i {ts}\n",
                4 + i
            ));
        }
    }
    for i in 0..10i64 {
        // A tag value that is markup: the console must show it as text.
        lp.push_str(&format!(
            "mem,host=<img\\ src\\=x\\ onerror\\=alert(1)> used={}i {}\n",
            i * 1000,
            now - i * 60_000
        ));
    }
    s.write_ok("/write?precision=ms", "text/plain", &lp);
    // Flushed and compacted, so the status page has SSTables and partitions to show.
    assert_eq!(
        s.post("/api/v1/admin/compact", "application/json", b"")
            .status,
        200
    );
    lp.clear();
    for i in 0..10_000i64 {
        let v = ((i as f64) / 300.0).sin() * 100.0;
        lp.push_str(&format!("big value={v} {}\n", now - 3_000_000 + i * 300));
    }
    s.write_ok("/write?precision=ms", "text/plain", &lp);
    s.write_ok("/write?db=telegraf", "text/plain", "disk,path=/ free=1i");
}

/// Whether selenium, Chromium and its driver are installed.
fn browser_installed() -> bool {
    let selenium = Command::new("python3")
        .args(["-c", "import selenium"])
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .status()
        .is_ok_and(|s| s.success());
    selenium
        && Path::new("/usr/bin/chromium").exists()
        && Path::new("/usr/bin/chromedriver").exists()
}

fn script() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/clients/console_browser.py")
}

/// Runs the browser script; its JSON line on success, a panic with its output otherwise.
fn drive(s: &Server, args: &[&str]) -> serde_json::Value {
    let out = Command::new("python3")
        .arg(script())
        .args(args)
        .output()
        .unwrap();
    let stdout = String::from_utf8_lossy(&out.stdout);
    assert!(
        out.status.success(),
        "browser check failed:\n{stdout}\n{}\nserver log:\n{}",
        String::from_utf8_lossy(&out.stderr),
        s.log_text()
    );
    let line = stdout.lines().last().unwrap_or_default();
    serde_json::from_str(line).unwrap_or_else(|e| panic!("{e}: {stdout}"))
}

#[test]
fn console_in_a_real_browser() {
    if !browser_installed() {
        skip("python3 selenium with Debian's chromium and chromium-driver");
        return;
    }
    let dir = tempfile::tempdir().unwrap();
    // With a cold tier (a local directory), so the status page shows its exporter.
    let cold = format!("file://{}", dir.path().join("cold").display());
    let s = Server::start(&["--object-store", &cold]);
    fill(&s);
    let shots = match std::env::var("STRATA_SCREENSHOTS").as_deref() {
        Ok("docs") => Path::new(env!("CARGO_MANIFEST_DIR")).join("../../docs"),
        _ => dir.path().to_path_buf(),
    };
    let url = s.url("");
    let out = drive(&s, &["open", &url, &shots.display().to_string()]);
    eprintln!("console measurements: {out}");
    for name in [
        "console-explore.png",
        "console-query.png",
        "console-status.png",
    ] {
        let len = std::fs::metadata(shots.join(name)).map_or(0, |m| m.len());
        assert!(len > 10_000, "{name}: {len} bytes");
    }
    assert!(out["draw_10k_points_ms"].as_f64().is_some(), "{out}");
    assert!(
        out["first_load_bytes"]
            .as_u64()
            .is_some_and(|b| b < 200 * 1024),
        "{out}"
    );
}

#[test]
fn console_with_a_token_loads_nothing_until_it_is_given() {
    if !browser_installed() {
        skip("python3 selenium with Debian's chromium and chromium-driver");
        return;
    }
    let s = Server::start(&["--auth-token", "console-secret"]);
    s.write_ok(
        "/write",
        "text/plain",
        "cpu,host=a usage=1 1700000000000000000",
    );
    drive(&s, &["token", &s.url(""), "console-secret"]);
}

#[test]
fn console_assets_are_served_with_their_headers() {
    let s = Server::start(&["--auth-token", "t"]);
    // A wrong token still gets the page (the assets hold no data) ...
    let wrong = ("Authorization", "Bearer wrong");
    let page = s.request("GET", "/", &[wrong], None);
    assert_eq!(page.status, 200, "{}", page.body);
    assert!(page.body.contains("<title>Strata console</title>"));
    assert_eq!(
        page.header("content-type"),
        Some("text/html; charset=utf-8")
    );
    let csp = page.header("content-security-policy").unwrap_or_default();
    assert!(
        csp.contains("script-src 'self'") && !csp.contains("unsafe"),
        "{csp}"
    );
    assert_eq!(page.header("x-content-type-options"), Some("nosniff"));
    let etag = page.header("etag").unwrap_or_default().to_string();
    assert!(etag.starts_with('"'), "{etag}");
    let again = s.request("GET", "/", &[wrong, ("If-None-Match", &etag)], None);
    assert_eq!(again.status, 304);
    assert!(again.body.is_empty());

    let js = s.request("GET", "/console/js/main.js", &[wrong], None);
    assert_eq!(js.status, 200);
    assert_eq!(
        js.header("content-type"),
        Some("text/javascript; charset=utf-8")
    );
    let missing = s.request("GET", "/console/js/nope.js", &[wrong], None);
    assert_eq!(missing.error(404).0, "not_found");
    // ... but not the API.
    assert_eq!(
        s.request("GET", "/api/v1/databases", &[wrong], None).status,
        401
    );
    let dbs = s.get("/api/v1/databases");
    assert_eq!(
        dbs.json(),
        serde_json::json!({"databases": ["default"]}),
        "{}",
        dbs.body
    );
}

#[test]
fn console_metadata_and_status_endpoints() {
    let s = Server::start(&[]);
    let mut lp = String::new();
    for h in 0..5 {
        for dc in 0..2 {
            lp.push_str(&format!(
                "cpu,host=h{h},dc=d{dc} usage=1,cores=2i,ok=true,note=\"x\" 1700000000000000000\n"
            ));
        }
    }
    lp.push_str("mem,host=h0 used=1u 1700000000000000000\n");
    s.write_ok("/write", "text/plain", &lp);
    s.write_ok(
        "/write?db=other",
        "text/plain",
        "disk free=1 1700000000000000000",
    );

    let f = s.get("/api/v1/fields?measurement=cpu").json();
    assert_eq!(
        f["fields"],
        serde_json::json!([
            {"name": "cores", "type": "integer"}, {"name": "note", "type": "string"},
            {"name": "ok", "type": "boolean"}, {"name": "usage", "type": "float"}]),
        "{f}"
    );
    let f = s.get("/api/v1/fields?measurement=mem").json();
    assert_eq!(f["fields"][0]["type"], "unsigned", "{f}");
    assert_eq!(
        s.get("/api/v1/fields?measurement=nope").json()["fields"],
        serde_json::json!([])
    );
    assert_eq!(s.get("/api/v1/fields").error(400).0, "missing_parameter");

    let c = s.get("/api/v1/cardinality?top=1").json();
    assert_eq!(c["series"], 11, "{c}");
    assert_eq!(c["measurement_count"], 2, "{c}");
    assert_eq!(
        c["measurements"],
        serde_json::json!([{"measurement": "cpu", "series": 10}])
    );
    let c = s.get("/api/v1/cardinality?measurement=cpu&top=2").json();
    assert_eq!(c["measurement_series"], 10, "{c}");
    assert_eq!(
        c["tags"],
        serde_json::json!([
            {"key": "dc", "values": 2, "top": [{"value": "d0", "series": 5}, {"value": "d1", "series": 5}]},
            {"key": "host", "values": 5, "top": [{"value": "h0", "series": 2}, {"value": "h1", "series": 2}]}]),
        "{c}"
    );
    assert_eq!(
        s.get("/api/v1/cardinality?top=-1").error(400).0,
        "invalid_parameter"
    );
    let other = s.get("/api/v1/cardinality?db=other").json();
    assert_eq!(other["series"], 1, "{other}");
    assert_eq!(
        s.get("/api/v1/cardinality?db=nope").error(404).0,
        "database_not_found"
    );
    assert_eq!(
        s.get("/api/v1/databases").json(),
        serde_json::json!({"databases": ["default", "other"]})
    );

    // Status: per database, SSTables per level and partition once flushed.
    assert_eq!(
        s.post("/api/v1/admin/compact", "application/json", b"")
            .status,
        200
    );
    let st = s.get("/api/v1/status").json();
    let dbs = st["databases"].as_array().unwrap();
    assert_eq!(dbs.len(), 2, "{st}");
    let d = &dbs[0];
    assert_eq!(d["name"], "default");
    assert_eq!(d["read_only"], serde_json::Value::Null);
    assert_eq!(d["points_written"], 41, "{d}");
    assert_eq!(d["series"], 11, "{d}");
    assert_eq!(d["levels"][1]["level"], "L1", "{d}");
    assert!(d["levels"][1]["files"].as_u64().unwrap() >= 1, "{d}");
    let p = &d["partitions"][0];
    assert!(
        p["start_ns"].as_i64().unwrap() <= 1_700_000_000_000_000_000,
        "{d}"
    );
    assert_eq!(p["levels"][0]["level"], "L1", "{d}");
    assert_eq!(p["levels"][0]["points"], 41, "{d}");
    assert!(d["jobs"]["flush"]["failures"] == 0, "{d}");
    assert!(st["uptime_seconds"].as_f64().unwrap() > 0.0);
    let one = s.get("/api/v1/status?db=other").json();
    assert_eq!(one["databases"].as_array().unwrap().len(), 1);
    assert_eq!(one["databases"][0]["name"], "other");
    assert_eq!(
        s.get("/api/v1/status?db=nope").error(404).0,
        "database_not_found"
    );
}
