//! PromQL differential test: the same samples go by remote write into Strata and into the
//! real Prometheus 2.42 (Debian's, with its remote-write receiver), then every query of
//! `QUERIES` runs on both, as instant queries at several times and as range queries, and the
//! answers must agree: same series, same timestamps, values equal to 1e-9 relative (NaN equal
//! to NaN), the same order where the query sorts, the same error type where Prometheus
//! refuses. Metadata routes (`labels`, `label/<name>/values`, `series`) are compared too.
//!
//! One Prometheus and one Strata serve every query (one start each). Without Prometheus the
//! test prints SKIPPED, and fails under CI (`CI` set), like the other real-client tests.

mod common;

use std::fmt::Write as _;
use std::path::Path;
use std::process::{Command, Stdio};
use std::time::Duration;

use common::{Reaper, Server, agent, free_port, remote_write_body, skip, wait_for};
use serde_json::Value;

/// 2026-01-01T00:00:00Z in ms.
const T0: i64 = 1_767_225_600_000;
const STEP_MS: i64 = 15_000;
/// Three hours of samples.
const SAMPLES: i64 = 720;
const STALE: u64 = 0x7ff0_0000_0000_0002;

/// Expressions compared; `$AT` is replaced by a time inside the data.
const QUERIES: &[&str] = &[
    "http_requests_total",
    "http_requests_total{job=\"api\"}",
    "http_requests_total{code=~\"5..\"}",
    "http_requests_total{code!~\"2..\",method!=\"get\"}",
    "{__name__=~\"http_.*_total\",job!=\"db\"}",
    "{job=\"\"}",
    "up{instance=~\"i1|i3\"}",
    "rate(http_requests_total[5m])",
    "rate(http_requests_total[1m])",
    "rate(http_requests_total[37s])",
    "irate(http_requests_total[5m])",
    "increase(http_requests_total[10m])",
    "delta(temperature[10m])",
    "idelta(temperature[5m])",
    "deriv(temperature[10m])",
    "predict_linear(temperature[15m], 600)",
    "resets(http_requests_total[30m])",
    "changes(temperature[30m])",
    "sum(rate(http_requests_total[5m]))",
    "sum by (job) (rate(http_requests_total[5m]))",
    "sum without (instance) (rate(http_requests_total[5m]))",
    "avg by (code) (http_requests_total)",
    "max by (job) (temperature)",
    "min without (room) (temperature)",
    "count(temperature)",
    "count by (job) (up)",
    "group by (job) (http_requests_total)",
    "stddev(temperature)",
    "stdvar by (job) (temperature)",
    "topk(3, temperature)",
    "bottomk(2, http_requests_total)",
    "topk by (job) (1, rate(http_requests_total[5m]))",
    "quantile(0.9, temperature)",
    "quantile by (job) (0.5, rate(http_requests_total[5m]))",
    "count_values(\"value\", up)",
    "sum by (__name__) ({__name__=~\"up|temperature\"})",
    "avg_over_time(temperature[10m])",
    "sum_over_time(temperature[10m])",
    "min_over_time(temperature[10m])",
    "max_over_time(temperature[10m])",
    "count_over_time(temperature[10m])",
    "last_over_time(temperature[10m])",
    "present_over_time(flaky[10m])",
    "stddev_over_time(temperature[10m])",
    "stdvar_over_time(temperature[10m])",
    "quantile_over_time(0.75, temperature[10m])",
    "holt_winters(temperature[10m], 0.3, 0.6)",
    "holt_winters(http_requests_total[5m], 0.5, 0.1)",
    "holt_winters(temperature[10m], 1.5, 0.5)",
    "absent(nonexistent{job=\"x\"})",
    "absent(temperature)",
    "absent_over_time(flaky[2m])",
    "histogram_quantile(0.9, rate(http_request_duration_seconds_bucket[5m]))",
    "histogram_quantile(0.5, sum by (le) (rate(http_request_duration_seconds_bucket[5m])))",
    "histogram_quantile(0.99, sum by (le, job) (http_request_duration_seconds_bucket))",
    "temperature * 2",
    "2 ^ up",
    "-temperature",
    "temperature > 20",
    "temperature > bool 20",
    "20 < temperature",
    "temperature % 7",
    "temperature atan2 10",
    "temperature / on(instance) group_left up",
    "up * on(instance) group_right temperature",
    "http_requests_total / ignoring(code) group_left sum without (code) (http_requests_total)",
    "sum by (job, instance) (rate(http_requests_total[5m])) / on(job, instance) up",
    "up == 1",
    "up == bool 1",
    "up and on(instance) temperature > 20",
    "temperature unless on(instance) up == 0",
    "up or temperature",
    "temperature or vector(1)",
    "abs(-temperature)",
    "ceil(temperature)",
    "floor(temperature)",
    "round(temperature)",
    "round(temperature, 5)",
    "sqrt(temperature)",
    "exp(temperature / 100)",
    "ln(temperature)",
    "log2(temperature)",
    "log10(temperature)",
    "clamp(temperature, 15, 25)",
    "clamp_min(temperature, 20)",
    "clamp_max(temperature, 20)",
    "sgn(temperature - 20)",
    "scalar(up{instance=\"i1\"})",
    "scalar(up)",
    "vector(1)",
    "time()",
    "time() - 3600",
    "1 + 2 * 3",
    "timestamp(temperature)",
    "timestamp(sum(temperature))",
    "hour()",
    "minute(timestamp(up))",
    "day_of_week()",
    "day_of_month()",
    "day_of_year()",
    "days_in_month()",
    "month()",
    "year()",
    "label_replace(up, \"host\", \"$1\", \"instance\", \"i(.*)\")",
    "label_replace(up, \"instance\", \"\", \"instance\", \".*\")",
    "label_join(up, \"foo\", \"-\", \"job\", \"instance\")",
    "sort(temperature)",
    "sort_desc(temperature)",
    "temperature offset 10m",
    "rate(http_requests_total[5m] offset 30m)",
    "temperature @ $AT",
    "sum(temperature @ start())",
    "rate(http_requests_total[5m] @ end())",
    "max_over_time(rate(http_requests_total[1m])[10m:1m])",
    "avg_over_time(temperature[15m:30s])",
    "min_over_time(temperature[10m:] offset 5m)",
    "sum_over_time(sum(up)[20m:2m])",
    "flaky",
    "gappy",
    "sum(flaky)",
    "count_over_time(gappy[10m])",
    "rate(gappy[10m])",
    "ratio",
    "max(ratio)",
    "min_over_time(ratio[5m])",
    "avg_over_time(ratio[5m])",
    "ratio > 0.5",
    "sum by (instance) (rate(ratio[5m]))",
    "quantile(0.5, ratio)",
    "topk(1, ratio)",
    "bottomk(1, ratio)",
    "topk(2, up)",
    "changes(ratio[10m])",
    // Errors.
    "sum(",
    "rate(temperature)",
    "label_replace(up, \"1bad\", \"x\", \"job\", \".*\")",
    "up + on(job) temperature",
    "up * temperature",
    "temperature + ignoring(room) temperature",
    "rate({__name__=~\"up|temperature\"}[5m])",
];

/// Queries whose instant results are ordered.
fn ordered(q: &str) -> bool {
    q.starts_with("sort") || q.starts_with("topk(3")
}

/// A deterministic generator (64-bit LCG).
struct Rng(u64);

impl Rng {
    fn next(&mut self) -> u64 {
        self.0 = self
            .0
            .wrapping_mul(6364136223846793005)
            .wrapping_add(1442695040888963407);
        self.0 >> 33
    }

    fn below(&mut self, n: u64) -> u64 {
        self.next() % n
    }
}

type Labels = Vec<(String, String)>;
/// One series' borrowed labels and its samples in one request.
type Part<'a> = (Vec<(&'a str, &'a str)>, Vec<(f64, i64)>);

/// Every series with its samples (value, ms), in time order.
fn dataset() -> Vec<(Labels, Vec<(f64, i64)>)> {
    let mut rng = Rng(42);
    let mut out = Vec::new();
    let l = |pairs: &[(&str, &str)]| -> Labels {
        pairs
            .iter()
            .map(|(k, v)| (k.to_string(), v.to_string()))
            .collect()
    };
    let instances = [("api", "i1"), ("api", "i2"), ("db", "i3")];
    let time = |rng: &mut Rng, k: i64| T0 + k * STEP_MS + rng.below(1000) as i64;
    for (job, inst) in instances {
        for method in ["get", "post"] {
            for code in ["200", "500"] {
                let mut v = 0.0;
                let mut samples = Vec::new();
                for k in 0..SAMPLES {
                    v += rng.below(10) as f64;
                    if inst == "i2" && method == "get" && code == "200" && k == 300 {
                        v = 3.0; // a counter reset
                    }
                    samples.push((v, time(&mut rng, k)));
                }
                out.push((
                    l(&[
                        ("__name__", "http_requests_total"),
                        ("code", code),
                        ("instance", inst),
                        ("job", job),
                        ("method", method),
                    ]),
                    samples,
                ));
            }
        }
        for room in ["a", "b"] {
            let mut v = 20.0;
            let samples = (0..SAMPLES)
                .map(|k| {
                    v += (rng.below(200) as f64 - 100.0) / 100.0;
                    ((v * 100.0f64).round() / 100.0, time(&mut rng, k))
                })
                .collect();
            out.push((
                l(&[
                    ("__name__", "temperature"),
                    ("instance", inst),
                    ("job", job),
                    ("room", room),
                ]),
                samples,
            ));
        }
        let up = (0..SAMPLES)
            .map(|k| {
                let down = inst == "i3" && (200..260).contains(&k);
                (if down { 0.0 } else { 1.0 }, time(&mut rng, k))
            })
            .collect();
        out.push((
            l(&[("__name__", "up"), ("instance", inst), ("job", job)]),
            up,
        ));
        let mut counts = [0.0f64; 4];
        let mut buckets: Vec<Vec<(f64, i64)>> = vec![Vec::new(); 4];
        for k in 0..SAMPLES {
            let t = time(&mut rng, k);
            for _ in 0..rng.below(20) {
                let b = rng.below(4) as usize;
                for c in counts.iter_mut().skip(b) {
                    *c += 1.0;
                }
            }
            for (i, c) in counts.iter().enumerate() {
                buckets[i].push((*c, t));
            }
        }
        for (le, samples) in ["0.1", "0.5", "1", "+Inf"].iter().zip(buckets) {
            out.push((
                l(&[
                    ("__name__", "http_request_duration_seconds_bucket"),
                    ("instance", inst),
                    ("job", job),
                    ("le", le),
                ]),
                samples,
            ));
        }
    }
    // A gauge with NaN values (real ones, not staleness markers).
    for inst in ["i1", "i2"] {
        let samples = (0..SAMPLES)
            .map(|k| {
                let v = if k % 37 == 5 {
                    f64::NAN
                } else {
                    rng.below(1000) as f64 / 1000.0
                };
                (v, time(&mut rng, k))
            })
            .collect();
        out.push((l(&[("__name__", "ratio"), ("instance", inst)]), samples));
    }
    let stale = f64::from_bits(STALE);
    let mut flaky = Vec::new();
    for k in 0..SAMPLES {
        let t = time(&mut rng, k);
        match k {
            0..160 | 240..360 => flaky.push((k as f64, t)),
            160 | 360 => flaky.push((stale, t)),
            _ => {}
        }
    }
    out.push((
        l(&[("__name__", "flaky"), ("instance", "i1"), ("job", "api")]),
        flaky,
    ));
    let gappy = (0..SAMPLES)
        .filter(|k| !(100..180).contains(k))
        .map(|k| ((k * 2) as f64, time(&mut rng, k)))
        .collect();
    out.push((
        l(&[("__name__", "gappy"), ("instance", "i2"), ("job", "api")]),
        gappy,
    ));
    out
}

/// Sends the data time-major, 30 minutes per request (Prometheus' head accepts samples up
/// to an hour behind its newest).
fn write_all(base: &str, data: &[(Labels, Vec<(f64, i64)>)]) {
    let agent = agent();
    let slice = 30 * 60 * 1000;
    let mut from = T0;
    while from < T0 + SAMPLES * STEP_MS {
        let to = from + slice;
        let parts: Vec<Part<'_>> = data
            .iter()
            .map(|(labels, samples)| {
                (
                    labels
                        .iter()
                        .map(|(k, v)| (k.as_str(), v.as_str()))
                        .collect(),
                    samples
                        .iter()
                        .copied()
                        .filter(|(_, t)| *t >= from && *t < to)
                        .collect(),
                )
            })
            .filter(|(_, s): &Part<'_>| !s.is_empty())
            .collect();
        let series: Vec<common::RwSeries<'_>> =
            parts.iter().map(|(l, s)| (&l[..], &s[..])).collect();
        let body = remote_write_body(&series);
        let resp = agent
            .post(&format!("{base}/api/v1/write"))
            .header("Content-Type", "application/x-protobuf")
            .header("Content-Encoding", "snappy")
            .header("X-Prometheus-Remote-Write-Version", "0.1.0")
            .send(&body[..])
            .unwrap();
        assert!(
            resp.status().as_u16() / 100 == 2,
            "{base}: remote write answered {}",
            resp.status()
        );
        from = to;
    }
}

fn get(base: &str, path: &str, params: &[(&str, String)]) -> Value {
    let agent = agent();
    let mut req = agent.get(&format!("{base}{path}"));
    for (k, v) in params {
        req = req.query(k, v);
    }
    let mut resp = req.call().unwrap();
    let text = resp.body_mut().read_to_string().unwrap();
    serde_json::from_str(&text).unwrap_or_else(|e| panic!("{base}{path}: not JSON ({e}): {text}"))
}

fn number(v: &Value) -> f64 {
    match v.as_str() {
        Some("NaN") => f64::NAN,
        Some("+Inf") => f64::INFINITY,
        Some("-Inf") => f64::NEG_INFINITY,
        Some(s) => s.parse().unwrap_or_else(|_| panic!("not a number: {s}")),
        None => v.as_f64().unwrap_or_else(|| panic!("not a number: {v}")),
    }
}

fn close(a: f64, b: f64) -> bool {
    (a.is_nan() && b.is_nan())
        || a == b
        || (a - b).abs() <= 1e-9 * a.abs().max(b.abs())
        || (a - b).abs() < 1e-12
}

/// `(labels as text, [(t, v)])` per series of a result, as both servers' answers compare.
fn series_of(result: &Value) -> Vec<(String, Vec<(f64, f64)>)> {
    let point = |p: &Value| (p[0].as_f64().unwrap_or(f64::NAN), number(&p[1]));
    match result["resultType"].as_str() {
        Some("vector") => result["result"]
            .as_array()
            .unwrap()
            .iter()
            .map(|s| (s["metric"].to_string(), vec![point(&s["value"])]))
            .collect(),
        Some("matrix") => result["result"]
            .as_array()
            .unwrap()
            .iter()
            .map(|s| {
                (
                    s["metric"].to_string(),
                    s["values"].as_array().unwrap().iter().map(point).collect(),
                )
            })
            .collect(),
        Some("scalar") | Some("string") => vec![("scalar".into(), vec![point(&result["result"])])],
        other => panic!("unknown resultType {other:?}: {result}"),
    }
}

/// Differences between the two answers, empty when they agree.
fn compare(q: &str, what: &str, prom: &Value, ours: &Value, keep_order: bool) -> Option<String> {
    let mut diff = String::new();
    if prom["status"] != ours["status"] {
        return Some(format!(
            "{what} {q}: status Prometheus {prom} vs Strata {ours}\n"
        ));
    }
    if prom["status"] == "error" {
        if prom["errorType"] != ours["errorType"] {
            return Some(format!(
                "{what} {q}: errorType Prometheus {prom} vs Strata {ours}\n"
            ));
        }
        return None;
    }
    let (p, o) = (&prom["data"], &ours["data"]);
    if p["resultType"] != o["resultType"] {
        return Some(format!(
            "{what} {q}: resultType {} vs {}\n",
            p["resultType"], o["resultType"]
        ));
    }
    let mut ps = series_of(p);
    let mut os = series_of(o);
    if !keep_order {
        ps.sort_by(|a, b| a.0.cmp(&b.0));
        os.sort_by(|a, b| a.0.cmp(&b.0));
    }
    let pl: Vec<&String> = ps.iter().map(|s| &s.0).collect();
    let ol: Vec<&String> = os.iter().map(|s| &s.0).collect();
    if pl != ol {
        return Some(format!(
            "{what} {q}: series differ\n  Prometheus {pl:?}\n  Strata     {ol:?}\n"
        ));
    }
    for ((labels, a), (_, b)) in ps.iter().zip(&os) {
        if a.len() != b.len() {
            let _ = writeln!(
                diff,
                "{what} {q} {labels}: {} points vs {}",
                a.len(),
                b.len()
            );
            let at: Vec<f64> = a.iter().map(|x| x.0).collect();
            let bt: Vec<f64> = b.iter().map(|x| x.0).collect();
            let _ = writeln!(
                diff,
                "  Prometheus times {:?}..\n  Strata times     {:?}..",
                &at[..at.len().min(8)],
                &bt[..bt.len().min(8)]
            );
            continue;
        }
        for (x, y) in a.iter().zip(b) {
            if x.0 != y.0 || !close(x.1, y.1) {
                let _ = writeln!(
                    diff,
                    "{what} {q} {labels}: Prometheus {x:?} vs Strata {y:?}"
                );
                break;
            }
        }
    }
    (!diff.is_empty()).then_some(diff)
}

/// Starts Prometheus on a free port with its files under `dir` and `extra` appended to its
/// configuration; waits until it is ready.
fn start_prometheus(bin: &Path, dir: &Path, extra: &str) -> (String, Reaper) {
    std::fs::create_dir_all(dir).unwrap();
    let port = free_port();
    let config = dir.join("prometheus.yml");
    std::fs::write(
        &config,
        format!("global:\n  evaluation_interval: 1m\n{extra}"),
    )
    .unwrap();
    let log_path = dir.join("prometheus.log");
    let log = std::fs::File::create(&log_path).unwrap();
    let child = Command::new(bin)
        .arg(format!("--config.file={}", config.display()))
        .arg(format!(
            "--storage.tsdb.path={}",
            dir.join("tsdb").display()
        ))
        .arg(format!("--web.listen-address=127.0.0.1:{port}"))
        .arg("--web.enable-remote-write-receiver")
        .arg("--storage.tsdb.retention.time=100y")
        .stdout(Stdio::null())
        .stderr(log)
        .spawn()
        .unwrap();
    let reaper = Reaper(child);
    let url = format!("http://127.0.0.1:{port}");
    let ready = wait_for(Duration::from_secs(60), || {
        agent()
            .get(&format!("{url}/-/ready"))
            .call()
            .ok()
            .filter(|r| r.status() == 200)
            .map(|_| ())
    });
    assert!(
        ready.is_some(),
        "Prometheus did not start: {}",
        std::fs::read_to_string(&log_path).unwrap_or_default()
    );
    (url, reaper)
}

#[test]
fn promql_answers_match_prometheus() {
    let bin = Path::new("/usr/bin/prometheus");
    if !bin.exists() {
        skip("Prometheus (/usr/bin/prometheus; apt-get install prometheus)");
        return;
    }
    let strata = Server::start(&[]);
    let dir = tempfile::tempdir().unwrap();
    let (prom, _reaper) = start_prometheus(bin, &dir.path().join("writer"), "");
    // A second Prometheus with no data of its own, reading everything back from Strata.
    let reader_config = format!(
        "remote_read:\n  - url: {}/api/v1/read\n    read_recent: true\n",
        strata.url("")
    );
    let (reader, _reader_reaper) =
        start_prometheus(bin, &dir.path().join("reader"), &reader_config);
    let data = dataset();
    write_all(&prom, &data);
    write_all(&strata.url(""), &data);

    let secs = |ms: i64| format!("{}.{:03}", ms / 1000, ms % 1000);
    let at = T0 + 3_600_000 + 123;
    let instants = [
        T0 + 3_600_000,
        T0 + 2 * 3_600_000 + 7_500,
        T0 + 2_400_000 + 1,
        T0 + SAMPLES * STEP_MS + 240_000,
    ];
    let ranges = [
        (T0 + 600_000, T0 + SAMPLES * STEP_MS + 600_000, "60"),
        (T0, T0 + 3_600_000, "37s"),
    ];
    let mut failures = String::new();
    let mut compared = 0;
    for q in QUERIES {
        let q = q.replace("$AT", &secs(at));
        for t in instants {
            let params = [("query", q.clone()), ("time", secs(t))];
            let p = get(&prom, "/api/v1/query", &params);
            let o = get(&strata.url(""), "/api/v1/query", &params);
            if let Some(d) = compare(&q, &format!("instant@{}", secs(t)), &p, &o, ordered(&q)) {
                failures.push_str(&d);
            }
            compared += 1;
        }
        // Prometheus reading Strata by remote read answers as Prometheus over its own data.
        let params = [("query", q.clone()), ("time", secs(instants[1]))];
        let p = get(&prom, "/api/v1/query", &params);
        let r = get(&reader, "/api/v1/query", &params);
        if let Some(d) = compare(&q, "remote-read instant", &p, &r, ordered(&q)) {
            failures.push_str(&d);
        }
        compared += 1;
        for (start, end, step) in ranges {
            let params = [
                ("query", q.clone()),
                ("start", secs(start)),
                ("end", secs(end)),
                ("step", step.to_string()),
            ];
            let p = get(&prom, "/api/v1/query_range", &params);
            let o = get(&strata.url(""), "/api/v1/query_range", &params);
            if let Some(d) = compare(&q, &format!("range[{step}]"), &p, &o, false) {
                failures.push_str(&d);
            }
            compared += 1;
        }
    }
    // Metadata.
    let whole = [("start", secs(T0)), ("end", secs(T0 + SAMPLES * STEP_MS))];
    let meta: Vec<(&str, Vec<(&str, String)>)> = vec![
        ("/api/v1/labels", whole.to_vec()),
        ("/api/v1/label/__name__/values", whole.to_vec()),
        ("/api/v1/label/job/values", whole.to_vec()),
        (
            "/api/v1/series",
            vec![
                ("match[]", "up".into()),
                ("match[]", "{__name__=~\"temp.*\",room=\"a\"}".into()),
                whole[0].clone(),
                whole[1].clone(),
            ],
        ),
        ("/api/v1/labels", vec![("match[]", "up".into())]),
        (
            "/api/v1/label/le/values",
            vec![(
                "match[]",
                "http_request_duration_seconds_bucket{instance=\"i1\"}".into(),
            )],
        ),
    ];
    for (path, params) in meta {
        let p = get(&prom, path, &params);
        let o = get(&strata.url(""), path, &params);
        let norm = |v: &Value| {
            let mut items: Vec<String> = v["data"]
                .as_array()
                .map(|a| a.iter().map(|x| x.to_string()).collect())
                .unwrap_or_default();
            items.sort();
            items
        };
        if p["status"] != o["status"] || norm(&p) != norm(&o) {
            let _ = writeln!(failures, "{path} {params:?}: Prometheus {p} vs Strata {o}");
        }
        compared += 1;
    }
    assert!(
        failures.is_empty(),
        "{compared} comparisons; these differ:\n{failures}"
    );
    eprintln!("{compared} PromQL answers equal to Prometheus 2.42's");
}
