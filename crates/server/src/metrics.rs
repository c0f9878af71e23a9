//! `GET /metrics`: Strata's own metrics in the Prometheus text format (version 0.0.4). Engine
//! counters and gauges come from `Engine::stats()`; the server adds request counts and a
//! latency histogram per route (recorded by the [`track`] middleware) and query latency.

use std::collections::BTreeMap;
use std::fmt::Write as _;
use std::time::{Duration, Instant};

use axum::extract::{MatchedPath, Request, State};
use axum::http::header;
use axum::middleware::Next;
use axum::response::{IntoResponse, Response};
use parking_lot::Mutex;

use std::sync::Arc;

use crate::databases::Database;
use crate::state::AppState;

/// Upper bounds (seconds) of the latency histogram buckets.
const BUCKETS: [f64; 14] = [
    0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0,
];

/// A cumulative latency histogram.
#[derive(Debug, Default, Clone)]
struct Histogram {
    /// Observations per bucket (not cumulative; summed when rendered).
    counts: [u64; BUCKETS.len()],
    count: u64,
    sum: f64,
}

impl Histogram {
    fn observe(&mut self, d: Duration) {
        let s = d.as_secs_f64();
        if let Some(i) = BUCKETS.iter().position(|&b| s <= b) {
            self.counts[i] += 1;
        }
        self.count += 1;
        self.sum += s;
    }

    fn render(&self, out: &mut String, name: &str, labels: &str) {
        let sep = if labels.is_empty() { "" } else { "," };
        let mut cum = 0;
        for (b, c) in BUCKETS.iter().zip(self.counts) {
            cum += c;
            let _ = writeln!(out, "{name}_bucket{{{labels}{sep}le=\"{b}\"}} {cum}");
        }
        let _ = writeln!(
            out,
            "{name}_bucket{{{labels}{sep}le=\"+Inf\"}} {}",
            self.count
        );
        let braces = if labels.is_empty() {
            String::new()
        } else {
            format!("{{{labels}}}")
        };
        let _ = writeln!(out, "{name}_sum{braces} {}", self.sum);
        let _ = writeln!(out, "{name}_count{braces} {}", self.count);
    }
}

/// Server-side metrics (the engine keeps its own counters).
#[derive(Debug, Default)]
pub struct Metrics {
    /// (route, method, status) -> requests.
    requests: Mutex<BTreeMap<(String, String, u16), u64>>,
    /// route -> latency.
    latency: Mutex<BTreeMap<String, Histogram>>,
    query_latency: Mutex<Histogram>,
    /// (write requests accepted, points in them).
    writes: Mutex<(u64, u64)>,
}

impl Metrics {
    /// Records one finished request.
    pub fn record_request(&self, route: &str, method: &str, status: u16, elapsed: Duration) {
        *self
            .requests
            .lock()
            .entry((route.to_string(), method.to_string(), status))
            .or_default() += 1;
        self.latency
            .lock()
            .entry(route.to_string())
            .or_default()
            .observe(elapsed);
    }

    /// Records the execution time of one query.
    pub fn record_query(&self, elapsed: Duration) {
        self.query_latency.lock().observe(elapsed);
    }

    /// Records an accepted write request of `points` points.
    pub fn record_write(&self, points: usize) {
        let mut w = self.writes.lock();
        w.0 += 1;
        w.1 += points as u64;
    }
}

/// Middleware: times every request and counts it by route, method and status.
pub async fn track(State(state): State<AppState>, req: Request, next: Next) -> Response {
    let route = req
        .extensions()
        .get::<MatchedPath>()
        .map_or_else(|| "unmatched".to_string(), |p| p.as_str().to_string());
    let method = method_label(req.method());
    let started = Instant::now();
    let resp = next.run(req).await;
    state
        .metrics()
        .record_request(&route, method, resp.status().as_u16(), started.elapsed());
    resp
}

/// The `method` label: one of the standard methods, or `other`, so a client sending made-up
/// methods cannot grow the label set (and `/metrics`, and memory) without bound. Routes are
/// bounded already (the matched route pattern, or `unmatched`), statuses are three digits.
fn method_label(method: &axum::http::Method) -> &'static str {
    use axum::http::Method;
    match *method {
        Method::GET => "GET",
        Method::POST => "POST",
        Method::PUT => "PUT",
        Method::DELETE => "DELETE",
        Method::HEAD => "HEAD",
        Method::OPTIONS => "OPTIONS",
        Method::PATCH => "PATCH",
        Method::CONNECT => "CONNECT",
        Method::TRACE => "TRACE",
        _ => "other",
    }
}

fn escape(v: &str) -> String {
    v.replace('\\', "\\\\")
        .replace('"', "\\\"")
        .replace('\n', "\\n")
}

fn metric(out: &mut String, name: &str, kind: &str, help: &str, samples: &[(&str, f64)]) {
    let _ = writeln!(out, "# HELP {name} {help}");
    let _ = writeln!(out, "# TYPE {name} {kind}");
    for (labels, v) in samples {
        if labels.is_empty() {
            let _ = writeln!(out, "{name} {v}");
        } else {
            let _ = writeln!(out, "{name}{{{labels}}} {v}");
        }
    }
}

/// The whole exposition text.
pub fn render(state: &AppState) -> String {
    let dbs = state.databases().all();
    let mut s = dbs[0].engine().stats();
    for db in &dbs[1..] {
        s.add(&db.engine().stats());
    }
    let m = state.metrics();
    let mut out = String::with_capacity(8 << 10);
    let c = |v: u64| v as f64;
    metric(
        &mut out,
        "strata_points_written_total",
        "counter",
        "Field values written (each field of each point).",
        &[("", c(s.points_written))],
    );
    metric(
        &mut out,
        "strata_write_batches_total",
        "counter",
        "Write batches applied by the engine.",
        &[("", c(s.batches_written))],
    );
    let (writes, points) = *m.writes.lock();
    metric(
        &mut out,
        "strata_write_requests_total",
        "counter",
        "Write requests accepted.",
        &[("", c(writes))],
    );
    metric(
        &mut out,
        "strata_write_request_points_total",
        "counter",
        "Points in accepted write requests.",
        &[("", c(points))],
    );
    metric(
        &mut out,
        "strata_wal_bytes_written_total",
        "counter",
        "Bytes written to WAL segments.",
        &[("", c(s.wal.bytes_written))],
    );
    metric(
        &mut out,
        "strata_wal_records_total",
        "counter",
        "WAL records written.",
        &[("", c(s.wal.records))],
    );
    metric(
        &mut out,
        "strata_wal_group_commits_total",
        "counter",
        "WAL group-commit writes.",
        &[("", c(s.wal.batches))],
    );
    metric(
        &mut out,
        "strata_wal_fsyncs_total",
        "counter",
        "WAL fsync calls.",
        &[("", c(s.wal.fsyncs))],
    );
    metric(
        &mut out,
        "strata_wal_segments_created_total",
        "counter",
        "WAL segment files created.",
        &[("", c(s.wal.segments_created))],
    );
    metric(
        &mut out,
        "strata_memtable_bytes",
        "gauge",
        "Bytes held by the active MemTable.",
        &[("", c(s.memtable_bytes))],
    );
    metric(
        &mut out,
        "strata_memtable_frozen_bytes",
        "gauge",
        "Bytes held by frozen MemTables waiting for a flush.",
        &[("", c(s.frozen_memtable_bytes))],
    );
    metric(
        &mut out,
        "strata_flushes_total",
        "counter",
        "MemTable flushes to L0 SSTables.",
        &[("", c(s.flushes))],
    );
    metric(
        &mut out,
        "strata_compactions_total",
        "counter",
        "Compactions.",
        &[("", c(s.compactions))],
    );
    metric(
        &mut out,
        "strata_backpressure_total",
        "counter",
        "Writes refused because MemTables were over the hard cap.",
        &[("", c(s.backpressure))],
    );
    metric(
        &mut out,
        "strata_series",
        "gauge",
        "Series known to the catalog (cardinality).",
        &[("", c(s.series))],
    );
    metric(
        &mut out,
        "strata_tombstones",
        "gauge",
        "Range deletes kept until compaction has reclaimed the points they hide.",
        &[("", c(s.tombstones))],
    );
    metric(
        &mut out,
        "strata_cold_partitions",
        "gauge",
        "Partitions whose data is in the cold tier's object store only (local_retention).",
        &[("", c(s.cold_partitions))],
    );
    let lv: Vec<(String, &strata_engine::LevelStats)> = s
        .levels
        .iter()
        .enumerate()
        .map(|(i, l)| (format!("level=\"{i}\""), l))
        .collect();
    let per_level = |f: fn(&strata_engine::LevelStats) -> u64| {
        lv.iter()
            .map(|(k, l)| (k.as_str(), f(l) as f64))
            .collect::<Vec<_>>()
    };
    metric(
        &mut out,
        "strata_sstables",
        "gauge",
        "Live SSTables per level.",
        &per_level(|l| l.files),
    );
    metric(
        &mut out,
        "strata_sstable_bytes",
        "gauge",
        "Bytes of live SSTables per level.",
        &per_level(|l| l.bytes),
    );
    metric(
        &mut out,
        "strata_sstable_points",
        "gauge",
        "Points in live SSTables per level.",
        &per_level(|l| l.points),
    );
    let read_only = if dbs.iter().any(|d| d.engine().read_only_reason().is_some()) {
        1.0
    } else {
        0.0
    };
    metric(
        &mut out,
        "strata_read_only",
        "gauge",
        "1 when the engine refuses writes for good (a failed WAL fsync; see /ready).",
        &[("", read_only)],
    );
    background_metrics(&mut out, &dbs);

    let requests = m.requests.lock().clone();
    let labels: Vec<(String, f64)> = requests
        .iter()
        .map(|((r, meth, st), n)| {
            (
                format!(
                    "route=\"{}\",method=\"{}\",status=\"{st}\"",
                    escape(r),
                    escape(meth)
                ),
                *n as f64,
            )
        })
        .collect();
    let refs: Vec<(&str, f64)> = labels.iter().map(|(l, v)| (l.as_str(), *v)).collect();
    metric(
        &mut out,
        "strata_http_requests_total",
        "counter",
        "HTTP requests by route, method and status.",
        &refs,
    );

    let name = "strata_http_request_duration_seconds";
    let _ = writeln!(out, "# HELP {name} HTTP request latency by route.");
    let _ = writeln!(out, "# TYPE {name} histogram");
    for (route, h) in m.latency.lock().clone() {
        h.render(&mut out, name, &format!("route=\"{}\"", escape(&route)));
    }
    let name = "strata_query_duration_seconds";
    let _ = writeln!(out, "# HELP {name} Query execution latency.");
    let _ = writeln!(out, "# TYPE {name} histogram");
    m.query_latency.lock().clone().render(&mut out, name, "");
    out
}

/// Per background job: whether its last run failed, and failures and panics since start.
fn background_metrics(out: &mut String, dbs: &[Arc<Database>]) {
    use strata_engine::BackgroundJob;
    let failing: Vec<_> = dbs
        .iter()
        .flat_map(|d| d.engine().background_failures())
        .collect();
    let counts = |j: BackgroundJob| {
        dbs.iter()
            .map(|d| d.engine().background_counts(j))
            .fold((0u64, 0u64), |(f, p), c| (f + c.failures, p + c.panics))
    };
    let labels: Vec<String> = BackgroundJob::ALL
        .iter()
        .map(|j| format!("job=\"{}\"", j.name()))
        .collect();
    let per_job = |f: &dyn Fn(BackgroundJob) -> f64| -> Vec<(&str, f64)> {
        BackgroundJob::ALL
            .iter()
            .zip(&labels)
            .map(|(j, l)| (l.as_str(), f(*j)))
            .collect()
    };
    metric(
        out,
        "strata_background_job_failing",
        "gauge",
        "1 while a background job's last run failed (writes are still accepted; see /ready).",
        &per_job(&|j| f64::from(u8::from(failing.iter().any(|f| f.job == j)))),
    );
    metric(
        out,
        "strata_background_job_failures_total",
        "counter",
        "Failed runs of each background job.",
        &per_job(&|j| counts(j).0 as f64),
    );
    metric(
        out,
        "strata_background_job_panics_total",
        "counter",
        "Runs of each background job that panicked (a bug; see the log).",
        &per_job(&|j| counts(j).1 as f64),
    );
}

/// `GET /metrics`.
pub async fn handler(State(state): State<AppState>) -> Response {
    (
        [(
            header::CONTENT_TYPE,
            "text/plain; version=0.0.4; charset=utf-8",
        )],
        render(&state),
    )
        .into_response()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn method_labels_are_bounded() {
        let odd = axum::http::Method::from_bytes(&[b'X'; 4000]).unwrap();
        assert_eq!(method_label(&odd), "other");
        assert_eq!(method_label(&axum::http::Method::POST), "POST");
    }

    #[test]
    fn histogram_is_cumulative() {
        let mut h = Histogram::default();
        h.observe(Duration::from_micros(100));
        h.observe(Duration::from_millis(20));
        h.observe(Duration::from_secs(60));
        let mut out = String::new();
        h.render(&mut out, "x", "route=\"/q\"");
        assert!(
            out.contains("x_bucket{route=\"/q\",le=\"0.0005\"} 1\n"),
            "{out}"
        );
        assert!(
            out.contains("x_bucket{route=\"/q\",le=\"0.025\"} 2\n"),
            "{out}"
        );
        assert!(
            out.contains("x_bucket{route=\"/q\",le=\"10\"} 2\n"),
            "{out}"
        );
        assert!(
            out.contains("x_bucket{route=\"/q\",le=\"+Inf\"} 3\n"),
            "{out}"
        );
        assert!(out.contains("x_count{route=\"/q\"} 3\n"), "{out}");
        let mut out = String::new();
        Histogram::default().render(&mut out, "y", "");
        assert!(
            out.contains("y_bucket{le=\"+Inf\"} 0\n") && out.contains("y_count 0\n"),
            "{out}"
        );
    }
}
