//! The defects a hostile probe found in the release binary, each driven the way the probe
//! drove it, kept for good (issue 11): a point at `i64::MAX`, points at both ends of the
//! range through flush and compaction, made-up HTTP methods inflating `/metrics`, slow and
//! idle clients, the connection cap, `mean` of huge values, duplicate field keys, two token
//! sources, and deleted series that linger. (A full disk has its own file, `full_disk.rs`.)

mod common;

use std::io::{Read, Write};
use std::net::TcpStream;
use std::time::{Duration, Instant};

use common::{Server, run_cli, wait_for};
use serde_json::json;

/// The value of an unlabelled metric in `/metrics`.
fn metric(s: &Server, name: &str) -> f64 {
    let text = s.get("/metrics").body;
    text.lines()
        .find_map(|l| l.strip_prefix(name)?.strip_prefix(' ')?.parse().ok())
        .unwrap_or_else(|| panic!("no {name} in /metrics"))
}

#[test]
fn points_at_the_ends_of_the_range_flush_compact_and_read_back() {
    let mut s = Server::start(&[]);
    // i64::MAX is outside InfluxDB's (and now our) range: a clear 400, nothing stored.
    let r = s.post("/write", "text/plain", b"poison v=1 9223372036854775807");
    let (code, msg) = r.error(400);
    assert_eq!(code, "invalid_point", "{msg}");
    assert!(msg.contains("outside the supported range"), "{msg}");
    // The ends of the supported range are accepted, and flush and compact normally.
    s.write_ok(
        "/write",
        "text/plain",
        "edge v=1 9223372036854775806\nedge v=2 -9223372036854775806\nedge v=3 0\n",
    );
    let r = s.post("/api/v1/admin/compact", "application/json", b"");
    assert_eq!(r.status, 200, "{}", r.body);
    assert!(metric(&s, "strata_flushes_total") >= 1.0);
    assert!(metric(&s, "strata_compactions_total") >= 1.0);
    assert_eq!(s.get("/ready").body, r#"{"status":"ready"}"#);
    // "Until forever" ranges are filters: clamped, answered.
    for (precision, start, end) in [
        ("ns", i64::MIN, i64::MAX),
        ("ms", -(1i64 << 53), 1i64 << 53),
    ] {
        let r = s.post_json(
            &format!("/query?precision={precision}"),
            &json!({"measurement": "edge", "start": start, "end": end, "format": "series"}),
        );
        assert_eq!(r.status, 200, "{}", r.body);
        let v = r.json();
        let want = match precision {
            "ns" => json!([-9223372036854775806i64, 0, 9223372036854775806i64]),
            _ => json!([-9223372036855i64, 0, 9223372036854i64]),
        };
        assert_eq!(v["series"][0]["timestamps"], want, "{v}");
    }
    let v = s.query(
        json!({"measurement": "edge", "start": -(1i64 << 53), "end": 1i64 << 53,
        "aggregate": {"function": "count", "every": 86_400_000}}),
    );
    assert_eq!(v["data_points"].as_array().unwrap().len(), 3, "{v}");
    // The flusher is not stuck: shutdown is prompt and a restart replays nothing odd.
    let t = Instant::now();
    assert!(s.stop().success());
    assert!(t.elapsed() < Duration::from_secs(10));
    s.restart();
    let v = s.query(json!({"measurement": "edge", "start": -(1i64 << 53), "end": 1i64 << 53}));
    assert_eq!(v["data_points"].as_array().unwrap().len(), 3, "{v}");
}

#[test]
fn made_up_methods_do_not_grow_metrics() {
    let s = Server::start(&["--auth-token", "secret"]);
    let before = s.get("/metrics").body.len();
    let method = "X".repeat(4000);
    for _ in 0..300 {
        let mut c = TcpStream::connect(&s.addr).unwrap();
        write!(
            c,
            "{method} /health HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n"
        )
        .unwrap();
        let mut sink = Vec::new();
        let _ = c.read_to_end(&mut sink);
    }
    let text = s.get("/metrics").body;
    assert!(
        text.len() < before + 4096,
        "/metrics grew from {before} to {} bytes",
        text.len()
    );
    assert!(!text.contains("XXXX"), "a made-up method became a label");
    assert!(text.contains("method=\"other\""), "counted as other");
}

/// A raw connection, for clients that misbehave.
fn connect(s: &Server) -> TcpStream {
    let c = TcpStream::connect(&s.addr).unwrap();
    c.set_read_timeout(Some(Duration::from_secs(20))).unwrap();
    c
}

/// Reads until the server closes the connection; the bytes it sent.
fn until_closed(c: &mut TcpStream) -> Vec<u8> {
    let mut out = Vec::new();
    let mut buf = [0u8; 4096];
    loop {
        match c.read(&mut buf) {
            Ok(0) | Err(_) => return out,
            Ok(n) => out.extend_from_slice(&buf[..n]),
        }
    }
}

#[test]
fn slow_headers_slow_bodies_and_idle_connections_are_cut_off() {
    let mut s = Server::start(&[
        "--header-timeout",
        "1s",
        "--body-timeout",
        "1s",
        "--idle-timeout",
        "2s",
    ]);
    // Headers a byte at a time, every 300 ms: closed soon after the header timeout.
    let mut c = connect(&s);
    let t = Instant::now();
    let slow =
        b"GET /health HTTP/1.1\r\nHost: x\r\nX-Slow: aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa\r\n\r\n";
    for &b in slow.iter() {
        if c.write_all(&[b]).is_err() {
            break;
        }
        std::thread::sleep(Duration::from_millis(300));
        if t.elapsed() > Duration::from_secs(6) {
            break;
        }
    }
    let answered = until_closed(&mut c);
    assert!(
        t.elapsed() < Duration::from_secs(6),
        "slow headers kept for {:?}",
        t.elapsed()
    );
    assert!(answered.is_empty(), "slow headers were answered");

    // 2 of 100 declared body bytes: a 408 once the body timeout passes, then closed.
    let mut c = connect(&s);
    let t = Instant::now();
    c.write_all(b"POST /write HTTP/1.1\r\nHost: x\r\nContent-Type: text/plain\r\nContent-Length: 100\r\n\r\nm ")
        .unwrap();
    let answer = String::from_utf8_lossy(&until_closed(&mut c)).into_owned();
    assert!(answer.starts_with("HTTP/1.1 408"), "{answer}");
    assert!(answer.contains("request_timeout"), "{answer}");
    assert!(t.elapsed() < Duration::from_secs(6));

    // A keep-alive connection left idle after a request is closed after the idle timeout.
    let mut c = connect(&s);
    c.write_all(b"GET /health HTTP/1.1\r\nHost: x\r\n\r\n")
        .unwrap();
    let mut buf = [0u8; 1024];
    let n = c.read(&mut buf).unwrap();
    assert!(String::from_utf8_lossy(&buf[..n]).starts_with("HTTP/1.1 200"));
    let t = Instant::now();
    assert!(until_closed(&mut c).is_empty());
    let idle = t.elapsed();
    assert!(
        idle >= Duration::from_millis(1500) && idle < Duration::from_secs(6),
        "idle connection closed after {idle:?}"
    );

    // SIGTERM does not wait for a client stuck sending headers.
    let mut stuck = connect(&s);
    stuck.write_all(b"GET /health HTTP/1.1\r\n").unwrap();
    let t = Instant::now();
    assert!(s.stop().success());
    assert!(
        t.elapsed() < Duration::from_secs(3),
        "shutdown took {:?}",
        t.elapsed()
    );
}

#[test]
fn connections_beyond_the_cap_wait_until_one_closes() {
    let s = Server::start(&["--max-connections", "3", "--header-timeout", "30s"]);
    let held: Vec<TcpStream> = (0..3).map(|_| connect(&s)).collect();
    // Let the server accept the three.
    std::thread::sleep(Duration::from_millis(300));
    let mut late = connect(&s);
    late.set_read_timeout(Some(Duration::from_millis(700)))
        .unwrap();
    late.write_all(b"GET /health HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n")
        .unwrap();
    let mut buf = [0u8; 256];
    assert!(
        late.read(&mut buf).is_err(),
        "a fourth connection was served past the cap of three"
    );
    drop(held);
    late.set_read_timeout(Some(Duration::from_secs(10)))
        .unwrap();
    let answer = String::from_utf8_lossy(&until_closed(&mut late)).into_owned();
    assert!(answer.starts_with("HTTP/1.1 200"), "{answer}");
}

#[test]
fn mean_of_huge_values_is_finite() {
    let s = Server::start(&[]);
    s.write_ok(
        "/write?precision=ms",
        "text/plain",
        "big v=1.7e308 1000\nbig v=1.7e308 2000\n",
    );
    let v = s.query(json!({"measurement": "big", "start": 0, "end": 10_000,
        "aggregate": {"function": "mean"}}));
    assert_eq!(v["data_points"][0]["fields"]["v"], json!(1.7e308), "{v}");
}

#[test]
fn duplicate_field_keys_are_refused_in_both_formats() {
    let s = Server::start(&[]);
    let r = s.post("/write", "text/plain", b"dup v=1,v=\"s\"");
    let (code, msg) = r.error(400);
    assert_eq!(code, "invalid_line_protocol");
    assert!(msg.contains("duplicate field \"v\""), "{msg}");
    let r = s.post_json(
        "/write",
        &json!([{"measurement": "dup", "fields": {"v": 1}},
               {"measurement": "dup", "fields": {"w": 1}}]),
    );
    assert_eq!(r.status, 204, "{}", r.body);
    let body = br#"{"measurement": "dup", "fields": {"v": 1, "v": 2}}"#;
    let r = s.post("/write", "application/json", body);
    let (code, msg) = r.error(400);
    assert_eq!(code, "invalid_json", "{msg}");
    assert!(msg.contains("duplicate field"), "{msg}");
    // The refused line fixed no type: `v` is still a float.
    s.write_ok("/write", "text/plain", "dup v=2 1");
}

#[test]
fn two_token_sources_refuse_to_start() {
    let dir = tempfile::tempdir().unwrap();
    let file = dir.path().join("token");
    std::fs::write(&file, "from-file\n").unwrap();
    let data = dir.path().join("data");
    let (ok, _out, err) = run_cli(&[
        "serve",
        "--data-dir",
        data.to_str().unwrap(),
        "--http-addr",
        "127.0.0.1:0",
        "--auth-token",
        "flag",
        "--auth-token-file",
        file.to_str().unwrap(),
    ]);
    assert!(!ok, "started with both token sources");
    assert!(
        err.contains("--auth-token") && err.contains("--auth-token-file"),
        "{err}"
    );
}

#[test]
fn deleting_every_point_forgets_the_series_after_compaction() {
    let s = Server::start(&[]);
    s.write_ok(
        "/write?precision=ms",
        "text/plain",
        "gone,host=a v=1 1000\ngone,host=b v=2 2000\nkept,host=c v=3 3000\n",
    );
    s.post("/api/v1/admin/compact", "application/json", b"");
    let r = s.post_json(
        "/api/v1/delete",
        &json!({"measurement": "gone", "start": 0, "end": 1_000_000}),
    );
    assert_eq!(r.status, 200, "{}", r.body);
    assert_eq!(r.json()["matched_series"], 2);
    let r = s.post("/api/v1/admin/compact", "application/json", b"");
    assert_eq!(r.status, 200, "{}", r.body);
    let series = s.post_json("/api/v1/series", &json!({"measurement": "gone"}));
    assert_eq!(series.json()["count"], 0, "{}", series.body);
    let m = s.get("/api/v1/measurements").json();
    assert_eq!(m["measurements"], json!(["kept"]), "{m}");
    assert_eq!(metric(&s, "strata_series"), 1.0);
    wait_for(Duration::from_secs(5), || {
        (metric(&s, "strata_tombstones") == 0.0).then_some(())
    })
    .expect("the tombstones were reclaimed");
    // The old field type went with the measurement.
    s.write_ok(
        "/write?precision=ms",
        "text/plain",
        "gone,host=a v=\"text\" 5000",
    );
}
