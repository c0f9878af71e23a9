//! The query runner: sends planned queries one at a time (as TSBS does with one worker) to
//! Strata, InfluxDB or Prometheus, times each request from send to the last body byte, and
//! keeps every normalised answer for the cross-system check.

use std::time::{Duration, Instant};

use bytes::Bytes;
use tokio::runtime::Runtime;

use crate::error::Result;
use crate::http::HttpClient;
use crate::query::result::QueryResult;
use crate::query::{QuerySpec, QueryType, influxql, promql, strata};
use crate::stats::{self, Summary};

/// Which system, at which base URL (`http://127.0.0.1:PORT`).
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Target {
    Strata {
        base: String,
    },
    Influx {
        base: String,
        db: String,
    },
    /// A PromQL server: Prometheus, or VictoriaMetrics (`dialect` says which).
    Prometheus {
        base: String,
        dialect: promql::Dialect,
    },
}

impl Target {
    /// Display name.
    pub fn name(&self) -> &'static str {
        match self {
            Target::Strata { .. } => "Strata",
            Target::Influx { .. } => "InfluxDB",
            Target::Prometheus { dialect, .. } => dialect.name(),
        }
    }
}

/// The answers and latencies of the queries of one type.
#[derive(Debug, Clone)]
pub struct TypeOutcome {
    pub kind: QueryType,
    pub latency: Summary,
    /// One per query, in plan order.
    pub results: Vec<QueryResult>,
    /// Rows (values) returned in total.
    pub values: usize,
}

/// Runs one query; returns its normalised answer and its latency.
pub async fn execute(
    client: &HttpClient,
    target: &Target,
    q: &QuerySpec,
) -> Result<(QueryResult, Duration)> {
    match target {
        Target::Strata { base } => {
            let url = format!("{base}/query");
            let body = Bytes::from(serde_json::to_vec(&strata::request(q)).unwrap_or_default());
            let t0 = Instant::now();
            let resp = client.post(&url, "application/json", None, body).await?;
            let took = t0.elapsed();
            let json = resp.ok(&url)?.json(&url)?;
            Ok((strata::parse(q, &url, &json)?, took))
        }
        Target::Influx { base, db } => {
            let url = format!("{base}/query?{}", influxql::query_string(q, db));
            let t0 = Instant::now();
            let resp = client.get(&url).await?;
            let took = t0.elapsed();
            let json = resp.ok(&url)?.json(&url)?;
            Ok((influxql::parse(q, &url, &json)?, took))
        }
        Target::Prometheus { base, dialect } => {
            let p = promql::query(q, *dialect);
            let url = format!("{base}{}", promql::path(&p));
            let t0 = Instant::now();
            let resp = client.get(&url).await?;
            let took = t0.elapsed();
            let json = resp.ok(&url)?.json(&url)?;
            Ok((promql::parse(q, &p, &url, &json)?, took))
        }
    }
}

/// Runs every query of `plans` (all of one type) against `target`.
pub fn run_type(
    rt: &Runtime,
    client: &HttpClient,
    target: &Target,
    kind: QueryType,
    plans: &[QuerySpec],
    show_progress: bool,
) -> Result<TypeOutcome> {
    let bar = crate::progress::bar(
        show_progress,
        plans.len() as u64,
        &format!("{} {}", target.name(), kind.name()),
    );
    let mut latencies = Vec::with_capacity(plans.len());
    let mut results = Vec::with_capacity(plans.len());
    for q in plans {
        let (r, took) = rt.block_on(execute(client, target, q))?;
        latencies.push(stats::ms(took));
        results.push(r);
        bar.inc(1);
    }
    bar.finish_and_clear();
    let values = results.iter().map(|r| r.rows.len()).sum();
    Ok(TypeOutcome {
        kind,
        latency: Summary::of(&latencies),
        results,
        values,
    })
}
