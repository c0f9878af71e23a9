//! The InfluxDB 1.x API of the real binary: `/ping`, `/query` parameters (`epoch`, `pretty`,
//! `chunked`, form POSTs), the JSON query API still on `POST /query`, the request sequence
//! of Grafana's InfluxDB data source (Save & test, the editor's lookups, a panel with
//! several targets) and of Telegraf's start-up, and databases across every front end.

mod common;

use common::Server;
use serde_json::{Value, json};

fn enc(s: &str) -> String {
    form_urlencoded::byte_serialize(s.as_bytes()).collect()
}

fn influxql(s: &Server, params: &str, q: &str) -> Value {
    let r = s.get(&format!("/query?{params}&q={}", enc(q)));
    assert_eq!(r.status, 200, "{q}: {}", r.body);
    r.json()
}

#[test]
fn grafana_and_telegraf_sequences() {
    let s = Server::start(&[]);
    // /ping, GET and HEAD, without credentials.
    let r = s.request("HEAD", "/ping", &[], None);
    assert_eq!(r.status, 204);
    assert!(r.header("X-Influxdb-Version").is_some());
    assert_eq!(s.get("/ping").status, 204);

    // Telegraf: CREATE DATABASE as a form POST without URL parameters, then writes.
    let r = s.request(
        "POST",
        "/query",
        &[("Content-Type", "application/x-www-form-urlencoded")],
        Some(b"q=CREATE+DATABASE+%22telegraf%22"),
    );
    assert_eq!(r.status, 200, "{}", r.body);
    assert_eq!(r.json(), json!({"results": [{"statement_id": 0}]}));
    let lines = "cpu,host=a usage_user=10,usage_idle=90 1700000000000000000\n\
                 cpu,host=b usage_user=20,usage_idle=80 1700000000000000000\n\
                 cpu,host=a usage_user=30,usage_idle=70 1700000010000000000\n";
    let r = s.post(
        "/write?db=telegraf",
        "text/plain; charset=utf-8",
        lines.as_bytes(),
    );
    assert_eq!(r.status, 204, "{}", r.body);

    // Grafana, Save & test.
    let v = influxql(&s, "db=telegraf&epoch=ms", "SHOW measurements");
    assert_eq!(v["results"][0]["series"][0]["values"], json!([["cpu"]]));
    // The query editor's lookups.
    let v = influxql(
        &s,
        "db=telegraf&epoch=ms",
        "SHOW MEASUREMENTS WITH MEASUREMENT =~ /(?i)cp/ LIMIT 100",
    );
    assert_eq!(v["results"][0]["series"][0]["values"], json!([["cpu"]]));
    let v = influxql(&s, "db=telegraf&epoch=ms", "SHOW FIELD KEYS FROM \"cpu\"");
    assert_eq!(
        v["results"][0]["series"][0]["values"],
        json!([["usage_idle", "float"], ["usage_user", "float"]])
    );
    let v = influxql(&s, "db=telegraf&epoch=ms", "SHOW TAG KEYS FROM \"cpu\"");
    assert_eq!(v["results"][0]["series"][0]["values"], json!([["host"]]));
    let v = influxql(
        &s,
        "db=telegraf&epoch=ms",
        "SHOW TAG VALUES FROM \"cpu\" WITH KEY = \"host\"",
    );
    assert_eq!(
        v["results"][0]["series"][0]["values"],
        json!([["host", "a"], ["host", "b"]])
    );
    // A panel with two targets, $timeFilter and $__interval expanded, in one request.
    let q = "SELECT mean(\"usage_user\") FROM \"cpu\" WHERE time >= 1700000000000ms and time <= 1700000019999ms GROUP BY time(10s) fill(null);\
             SELECT max(\"usage_idle\") FROM \"cpu\" WHERE time >= 1700000000000ms and time <= 1700000019999ms GROUP BY time(10s), \"host\" fill(none)";
    let v = influxql(&s, "db=telegraf&epoch=ms", q);
    assert_eq!(
        v["results"][0],
        json!({"statement_id": 0, "series": [{"name": "cpu", "columns": ["time", "mean"],
            "values": [[1700000000000i64, 15], [1700000010000i64, 30]]}]})
    );
    assert_eq!(v["results"][1]["series"].as_array().unwrap().len(), 2);
    assert_eq!(v["results"][1]["series"][0]["tags"], json!({"host": "a"}));
    // The same as a form POST (Grafana's POST mode: parameters in the URL, q in the body).
    let r = s.request(
        "POST",
        "/query?db=telegraf&epoch=ms",
        &[("Content-Type", "application/x-www-form-urlencoded")],
        Some(format!("q={}", enc(q)).as_bytes()),
    );
    assert_eq!(r.json(), v);

    // epoch, pretty, chunked.
    let raw = "SELECT usage_user FROM cpu WHERE host = 'a'";
    let v = influxql(&s, "db=telegraf", raw);
    assert_eq!(
        v["results"][0]["series"][0]["values"],
        json!([["2023-11-14T22:13:20Z", 10], ["2023-11-14T22:13:30Z", 30]])
    );
    let v = influxql(&s, "db=telegraf&epoch=s", raw);
    assert_eq!(
        v["results"][0]["series"][0]["values"],
        json!([[1700000000, 10], [1700000010, 30]])
    );
    let r = s.get(&format!("/query?db=telegraf&pretty=true&q={}", enc(raw)));
    assert!(r.body.contains("\n    \"results\": ["), "{}", r.body);
    let r = s.get(&format!(
        "/query?db=telegraf&chunked=true&chunk_size=1&q={}",
        enc(raw)
    ));
    let chunks: Vec<Value> = r
        .body
        .lines()
        .map(|l| serde_json::from_str(l).unwrap())
        .collect();
    assert_eq!(chunks.len(), 2);
    assert_eq!(chunks[0]["results"][0]["partial"], json!(true));
    assert!(chunks[1]["results"][0].get("partial").is_none());

    // Errors in InfluxDB's shapes.
    let r = s.get("/query?db=telegraf");
    assert_eq!(r.status, 400);
    assert_eq!(
        r.json(),
        json!({"error": "missing required parameter \"q\""})
    );
    let r = s.get(&format!("/query?db=telegraf&q={}", enc("SELEC x")));
    assert_eq!(r.status, 400);
    assert!(
        r.json()["error"]
            .as_str()
            .unwrap()
            .starts_with("error parsing query: found SELEC")
    );
    assert!(r.header("X-Influxdb-Error").is_some());
    let v = influxql(&s, "db=nosuch", "SELECT * FROM cpu");
    assert_eq!(
        v["results"][0]["error"],
        json!("database not found: nosuch")
    );
    let v = influxql(&s, "", "SELECT * FROM cpu");
    assert_eq!(v["results"][0]["error"], json!("database name required"));
    let v = influxql(
        &s,
        "db=telegraf",
        "CREATE USER x WITH PASSWORD 'y'; SHOW DATABASES",
    );
    assert_eq!(
        v["results"][0]["error"],
        json!("CREATE USER is not supported by Strata")
    );
    assert_eq!(v["results"][1]["error"], json!("not executed"));
}

#[test]
fn databases_across_front_ends() {
    let s = Server::start(&[]);
    s.write_ok("/write", "text/plain", "m,host=d value=1 1000000000");
    s.write_ok("/write?db=app", "text/plain", "m,host=a value=2 1000000000");
    // The JSON query API on POST /query: the default database, or ?db=.
    assert_eq!(s.all_points("m").len(), 1);
    assert_eq!(s.all_points_in("app", "m")[0]["tags"]["host"], json!("a"));
    let r = s.post_json(
        "/query?db=nosuch",
        &json!({"measurement": "m", "start": 0, "end": 10}),
    );
    assert_eq!(r.error(404).0, "database_not_found");
    // PromQL and metadata.
    let r = s.get("/api/v1/query?query=m&time=1&db=app");
    assert_eq!(r.json()["data"]["result"][0]["metric"]["host"], json!("a"));
    let r = s.get("/api/v1/query?query=m&time=1");
    assert_eq!(r.json()["data"]["result"][0]["metric"]["host"], json!("d"));
    let r = s.get("/api/v1/measurements?db=app");
    assert_eq!(r.json()["measurements"], json!(["m"]));
    // SHOW DATABASES, DROP DATABASE.
    let v = influxql(&s, "", "SHOW DATABASES");
    assert_eq!(
        v["results"][0]["series"][0]["values"],
        json!([["default"], ["app"]])
    );
    let r = s.request(
        "POST",
        "/query",
        &[("Content-Type", "application/x-www-form-urlencoded")],
        Some(b"q=DROP+DATABASE+app"),
    );
    assert_eq!(r.status, 200, "{}", r.body);
    let v = influxql(&s, "", "SHOW DATABASES");
    assert_eq!(v["results"][0]["series"][0]["values"], json!([["default"]]));
    // Databases survive a restart.
    s.write_ok("/write?db=keep", "text/plain", "k value=1 1");
    let mut s = s;
    assert!(s.stop().success());
    let s = Server::start_on(&s.data_dir.clone(), &[], &std::env::temp_dir());
    assert_eq!(s.all_points_in("keep", "k").len(), 1);
    assert_eq!(s.all_points("m").len(), 1);
}
