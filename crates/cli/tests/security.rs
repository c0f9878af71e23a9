//! Security basics against the real binary, route by route: with a token configured, every
//! route but `/health` answers 401 without it (the list of routes is read from the router's
//! source, so a new route cannot be forgotten here); every route that takes a body refuses one
//! over `max_body_bytes` (declared or chunked) and a gzip body that inflates past
//! `max_decompressed_bytes`; remote write refuses a snappy body that announces more than
//! `max_decompressed_bytes` before inflating it. Nothing refused is stored.

mod common;

use common::{Server, gzip};
use serde_json::json;

/// Every route the router declares, as (method, path template), read from its source.
fn declared_routes() -> Vec<(String, String)> {
    let src = std::fs::read_to_string(concat!(
        env!("CARGO_MANIFEST_DIR"),
        "/../server/src/routes/mod.rs"
    ))
    .unwrap();
    // Routes may span lines (rustfmt breaks long ones): read the source as one line.
    let flat: String = src.split_whitespace().collect::<Vec<_>>().join("");
    let mut routes = Vec::new();
    for part in flat.split(".route(\"").skip(1) {
        let (path, rest) = part.split_once('"').unwrap();
        let rest = rest.split(".fallback(").next().unwrap_or(rest);
        for method in ["get", "post", "put", "delete", "patch"] {
            if rest.contains(&format!("{method}(")) {
                routes.push((method.to_uppercase(), path.to_string()));
            }
        }
    }
    assert!(routes.len() >= 12, "found only {routes:?}");
    routes
}

/// A request that the route would accept with the token: (path with its parameters, body;
/// `None` for routes that take no body). A route added to the router without an entry here
/// fails the tests below: add one.
fn example(method: &str, path: &str) -> (String, Option<Vec<u8>>) {
    let body = |v: serde_json::Value| Some(v.to_string().into_bytes());
    match (method, path) {
        ("POST", "/write") => ("/write".into(), Some(b"sec v=1 1000".to_vec())),
        ("POST", "/api/v2/write") => (
            "/api/v2/write?bucket=b&org=o".into(),
            Some(b"sec v=2 2000".to_vec()),
        ),
        ("POST", "/api/v1/write") => ("/api/v1/write".into(), Some(remote_write_body(1))),
        ("GET", "/query") => ("/query?q=SHOW+DATABASES".into(), None),
        ("GET", "/ping") => (path.into(), None),
        ("POST", "/query") => (
            path.into(),
            body(json!({"measurement": "sec", "start": 0, "end": 10})),
        ),
        ("POST", "/api/v1/series") => (path.into(), body(json!({"measurement": "sec"}))),
        ("POST", "/api/v1/delete") => (
            path.into(),
            body(json!({"measurement": "nothing", "start": 0, "end": 1})),
        ),
        // Take no body.
        ("POST", "/api/v1/admin/compact" | "/api/v1/admin/export" | "/api/v1/admin/backup") => {
            (path.into(), None)
        }
        // No such backup: a 404 once past authentication.
        ("GET", "/api/v1/admin/backup/{id}/{database}/{table}") => {
            ("/api/v1/admin/backup/0/default/1".into(), None)
        }
        ("DELETE", "/api/v1/admin/backup/{id}") => ("/api/v1/admin/backup/0".into(), None),
        ("GET", "/api/v1/tags") => ("/api/v1/tags?measurement=sec".into(), None),
        ("GET", "/api/v1/tags/{key}/values") => {
            ("/api/v1/tags/host/values?measurement=sec".into(), None)
        }
        ("POST", "/api/v1/read") => (path.into(), Some(remote_read_body())),
        ("GET", "/api/v1/query") => ("/api/v1/query?query=1".into(), None),
        ("POST", "/api/v1/query") => (path.into(), Some(b"query=1".to_vec())),
        ("GET", "/api/v1/query_range") => (
            "/api/v1/query_range?query=1&start=0&end=10&step=1".into(),
            None,
        ),
        ("POST", "/api/v1/query_range") => {
            (path.into(), Some(b"query=1&start=0&end=10&step=1".to_vec()))
        }
        ("GET", "/api/v1/series") => ("/api/v1/series?match%5B%5D=sec".into(), None),
        ("POST", "/api/v1/labels") => (path.into(), Some(b"start=0".to_vec())),
        ("GET", "/api/v1/label/{name}/values") => ("/api/v1/label/host/values".into(), None),
        ("GET", "/api/v1/query_exemplars" | "/api/v1/format_query") => {
            (format!("{path}?query=up"), None)
        }
        ("POST", "/api/v1/query_exemplars" | "/api/v1/format_query") => {
            (path.into(), Some(b"query=up".to_vec()))
        }
        ("GET", "/api/v1/fields") => ("/api/v1/fields?measurement=sec".into(), None),
        ("GET", "/console/{*name}") => ("/console/js/main.js".into(), None),
        ("GET", p) => (p.into(), None),
        (m, p) => panic!("no example request for {m} {p}: add one"),
    }
}

/// The Prometheus API routes whose POST body is a form.
const FORM_ROUTES: [&str; 5] = [
    "/api/v1/query",
    "/api/v1/query_range",
    "/api/v1/labels",
    "/api/v1/query_exemplars",
    "/api/v1/format_query",
];

fn content_type(path: &str) -> &'static str {
    if path.starts_with("/api/v1/write") || path.starts_with("/api/v1/read") {
        "application/x-protobuf"
    } else if FORM_ROUTES.contains(&path) {
        "application/x-www-form-urlencoded"
    } else if path.starts_with("/write") || path.starts_with("/api/v2/write") {
        "text/plain"
    } else {
        "application/json"
    }
}

fn headers_for(path: &str) -> Vec<(&'static str, &'static str)> {
    let mut h = vec![("Content-Type", content_type(path))];
    if path.starts_with("/api/v1/write") || path.starts_with("/api/v1/read") {
        h.push(("Content-Encoding", "snappy"));
    }
    h
}

/// A remote-write body (snappy-compressed protobuf) with `n` samples of `sec_rw`; the same
/// sample n times compresses very well.
fn remote_write_body(n: usize) -> Vec<u8> {
    let job = "x".repeat(64);
    let labels = [("__name__", "sec_rw"), ("job", job.as_str())];
    common::remote_write_body(&[(&labels, &vec![(1.0, 1_000); n])])
}

/// A remote-read request for every `sec_rw` sample.
fn remote_read_body() -> Vec<u8> {
    use strata_protocol::remote_read::{LabelMatcher, Query, ReadRequest, encode_request};
    encode_request(&ReadRequest {
        queries: vec![Query {
            start_timestamp_ms: 0,
            end_timestamp_ms: 10_000,
            matchers: vec![LabelMatcher {
                r#type: 0,
                name: "__name__".into(),
                value: "sec_rw".into(),
            }],
        }],
        accepted_response_types: vec![0],
    })
    .unwrap()
}

#[test]
fn every_route_but_health_requires_the_token() {
    // With a cold tier (a local directory), so the export route works too.
    let cold = tempfile::tempdir().unwrap();
    let store = format!("file://{}", cold.path().display());
    let mut s = Server::start(&["--auth-token", "t0ken", "--object-store", &store]);
    let routes = declared_routes();
    for (method, path) in &routes {
        let (url, body) = example(method, path);
        let headers = headers_for(&url);
        // Without a token, with a wrong one, with a wrong scheme.
        s.token = None;
        let variants: [Option<&str>; 3] = [None, Some("Bearer t0ken-not"), Some("Basic dDBrZW4=")];
        for auth in variants {
            let mut h = headers.clone();
            if let Some(a) = auth {
                h.push(("Authorization", a));
            }
            let r = s.request(method, &url, &h, body.as_deref());
            // Open: the liveness checks, and the console's assets (no data; the page asks
            // for the token before it calls the API).
            if matches!(
                path.as_str(),
                "/health" | "/ping" | "/" | "/console/{*name}"
            ) {
                assert!(r.status < 300, "{method} {url}: {}", r.body);
            } else {
                let (code, _) = r.error(401);
                assert_eq!(code, "unauthorized", "{method} {url}");
            }
        }
        // With it, the route works (so the list above is of real, reachable routes).
        s.token = Some("t0ken".into());
        let r = s.request(method, &url, &headers, body.as_deref());
        let unknown_backup = url.starts_with("/api/v1/admin/backup/") && r.status == 404;
        assert!(
            r.status < 400 || unknown_backup,
            "{method} {url} with the token: {} {}",
            r.status,
            r.body
        );
    }
    // Unknown routes and wrong methods do not reveal anything without the token either.
    s.token = None;
    s.get("/no/such/route").error(401);
    s.request("DELETE", "/write", &[], None).error(401);
    // Nothing was stored by the refused writes: only the three accepted ones.
    s.token = Some("t0ken".into());
    assert_eq!(s.all_points("sec").len(), 1);
    assert_eq!(s.all_points_in("b", "sec").len(), 1);
    assert_eq!(s.all_points("sec_rw").len(), 1);
}

#[test]
fn every_route_with_a_body_bounds_it_compressed_and_decompressed() {
    let s = Server::start(&[
        "--max-body-bytes",
        "16384",
        "--max-decompressed-bytes",
        "65536",
    ]);
    for (method, path) in declared_routes() {
        if method != "POST" {
            continue;
        }
        let (url, example_body) = example(&method, &path);
        if example_body.is_none() {
            // The route reads no body (an unread body is discarded, never buffered).
            continue;
        }
        let headers = headers_for(&url);
        // Declared too large.
        let big = vec![b' '; 20_000];
        let r = s.request("POST", &url, &headers, Some(&big));
        let (code, msg) = r.error(413);
        assert_eq!(code, "body_too_large", "POST {url}");
        assert!(msg.contains("max_body_bytes"), "POST {url}: {msg}");
        // Chunked (no Content-Length): cut off while being read.
        let mut reader = std::io::Cursor::new(big.clone());
        let mut req = common::agent().post(s.url(&url));
        for (k, v) in &headers {
            req = req.header(*k, *v);
        }
        let mut r = req.send(ureq::SendBody::from_reader(&mut reader)).unwrap();
        assert_eq!(r.status().as_u16(), 413, "chunked POST {url}");
        let text = r.body_mut().read_to_string().unwrap();
        assert!(
            text.contains("body_too_large"),
            "chunked POST {url}: {text}"
        );

        if path == "/api/v1/write" || path == "/api/v1/read" {
            // Snappy: a body announcing more than the bound is refused before inflating, both
            // a real one (20,000 samples: over 64 KiB of protobuf in under 16 KiB) and a
            // 6-byte one announcing 1 GiB.
            let compressed = remote_write_body(20_000);
            assert!(compressed.len() < 16_384, "{}", compressed.len());
            let mut announce_1gib = Vec::new();
            let mut v: u64 = 1 << 30;
            while v >= 0x80 {
                announce_1gib.push((v as u8) | 0x80);
                v >>= 7;
            }
            announce_1gib.push(v as u8);
            announce_1gib.push(0);
            for body in [&compressed, &announce_1gib] {
                let r = s.request("POST", &url, &headers, Some(body));
                let (code, msg) = r.error(413);
                assert_eq!(code, "body_too_large", "{msg}");
                assert!(msg.contains("65536"), "{msg}");
            }
            assert!(s.all_points("sec_rw").is_empty());
        } else {
            // Gzip inflating past the bound.
            let bomb = gzip(&vec![b' '; 1 << 20]);
            assert!(bomb.len() < 16_384);
            let mut h = headers.clone();
            h.push(("Content-Encoding", "gzip"));
            let r = s.request("POST", &url, &h, Some(&bomb));
            let (code, msg) = r.error(413);
            assert_eq!(code, "body_too_large", "gzip POST {url}");
            assert!(
                msg.contains("max_decompressed_bytes"),
                "gzip POST {url}: {msg}"
            );
        }
    }
    // Nothing refused was stored; the server still works.
    assert!(s.all_points("sec").is_empty());
    s.write_ok("/write", "text/plain", "sec v=1 1000");
    assert_eq!(s.all_points("sec").len(), 1);
}
