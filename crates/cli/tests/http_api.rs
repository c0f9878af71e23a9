//! Every route of API.md against the real `strata` binary: writes in each format and
//! precision, queries, metadata, delete, health/ready/metrics, auth, every error status (and
//! that a rejected request stored nothing) and gzip. Restarts and the operator commands are in
//! `cli_commands.rs`.

mod common;

use common::{Server, gzip, now_ms, remote_write_body};
use serde_json::{Value, json};

const MAX_MS: i64 = i64::MAX / 1_000_000;

fn ts(points: &[Value]) -> Vec<i64> {
    points
        .iter()
        .map(|p| p["timestamp"].as_i64().unwrap())
        .collect()
}

#[test]
fn json_writes_and_queries() {
    let s = Server::start(&[]);
    s.write_ok(
        "/write",
        "application/json",
        r#"{"measurement": "cpu_usage", "tags": {"host": "server01", "region": "us-west"},
            "fields": {"value": 75.5}, "timestamp": 1696789234567}"#,
    );
    s.write_ok(
        "/write",
        "application/json; charset=utf-8",
        r#"[{"measurement": "cpu_usage", "tags": {"region": "us-west", "host": "server02"},
             "fields": {"value": 10, "ok": true, "note": "x"}, "timestamp": 1696789234000},
            {"measurement": "cpu_usage", "tags": {"host": "server01", "region": "us-west"},
             "fields": {"value": 76.5}, "timestamp": 1696789235567}]"#,
    );
    let v = s.query(
        json!({"measurement": "cpu_usage", "start": 1696789230000i64, "end": 1696875630000i64,
                           "filters": {"host": "server01"}}),
    );
    assert_eq!(
        v,
        json!({"data_points": [
            {"timestamp": 1696789234567i64, "tags": {"host": "server01", "region": "us-west"}, "fields": {"value": 75.5}},
            {"timestamp": 1696789235567i64, "tags": {"host": "server01", "region": "us-west"}, "fields": {"value": 76.5}}]})
    );
    // Tags sorted: both spellings of server02's tags are one series.
    let v = s.query(json!({"measurement": "cpu_usage", "start": 0, "end": MAX_MS, "filters": {"host": "server02"},
                           "format": "series"}));
    assert_eq!(v["series"][0]["fields"]["note"], json!(["x"]));
    assert_eq!(v["series"][0]["fields"]["ok"], json!([true]));
    // Aggregate, limit + desc.
    let v = s.query(
        json!({"measurement": "cpu_usage", "start": 0, "end": MAX_MS, "fields": ["value"],
                           "aggregate": {"function": "max"}, "group_by": []}),
    );
    assert_eq!(v["data_points"][0]["fields"]["value"], json!(76.5));
    let v = s.query(json!({"measurement": "cpu_usage", "start": 0, "end": MAX_MS, "filters": {"host": "server01"},
                           "limit": 1, "order": "desc"}));
    assert_eq!(
        ts(v["data_points"].as_array().unwrap()),
        vec![1696789235567]
    );
    // Writing the same series, field and timestamp again replaces the value.
    s.write_ok(
        "/write",
        "application/json",
        r#"{"measurement": "cpu_usage", "tags": {"host": "server01", "region": "us-west"},
            "fields": {"value": 1.25}, "timestamp": 1696789234567}"#,
    );
    let v = s.query(
        json!({"measurement": "cpu_usage", "start": 1696789234567i64, "end": 1696789234568i64,
                           "filters": {"host": "server01"}}),
    );
    assert_eq!(v["data_points"][0]["fields"]["value"], json!(1.25));
}

#[test]
fn precision_and_missing_timestamps() {
    let s = Server::start(&[]);
    // Line protocol: default ns.
    s.write_ok("/write", "text/plain", "lp,k=ns v=1 1700000000123456789\n");
    // No Content-Type at all is line protocol too.
    let r = s.request(
        "POST",
        "/write?precision=s",
        &[],
        Some(b"lp,k=s v=2 1700000001"),
    );
    assert_eq!(r.status, 204, "{}", r.body);
    s.write_ok(
        "/write?precision=ms",
        "text/plain",
        "lp,k=ms v=3 1700000002000",
    );
    s.write_ok(
        "/write?precision=us",
        "text/plain",
        "lp,k=us v=4 1700000003000000",
    );
    // curl -d / --data-binary without a type sends the form type: read as line protocol.
    s.write_ok(
        "/write?precision=ms",
        "application/x-www-form-urlencoded",
        "lp,k=curl v=7 1700000006000",
    );
    // JSON: default ms; ?precision= applies.
    s.write_ok(
        "/write",
        "application/json",
        r#"{"measurement":"lp","tags":{"k":"jms"},"fields":{"v":5},"timestamp":1700000004000}"#,
    );
    s.write_ok(
        "/write?precision=s",
        "application/json",
        r#"{"measurement":"lp","tags":{"k":"js"},"fields":{"v":6},"timestamp":1700000005}"#,
    );
    let by_tag = |k: &str| {
        let v =
            s.query(json!({"measurement": "lp", "start": 0, "end": MAX_MS, "filters": {"k": k}}));
        ts(v["data_points"].as_array().unwrap())
    };
    assert_eq!(by_tag("ns"), vec![1700000000123]);
    assert_eq!(by_tag("s"), vec![1700000001000]);
    assert_eq!(by_tag("ms"), vec![1700000002000]);
    assert_eq!(by_tag("us"), vec![1700000003000]);
    assert_eq!(by_tag("jms"), vec![1700000004000]);
    assert_eq!(by_tag("js"), vec![1700000005000]);
    assert_eq!(by_tag("curl"), vec![1700000006000]);
    // Query precision: ns gives the stored nanoseconds back.
    let r = s.post_json(
        "/query?precision=ns",
        &json!({"measurement": "lp", "start": 0, "end": i64::MAX, "filters": {"k": "ns"}}),
    );
    assert_eq!(
        r.json()["data_points"][0]["timestamp"],
        json!(1700000000123456789i64)
    );
    let r = s.post_json(
        "/query?precision=s",
        &json!({"measurement": "lp", "start": 1700000001, "end": 1700000002}),
    );
    assert_eq!(
        ts(r.json()["data_points"].as_array().unwrap()),
        vec![1700000001]
    );

    // A missing timestamp is the server clock at receipt.
    let before = now_ms();
    s.write_ok("/write", "text/plain", "clock v=1");
    s.write_ok(
        "/write",
        "application/json",
        r#"{"measurement":"clock","tags":{"f":"json"},"fields":{"v":2}}"#,
    );
    let after = now_ms();
    let pts = s.all_points("clock");
    assert_eq!(pts.len(), 2);
    for t in ts(&pts) {
        assert!(before <= t && t <= after, "{before} <= {t} <= {after}");
    }
}

#[test]
fn influxdb_paths() {
    let s = Server::start(&[]);
    // 1.x: curl's default form type is read as line protocol on the /write?db= path.
    s.write_ok(
        "/write?db=mydb",
        "application/x-www-form-urlencoded",
        "influx1,host=a value=0.64 1434055562000000000",
    );
    s.write_ok(
        "/write?db=mydb&precision=s&rp=autogen",
        "text/plain",
        "influx1,host=b value=1 1434055562",
    );
    // 2.x: ns by default, bucket and org accepted.
    s.write_ok(
        "/api/v2/write?bucket=b&org=o",
        "text/plain; charset=utf-8",
        "influx2,host=a value=1i 1434055562000000000",
    );
    s.write_ok(
        "/api/v2/write?bucket=b&org=o&precision=ms",
        "text/plain",
        "influx2,host=b value=2i 1434055563000",
    );
    assert_eq!(
        ts(&s.all_points_in("mydb", "influx1")),
        vec![1434055562000, 1434055562000]
    );
    // Each database sees only its own writes.
    assert!(s.all_points("influx1").is_empty());
    assert!(s.all_points_in("b", "influx1").is_empty());
    let pts = s.all_points_in("b", "influx2");
    assert_eq!(ts(&pts), vec![1434055562000, 1434055563000]);
    assert_eq!(pts[1]["fields"]["value"], json!(2));
    // Gzip, as Telegraf sends it.
    let body = gzip(b"influx2,host=c value=3i 1434055564000000000\n");
    let r = s.request(
        "POST",
        "/api/v2/write?bucket=b&org=o",
        &[("Content-Type", "text/plain"), ("Content-Encoding", "gzip")],
        Some(&body),
    );
    assert_eq!(r.status, 204, "{}", r.body);
    assert_eq!(s.all_points_in("b", "influx2").len(), 3);
}

#[test]
fn prometheus_remote_write() {
    let s = Server::start(&[]);
    let body = remote_write_body(&[
        (
            &[
                ("__name__", "http_requests_total"),
                ("job", "api"),
                ("instance", "a:1"),
            ],
            &[(1.0, 1000), (2.0, 2000)],
        ),
        (
            &[
                ("__name__", "http_requests_total"),
                ("job", "api"),
                ("instance", "b:1"),
            ],
            &[(f64::NAN, 1000)],
        ),
    ]);
    let r = s.request(
        "POST",
        "/api/v1/write",
        &[
            ("Content-Type", "application/x-protobuf"),
            ("Content-Encoding", "snappy"),
            ("X-Prometheus-Remote-Write-Version", "0.1.0"),
        ],
        Some(&body),
    );
    assert_eq!(r.status, 204, "{}", r.body);
    let v = s.query(json!({"measurement": "http_requests_total", "start": 0, "end": 10_000, "format": "series"}));
    let series = v["series"].as_array().unwrap();
    assert_eq!(series.len(), 2);
    assert_eq!(series[0]["tags"], json!({"instance": "a:1", "job": "api"}));
    assert_eq!(series[0]["timestamps"], json!([1000, 2000]));
    assert_eq!(series[0]["fields"]["value"], json!([1.0, 2.0]));
    // NaN (the staleness marker) is stored and reads back as null.
    assert_eq!(series[1]["fields"]["value"], json!([null]));
    // The same body on /write with the protobuf type works too.
    let body = remote_write_body(&[(&[("__name__", "up"), ("job", "x")], &[(1.0, 5000)])]);
    let r = s.post("/write", "application/x-protobuf", &body);
    assert_eq!(r.status, 204, "{}", r.body);
    assert_eq!(s.all_points("up").len(), 1);
}

/// A server with small limits, for the rejection tests.
fn strict_server() -> Server {
    Server::start(&[
        "--max-body-bytes",
        "32768",
        "--max-value-len",
        "1024",
        "--max-key-len",
        "64",
        "--max-tags-per-point",
        "4",
        "--max-points-per-request",
        "100",
        "--max-query-points",
        "50",
        "--max-series-per-measurement",
        "3",
        "--max-decompressed-bytes",
        "65536",
    ])
}

#[test]
fn rejected_writes_store_nothing() {
    let s = strict_server();
    // A valid write first, so the measurement exists and has a float field "value".
    s.write_ok("/write", "text/plain", "m,host=a value=1 1000000");
    let baseline = s.all_points("m");
    assert_eq!(baseline.len(), 1);

    let big_tag = format!("m,host={} value=1 2000000", "x".repeat(2000));
    let many_tags = "m,a=1,b=2,c=3,d=4,e=5 value=1 2000000".to_string();
    let long_key = format!("m,{}=1 value=1 2000000", "k".repeat(100));
    let too_many_points: String = (0..101)
        .map(|i| format!("m,host=a value=1 {}\n", 3_000_000 + i))
        .collect();
    let new_series: String = (0..5)
        .map(|i| format!("m,host=new{i} value=1 2000000\n"))
        .collect();
    let oversized: String = (0..2000)
        .map(|i| format!("m,host=a value={i} {}\n", 4_000_000 + i))
        .collect();
    // Announces 10 bytes, then is not snappy data; and valid snappy around bytes that are no
    // protobuf message.
    let garbage_snappy = b"\x0a\xff\xfe\xfd\xfc".to_vec();
    let garbage_pb = strata_protocol::remote_write::compress(&[0xff; 16]).unwrap();
    let mut truncated_gzip = gzip(b"m,host=a value=9 5000000\n");
    truncated_gzip.truncate(truncated_gzip.len() - 10);
    let gzip_bomb = gzip(&vec![b'#'; 200_000]);

    type Case<'a> = (
        &'a str,
        &'a str,
        Vec<(&'a str, &'a str)>,
        Vec<u8>,
        u16,
        &'a str,
        &'a str,
    );
    let cases: Vec<Case<'_>> = vec![
        ("malformed JSON", "/write", vec![("Content-Type", "application/json")],
         br#"{"measurement": "m", "fields": {"value": 1}"#.to_vec(), 400, "invalid_json", "line 1"),
        ("JSON NaN literal", "/write", vec![("Content-Type", "application/json")],
         br#"{"measurement": "m", "fields": {"value": NaN}, "timestamp": 2}"#.to_vec(), 400, "invalid_json", ""),
        ("JSON bad second point", "/write", vec![("Content-Type", "application/json")],
         br#"[{"measurement": "m", "fields": {"value": 1}, "timestamp": 2}, {"measurement": "m", "fields": {}}]"#.to_vec(),
         400, "invalid_json", "point 1"),
        ("empty measurement", "/write", vec![("Content-Type", "application/json")],
         br#"{"measurement": "", "fields": {"value": 1}, "timestamp": 2}"#.to_vec(), 400, "invalid_json", "empty measurement"),
        ("line protocol syntax", "/write", vec![("Content-Type", "text/plain")],
         b"m,host=a value=1 2000000\nm,host=a value=oops 3000000\n".to_vec(), 400, "invalid_line_protocol", "line 2, column"),
        ("line protocol nan", "/write", vec![("Content-Type", "text/plain")],
         b"m,host=a value=1 2000000\nm,host=a value=nan 3000000\n".to_vec(), 400, "invalid_line_protocol", "line 2"),
        ("field type conflict", "/write", vec![("Content-Type", "text/plain")],
         b"m,host=a value=2 2000000\nm,host=b value=\"text\" 3000000\n".to_vec(), 400, "field_type_conflict", "\"value\""),
        ("field type conflict inside one request", "/write", vec![("Content-Type", "text/plain")],
         b"m,host=a other=1i 2000000\nm,host=a other=2 3000000\n".to_vec(), 400, "field_type_conflict", "\"other\""),
        ("huge tag value", "/write", vec![("Content-Type", "text/plain")], big_tag.into_bytes(), 400, "invalid_point", "max_value_len"),
        ("too many tags", "/write", vec![("Content-Type", "text/plain")], many_tags.into_bytes(), 400, "invalid_point", "max_tags_per_point"),
        ("long tag key", "/write", vec![("Content-Type", "text/plain")], long_key.into_bytes(), 400, "invalid_point", "max_key_len"),
        ("too many points", "/write", vec![("Content-Type", "text/plain")], too_many_points.into_bytes(), 413, "too_many_points", "101"),
        ("series limit", "/write", vec![("Content-Type", "text/plain")], new_series.into_bytes(), 400, "series_limit", "max_series_per_measurement"),
        ("oversized body", "/write", vec![("Content-Type", "text/plain")], oversized.into_bytes(), 413, "body_too_large", "max_body_bytes"),
        ("truncated gzip", "/write", vec![("Content-Type", "text/plain"), ("Content-Encoding", "gzip")],
         truncated_gzip, 400, "invalid_gzip", "gzip"),
        ("gzip over the decompressed limit", "/write", vec![("Content-Type", "text/plain"), ("Content-Encoding", "gzip")],
         gzip_bomb, 413, "body_too_large", "max_decompressed_bytes"),
        ("unknown encoding", "/write", vec![("Content-Type", "text/plain"), ("Content-Encoding", "br")],
         b"m,host=a value=1 2000000".to_vec(), 415, "unsupported_media_type", "br"),
        ("garbage snappy", "/api/v1/write", vec![("Content-Type", "application/x-protobuf"), ("Content-Encoding", "snappy")],
         garbage_snappy, 400, "invalid_remote_write", "snappy"),
        ("garbage protobuf", "/api/v1/write", vec![("Content-Type", "application/x-protobuf"), ("Content-Encoding", "snappy")],
         garbage_pb.clone(), 400, "invalid_remote_write", "protobuf"),
        ("garbage protobuf on /write", "/write", vec![("Content-Type", "application/x-protobuf")],
         garbage_pb, 400, "invalid_remote_write", ""),
        ("unsupported content type", "/write", vec![("Content-Type", "application/xml")],
         b"<m/>".to_vec(), 415, "unsupported_media_type", "application/xml"),
        ("bad precision", "/write?precision=h", vec![("Content-Type", "text/plain")],
         b"m,host=a value=1 2".to_vec(), 400, "invalid_precision", "\"h\""),
    ];
    for (name, path, headers, body, status, code, needle) in cases {
        let r = s.request("POST", path, &headers, Some(&body));
        let (got_code, msg) = r.error(status);
        assert_eq!(got_code, code, "{name}: {}", r.body);
        assert!(
            msg.contains(needle),
            "{name}: message {msg:?} lacks {needle:?}"
        );
        assert_eq!(
            s.all_points("m"),
            baseline,
            "{name}: the rejected request stored something"
        );
    }
    // A chunked body (no Content-Length) is cut off while being read.
    let chunked: String = (0..2000)
        .map(|i| format!("m,host=a value={i} {}\n", 4_000_000 + i))
        .collect();
    let mut reader = std::io::Cursor::new(chunked.into_bytes());
    let mut r = common::agent()
        .post(s.url("/write"))
        .header("Content-Type", "text/plain")
        .send(ureq::SendBody::from_reader(&mut reader))
        .unwrap();
    assert_eq!(
        r.status().as_u16(),
        413,
        "{}",
        r.body_mut().read_to_string().unwrap()
    );
    assert_eq!(s.all_points("m"), baseline);
    // The JSON error names the point index.
    let r = s.post(
        "/write",
        "application/json",
        br#"[{"measurement":"m","fields":{"value":1}},{"measurement":"m"}]"#,
    );
    assert_eq!(r.json()["error"]["index"], json!(1), "{}", r.body);
    let r = s.post(
        "/write",
        "text/plain",
        b"m,host=a value=1 1\nm,a=1,b=2,c=3,d=4,e=5 value=1 2\n",
    );
    assert_eq!(r.json()["error"]["index"], json!(1), "{}", r.body);
    // The server still accepts good writes.
    s.write_ok("/write", "text/plain", "m,host=a value=5 6000000");
    assert_eq!(s.all_points("m").len(), 2);
}

#[test]
fn routing_errors() {
    let s = Server::start(&[]);
    let (code, msg) = s.get("/nope").error(404);
    assert_eq!(code, "not_found");
    assert!(msg.contains("/nope"));
    let (code, _) = s.post("/api/v2/nope", "text/plain", b"x").error(404);
    assert_eq!(code, "not_found");
    let (code, msg) = s.get("/write").error(405);
    assert_eq!(code, "method_not_allowed");
    assert!(msg.contains("GET"), "{msg}");
    let (code, _) = s.post("/health", "text/plain", b"").error(405);
    assert_eq!(code, "method_not_allowed");
    let (code, _) = s.request("DELETE", "/query", &[], None).error(405);
    assert_eq!(code, "method_not_allowed");
}

#[test]
fn query_errors() {
    let s = strict_server();
    let lines: String = (0..60)
        .map(|i| format!("q,host=a value={i} {}\n", (i + 1) * 1_000_000))
        .collect();
    s.write_ok("/write", "text/plain", &lines);
    let (code, msg) = s
        .post(
            "/query",
            "application/json",
            br#"{"measurement": "q", "start": 0"#,
        )
        .error(400);
    assert_eq!(code, "invalid_query");
    assert!(msg.contains("line 1"), "{msg}");
    let (_, msg) = s
        .post_json(
            "/query",
            &json!({"measurement": "q", "start": 0, "end": 1, "limt": 3}),
        )
        .error(400);
    assert!(msg.contains("limt"), "{msg}");
    let (_, _) = s
        .post_json("/query", &json!({"measurement": "q", "start": 5, "end": 1}))
        .error(400);
    let (code, _) = s
        .post_json(
            "/query?precision=fortnight",
            &json!({"measurement": "q", "start": 0, "end": 1}),
        )
        .error(400);
    assert_eq!(code, "invalid_precision");
    // 60 points over the cap of 50: 413 suggesting aggregate or limit, never a truncated answer.
    let (code, msg) = s
        .post_json(
            "/query",
            &json!({"measurement": "q", "start": 0, "end": 1000}),
        )
        .error(413);
    assert_eq!(code, "result_too_large");
    assert!(msg.contains("aggregate") || msg.contains("limit"), "{msg}");
    let v = s.query(json!({"measurement": "q", "start": 0, "end": 1000, "limit": 10}));
    assert_eq!(v["data_points"].as_array().unwrap().len(), 10);
    let v = s.query(
        json!({"measurement": "q", "start": 0, "end": 1000, "aggregate": {"function": "count"}}),
    );
    assert_eq!(v["data_points"][0]["fields"]["value"], json!(60));
    // Gzip query body.
    let body = gzip(
        json!({"measurement": "q", "start": 0, "end": 5})
            .to_string()
            .as_bytes(),
    );
    let r = s.request(
        "POST",
        "/query",
        &[
            ("Content-Type", "application/json"),
            ("Content-Encoding", "gzip"),
        ],
        Some(&body),
    );
    assert_eq!(r.status, 200, "{}", r.body);
    assert_eq!(r.json()["data_points"].as_array().unwrap().len(), 4);
    // An unknown measurement is an empty answer.
    assert_eq!(
        s.query(json!({"measurement": "nothing", "start": 0, "end": 5})),
        json!({"data_points": []})
    );
}

#[test]
fn metadata_and_delete() {
    let s = Server::start(&[]);
    s.write_ok(
        "/write?precision=ms",
        "text/plain",
        "cpu,host=web-1,dc=eu value=1 1000\ncpu,host=web-2,dc=eu value=2 2000\ncpu,host=db-1,dc=us value=3 3000\n\
         cpu,host=web-1,dc=eu value=4 4000\nmem,host=web-1 free=10i 1000\n",
    );
    assert_eq!(
        s.get("/api/v1/measurements").json(),
        json!({"measurements": ["cpu", "mem"]})
    );
    assert_eq!(
        s.get("/api/v1/tags?measurement=cpu").json(),
        json!({"measurement": "cpu", "tags": ["dc", "host"]})
    );
    assert_eq!(
        s.get("/api/v1/tags/host/values?measurement=cpu").json(),
        json!({"measurement": "cpu", "tag": "host", "values": ["db-1", "web-1", "web-2"]})
    );
    assert_eq!(
        s.get("/api/v1/tags?measurement=none").json()["tags"],
        json!([])
    );
    let (code, _) = s.get("/api/v1/tags").error(400);
    assert_eq!(code, "missing_parameter");
    let v = s
        .post_json(
            "/api/v1/series",
            &json!({"measurement": "cpu", "filters": {"host": {"regex": "^web-"}}}),
        )
        .json();
    assert_eq!(v["count"], json!(2));
    assert_eq!(
        v["series"],
        json!([{"measurement": "cpu", "tags": {"dc": "eu", "host": "web-1"}},
               {"measurement": "cpu", "tags": {"dc": "eu", "host": "web-2"}}])
    );
    let v = s
        .post_json("/api/v1/series", &json!({"measurement": "cpu", "limit": 1}))
        .json();
    assert_eq!(
        (v["count"].clone(), v["series"].as_array().unwrap().len()),
        (json!(3), 1)
    );
    let (code, _) = s
        .post_json(
            "/api/v1/series",
            &json!({"measurement": "cpu", "filter": {}}),
        )
        .error(400);
    assert_eq!(code, "invalid_json");

    // Delete web-1's points in [0, 2000) ms: the 1000 ms point goes, the 4000 ms one stays.
    let r = s.post_json(
        "/api/v1/delete",
        &json!({"measurement": "cpu", "start": 0, "end": 2000, "filters": {"host": "web-1"}}),
    );
    assert_eq!(r.status, 200, "{}", r.body);
    assert_eq!(r.json(), json!({"matched_series": 1}));
    let v = s.query(
        json!({"measurement": "cpu", "start": 0, "end": 10_000, "filters": {"host": "web-1"}}),
    );
    assert_eq!(ts(v["data_points"].as_array().unwrap()), vec![4000]);
    assert_eq!(s.all_points("cpu").len(), 3);
    // Delete in seconds, everything of dc=us.
    let r = s.post_json(
        "/api/v1/delete?precision=s",
        &json!({"measurement": "cpu", "start": 0, "end": 10, "filters": {"dc": "us"}}),
    );
    assert_eq!(r.status, 200, "{}", r.body);
    assert_eq!(s.all_points("cpu").len(), 2);
    let (code, _) = s
        .post_json(
            "/api/v1/delete",
            &json!({"measurement": "cpu", "start": 5, "end": 5}),
        )
        .error(400);
    assert_eq!(code, "invalid_delete");
    let (code, _) = s
        .post_json("/api/v1/delete", &json!({"measurement": "cpu"}))
        .error(400);
    assert_eq!(code, "invalid_json");
    assert_eq!(s.all_points("cpu").len(), 2);
}

#[test]
fn health_ready_metrics() {
    let s = Server::start(&[]);
    assert_eq!(s.get("/health").json(), json!({"status": "ok"}));
    assert_eq!(s.get("/ready").json(), json!({"status": "ready"}));
    s.write_ok("/write", "text/plain", "m value=1 1");
    s.query(json!({"measurement": "m", "start": 0, "end": 1}));
    let r = s.get("/metrics");
    assert_eq!(r.status, 200);
    assert!(
        r.header("content-type").unwrap().starts_with("text/plain"),
        "{:?}",
        r.headers
    );
    for name in [
        "strata_points_written_total 1",
        "strata_write_batches_total",
        "strata_wal_bytes_written_total",
        "strata_wal_records_total",
        "strata_wal_fsyncs_total",
        "strata_memtable_bytes",
        "strata_flushes_total",
        "strata_compactions_total",
        "strata_sstables{level=\"0\"}",
        "strata_sstable_bytes{level=\"1\"}",
        "strata_series 1",
        "strata_backpressure_total",
        "strata_http_requests_total{route=\"/write\",method=\"POST\",status=\"204\"} 1",
        "strata_http_request_duration_seconds_bucket{route=\"/write\",le=\"+Inf\"} 1",
        "strata_query_duration_seconds_count 1",
        "strata_read_only 0",
    ] {
        assert!(r.body.contains(name), "metrics lack {name:?}:\n{}", r.body);
    }
}

#[test]
fn auth_token() {
    let dir = tempfile::tempdir().unwrap();
    let token_file = dir.path().join("token");
    std::fs::write(&token_file, "s3cret-token\n").unwrap();
    let mut s = Server::start(&["--auth-token-file", token_file.to_str().unwrap()]);
    s.token = None;
    assert_eq!(s.get("/health").status, 200, "health needs no token");
    let (code, _) = s.get("/ready").error(401);
    assert_eq!(code, "unauthorized");
    let r = s.post("/write", "text/plain", b"a value=1 1");
    r.error(401);
    assert!(r.header("www-authenticate").is_some());
    let wrong = [
        ("Authorization", "Bearer s3cret-tokeN"),
        ("Content-Type", "text/plain"),
    ];
    s.request("POST", "/write", &wrong, Some(b"a value=1 1"))
        .error(401);
    let basic = [
        ("Authorization", "Basic czNjcmV0LXRva2Vu"),
        ("Content-Type", "text/plain"),
    ];
    s.request("POST", "/write", &basic, Some(b"a value=1 1"))
        .error(401);
    s.request("GET", "/nope", &[], None).error(401);
    let bearer = [
        ("Authorization", "Bearer s3cret-token"),
        ("Content-Type", "text/plain"),
    ];
    assert_eq!(
        s.request("POST", "/write", &bearer, Some(b"a value=1 1"))
            .status,
        204
    );
    let token = [
        ("Authorization", "Token s3cret-token"),
        ("Content-Type", "text/plain"),
    ];
    assert_eq!(
        s.request(
            "POST",
            "/api/v2/write?bucket=x&org=y",
            &token,
            Some(b"a value=2 2")
        )
        .status,
        204
    );
    // Unauthorized queries see nothing; authorized ones see both points.
    s.post_json("/query", &json!({"measurement": "a", "start": 0, "end": 1}))
        .error(401);
    s.token = Some("s3cret-token".into());
    assert_eq!(s.all_points("a").len(), 1);
    assert_eq!(s.all_points_in("x", "a").len(), 1);
}
