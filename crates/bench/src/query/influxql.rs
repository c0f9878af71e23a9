//! A [`QuerySpec`] as InfluxQL for InfluxDB 1.x (`GET /query?db=..&epoch=ms&q=..`), and
//! its answer normalised.
//!
//! Aggregates are aliased to their field name (`max(usage_user) AS usage_user`) and use
//! `fill(none)`, so windows without data are absent as in Strata. `high-cpu-1` uses the
//! server-side `usage_user > 90.0` filter, `lastpoint` TSBS's
//! `GROUP BY hostname ORDER BY time DESC LIMIT 1`.

use serde_json::Value;

use super::QuerySpec;
use super::result::{QueryResult, ResultRow};
use crate::data::MEASUREMENT;
use crate::error::{BenchError, Result};
use crate::timefmt::{format_duration, format_rfc3339};

/// The InfluxQL statement.
pub fn statement(q: &QuerySpec) -> String {
    let select = match q.aggregate {
        Some((agg, _)) => q
            .fields
            .iter()
            .map(|f| format!("{}({f}) AS {f}", agg.name()))
            .collect::<Vec<_>>()
            .join(", "),
        None => "*".to_string(),
    };
    let mut conds = Vec::new();
    if let Some(t) = q.usage_user_above {
        conds.push(format!("usage_user > {t:.1}"));
    }
    if !q.hosts.is_empty() {
        let hosts: Vec<String> = q
            .hosts
            .iter()
            .map(|h| format!("hostname = '{h}'"))
            .collect();
        conds.push(format!("({})", hosts.join(" OR ")));
    }
    let lastpoint = q.limit == Some(1) && q.aggregate.is_none();
    if !lastpoint {
        conds.push(format!("time >= '{}'", format_rfc3339(q.start_ms)));
        conds.push(format!("time < '{}'", format_rfc3339(q.end_ms)));
    }
    let mut s = format!("SELECT {select} FROM {MEASUREMENT}");
    if !conds.is_empty() {
        s.push_str(" WHERE ");
        s.push_str(&conds.join(" AND "));
    }
    let mut group = Vec::new();
    if let Some((_, every)) = q.aggregate {
        group.push(format!("time({})", format_duration(every)));
    }
    if q.per_host && (q.aggregate.is_some() || lastpoint) {
        group.push("hostname".to_string());
    }
    if !group.is_empty() {
        s.push_str(" GROUP BY ");
        s.push_str(&group.join(", "));
    }
    if q.aggregate.is_some() {
        s.push_str(" fill(none)");
    }
    if q.desc {
        s.push_str(" ORDER BY time DESC");
    }
    if let Some(limit) = q.limit {
        s.push_str(&format!(" LIMIT {limit}"));
    }
    s
}

/// The query string after `/query?` for database `db`.
pub fn query_string(q: &QuerySpec, db: &str) -> String {
    format!(
        "db={}&epoch=ms&q={}",
        crate::http::url_encode(db),
        crate::http::url_encode(&statement(q))
    )
}

/// Normalises a `{"results":[{"series":[...]}]}` answer.
pub fn parse(q: &QuerySpec, url: &str, body: &Value) -> Result<QueryResult> {
    let bad = |message: String| BenchError::Decode {
        url: url.to_string(),
        message,
    };
    let result = body
        .get("results")
        .and_then(|r| r.get(0))
        .ok_or_else(|| bad(format!("no results: {body}")))?;
    if let Some(e) = result.get("error") {
        return Err(bad(format!("InfluxDB error: {e}")));
    }
    let mut rows = Vec::new();
    let empty = Vec::new();
    for series in result
        .get("series")
        .and_then(Value::as_array)
        .unwrap_or(&empty)
    {
        let columns: Vec<&str> = series
            .get("columns")
            .and_then(Value::as_array)
            .map(|c| c.iter().filter_map(Value::as_str).collect())
            .unwrap_or_default();
        let series_host = series
            .get("tags")
            .and_then(|t| t.get("hostname"))
            .and_then(Value::as_str);
        let host_col = columns.iter().position(|c| *c == "hostname");
        for values in series
            .get("values")
            .and_then(Value::as_array)
            .unwrap_or(&empty)
        {
            let Some(values) = values.as_array() else {
                continue;
            };
            let ts = values
                .first()
                .and_then(Value::as_i64)
                .ok_or_else(|| bad(format!("row without an integer time: {values:?}")))?;
            let group = if q.per_host {
                series_host
                    .or_else(|| host_col.and_then(|i| values.get(i)).and_then(Value::as_str))
                    .unwrap_or("")
                    .to_string()
            } else {
                "*".to_string()
            };
            for (col, v) in columns.iter().zip(values).skip(1) {
                if !q.fields.contains(col) {
                    continue;
                }
                if let Some(v) = v.as_f64() {
                    rows.push(ResultRow {
                        group: group.clone(),
                        field: (*col).to_string(),
                        ts_ms: ts,
                        value: v,
                    });
                }
            }
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
    fn statements() {
        let mut p = Planner::new(data(), 3);
        let q = p.plan(QueryType::SingleGroupby111);
        let s = statement(&q);
        assert!(
            s.starts_with("SELECT max(usage_user) AS usage_user FROM cpu WHERE (hostname = 'host_"),
            "{s}"
        );
        assert!(s.ends_with("GROUP BY time(1m) fill(none)"), "{s}");
        let s = statement(&p.plan(QueryType::DoubleGroupby1));
        assert!(
            s.contains("mean(usage_user) AS usage_user")
                && s.contains("GROUP BY time(1h), hostname"),
            "{s}"
        );
        let s = statement(&p.plan(QueryType::HighCpu1));
        assert!(
            s.starts_with("SELECT * FROM cpu WHERE usage_user > 90.0 AND (hostname = 'host_"),
            "{s}"
        );
        assert_eq!(
            statement(&p.plan(QueryType::Lastpoint)),
            "SELECT * FROM cpu GROUP BY hostname ORDER BY time DESC LIMIT 1"
        );
        let s = statement(&p.plan(QueryType::GroupbyOrderbyLimit));
        assert!(
            s.ends_with("GROUP BY time(1m) fill(none) ORDER BY time DESC LIMIT 5"),
            "{s}"
        );
        let s = statement(&p.plan(QueryType::CpuMaxAll8));
        assert_eq!(s.matches(" OR ").count(), 7);
        assert!(s.contains("max(usage_guest_nice) AS usage_guest_nice"));
    }

    #[test]
    fn parses_series() {
        let mut p = Planner::new(data(), 3);
        let q = p.plan(QueryType::DoubleGroupby1);
        let body = json!({"results": [{"statement_id": 0, "series": [
            {"name": "cpu", "tags": {"hostname": "host_3"}, "columns": ["time", "usage_user"], "values": [[3600000, 1.5], [7200000, null]]}
        ]}]});
        let r = parse(&q, "u", &body).unwrap();
        assert_eq!(r.rows.len(), 1);
        assert_eq!(
            (r.rows[0].group.as_str(), r.rows[0].ts_ms, r.rows[0].value),
            ("host_3", 3600000, 1.5)
        );
        let q = p.plan(QueryType::HighCpu1);
        let body = json!({"results": [{"series": [
            {"name": "cpu", "columns": ["time", "arch", "hostname", "usage_user"], "values": [[10, "x64", "host_9", 91.0]]}
        ]}]});
        let r = parse(&q, "u", &body).unwrap();
        assert_eq!(r.rows[0].group, "host_9");
        assert_eq!(r.rows.len(), 1, "tags are not values");
        assert!(parse(&q, "u", &json!({"results": [{"error": "boom"}]})).is_err());
        assert!(
            parse(&q, "u", &json!({"results": [{}]}))
                .unwrap()
                .rows
                .is_empty()
        );
    }
}
