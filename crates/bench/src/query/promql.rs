//! A [`QuerySpec`] as PromQL over the remote-written series (`cpu_<field>` with the host's
//! labels), for Prometheus' `/api/v1/query_range` and `/api/v1/query`; and its answer
//! normalised.
//!
//! Windows: Prometheus 2.x range selectors include both ends, so the window `[w, w+every)`
//! is `max_over_time(x[every-1ms])` evaluated at `w + every - 1ms` (VictoriaMetrics'
//! selectors leave out their left end, so there it is `x[every]`); a `query_range` from
//! the first window's end with `step = every` yields one value per window, restamped to the
//! window start. Several fields are joined with `or`, each tagged with a `field` label by
//! `label_replace` (aggregations drop `__name__`).
//!
//! What PromQL cannot say the same way: `high-cpu-1` returns only `usage_user` (evaluated
//! at every 10 s sample with `> 90`), and `lastpoint` is an instant query at the data's end
//! (values, not the sample times, are compared). `groupby-orderby-limit` has no
//! `ORDER BY/LIMIT`: the 5-minute range already holds exactly the 5 windows.

use serde_json::Value;

use super::QuerySpec;
use super::result::{QueryResult, ResultRow};
use crate::data::{FIELDS, INTERVAL_MS, MEASUREMENT};
use crate::encode::remote_write::metric_name;
use crate::error::{BenchError, Result};

/// Whose PromQL: the range windows differ at their left end.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Dialect {
    /// Prometheus 2.x: `x[d]` at `t` covers `[t - d, t]`, both ends.
    Prometheus,
    /// VictoriaMetrics' MetricsQL: `x[d]` at `t` covers `(t - d, t]`.
    MetricsQl,
}

impl Dialect {
    /// The server's name.
    pub fn name(self) -> &'static str {
        match self {
            Dialect::Prometheus => "Prometheus",
            Dialect::MetricsQl => "VictoriaMetrics",
        }
    }
}

/// How to evaluate an expression.
#[derive(Debug, Clone, PartialEq)]
pub enum Eval {
    /// `/api/v1/query_range` with times in ms.
    Range {
        start_ms: i64,
        end_ms: i64,
        step_ms: i64,
    },
    /// `/api/v1/query` at a time in ms.
    Instant { time_ms: i64 },
}

/// A PromQL query and how to read its answer.
#[derive(Debug, Clone, PartialEq)]
pub struct PromQuery {
    pub expr: String,
    pub eval: Eval,
    /// Subtracted from result timestamps (window end -> window start).
    pub shift_ms: i64,
    /// Fields the answer covers (the comparison is restricted to them).
    pub fields: Vec<&'static str>,
    /// Compare timestamps (false for instant queries).
    pub timestamps: bool,
}

fn selector(field: &str, hosts: &[String]) -> String {
    match hosts {
        [] => metric_name(field),
        [one] => format!("{}{{hostname=\"{one}\"}}", metric_name(field)),
        many => format!("{}{{hostname=~\"{}\"}}", metric_name(field), many.join("|")),
    }
}

/// The PromQL form of `q` for `dialect`.
pub fn query(q: &QuerySpec, dialect: Dialect) -> PromQuery {
    if let Some((agg, every)) = q.aggregate {
        let over = match agg {
            super::Agg::Max => "max_over_time",
            super::Agg::Mean => "avg_over_time",
        };
        let fold = match agg {
            super::Agg::Max => "max",
            super::Agg::Mean => "avg",
        };
        // The window `[w, w + every)` evaluated at `w + every - 1ms`.
        let range = match dialect {
            Dialect::Prometheus => format!("{}ms", every - 1),
            Dialect::MetricsQl => format!("{every}ms"),
        };
        let parts: Vec<String> = q
            .fields
            .iter()
            .map(|f| {
                let inner = format!("{over}({}[{range}])", selector(f, &q.hosts));
                let inner = if q.per_host {
                    format!("{fold} by (hostname) ({inner})")
                } else {
                    format!("{fold}({inner})")
                };
                format!("label_replace({inner}, \"field\", \"{f}\", \"\", \"\")")
            })
            .collect();
        return PromQuery {
            expr: parts.join(" or "),
            eval: Eval::Range {
                start_ms: q.start_ms + every - 1,
                end_ms: q.end_ms - 1,
                step_ms: every,
            },
            shift_ms: every - 1,
            fields: q.fields.clone(),
            timestamps: true,
        };
    }
    if let Some(t) = q.usage_user_above {
        return PromQuery {
            expr: format!("{} > {t:.1}", selector("usage_user", &q.hosts)),
            eval: Eval::Range {
                start_ms: q.start_ms,
                end_ms: q.end_ms - 1,
                step_ms: INTERVAL_MS,
            },
            shift_ms: 0,
            fields: vec!["usage_user"],
            timestamps: true,
        };
    }
    // lastpoint
    PromQuery {
        expr: format!("{{__name__=~\"{MEASUREMENT}_usage_.*\"}}"),
        eval: Eval::Instant {
            time_ms: q.end_ms - 1,
        },
        shift_ms: 0,
        fields: FIELDS.to_vec(),
        timestamps: false,
    }
}

fn secs(ms: i64) -> String {
    format!("{}.{:03}", ms.div_euclid(1000), ms.rem_euclid(1000))
}

/// Path and query string (after the base URL).
pub fn path(p: &PromQuery) -> String {
    let expr = crate::http::url_encode(&p.expr);
    match p.eval {
        Eval::Range {
            start_ms,
            end_ms,
            step_ms,
        } => format!(
            "/api/v1/query_range?query={expr}&start={}&end={}&step={}",
            secs(start_ms),
            secs(end_ms),
            secs(step_ms)
        ),
        Eval::Instant { time_ms } => format!("/api/v1/query?query={expr}&time={}", secs(time_ms)),
    }
}

/// Normalises a `{"status":"success","data":{...}}` answer.
pub fn parse(q: &QuerySpec, p: &PromQuery, url: &str, body: &Value) -> Result<QueryResult> {
    let bad = |message: String| BenchError::Decode {
        url: url.to_string(),
        message,
    };
    if body.get("status").and_then(Value::as_str) != Some("success") {
        return Err(bad(format!("Prometheus error: {body}")));
    }
    let empty = Vec::new();
    let results = body
        .get("data")
        .and_then(|d| d.get("result"))
        .and_then(Value::as_array)
        .unwrap_or(&empty);
    let mut rows = Vec::new();
    for r in results {
        let metric = r.get("metric");
        let label = |name: &str| metric.and_then(|m| m.get(name)).and_then(Value::as_str);
        let field = match (label("field"), label("__name__")) {
            (Some(f), _) => f.to_string(),
            (None, Some(n)) => n.strip_prefix("cpu_").unwrap_or(n).to_string(),
            (None, None) => p.fields.first().copied().unwrap_or("").to_string(),
        };
        let group = if q.per_host {
            label("hostname").unwrap_or("").to_string()
        } else {
            "*".to_string()
        };
        let samples: Vec<&Value> = match (r.get("values"), r.get("value")) {
            (Some(Value::Array(v)), _) => v.iter().collect(),
            (_, Some(v)) => vec![v],
            _ => Vec::new(),
        };
        for s in samples {
            let t = s.get(0).and_then(Value::as_f64);
            let v = s
                .get(1)
                .and_then(Value::as_str)
                .and_then(|v| v.parse::<f64>().ok());
            let (Some(t), Some(v)) = (t, v) else {
                return Err(bad(format!("bad sample {s}")));
            };
            let ts_ms = if p.timestamps {
                (t * 1000.0).round() as i64 - p.shift_ms
            } else {
                0
            };
            rows.push(ResultRow {
                group: group.clone(),
                field: field.clone(),
                ts_ms,
                value: v,
            });
        }
    }
    Ok(QueryResult::new(rows))
}

#[cfg(test)]
mod tests {
    use super::super::tests::data;
    use super::super::{Planner, QueryType};
    use super::*;
    use serde_json::json;

    #[test]
    fn windowed_max() {
        let q = Planner::new(data(), 3).plan(QueryType::SingleGroupby581);
        let p = query(&q, Dialect::Prometheus);
        assert_eq!(p.expr.matches(" or ").count(), 4);
        assert!(
            p.expr
                .starts_with("label_replace(max(max_over_time(cpu_usage_user{hostname=~\"host_"),
            "{}",
            p.expr
        );
        assert!(p.expr.contains("[59999ms]"));
        assert_eq!(
            p.eval,
            Eval::Range {
                start_ms: q.start_ms + 59_999,
                end_ms: q.end_ms - 1,
                step_ms: 60_000
            }
        );
        let path = path(&p);
        assert!(
            path.starts_with("/api/v1/query_range?query=label_replace%28"),
            "{path}"
        );
        assert!(path.contains("&step=60.000"));
        // MetricsQL's windows leave out their left end: the whole window, same evaluation.
        let v = query(&q, Dialect::MetricsQl);
        assert!(v.expr.contains("[60000ms]"), "{}", v.expr);
        assert_eq!(v.eval, p.eval);
    }

    #[test]
    fn per_host_mean_high_cpu_and_lastpoint() {
        let mut pl = Planner::new(data(), 3);
        let p = query(&pl.plan(QueryType::DoubleGroupby1), Dialect::Prometheus);
        assert!(
            p.expr.starts_with(
                "label_replace(avg by (hostname) (avg_over_time(cpu_usage_user[3599999ms]))"
            ),
            "{}",
            p.expr
        );
        let q = pl.plan(QueryType::HighCpu1);
        let p = query(&q, Dialect::Prometheus);
        assert_eq!(
            p.expr,
            format!("cpu_usage_user{{hostname=\"{}\"}} > 90.0", q.hosts[0])
        );
        assert_eq!(p.fields, vec!["usage_user"]);
        let p = query(&pl.plan(QueryType::Lastpoint), Dialect::Prometheus);
        assert_eq!(p.expr, "{__name__=~\"cpu_usage_.*\"}");
        assert!(matches!(p.eval, Eval::Instant { .. }) && !p.timestamps);
    }

    #[test]
    fn parses_matrix_and_vector() {
        let mut pl = Planner::new(data(), 3);
        let q = pl.plan(QueryType::SingleGroupby111);
        let p = query(&q, Dialect::Prometheus);
        let body = json!({"status": "success", "data": {"resultType": "matrix", "result": [
            {"metric": {"field": "usage_user"}, "values": [[1451606459.999, "12.5"]]}
        ]}});
        let r = parse(&q, &p, "u", &body).unwrap();
        assert_eq!(r.rows[0].ts_ms, 1_451_606_400_000);
        assert_eq!((r.rows[0].group.as_str(), r.rows[0].value), ("*", 12.5));
        let q = pl.plan(QueryType::Lastpoint);
        let p = query(&q, Dialect::Prometheus);
        let body = json!({"status": "success", "data": {"resultType": "vector", "result": [
            {"metric": {"__name__": "cpu_usage_idle", "hostname": "host_2"}, "value": [1451692799.999, "3"]}
        ]}});
        let r = parse(&q, &p, "u", &body).unwrap();
        assert_eq!(
            (
                r.rows[0].field.as_str(),
                r.rows[0].group.as_str(),
                r.rows[0].ts_ms
            ),
            ("usage_idle", "host_2", 0)
        );
        assert!(parse(&q, &p, "u", &json!({"status": "error"})).is_err());
    }
}
