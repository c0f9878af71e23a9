//! The Prometheus HTTP API as Grafana's Prometheus data source uses it, replayed against the
//! real server: "Save & test", label names, `label_values(<selector>, <label>)`, Explore's
//! range and instant queries, the series lookup; then the error shapes, the limits, the
//! shared `POST /api/v1/series` route, and authentication.

mod common;

use common::Server;
use serde_json::{Value, json};

const FORM: &str = "application/x-www-form-urlencoded";
/// 2023-11-14T22:13:20Z.
const T: i64 = 1_700_000_000;

fn load(s: &Server) {
    let mut lp = String::new();
    for k in 0..60 {
        let t = (T + k * 15) * 1_000_000_000;
        lp.push_str(&format!("up,job=node,instance=a value=1 {t}\n"));
        lp.push_str(&format!(
            "up,job=node,instance=b value={} {t}\n",
            if k < 30 { 1 } else { 0 }
        ));
        lp.push_str(&format!(
            "node_cpu,job=node,instance=a,mode=idle seconds_total={} {t}\n",
            k * 15
        ));
    }
    s.write_ok("/write?precision=ns", "text/plain", &lp);
}

fn ok(r: &common::Resp) -> Value {
    assert_eq!(r.status, 200, "{}", r.body);
    let v = r.json();
    assert_eq!(v["status"], "success", "{v}");
    v["data"].clone()
}

fn error(r: &common::Resp, status: u16, kind: &str) -> String {
    assert_eq!(r.status, status, "{}", r.body);
    assert!(
        r.body.starts_with("{\"status\":\"error\",\"errorType\":"),
        "{}",
        r.body
    );
    let v = r.json();
    assert_eq!(v["errorType"], kind, "{v}");
    v["error"].as_str().unwrap().to_string()
}

#[test]
fn grafana_data_source_requests() {
    let s = Server::start(&[]);
    load(&s);
    // "Save & test".
    let d = ok(&s.post("/api/v1/query", FORM, b"query=1%2B1&time=4"));
    assert_eq!(d, json!({"resultType": "scalar", "result": [4, "2"]}));
    let d = ok(&s.get("/api/v1/status/buildinfo"));
    assert!(d["version"].as_str().unwrap().starts_with("2."), "{d}");
    // The query editor's metric and label lists.
    let range = format!("start={}&end={}", T, T + 900);
    let d = ok(&s.get(&format!("/api/v1/labels?{range}")));
    assert_eq!(d, json!(["__name__", "instance", "job", "mode"]));
    let d = ok(&s.post("/api/v1/labels", FORM, range.as_bytes()));
    assert_eq!(d, json!(["__name__", "instance", "job", "mode"]));
    let d = ok(&s.get(&format!("/api/v1/label/__name__/values?{range}")));
    assert_eq!(d, json!(["node_cpu_seconds_total", "up"]));
    // label_values(up{job="node"}, instance)
    let d = ok(&s.get(&format!(
        "/api/v1/label/instance/values?match%5B%5D=up%7Bjob%3D%22node%22%7D&{range}"
    )));
    assert_eq!(d, json!(["a", "b"]));
    // Explore: a range query at Grafana's step, and the instant query beside it.
    let body = format!(
        "query=sum+by+(instance)+(up)&start={}&end={}&step=60",
        T,
        T + 885
    );
    let d = ok(&s.post("/api/v1/query_range", FORM, body.as_bytes()));
    assert_eq!(d["resultType"], "matrix");
    let series = d["result"].as_array().unwrap();
    assert_eq!(series.len(), 2);
    assert_eq!(series[1]["metric"], json!({"instance": "b"}));
    assert_eq!(series[1]["values"][0], json!([T, "1"]));
    assert_eq!(series[1]["values"][14], json!([T + 840, "0"]));
    let body = format!(
        "query=rate(node_cpu_seconds_total%5B1m%5D)&time={}.5",
        T + 600
    );
    let d = ok(&s.post("/api/v1/query", FORM, body.as_bytes()));
    let v = &d["result"][0];
    assert_eq!(
        v["metric"],
        json!({"instance": "a", "job": "node", "mode": "idle"})
    );
    assert_eq!(v["value"][0], json!(1_700_000_600.5));
    let rate: f64 = v["value"][1].as_str().unwrap().parse().unwrap();
    assert!((rate - 1.0).abs() < 1e-9, "{v}");
    // RFC 3339 times and Go-style durations, as other clients send them.
    let d = ok(&s.get("/api/v1/query_range?query=up&start=2023-11-14T22:13:20Z&end=2023-11-14T22:14:20Z&step=1m0s"));
    assert_eq!(d["result"][0]["values"].as_array().unwrap().len(), 2);
    // The series lookup.
    let d = ok(&s.get(&format!("/api/v1/series?match%5B%5D=up&{range}")));
    assert_eq!(
        d,
        json!([{"__name__": "up", "instance": "a", "job": "node"}, {"__name__": "up", "instance": "b", "job": "node"}])
    );
    let d = ok(&s.get(&format!("/api/v1/series?match%5B%5D=up&limit=1&{range}")));
    assert_eq!(d.as_array().unwrap().len(), 1);
    // The valid empty answers and the formatter.
    assert_eq!(ok(&s.get("/api/v1/metadata")), json!({}));
    assert_eq!(ok(&s.get("/api/v1/rules")), json!({"groups": []}));
    assert_eq!(ok(&s.get("/api/v1/query_exemplars?query=up")), json!([]));
    assert_eq!(
        ok(&s.get("/api/v1/format_query?query=sum(up)by(job)")),
        json!("sum by (job) (up)")
    );
    let d = ok(&s.get("/api/v1/status/tsdb"));
    assert_eq!(d["headStats"]["numSeries"], 3);
    assert_eq!(
        d["seriesCountByMetricName"][0],
        json!({"name": "up", "value": 2})
    );
}

#[test]
fn errors_in_prometheus_shape() {
    let s = Server::start(&[]);
    load(&s);
    let m = error(&s.get("/api/v1/query?query=sum(up"), 400, "bad_data");
    assert!(m.contains("parse error"), "{m}");
    let m = error(
        &s.get("/api/v1/query?query=up&time=yesterday"),
        400,
        "bad_data",
    );
    assert_eq!(
        m,
        "invalid parameter \"time\": cannot parse \"yesterday\" to a valid timestamp"
    );
    let m = error(
        &s.get("/api/v1/query_range?query=up&start=1&end=2&step=0"),
        400,
        "bad_data",
    );
    assert!(m.contains("zero or negative"), "{m}");
    let m = error(
        &s.get("/api/v1/query_range?query=up&start=0&end=100000&step=1"),
        400,
        "bad_data",
    );
    assert!(m.contains("11,000"), "{m}");
    let m = error(
        &s.get("/api/v1/query_range?query=up&end=2&step=1"),
        400,
        "bad_data",
    );
    assert!(m.contains("\"start\""), "{m}");
    let m = error(
        &s.get("/api/v1/query_range?query=up%5B5m%5D&start=1&end=2&step=1"),
        400,
        "bad_data",
    );
    assert!(m.contains("range vector"), "{m}");
    error(&s.get("/api/v1/series"), 400, "bad_data");
    let m = error(
        &s.get(&format!(
            "/api/v1/query?query=label_replace(up,%221x%22,%22%22,%22job%22,%22%22)&time={T}"
        )),
        422,
        "execution",
    );
    assert!(m.contains("invalid destination label name"), "{m}");
    // A server with a 1 ms limit (only here: on a busy machine any query can take longer):
    // a query that takes longer is a timeout.
    let hurried = Server::start(&["--query-timeout", "1ms"]);
    load(&hurried);
    let slow = format!(
        "/api/v1/query_range?query=sum_over_time(up%5B1h:1s%5D)&start={}&end={}&step=1",
        T,
        T + 10_000
    );
    let m = error(&hurried.get(&slow), 503, "timeout");
    assert!(m.contains("timed out"), "{m}");
    // Strata's own JSON series route still answers a JSON body.
    let r = s.post_json("/api/v1/series", &json!({"measurement": "up"}));
    assert_eq!(r.status, 200, "{}", r.body);
    assert_eq!(r.json()["count"], 2);
}

#[test]
fn sample_limit_and_auth() {
    let s = Server::start(&["--query-max-samples", "10", "--auth-token", "tok"]);
    load(&s);
    let m = error(
        &s.get(&format!("/api/v1/query?query=up%5B15m%5D&time={}", T + 900)),
        422,
        "execution",
    );
    assert!(m.contains("too many samples"), "{m}");
    let r = s.request(
        "GET",
        "/api/v1/query?query=up",
        &[("Authorization", "Bearer wrong")],
        None,
    );
    assert_eq!(r.status, 401, "{}", r.body);
    let r = s.request(
        "GET",
        "/api/v1/labels",
        &[("Authorization", "Bearer wrong")],
        None,
    );
    assert_eq!(r.status, 401, "{}", r.body);
}
